"""The results as a table on stdout, and as JSON and Markdown under docs/."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from bench.common import status
from bench.targets import check


def _ms(summary: Optional[dict[str, Any]]) -> str:
    if not summary or not summary.get("n"):
        return "-"
    return f"{summary['p50_ms']:.0f} / {summary['p95_ms']:.0f} / {summary['p99_ms']:.0f} ms"


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:+.1f} %"


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, status) rows: the headline table."""
    targets = {row["target"]: row for row in check(results)}

    def target(prefix: str) -> tuple[str, str]:
        for name, row in targets.items():
            if name.startswith(prefix):
                return name, status(row["met"])
        return "", ""

    rows: list[tuple[str, str, str, str]] = []
    inproc = results.get("in_process")
    if inproc:
        rows.append(("in-process p50 / p95 / p99, raw Rasa agent", _ms(inproc["raw_rasa"]), "", ""))
        rows.append(("in-process p50 / p95 / p99, bot (Core.handle)", _ms(inproc["bot"]),
                     *target("in-process p95")))
        rows.append(("bot overhead over raw Rasa (paired turns, total time)",
                     _pct(inproc.get("bot_overhead_pct")), *target("bot overhead")))
        cpu = inproc.get("cpu_ms_per_turn") or {}
        rows.append(("CPU per turn, raw Rasa / bot", f"{cpu.get('raw_rasa')} / {cpu.get('bot')} ms", "", ""))
    telegram = results.get("telegram") or {}
    for level in telegram.get("levels") or []:
        name = f"Telegram, {level['users']} user{'s' if level['users'] != 1 else ''} at once"
        value = (f"{_ms(level['latency'])}; {level['throughput_user_msgs_per_s']} msg/s; "
                 f"lost {level['lost_replies']}")
        if level["users"] == 200:
            rows.append((name, value, *target("200 users")))
        else:
            rows.append((name, value, "", ""))
    level = telegram.get("without_rate_limiter")
    if level:
        rows.append((f"  diagnostic: {level['users']} users, rate limiter off",
                     f"{_ms(level['latency'])}; {level['throughput_user_msgs_per_s']} msg/s; "
                     f"lost {level['lost_replies']}", "(diagnostic)", ""))
    if telegram.get("skipped"):
        rows.append(("Telegram emulator", f"skipped: {telegram['skipped']}", "", ""))
    cold = results.get("cold_start")
    if cold:
        rows.append(("cold start to first reply (median, max)",
                     f"{cold.get('median_seconds')} s, {cold.get('max_seconds')} s", *target("cold start")))
        rows.append(("peak resident memory (python -m bot chat)", f"{cold.get('peak_rss_mib')} MiB",
                     *target("peak memory")))
    training = results.get("training") or {}
    if training.get("from_scratch"):
        rows.append(("training from scratch (rasa train --force)", f"{training['from_scratch']['seconds']} s",
                     *target("training from scratch")))
    if training.get("rasa_no_change"):
        again = training["rasa_no_change"]
        rows.append(("training, nothing changed: rasa train (no --force)",
                     f"{again['seconds']} s ({again['components_trained']} components trained)", "", ""))
    if training.get("setup_no_change"):
        setup = training["setup_no_change"]
        note = "trained!" if setup.get("trained") else "no training"
        rows.append(("training, nothing changed: scripts/setup.sh", f"{setup['seconds']} s ({note})", "", ""))
    for key in ("not_run",):
        for item in results.get(key) or []:
            rows.append((item, "not run (--quick)", "", ""))
    return rows


def text_table(rows: list[tuple[str, str, str, str]],
               header: tuple[str, str, str, str] = ("measure", "value", "target", "status")) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def md_table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |",
            *["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]]


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
