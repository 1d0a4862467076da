"""The targets, checked against the measured figures (None: that part did not run)."""
from __future__ import annotations

from typing import Any, Optional

IN_PROCESS_P95_MS = 60.0  # issue 12 (was 80)
BOT_OVERHEAD_PCT = 5.0  # issue 14: the bot adds at most 5 % to raw Rasa
USERS_AT_ONCE = 200
USERS_P95_MS = 1000.0
COLD_START_S = 10.0  # issue 12 (was 15)
PEAK_MEMORY_MIB = 1024.0
TRAINING_S = 180.0


def _level(telegram: Optional[dict[str, Any]], users: int) -> Optional[dict[str, Any]]:
    for level in (telegram or {}).get("levels") or []:
        if level.get("users") == users:
            return level
    return None


def check(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    inproc = results.get("in_process") or {}
    bot_p95 = (inproc.get("bot") or {}).get("p95_ms")
    rows.append({"target": f"in-process p95 <= {IN_PROCESS_P95_MS:.0f} ms (bot path)",
                 "value": f"{bot_p95} ms" if bot_p95 is not None else "-",
                 "met": None if bot_p95 is None else bot_p95 <= IN_PROCESS_P95_MS})
    overhead = inproc.get("bot_overhead_pct")
    rows.append({"target": f"bot overhead <= {BOT_OVERHEAD_PCT:.0f} % over raw Rasa",
                 "value": f"{overhead} %" if overhead is not None else "-",
                 "met": None if overhead is None else overhead <= BOT_OVERHEAD_PCT})
    level = _level(results.get("telegram"), USERS_AT_ONCE)
    if level is None:
        rows.append({"target": f"{USERS_AT_ONCE} users at once: 0 lost, p95 <= 1 s", "value": "-",
                     "met": None})
    else:
        p95 = level["latency"].get("p95_ms")
        rows.append({"target": f"{USERS_AT_ONCE} users at once: 0 lost, p95 <= 1 s",
                     "value": f"{level['lost_replies']} lost, p95 {p95} ms",
                     "met": level["lost_replies"] == 0 and p95 is not None and p95 <= USERS_P95_MS})
    cold = results.get("cold_start") or {}
    median = cold.get("median_seconds")
    rows.append({"target": f"cold start <= {COLD_START_S:.0f} s (median of runs)",
                 "value": f"{median} s (max {cold.get('max_seconds')} s)" if median is not None else "-",
                 "met": None if median is None
                 else median <= COLD_START_S and bool(cold.get("all_replied"))})
    peak = cold.get("peak_rss_mib")
    rows.append({"target": "peak memory <= 1 GB (1024 MiB)",
                 "value": f"{peak} MiB" if peak is not None else "-",
                 "met": None if peak is None else peak <= PEAK_MEMORY_MIB})
    scratch = ((results.get("training") or {}).get("from_scratch")) or None
    if scratch is None:
        rows.append({"target": "training from scratch <= 3 min", "value": "-", "met": None})
    else:
        ok = scratch.get("exit_code") == 0 and not scratch.get("timed_out")
        rows.append({"target": "training from scratch <= 3 min",
                     "value": f"{scratch['seconds']} s" + ("" if ok else " (failed)"),
                     "met": ok and scratch["seconds"] <= TRAINING_S})
    return rows
