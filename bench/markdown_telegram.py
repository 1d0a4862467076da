"""The Telegram sections of docs/benchmarks.md: tables here, prose in
``bench/templates/benchmarks-telegram.md``."""
from __future__ import annotations

from typing import Any

from bench.common import status
from bench.prose import Prose
from bench.report import md_table
from bench.telegram_rig import LIMITED_METHODS, TURN_METHODS

prose = Prose("benchmarks-telegram.md")

#: Issue 15's targets.
CALLS_PER_MESSAGE = 1.3
SUSTAINED_MSGS_PER_S = 20.0
REALISTIC_P95_MS = 1000.0
LATENCY_COLUMNS = ("p50_ms", "p95_ms", "p99_ms", "max_ms")


def table(header: list[str], rows: list[list[Any]]) -> str:
    return "\n".join(md_table(header, rows))


def rate_limit_analysis(level: dict[str, Any]) -> dict[str, Any]:
    calls = level.get("bot_api_calls") or {}
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    turns = max(1, level.get("steps_answered") or 0)
    per_turn = limited / turns
    return {"limited_requests": limited, "per_turn": round(per_turn, 2),
            "ceiling_turns_per_s": round(30.0 / per_turn, 1) if per_turn else None,
            "typing_actions": calls.get("sendChatAction", 0)}


def _per_message(calls: dict[str, Any], messages: int) -> tuple[float, float]:
    """All Bot API calls of the turns, and the rate-limited ones, per user message."""
    n = max(1, messages)
    turn = sum(calls.get(m, 0) for m in TURN_METHODS)
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    return round(turn / n, 2), round(limited / n, 2)


def _latency(summary: dict[str, Any]) -> list[Any]:
    return [summary.get(key, "-") for key in LATENCY_COLUMNS]


def burst(r: dict[str, Any]) -> list[str]:
    """N users at once, each sending the next message as soon as the reply came."""
    tg = r.get("telegram")
    if not tg:
        return []
    blocks = [prose("burst")]
    if tg.get("skipped"):
        return [*blocks, prose("burst_skipped", reason=tg["skipped"])]
    blocks.append(prose("burst_about", script=", ".join(tg.get("script") or []),
                        expected=tg.get("expected_bot_messages_per_user")))
    levels = list(tg.get("levels") or [])
    if tg.get("without_rate_limiter"):
        levels.append(tg["without_rate_limiter"])
    rows = []
    for level in levels:
        label = str(level["users"]) + ("" if level.get("rate_limiter", True) else " (limiter off)")
        rows.append([label, level["user_messages"], level["bot_messages_received"], level["lost_replies"],
                     level["seconds"], level["throughput_user_msgs_per_s"],
                     level["throughput_bot_msgs_per_s"],
                     *_latency(level["latency"]), level.get("cpu_ms_per_user_message", "-")])
    blocks.append(table(["users", "user msgs", "bot msgs", "lost", "seconds", "user msg/s", "bot msg/s",
                         "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/msg"], rows))
    blocks.append(prose("burst_cpu"))
    busiest = max(tg.get("levels") or [{}], key=lambda lv: lv.get("users", 0))
    if busiest.get("bot_api_calls"):
        rl = rate_limit_analysis(busiest)
        blocks.append(prose("burst_calls", users=busiest["users"], calls=busiest["bot_api_calls"],
                            limited=rl["limited_requests"], per_turn=rl["per_turn"],
                            ceiling=rl["ceiling_turns_per_s"]))
    abandoned = {f"{lv['users']}{'' if lv.get('rate_limiter', True) else ' (limiter off)'}":
                 lv["requests_abandoned_by_the_bot"]
                 for lv in levels if lv.get("requests_abandoned_by_the_bot")}
    if abandoned:
        blocks.append(prose("burst_abandoned", abandoned=abandoned))
    failures = [f for lv in levels for f in lv.get("failures") or []]
    if failures:
        blocks.append(prose("burst_failures", failures="; ".join(failures[:5])))
    return blocks


def _load_row(label: str, load: dict[str, Any], offered: Any, messages: int) -> list[Any]:
    calls, limited = _per_message(load.get("bot_api_calls") or {}, messages)
    return [label, load["user_messages"], offered, load["throughput_user_msgs_per_s"], load["lost_replies"],
            *_latency(load["latency"]), calls, limited, load.get("cpu_ms_per_user_message", "-")]


def _loads_table(tg: dict[str, Any], load: dict[str, Any], faster: Any) -> str:
    rows = [_load_row(f"realistic: {load['people']} people, 1 msg / {load['mean_gap_seconds']:.0f} s each",
                      load, load["offered_user_msgs_per_s"], load["user_messages"])]
    if faster:
        label = f"faster: {faster['people']} people, 1 msg / {faster['mean_gap_seconds']:.0f} s each"
        rows.append(_load_row(label, faster, faster["offered_user_msgs_per_s"], faster["user_messages"]))
    for level in tg.get("levels") or []:
        if level.get("rate_limiter", True):
            rows.append(_load_row(f"burst: {level['users']} at once (script below)", level,
                                  "as fast as answered", level.get("steps_answered") or 0))
    for level in (tg.get("before_issue_15") or {}).get("levels") or []:
        if level.get("users") in (1, 50):
            rows.append(_load_row(f"before issue 15: burst, {level['users']} at once", level,
                                  "as fast as answered", level.get("steps_answered") or 0))
    return table(["load", "user msgs", "offered msg/s", "answered msg/s", "lost", "p50 ms", "p95 ms",
                  "p99 ms", "max ms", "calls/msg", "rate-limited calls/msg", "CPU ms/msg"], rows)


def _runs_table(runs: list[dict[str, Any]]) -> str:
    def load_now(run: dict[str, Any]) -> str:
        before, after = run.get("load_average_before") or ["-"], run.get("load_average_after") or ["-"]
        return f"{before[0]} / {after[0]}" + (f" ({run['note']})" if run.get("note") else "")

    return table(["measured", "people", "offered msg/s", "answered msg/s", "lost", "p50 ms", "p95 ms",
                  "p99 ms", "calls/msg", "CPU ms/msg", "load average before / after"],
                 [[run.get("measured_at"), run.get("people"), run.get("offered_user_msgs_per_s"),
                   run.get("throughput_user_msgs_per_s"), run.get("lost_replies"),
                   *[(run.get("latency") or {}).get(k) for k in ("p50_ms", "p95_ms", "p99_ms")],
                   (run.get("calls") or {}).get("per_user_message"), run.get("cpu_ms_per_user_message"),
                   load_now(run)] for run in runs])


def _targets_table(load: dict[str, Any], faster: Any, calls: float) -> str:
    p95 = load["latency"].get("p95_ms")
    best = max((x for x in (load, faster) if x and x["lost_replies"] == 0),
               key=lambda x: x["throughput_user_msgs_per_s"], default=load)
    sustained = best["throughput_user_msgs_per_s"]
    return table(["target (issue 15)", "measured", "status"], [
        [f"Bot API calls per user message <= {CALLS_PER_MESSAGE} (common path: typed messages)",
         f"{calls}", status(calls <= CALLS_PER_MESSAGE)],
        [f">= {SUSTAINED_MSGS_PER_S:.0f} user messages a second sustained on one bot process",
         f"{sustained} msg/s answered of {best['offered_user_msgs_per_s']} offered ({best['people']} "
         f"people, p95 {best['latency'].get('p95_ms')} ms), {best['lost_replies']} lost",
         status(sustained >= SUSTAINED_MSGS_PER_S and best["lost_replies"] == 0)],
        [f"realistic load ({load['people']} people): p95 <= 1 s, nothing lost",
         f"p95 {p95} ms, {load['lost_replies']} lost",
         status(p95 is not None and p95 <= REALISTIC_P95_MS and load["lost_replies"] == 0)],
    ])


def paced(r: dict[str, Any]) -> list[str]:
    """Issue 15: Bot API calls per user message, and 200 people at a realistic pace."""
    tg = r.get("telegram") or {}
    load = tg.get("realistic")
    if not load or load.get("skipped"):
        return []
    faster = tg.get("sustained")
    faster = faster if faster and not faster.get("skipped") else None
    blocks = [prose("paced", measured_at=tg.get("measured_at"),
                    levels=", ".join(str(lv["users"]) for lv in tg.get("levels") or []),
                    people=load["people"], gap=f"{load['mean_gap_seconds']:.0f}", arrivals=load["arrivals"],
                    seconds=f"{load['seconds']:.0f}", messages=load["user_messages"],
                    offered=load["offered_user_msgs_per_s"],
                    script="; ".join(repr(t) for t in load["script"][:4])),
              _loads_table(tg, load, faster),
              prose("paced_burst_script", script=", ".join(tg.get("script") or [])),
              prose("paced_calls", calls=load.get("bot_api_calls"))]
    runs = tg.get("realistic_runs") or []
    if runs:
        blocks += [prose("paced_runs"), _runs_table(runs)]
    calls, limited = _per_message(load.get("bot_api_calls") or {}, load["user_messages"])
    cpu = load.get("cpu_ms_per_user_message")
    blocks += [prose("paced_where_calls"),
               prose("paced_limits", flood_ceiling=round(30 / limited, 1) if limited else None, cpu_ms=cpu,
                     cpu_ceiling=round(1000 / cpu, 1) if cpu else None),
               _targets_table(load, faster, calls)]
    calm = [run for run in runs if run.get("people") == load["people"] and run.get("lost_replies") == 0
            and (run.get("latency") or {}).get("p95_ms") is not None]
    if calm:
        best = min(calm, key=lambda run: run["latency"]["p95_ms"])
        blocks.append(prose("paced_best_run", people=load["people"], measured_at=best["measured_at"],
                            load=(best.get("load_average_before") or ["-"])[0], p95=best["latency"]["p95_ms"],
                            throughput=best["throughput_user_msgs_per_s"],
                            offered=best["offered_user_msgs_per_s"],
                            calls=(best.get("calls") or {}).get("per_user_message")))
    return blocks
