"""docs/benchmarks.md and docs/nlu-evaluation.md, written from the measured results.

The code here computes values and tables and picks the sections that apply; the
words are in ``bench/templates/`` (``bench/prose.py`` reads them).  The Telegram
sections are ``bench/markdown_telegram.py``, the NLU report ``bench/markdown_nlu.py``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from bench import markdown_telegram
from bench.common import status
from bench.markdown_nlu import nlu, nlu_headline, nlu_summary
from bench.prose import Prose
from bench.report import md_table, summary_rows
from bench.targets import COLD_START_S, check

__all__ = ["benchmarks", "nlu", "nlu_headline", "nlu_summary"]

prose = Prose("benchmarks.md")
GUARD_JSON = Path(__file__).resolve().parent.parent / "docs" / "guard-evaluation.json"


def table(header: list[str], rows: list[list[Any]]) -> str:
    return "\n".join(md_table(header, rows))


def _ms_row(summary: Optional[dict[str, Any]]) -> list[Any]:
    summary = summary or {}
    return [summary.get(k, "-") for k in ("n", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms")]


def _profile(r: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The profile of the bot path (``profile_before`` in reports written before the speed-ups)."""
    return r.get("profile") or r.get("profile_before")


def _top_part(profile: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The biggest named part below the whole message."""
    parts = [p for p in (profile or {}).get("parts") or [] if "whole message" not in p["part"]]
    return max(parts, key=lambda p: p["share_pct"]) if parts else None


def gc_line(gc_stats: Optional[dict[str, Any]]) -> str:
    stats = gc_stats or {}
    g2 = stats.get("gen2") or {}
    count = g2.get("count", 0)
    line = prose("gc", count=count, plural="" if count == 1 else "s", total_ms=g2.get("total_ms", 0),
                 max_ms=g2.get("max_ms", 0), tracked=stats.get("tracked_objects"))
    frozen = stats.get("frozen_objects") or 0
    return line + (prose("gc_frozen", frozen=frozen) if frozen else "")


def benchmarks(r: dict[str, Any]) -> str:
    m = r.get("machine") or {}
    blocks = [prose("header", measured_at=r.get("measured_at"), command=r.get("command"),
                    total_seconds=r.get("total_seconds")),
              prose("machine", cpus=m.get("cpus"), cpu_model=m.get("cpu_model", "?"),
                    memory_gib=m.get("memory_gib"), python=m.get("python"), rasa=m.get("rasa"),
                    ptb=m.get("python_telegram_bot"), load_start=m.get("load_average_at_start"),
                    load_end=r.get("load_average_at_end"))]
    if r.get("hand_notes"):  # notes written since the run (kept in the JSON, so a re-render keeps them)
        blocks.append(str(r["hand_notes"]).strip("\n"))
    blocks += [prose("summary"),
               table(["measure", "value", "target", "status"], [list(row) for row in summary_rows(r)]),
               prose("targets"),
               table(["target", "measured", "status"],
                     [[t["target"], t["value"], status(t["met"])] for t in r.get("targets") or check(r)]),
               *_in_process(r), *_profile_section(r), *markdown_telegram.burst(r),
               *markdown_telegram.paced(r), *_cold_start(r), *_training(r), *_missed(r), *_guard()]
    if r.get("nlu_summary"):
        blocks.append(prose("nlu", summary=r["nlu_summary"]))
    return "\n\n".join(blocks).rstrip() + "\n"


def _guard(path: Optional[Path] = None) -> list[str]:
    """The safety guard's cost and memory against issue 11's budget (from `./bench.sh --guard`)."""
    path = path or GUARD_JSON
    if not path.exists():
        return []
    g = json.loads(path.read_text("utf-8"))
    cost, memory = g.get("cost") or {}, g.get("memory") or {}
    cpu95, added = cost.get("cpu_ms_p95"), memory.get("semantic_added_mb")
    rows = [
        ["CPU per message, p95", f"{cpu95} ms", "at most 8 ms", status(cpu95 is not None and cpu95 <= 8)],
        ["wall clock per message, p95 (includes waiting for a CPU)", f"{cost.get('wall_ms_p95')} ms", "", ""],
        ["memory the semantic layer adds", f"{added} MB", "at most 150 MB",
         status(added is not None and added <= 150)],
    ]
    return [prose("guard", measured_at=g.get("measured_at"), messages=cost.get("messages"),
                  load=g.get("load_average")),
            table(["measure", "value", "budget", "status"], rows)]


def _in_process(r: dict[str, Any]) -> list[str]:
    ip = r.get("in_process")
    if not ip:
        return []
    rows = [["raw Rasa agent", *_ms_row(ip["raw_rasa"])],
            ["bot, every turn", *_ms_row(ip["bot"])],
            ["bot, turns that reached Rasa", *_ms_row(ip["paired_turns"]["bot"])],
            ["raw Rasa, the same turns", *_ms_row(ip["paired_turns"]["raw_rasa"])],
            ["bot, turns without Rasa (quick notes)", *_ms_row(ip["bot_turns_without_rasa"])]]
    ratio = ip.get("bot_overhead_pct_by_percentile") or {}
    blocks = [prose("in_process", turns=ip["turns_per_conversation"], warm_up=ip["warm_up_conversations"],
                    conversations=ip["conversations"], bot_turns=ip["bot"]["n"], seconds=ip["seconds"],
                    load_seconds=r.get("core_load_seconds_in_process"),
                    tensorflow=r.get("tensorflow_imported")),
              table(["path", "turns", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows),
              prose("in_process_overhead", overhead=ip.get("bot_overhead_pct"),
                    overhead_cpu=ip.get("bot_overhead_cpu_pct"), p50=ratio.get("p50_ms"),
                    p95=ratio.get("p95_ms"), p99=ratio.get("p99_ms"),
                    cpu_raw=ip["cpu_ms_per_turn"]["raw_rasa"], cpu_bot=ip["cpu_ms_per_turn"]["bot"],
                    empty=ip.get("empty_replies"),
                    errors=ip.get("error_replies")),
              prose("in_process_gc", gc=gc_line(ip.get("garbage_collections")))]
    where = ip.get("where_the_bot_adds") or {}
    if where.get("largest"):
        blocks.append(prose("in_process_where", wall_ms=where.get("median_added_wall_ms"),
                            cpu_ms=where.get("median_added_cpu_ms")))
        blocks.append(table(["turn", "message", "bot adds ms", "of which CPU ms", "raw Rasa ms"],
                            [[w["turn"], f"`{w['text']}`", w["added_wall_ms"], w["added_cpu_ms"],
                              w["raw_wall_ms"]] for w in where["largest"]]))
    return blocks


def _profile_section(r: dict[str, Any]) -> list[str]:
    profile = _profile(r)
    if not profile:
        return []
    blocks = [prose("profile")]
    if profile.get("skipped"):
        return [*blocks, prose("profile_skipped", reason=profile["skipped"])]
    rows = [[p["part"], f"{p['share_pct']} %"] for p in profile.get("parts") or []]
    rows.append(["wall ms per turn while profiled", profile.get("wall_ms_per_turn_while_profiled")])
    return [*blocks, prose("profile_about", version=profile.get("pyinstrument"), turns=profile.get("turns")),
            table(["part", "share"], rows), prose("profile_top"),
            table(["function", "share"], [[t["function"], f"{t['share_pct']} %"]
                                          for t in profile.get("top_self_time") or []])]


def _phase_steps(phases: list[list[Any]]) -> list[tuple[float, str, float]]:
    """(seconds, name, at) of each start-up phase, from the timestamps at which each ended."""
    steps, previous = [], 0.0
    for name, at in phases:
        steps.append((at - previous, name, at))
        previous = at
    return steps


def _cold_start(r: dict[str, Any]) -> list[str]:
    cold = r.get("cold_start")
    if not cold:
        return []
    blocks = [prose("cold_start", command=cold["command"]),
              table(["run", "seconds to first reply", "peak RSS MiB", "CPU s", "reply ok", "exit"],
                    [[i + 1, x["seconds_to_first_reply"], x["peak_rss_mib"], x["cpu_seconds"],
                      x["reply_ok"], x["exit_code"]] for i, x in enumerate(cold["runs"])]),
              prose("cold_start_median", median=cold.get("median_seconds"),
                    cpu=cold.get("median_cpu_seconds"))]
    phases = cold.get("phases")
    if isinstance(phases, list) and phases:
        blocks += [prose("cold_start_phases"),
                   table(["phase", "seconds", "at"],
                         [[name, f"{sec:.2f}", f"{at:.2f}"] for sec, name, at in _phase_steps(phases)])]
    if r.get("bench_process_peak_rss_mib"):
        users = max([lv["users"] for lv in (r.get("telegram") or {}).get("levels") or []] or [0])
        blocks.append(prose("cold_start_bench_process", users=users, peak=r["bench_process_peak_rss_mib"]))
    return blocks


def _training(r: dict[str, Any]) -> list[str]:
    tr = r.get("training")
    if not tr:
        return []
    rows = []
    labels = {"from_scratch": "from scratch: `rasa train --force`, temp out dir, empty cache",
              "rasa_no_change": "nothing changed: `rasa train` again, same out dir and cache, no --force",
              "setup_no_change": "nothing changed: `scripts/setup.sh` (fingerprint matches)"}
    for key, label in labels.items():
        x = tr.get(key)
        if not x:
            continue
        detail = []
        if "components_trained" in x:
            detail.append(f"{x['components_trained']} components trained, "
                          f"model written: {x.get('model_written')}")
        if key == "setup_no_change":
            detail.append(f"fingerprint matched before: {x.get('fingerprint_matched_before')}, "
                          f"trained: {x.get('trained')}, "
                          f"reinstalled dependencies: {x.get('reinstalled_dependencies')}")
        if x.get("first_call_had_work"):
            detail.append(prose("training_first_call", what=x["first_call_had_work"]))
        rows.append([label, x["seconds"], x["cpu_seconds"], x["exit_code"], "; ".join(detail)])
    blocks = [prose("training"), table(["run", "seconds", "CPU s", "exit", "detail"], rows)]
    again = tr.get("rasa_no_change")
    if again:
        blocks.append(prose("training_again", restored=again.get("components_restored_from_cache"),
                            trained=again.get("components_trained"), written=again.get("model_written")))
    return blocks


def _missed(r: dict[str, Any]) -> list[str]:
    """What stands in the way of the targets missed, from this run's own figures."""
    targets = r.get("targets") or check(r)
    missed = [t["target"] for t in targets if t["met"] is False]
    blocks = [prose("missed", missed="; ".join(missed) if missed else "none")]
    ip = r.get("in_process") or {}
    profile = _profile(r)
    top = _top_part(profile)
    if profile and not profile.get("skipped") and top:
        paragraph = [prose("missed_latency", part=top["part"].strip(), share=top["share_pct"])]
        if ((ip.get("garbage_collections") or {}).get("gen2") or {}).get("count"):
            paragraph.append(prose("missed_latency_gc", gc=gc_line(ip.get("garbage_collections"))))
        paragraph.append(prose("tensorflow_imported" if r.get("tensorflow_imported")
                               else "tensorflow_not_imported"))
        blocks.append(" ".join(paragraph))
    where = ip.get("where_the_bot_adds") or {}
    if where:
        largest = ", ".join(f"`{row['text']}` +{row['added_wall_ms']} ms"
                            for row in where.get("largest", [])[:4])
        blocks.append(prose("missed_overhead", overhead=ip.get("bot_overhead_pct"),
                            wall_ms=where.get("median_added_wall_ms"),
                            cpu_ms=where.get("median_added_cpu_ms"), largest=largest or None))
    blocks += _missed_users(r)
    blocks += _missed_cold_start(r)
    return blocks


def _missed_users(r: dict[str, Any]) -> list[str]:
    tg = r.get("telegram") or {}
    level = next((lv for lv in tg.get("levels") or [] if lv.get("users") == 200), None)
    busiest = level or max(tg.get("levels") or [{}], key=lambda lv: lv.get("users", 0))
    if not busiest.get("bot_api_calls"):
        return []
    rl = markdown_telegram.rate_limit_analysis(busiest)
    paragraph = [prose("missed_users", users=busiest["users"],
                       throughput=busiest.get("throughput_user_msgs_per_s"),
                       per_turn=rl["per_turn"], ceiling=rl["ceiling_turns_per_s"],
                       cpu_ms=busiest.get("cpu_ms_per_user_message"))]
    off = tg.get("without_rate_limiter")
    if off:
        paragraph.append(prose("missed_users_limiter_off", users=off["users"],
                               throughput=off.get("throughput_user_msgs_per_s"),
                               p95=(off.get("latency") or {}).get("p95_ms")))
    paragraph.append(prose("missed_users_end"))
    return [" ".join(paragraph), prose("missed_ideas")]


def _missed_cold_start(r: dict[str, Any]) -> list[str]:
    cold = r.get("cold_start") or {}
    phases = cold.get("phases") if isinstance(cold.get("phases"), list) else []
    if not phases:
        return []
    biggest = sorted(_phase_steps(phases), reverse=True)[:3]
    return [prose("missed_cold_start", median=cold.get("median_seconds"), target=f"{COLD_START_S:.0f}",
                  phases="; ".join(f"{name.split(' (')[0]} {sec:.1f} s" for sec, name, _ in biggest))]
