"""docs/benchmarks.md and docs/nlu-evaluation.md, written from the measured results."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from bench.common import status
from bench.report import md_table, summary_rows
from bench.targets import check

LIMITED_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                   "sendDocument")


def _ms_row(summary: Optional[dict[str, Any]]) -> list[Any]:
    summary = summary or {}
    return [summary.get(k, "-") for k in ("n", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms")]


def _top_part(profile: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    """The biggest named part below the whole message."""
    parts = [p for p in (profile or {}).get("parts") or [] if "whole message" not in p["part"]]
    return max(parts, key=lambda p: p["share_pct"]) if parts else None


def _part(profile: Optional[dict[str, Any]], label_start: str) -> Optional[float]:
    for part in (profile or {}).get("parts") or []:
        if part["part"].strip().startswith(label_start):
            return part["share_pct"]
    return None


def rate_limit_analysis(level: dict[str, Any]) -> dict[str, Any]:
    calls = level.get("bot_api_calls") or {}
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    turns = max(1, level.get("steps_answered") or 0)
    per_turn = limited / turns
    return {"limited_requests": limited, "per_turn": round(per_turn, 2),
            "ceiling_turns_per_s": round(30.0 / per_turn, 1) if per_turn else None,
            "typing_actions": calls.get("sendChatAction", 0)}


def benchmarks(r: dict[str, Any]) -> str:
    out: list[str] = []
    add = out.append
    add("# Benchmarks")
    add("")
    add(f"Measured {r.get('measured_at')} with `{r.get('command')}` "
        f"(`scripts/setup.sh`, then `.venv/bin/python -m bench`); the whole run took "
        f"{r.get('total_seconds')} s. Figures come from this command only, never from a timed test. "
        "Reproduce with `./bench.sh` (everything), `./bench.sh --quick` (no training from scratch, "
        "no 200-user run, no NLU evaluation) or `./bench.sh --nlu` (the NLU evaluation, "
        "[nlu-evaluation.md](nlu-evaluation.md)). Raw figures: [benchmarks.json](benchmarks.json).")
    add("")
    m = r.get("machine") or {}
    add(f"Machine: {m.get('cpus')} CPUs ({m.get('cpu_model', '?')}), {m.get('memory_gib')} GiB, "
        f"Python {m.get('python')}, Rasa {m.get('rasa')}, "
        f"python-telegram-bot {m.get('python_telegram_bot')}. "
        f"Load average (1, 5, 15 min) at start {m.get('load_average_at_start')}, at the end "
        f"{r.get('load_average_at_end')}: the machine is shared with other work, so wall-clock "
        "figures carry that noise; CPU time per turn is given too.")
    add("")
    if r.get("hand_notes"):  # notes written since the run (kept in the JSON, so a re-render keeps them)
        add(str(r["hand_notes"]))
        add("")
    add("## Summary")
    add("")
    out.extend(md_table(["measure", "value", "target", "status"], [list(row) for row in summary_rows(r)]))
    add("")
    add("## Targets")
    add("")
    out.extend(md_table(["target", "measured", "status"],
                        [[t["target"], t["value"], status(t["met"])] for t in r.get("targets") or check(r)]))
    add("")
    _in_process(r, add, out)
    _profile(r, add, out)
    _telegram(r, add, out)
    _one_call_per_reply(r, add, out)
    _cold_start(r, add, out)
    _training(r, add, out)
    _fixes(r, add, out)
    _guard(add, out)
    if r.get("nlu_summary"):
        add("## NLU evaluation")
        add("")
        add(r["nlu_summary"] + " Details: [nlu-evaluation.md](nlu-evaluation.md).")
        add("")
    return "\n".join(out).rstrip() + "\n"


GUARD_JSON = Path(__file__).resolve().parent.parent / "docs" / "guard-evaluation.json"


def _guard(add: Any, out: list[str], path: Path = GUARD_JSON) -> None:
    """The safety guard's cost and memory against issue 11's budget (from `./bench.sh --guard`)."""
    if not path.exists():
        return
    g = json.loads(path.read_text("utf-8"))
    cost, memory = g.get("cost") or {}, g.get("memory") or {}
    add("## Safety guard (both layers)")
    add("")
    add(f"Measured {g.get('measured_at')} by `./bench.sh --guard` ({cost.get('messages')} messages of the "
        f"real-source set, load average {g.get('load_average')}); details and recall per layer: "
        "[guard-evaluation.md](guard-evaluation.md).")
    add("")
    cpu95, added = cost.get("cpu_ms_p95"), memory.get("semantic_added_mb")
    rows = [
        ["CPU per message, p95", f"{cpu95} ms", "at most 8 ms",
         status(cpu95 is not None and cpu95 <= 8)],
        ["wall clock per message, p95 (includes waiting for a CPU)", f"{cost.get('wall_ms_p95')} ms", "", ""],
        ["memory the semantic layer adds", f"{added} MB", "at most 150 MB",
         status(added is not None and added <= 150)],
    ]
    out.extend(md_table(["measure", "value", "budget", "status"], rows))
    add("")


def _in_process(r: dict[str, Any], add: Any, out: list[str]) -> None:
    ip = r.get("in_process")
    if not ip:
        return
    add("## Per-turn latency in-process: raw Rasa and the bot")
    add("")
    add(f"One realistic conversation of {ip['turns_per_conversation']} turns (the FOUR check by buttons "
        "and in words, safety advice, signposts, questions by button and in words, a danger message, "
        "quick notes `/note ...`, `/notes`, a guided note saved to the end) is played by a new person "
        f"each time: {ip['warm_up_conversations']} warm-up conversations, then {ip['conversations']} "
        f"measured ({ip['bot']['n']} bot turns in {ip['seconds']} s). Each turn goes through "
        "`Core.handle(user_id, text)` (isolated sqlite diary in a temporary folder), with the engine "
        "wrapped to record what the core sends to Rasa; those same engine calls go to the raw agent "
        "(`agent.handle_text(text, sender_id=...)`) for a twin conversation, turn by turn (even turns raw "
        "first, odd turns bot first, so the order favours neither), so both paths see the same messages in "
        "the same states under the same machine load. "
        "Quick notes (`/note <text>`) never reach Rasa: they count for the bot, not in the pairing. "
        f"Model loaded in-process in {r.get('core_load_seconds_in_process')} s; TensorFlow imported: "
        f"{r.get('tensorflow_imported')}.")
    add("")
    rows = [["raw Rasa agent", *_ms_row(ip["raw_rasa"])],
            ["bot, every turn", *_ms_row(ip["bot"])],
            ["bot, turns that reached Rasa", *_ms_row(ip["paired_turns"]["bot"])],
            ["raw Rasa, the same turns", *_ms_row(ip["paired_turns"]["raw_rasa"])],
            ["bot, turns without Rasa (quick notes)", *_ms_row(ip["bot_turns_without_rasa"])]]
    what_if = (r.get("what_if") or {}).get("in_process")
    if what_if:
        rows.append(["what if, fixes 1-4: raw Rasa", *_ms_row(what_if["raw_rasa"])])
        rows.append(["what if, fixes 1-4: bot", *_ms_row(what_if["bot"])])
    what_if_all = (r.get("what_if") or {}).get("in_process_all")
    if what_if_all:
        rows.append(["what if, fixes 1-5: raw Rasa", *_ms_row(what_if_all["raw_rasa"])])
        rows.append(["what if, fixes 1-5: bot", *_ms_row(what_if_all["bot"])])
    out.extend(md_table(["path", "turns", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows))
    add("")
    ratio = ip.get("bot_overhead_pct_by_percentile") or {}
    add(f"Bot overhead over raw Rasa on the paired turns: {ip.get('bot_overhead_pct')} % of total "
        f"wall time ({ip.get('bot_overhead_cpu_pct')} % of CPU time); by percentile p50 "
        f"{ratio.get('p50_ms')} %, p95 {ratio.get('p95_ms')} %, p99 {ratio.get('p99_ms')} %. "
        f"CPU per turn: raw Rasa {ip['cpu_ms_per_turn']['raw_rasa']} ms, "
        f"bot {ip['cpu_ms_per_turn']['bot']} ms. "
        f"Empty replies: {ip.get('empty_replies')}; apology replies: {ip.get('error_replies')}.")
    add("")
    add(f"Garbage collection during the measured turns: {_gc_line(ip.get('garbage_collections'))}.")
    where = ip.get("where_the_bot_adds") or {}
    if where.get("largest"):
        add("")
        add(f"What the bot adds to Rasa: a median of {where.get('median_added_wall_ms')} ms per turn (CPU "
            f"{where.get('median_added_cpu_ms')} ms); the turns where it adds most (median over the "
            "conversations):")
        add("")
        out.extend(md_table(["turn", "message", "bot adds ms", "of which CPU ms", "raw Rasa ms"],
                            [[w["turn"], f"`{w['text']}`", w["added_wall_ms"], w["added_cpu_ms"],
                              w["raw_wall_ms"]] for w in where["largest"]]))
    if what_if:
        add("")
        add(f"With fixes 1-4 (Rasa and the garbage collector; see the last section) applied in the "
            f"benchmark's process: CPU per turn raw Rasa {what_if['cpu_ms_per_turn']['raw_rasa']} ms, bot "
            f"{what_if['cpu_ms_per_turn']['bot']} ms; bot overhead {what_if.get('bot_overhead_pct')} % "
            f"(the bot's fixed cost weighs more on a faster Rasa); "
            f"{_gc_line(what_if.get('garbage_collections'))}."
            + (f" With fix 5 too (the bot's diary look-up): CPU per turn raw Rasa "
               f"{what_if_all['cpu_ms_per_turn']['raw_rasa']} ms, "
               f"bot {what_if_all['cpu_ms_per_turn']['bot']} ms; "
               f"bot overhead {what_if_all.get('bot_overhead_pct')} %." if what_if_all else ""))
    add("")


def _profile(r: dict[str, Any], add: Any, out: list[str]) -> None:
    before = r.get("profile_before")
    after = (r.get("what_if") or {}).get("profile_after")
    if not before:
        return
    add("## What dominates a turn (profile)")
    add("")
    if before.get("skipped"):
        add(f"Not profiled: {before['skipped']}.")
        add("")
        return
    add(f"pyinstrument {before.get('pyinstrument')} (1 ms sampling) over {before.get('turns')} "
        "bot-path turns, "
        "before and after the proposed fixes. A part's share is the time with that function on the "
        "stack; parts nest (the custom actions run inside Rasa's message handling), so they do not add up. "
        "The diary's store runs in worker threads (`asyncio.to_thread`), which the profiler does not "
        "sample; the event loop's idle wait for them shows as *Event loop idle*.")
    add("")
    after_parts = {p["part"]: p["share_pct"] for p in (after or {}).get("parts") or []}
    rows = [[p["part"], f"{p['share_pct']} %",
             f"{after_parts[p['part']]} %" if p["part"] in after_parts else "-"]
            for p in before.get("parts") or []]
    rows.append(["wall ms per turn while profiled", before.get("wall_ms_per_turn_while_profiled"),
                 (after or {}).get("wall_ms_per_turn_while_profiled", "-")])
    out.extend(md_table(["part", "before", "after the fixes"], rows))
    add("")
    add("Most expensive functions by own time, before:")
    add("")
    out.extend(md_table(["function", "share"], [[t["function"], f"{t['share_pct']} %"]
                                                for t in before.get("top_self_time") or []]))
    if after and after.get("top_self_time"):
        add("")
        add("and after the fixes:")
        add("")
        out.extend(md_table(["function", "share"], [[t["function"], f"{t['share_pct']} %"]
                                                    for t in after["top_self_time"]]))
    add("")


def _telegram(r: dict[str, Any], add: Any, out: list[str]) -> None:
    tg = r.get("telegram")
    if not tg:
        return
    add("## Through Telegram (the Bot API emulator), N users at once")
    add("")
    if tg.get("skipped"):
        add(f"Skipped: {tg['skipped']}.")
        add("")
        return
    add("The end-to-end harness (`tests/e2e/harness.py`): telegram-test-api (node) as Telegram, the "
        "mending proxy, and the bot (`TelegramService`, long polling, as in production) in this process "
        "in front of the real core; loopback only. Each simulated person does "
        f"{', '.join(tg.get('script') or [])}, all people starting together and each sending the next "
        "message as soon as the reply they wait for has arrived (no thinking time). Latency: from just "
        "before the person's message is posted to the emulator to the emulator's timestamp of the bot "
        "reply the person waits for. Every bot message is counted per person against what a lone person "
        f"gets ({tg.get('expected_bot_messages_per_user')} per step); a shortfall is a lost reply.")
    add("")
    rows = []
    levels = list(tg.get("levels") or [])
    for key in ("without_rate_limiter", "without_rate_limiter_with_fixes"):
        if tg.get(key):
            levels.append(tg[key])
    for level in levels:
        label = str(level["users"])
        if not level.get("rate_limiter", True):
            fixed = level is tg.get("without_rate_limiter_with_fixes")
            label += " (limiter off" + (", fixes 1-5)" if fixed else ")")
        lat = level["latency"]
        rows.append([label, level["user_messages"], level["bot_messages_received"],
                     level["lost_replies"], level["seconds"], level["throughput_user_msgs_per_s"],
                     level["throughput_bot_msgs_per_s"],
                     lat.get("p50_ms", "-"), lat.get("p95_ms", "-"), lat.get("p99_ms", "-"),
                     lat.get("max_ms", "-"), level.get("cpu_ms_per_user_message", "-")])
    out.extend(md_table(["users", "user msgs", "bot msgs", "lost", "seconds", "user msg/s", "bot msg/s",
                         "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/msg"], rows))
    add("")
    add("*CPU ms/msg*: CPU time of the benchmark process per user message; that process runs the bot, the "
        "mending proxy and the simulated people, so it is an upper bound for the bot's own.")
    add("")
    busiest = max(tg.get("levels") or [{}], key=lambda lv: lv.get("users", 0))
    if busiest.get("bot_api_calls"):
        rl = rate_limit_analysis(busiest)
        add(f"Bot API calls at {busiest['users']} users: {busiest['bot_api_calls']}. The bot's "
            "`AIORateLimiter` (python-telegram-bot's default: 30 requests a second for every request that "
            f"names a chat) lets {rl['limited_requests']} such requests through here, "
            f"{rl['per_turn']} per user message (the reply, the edit that closes a used keyboard, and "
            "\"typing…\" for a slow reply): a ceiling of "
            f"{rl['ceiling_turns_per_s']} user messages a second, whatever the CPU does.")
        add("")
    abandoned = {f"{lv['users']}{'' if lv.get('rate_limiter', True) else ' (limiter off)'}":
                 lv["requests_abandoned_by_the_bot"]
                 for lv in levels if lv.get("requests_abandoned_by_the_bot")}
    if abandoned:
        add(f"Requests the bot dropped half-sent (a cancelled task, such as the \"typing…\" loop once the "
            f"reply "
            f"is ready; no reply is lost by it), by number of users: {abandoned}.")
        add("")
    failures = [f for lv in levels for f in lv.get("failures") or []]
    if failures:
        add("Failures: " + "; ".join(failures[:5]))
        add("")


#: Issue 15's targets.
CALLS_PER_MESSAGE = 1.3
SUSTAINED_MSGS_PER_S = 20.0
REALISTIC_P95_MS = 1000.0
TURN_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                "answerCallbackQuery", "sendDocument", "deleteMessages", "deleteMessage")


def _per_message(calls: dict[str, Any], messages: int) -> tuple[float, float]:
    """All Bot API calls of the turns, and the rate-limited ones, per user message."""
    n = max(1, messages)
    turn = sum(calls.get(m, 0) for m in TURN_METHODS)
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    return round(turn / n, 2), round(limited / n, 2)


def _one_call_per_reply(r: dict[str, Any], add: Any, out: list[str]) -> None:
    """Issue 15: Bot API calls per user message, and 200 people at a realistic pace."""
    tg = r.get("telegram") or {}
    load = tg.get("realistic")
    if not load or load.get("skipped"):
        return
    add("## One call per reply, and 200 people at a realistic pace")
    add("")
    add(f"Measured {tg.get('measured_at')} with `python -m bench.telegram_load --update` (the burst levels "
        f"{', '.join(str(lv['users']) for lv in tg.get('levels') or [])} above and this load, through the "
        "same emulator, in one process with the real core). "
        f"**The load**: {load['people']} people, each sending a typed message about every "
        f"{load['mean_gap_seconds']:.0f} s on average ({load['arrivals']}: a person's next message does "
        "not wait for the reply) for "
        f"{load['seconds']:.0f} s: {load['user_messages']} messages, {load['offered_user_msgs_per_s']} a "
        "second offered. Each person sends a prefix of the same script of questions and statements "
        f"({'; '.join(repr(t) for t in load['script'][:4])}; ...); a lone person's run of it says how many "
        "bot messages each gets, and fewer is a lost reply. Latency: from just before the message is "
        "posted to the emulator to the emulator's timestamp of the last bot message answering it.")
    add("")
    rows = []
    lat = load["latency"]
    calls, limited = _per_message(load.get("bot_api_calls") or {}, load["user_messages"])
    rows.append([f"realistic: {load['people']} people, 1 msg / {load['mean_gap_seconds']:.0f} s each",
                 load["user_messages"], load["offered_user_msgs_per_s"],
                 load["throughput_user_msgs_per_s"], load["lost_replies"], lat.get("p50_ms", "-"),
                 lat.get("p95_ms", "-"), lat.get("p99_ms", "-"), lat.get("max_ms", "-"), calls, limited,
                 load.get("cpu_ms_per_user_message", "-")])
    faster = tg.get("sustained")
    if faster and not faster.get("skipped"):
        lat = faster["latency"]
        calls_f, limited_f = _per_message(faster.get("bot_api_calls") or {}, faster["user_messages"])
        rows.append([f"faster: {faster['people']} people, 1 msg / {faster['mean_gap_seconds']:.0f} s each",
                     faster["user_messages"], faster["offered_user_msgs_per_s"],
                     faster["throughput_user_msgs_per_s"], faster["lost_replies"], lat.get("p50_ms", "-"),
                     lat.get("p95_ms", "-"), lat.get("p99_ms", "-"), lat.get("max_ms", "-"), calls_f,
                     limited_f, faster.get("cpu_ms_per_user_message", "-")])
    for level in tg.get("levels") or []:
        if not level.get("rate_limiter", True):
            continue
        lat = level["latency"]
        calls_b, limited_b = _per_message(level.get("bot_api_calls") or {},
                                          level.get("steps_answered") or 0)
        rows.append([f"burst: {level['users']} at once (script below)", level["user_messages"],
                     "as fast as answered", level["throughput_user_msgs_per_s"], level["lost_replies"],
                     lat.get("p50_ms", "-"),
                     lat.get("p95_ms", "-"), lat.get("p99_ms", "-"), lat.get("max_ms", "-"), calls_b,
                     limited_b, level.get("cpu_ms_per_user_message", "-")])
    for level in (tg.get("before_issue_15") or {}).get("levels") or []:
        if level.get("users") in (1, 50):
            calls_b, limited_b = _per_message(level.get("bot_api_calls") or {},
                                              level.get("steps_answered") or 0)
            lat = level["latency"]
            rows.append([f"before issue 15: burst, {level['users']} at once", level["user_messages"],
                         "as fast as answered", level["throughput_user_msgs_per_s"], level["lost_replies"],
                         lat.get("p50_ms", "-"), lat.get("p95_ms", "-"), lat.get("p99_ms", "-"),
                         lat.get("max_ms", "-"), calls_b, limited_b,
                         level.get("cpu_ms_per_user_message", "-")])
    out.extend(md_table(["load", "user msgs", "offered msg/s", "answered msg/s", "lost", "p50 ms", "p95 ms",
                         "p99 ms", "max ms", "calls/msg", "rate-limited calls/msg", "CPU ms/msg"], rows))
    add("")
    add(f"The burst script is {', '.join(tg.get('script') or [])}: two typed messages and four button "
        "presses. A typed message is the common path; a button press costs three calls (Telegram's "
        "`answerCallbackQuery`, which it requires for every press, the edit that closes the used keyboard, "
        "and the reply).")
    add("")
    add(f"Bot API calls during the realistic load: {load.get('bot_api_calls')}.")
    add("")
    runs = tg.get("realistic_runs") or []
    if runs:
        add("Every run of the paced load so far (this machine is shared with other work: the same load "
            "takes much longer when the load average is high, because the bot gets less than a core):")
        add("")
        out.extend(md_table(
            ["measured", "people", "offered msg/s", "answered msg/s", "lost", "p50 ms", "p95 ms", "p99 ms",
             "calls/msg", "CPU ms/msg", "load average before / after"],
            [[run.get("measured_at"), run.get("people"), run.get("offered_user_msgs_per_s"),
              run.get("throughput_user_msgs_per_s"), run.get("lost_replies"),
              (run.get("latency") or {}).get("p50_ms"), (run.get("latency") or {}).get("p95_ms"),
              (run.get("latency") or {}).get("p99_ms"), (run.get("calls") or {}).get("per_user_message"),
              run.get("cpu_ms_per_user_message"),
              f"{(run.get('load_average_before') or ['-'])[0]} / "
              f"{(run.get('load_average_after') or ['-'])[0]}"
              + (f" ({run['note']})" if run.get("note") else "")] for run in runs]))
        add("")
    add("**Where the calls went.** Before, a typed message cost \"typing…\" plus one message per Rasa "
        "response (a welcome was two or three messages), and a button press the callback answer, the "
        "keyboard edit, \"typing…\" and the replies. Now (`bot/telegram/adapter.py`, `render.coalesce`): "
        "the texts of one turn go as one message (the keyboard under the last), a short text goes with its "
        "file as the caption, \"typing…\" is sent only when the reply is not ready after 1 s, and the "
        "callback answer goes beside the work instead of before it.")
    add("")
    add("**The limits that apply.** Telegram's Bot FAQ: about 30 messages a second for one bot (for "
        "notifications to many users), no more than about one a second in one chat, 20 a minute in a "
        "group; deleting a message is possible for 48 hours. python-telegram-bot's `AIORateLimiter` "
        "(used here) applies 30 a second to every request that names a chat (`sendMessage`, "
        "`sendChatAction`, `editMessage*`, `deleteMessages`...) and 20 a minute per group; it does not "
        "throttle `answerCallbackQuery` (no chat id), and it does not apply the one-a-second rule to a "
        "private chat. So the flood ceiling is 30 / (rate-limited calls per message) user messages a "
        "second: "
        + (f"{round(30 / limited, 1)} for the realistic load" if limited else "-")
        + ". The other ceiling is CPU: "
        f"{load.get('cpu_ms_per_user_message')} ms of CPU per user message in the benchmark process "
        "(the bot, the proxy and the 200 simulated people share it; Rasa runs on the bot's one "
        "event loop), so one process tops out near "
        + (f"{round(1000 / load['cpu_ms_per_user_message'], 1)}"
           if load.get("cpu_ms_per_user_message") else "-")
        + " user messages a second on one core of this machine.")
    add("")
    p95 = load["latency"].get("p95_ms")
    best = max((x for x in (load, faster) if x and not x.get("skipped") and x["lost_replies"] == 0),
               key=lambda x: x["throughput_user_msgs_per_s"], default=load)
    sustained = best["throughput_user_msgs_per_s"]
    targets = [
        [f"Bot API calls per user message <= {CALLS_PER_MESSAGE} (common path: typed messages)",
         f"{calls}", status(calls <= CALLS_PER_MESSAGE)],
        [f">= {SUSTAINED_MSGS_PER_S:.0f} user messages a second sustained on one bot process",
         f"{sustained} msg/s answered of {best['offered_user_msgs_per_s']} offered ({best['people']} "
         f"people, p95 {best['latency'].get('p95_ms')} ms), {best['lost_replies']} lost",
         status(sustained >= SUSTAINED_MSGS_PER_S and best["lost_replies"] == 0)],
        [f"realistic load ({load['people']} people): p95 <= 1 s, nothing lost",
         f"p95 {p95} ms, {load['lost_replies']} lost",
         status(p95 is not None and p95 <= REALISTIC_P95_MS and load["lost_replies"] == 0)],
    ]
    out.extend(md_table(["target (issue 15)", "measured", "status"], targets))
    add("")
    calm = [run for run in runs if run.get("people") == load["people"] and run.get("lost_replies") == 0
            and (run.get("latency") or {}).get("p95_ms") is not None]
    if calm:
        best_run = min(calm, key=lambda run: run["latency"]["p95_ms"])
        add(f"The status above is the latest run's. The best run of the {load['people']}-person load so far "
            f"({best_run['measured_at']}, load average {(best_run.get('load_average_before') or ['-'])[0]}): "
            f"p95 {best_run['latency']['p95_ms']} ms, {best_run['throughput_user_msgs_per_s']} msg/s "
            f"answered of {best_run['offered_user_msgs_per_s']} offered, nothing lost, "
            f"{(best_run.get('calls') or {}).get('per_user_message')} calls per message. Whether the "
            "load keeps its 1 s p95 depends on the bot getting most of a core: with 40-50 ms of CPU per "
            "message (bot, proxy and simulated people together), 19 messages a second take 80-95 % of one "
            "core, so any other work on this 2-core machine makes a queue.")
        add("")


def _cold_start(r: dict[str, Any], add: Any, out: list[str]) -> None:
    cold = r.get("cold_start")
    if not cold:
        return
    add("## Cold start and memory")
    add("")
    add(f"`{cold['command']}` in a fresh process (isolated diary database), from process start to its "
        "first line on stdout; peak resident memory from `/proc/<pid>/status` VmHWM (polled) and the "
        "child's `ru_maxrss` (`wait4`).")
    add("")
    out.extend(md_table(["run", "seconds to first reply", "peak RSS MiB", "CPU s", "reply ok", "exit"],
                        [[i + 1, x["seconds_to_first_reply"], x["peak_rss_mib"], x["cpu_seconds"],
                          x["reply_ok"], x["exit_code"]] for i, x in enumerate(cold["runs"])]))
    add("")
    add(f"Median {cold.get('median_seconds')} s (CPU {cold.get('median_cpu_seconds')} s): on this shared "
        "machine the wall time follows the load more than the CPU time does.")
    add("")
    phases = cold.get("phases")
    if isinstance(phases, list) and phases:
        add("Where the time goes (one more fresh process, timestamps of its start-up phases):")
        add("")
        rows, previous = [], 0.0
        for name, at in phases:
            rows.append([name, f"{at - previous:.2f}", f"{at:.2f}"])
            previous = at
        out.extend(md_table(["phase", "seconds", "at"], rows))
        add("")
    fixed = cold.get("what_if_skops_first")
    if fixed:
        add(f"What if `skops.io` is imported before Rasa and TensorFlow (proposed fix below; runs "
            f"interleaved with the ones above): median {fixed.get('median_seconds')} s to first reply, "
            f"CPU {fixed.get('median_cpu_seconds')} s, peak {fixed.get('peak_rss_mib')} MiB "
            f"(runs: {', '.join(str(x['seconds_to_first_reply']) for x in fixed['runs'])} s).")
        add("")
    if r.get("bench_process_peak_rss_mib"):
        add(f"For comparison, the benchmark process itself (model, bot, proxy and up to "
            f"{max([lv['users'] for lv in (r.get('telegram') or {}).get('levels') or []] or [0])} simulated "
            f"people) peaked at {r['bench_process_peak_rss_mib']} MiB.")
        add("")


def _training(r: dict[str, Any], add: Any, out: list[str]) -> None:
    tr = r.get("training")
    if not tr:
        return
    add("## Training time")
    add("")
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
            detail.append(f"a first call had work to do ({x['first_call_had_work']}): the data or lock "
                          "changed during the run; the figure is the second call")
        rows.append([label, x["seconds"], x["cpu_seconds"], x["exit_code"], "; ".join(detail)])
    out.extend(md_table(["run", "seconds", "CPU s", "exit", "detail"], rows))
    add("")
    again = tr.get("rasa_no_change")
    if again:
        add(f"Rasa 3.6 does not skip `rasa train` when nothing changed: without `--force` it runs the "
            f"training graph again, restores {again.get('components_restored_from_cache')} components from "
            f"its cache, trains {again.get('components_trained')}, and writes a new archive "
            f"(model written: {again.get('model_written')}); the time is start-up, reading and validating "
            "the data, and packaging. The project's `scripts/setup.sh` is what skips training, by its "
            "fingerprint of config, domain and data.")
        add("")


def _gc_line(gc_stats: Optional[dict[str, Any]]) -> str:
    stats = gc_stats or {}
    g2 = stats.get("gen2") or {}
    frozen = stats.get("frozen_objects") or 0
    return (f"{_n(g2.get('count', 0), 'full collection')} (generation 2), {g2.get('total_ms', 0)} ms in all, "
            f"longest {g2.get('max_ms', 0)} ms; {stats.get('tracked_objects')} objects tracked"
            + (f", {frozen} frozen" if frozen else ""))


def _fixes(r: dict[str, Any], add: Any, out: list[str]) -> None:
    add("## Where targets are missed: what dominates, and proposed fixes")
    add("")
    targets = r.get("targets") or check(r)
    missed = [t["target"] for t in targets if t["met"] is False]
    add("Missed: " + ("; ".join(missed) if missed else "none") + ".")
    add("")
    before, after = r.get("profile_before"), (r.get("what_if") or {}).get("profile_after")
    top_before, top_after = _top_part(before), _top_part(after)
    ip = r.get("in_process") or {}
    fixed = (r.get("what_if") or {}).get("in_process") or {}
    if before and not before.get("skipped") and top_before:
        jsonschema = _part(before, "of which jsonschema")
        deep = _part(before, "of which deepcopy")
        classes = _part(before, "Rasa: Event class lookup")
        add(f"**Per-turn latency (in-process).** Before: the largest part is *{top_before['part'].strip()}* "
            f"({top_before['share_pct']} % of the time)"
            + (f"; Rasa's jsonschema check of custom-action results alone is {jsonschema} %"
               if jsonschema else "")
            + (f", deep-copying each action call {deep} %" if deep else "")
            + (f", looking up event classes while reading the tracker back {classes} %"
               if classes else "")
            + f". The tail (p99, max) also carries Python's full garbage collections: "
              f"{_gc_line(ip.get('garbage_collections'))}. "
            "TensorFlow is "
            + ("imported (Rasa's component registry imports it) but runs no op per message, the pipeline "
               "being logistic regression: its thread settings change nothing here."
               if r.get("tensorflow_imported") else "not even imported."))
        if top_after:
            add("")
            add(f"After fixes 1-4 (measured in the same run, *what if* rows): bot p50/p95/p99 "
                f"{fixed.get('bot', {}).get('p50_ms')}/{fixed.get('bot', {}).get('p95_ms')}/"
                f"{fixed.get('bot', {}).get('p99_ms')} ms against "
                f"{ip.get('bot', {}).get('p50_ms')}/{ip.get('bot', {}).get('p95_ms')}/"
                f"{ip.get('bot', {}).get('p99_ms')} ms, CPU per turn "
                f"{fixed.get('cpu_ms_per_turn', {}).get('bot')} "
                f"ms against {ip.get('cpu_ms_per_turn', {}).get('bot')} ms; "
                f"{_gc_line(fixed.get('garbage_collections'))}. "
                f"What dominates then: *{top_after['part'].strip()}* ({top_after['share_pct']} %), Rasa's "
                "rule and form bookkeeping over the tracker, and reading and writing the tracker as JSON "
                "(the in-memory tracker store serialises it on every message).")
        add("")
    add("Proposed changes (production code; the benchmark patches only its own process to measure them, "
        "`bench/fixes.py` has the code):")
    add("")
    add("1. `bot/engine.py`, `InProcessEngine.start()` before `load_agent`: replace Rasa's "
        "`RemoteAction._validate_action_result` with one that uses a validator built once "
        "(`validators.validator_for(schema)`, `check_schema` once, then "
        "`best_match(validator.iter_errors(result))`, "
        "the same errors as now). Rasa calls `jsonschema.validate(result, schema)`, which re-checks the "
        "schema "
        "against the 2020-12 meta-schema on every call: about 20 ms of CPU, two or three times per form "
        "turn.")
    add("2. `bot/engine.py`, `InProcessActionEndpoint.request`: `json.loads(json.dumps(kwargs.get(\"json\") "
        "or {}))` instead of `copy.deepcopy(...)`: the action call is plain JSON (as on the HTTP path), "
        "and it "
        "carries the whole domain.")
    add("3. `bot/engine.py`, at start-up: memoise `rasa.shared.utils.common.all_subclasses` (the Event class "
        "tree is fixed once Rasa is imported); reading a tracker back walks every Event subclass per event.")
    add("4. `bot/engine.py`, end of `InProcessEngine.start()` (after `_warm_up`): `gc.collect(); "
        "gc.freeze()`. "
        "The model, Rasa and TensorFlow leave about half a million objects for the collector to walk in "
        "every full collection (about 250 ms, landing on some user's message); frozen, they are skipped.")
    where = ip.get("where_the_bot_adds") or {}
    fixed_where = fixed.get("where_the_bot_adds") or {}
    if where:
        largest = ", ".join(f"`{row['text']}` +{row['added_wall_ms']} ms"
                            for row in where.get("largest", [])[:4])
        add("")
        fixed_all = (r.get("what_if") or {}).get("in_process_all") or {}
        all_where = fixed_all.get("where_the_bot_adds") or {}
        add(f"**Bot overhead.** {ip.get('bot_overhead_pct')} % now; the bot adds a median of "
            f"{where.get('median_added_wall_ms')} ms a turn (CPU {where.get('median_added_cpu_ms')} ms): "
            "the diary's pending-edit look-up on every message (an ORM session and one indexed SELECT in a "
            "worker thread, about 1 ms), the safety guard's patterns (about 0.1 ms), and on the turns that "
            f"save or list notes the diary itself (largest: {largest}). That is a fixed cost, so it weighs "
            f"more once Rasa is faster: with fixes 1-4 the overhead is {fixed.get('bot_overhead_pct')} % "
            f"(median {fixed_where.get('median_added_wall_ms')} ms a turn)"
            + (f"; with fix 5 as well, {fixed_all.get('bot_overhead_pct')} % (median "
               f"{all_where.get('median_added_wall_ms')} ms a turn)" if fixed_all else "")
            + ".")
        add("")
        add("5. `bot/desk.py`: keep a per-process mark of users known to have no pending edit (set when "
            "`pending_input` found none or `cancel_pending` ran, cleared in `ask_field` before "
            "`set_answer(..., PENDING_EDIT, ...)`), and return at once for them in `pending_input` and "
            "`cancel_pending`: no store read and no worker-thread hop on ordinary messages. Valid for the "
            "embedded single-process default; replicas sharing one database (the remote-engine deployment) "
            "must keep the read, or make it cheaper (one SQLAlchemy Core `select` instead of an ORM "
            "session). "
            "`bench/fixes.py::remember_no_pending_edit` is the measured version.")
    tg = r.get("telegram") or {}
    level = next((lv for lv in tg.get("levels") or [] if lv.get("users") == 200), None)
    busiest = level or max(tg.get("levels") or [{}], key=lambda lv: lv.get("users", 0))
    if busiest.get("bot_api_calls"):
        rl = rate_limit_analysis(busiest)
        off = tg.get("without_rate_limiter") or {}
        off_fixed = tg.get("without_rate_limiter_with_fixes") or {}
        add("")
        add(f"**{busiest['users']} users at once.** {busiest['users']} people each sending the next "
            f"message the "
            "moment the reply arrives make a queue: the bot served "
            f"{busiest.get('throughput_user_msgs_per_s')} user messages a second, so a message waits for the "
            "others ahead of it (p95 is roughly the number of people divided by the throughput). Two limits: "
            f"python-telegram-bot's rate limiter ({rl['per_turn']} limited requests per user message against "
            f"30 a second: at most {rl['ceiling_turns_per_s']} messages a second) and the CPU (Rasa runs "
            f"on the "
            f"bot's one event loop: one core; {busiest.get('cpu_ms_per_user_message')} ms of CPU per user "
            f"message "
            "in the benchmark process)."
            + (f" With the limiter off, {off['users']} people got {off.get('throughput_user_msgs_per_s')} "
               f"msg/s "
               f"(p95 {off.get('latency', {}).get('p95_ms')} ms)" if off else "")
            + (f"; with fixes 1-5 as well, {off_fixed.get('throughput_user_msgs_per_s')} msg/s "
               f"(p95 {off_fixed.get('latency', {}).get('p95_ms')} ms, "
               f"{off_fixed.get('cpu_ms_per_user_message')} ms CPU per message)." if off_fixed else "")
            + " A 1 s p95 for 200 people with no thinking time needs about 200 messages a second: no single "
            "process reaches that, with or without the fixes.")
        add("")
        add(f"6. `bot/telegram/adapter.py`, `_typing`: start sending \"typing…\" only when the reply is "
            f"not ready after about 1 s. Done in issue 15 (\"One call per reply\" above): "
            f"{rl['typing_actions']} of the {rl['limited_requests']} rate-limited requests here were "
            "typing actions (before it, 1164 of 3364 at 200 users).")
        add("7. `bot/telegram/service.py`: a subclass of `AIORateLimiter` whose `process_request` lets "
            "`sendChatAction` and `editMessage*` through without the overall limiter (Telegram's 30 a second "
            "concerns messages sent), used in `build_application`.")
        add("8. For 200 people at once: more than one process. The remote-engine deployment "
            "(`tests/scale`: Rasa "
            "replicas sharing PostgreSQL and Redis) spreads Rasa over cores and machines; on this 2-core "
            "machine even two processes only double the throughput.")
        add("")
    cold = r.get("cold_start") or {}
    phases = cold.get("phases") if isinstance(cold.get("phases"), list) else []
    if phases:
        steps, previous = [], 0.0
        for name, at in phases:
            steps.append((at - previous, name))
            previous = at
        biggest = sorted(steps, reverse=True)[:3]
        fixed_cold = cold.get("what_if_skops_first") or {}
        add(f"**Cold start** ({cold.get('median_seconds')} s median, target 15 s). The largest phases: "
            + "; ".join(f"{name.split(' (')[0]} {sec:.1f} s" for sec, name in biggest)
            + ". skops (which Rasa's LogisticRegressionClassifier uses to load its model) builds, at import, "
            "the list of trusted numpy and scipy ufuncs with `pickle.whichmodule` for each, which walks "
            "all of "
            "`sys.modules`; after TensorFlow and Rasa that is thousands of modules. Imported first, the same "
            "import costs about a quarter."
            + (f" Measured in this run: median {fixed_cold.get('median_seconds')} s (CPU "
               f"{fixed_cold.get('median_cpu_seconds')} s) against {cold.get('median_seconds')} s (CPU "
               f"{cold.get('median_cpu_seconds')} s)." if fixed_cold else "")
            + " TensorFlow's import is the next cost; it comes with Rasa's component registry, whatever the "
            "pipeline.")
        add("")
        add("9. `bot/engine.py`, first line of `InProcessEngine.start()` (before `from rasa.core.agent "
            "import "
            "load_agent`): `import skops.io  # noqa: F401`, with a comment that it must come before Rasa and "
            "TensorFlow fill `sys.modules` (skops scans them once per ufunc at import).")
        add("")


# -- NLU evaluation -------------------------------------------------------------------------------


def _error_row(e: dict[str, Any]) -> list[Any]:
    return [e["text"], e["intent"], e["predicted"], e["confidence"], _yes(e.get("guard_fires"))]


def _yes(value: Optional[bool]) -> str:
    return "-" if value is None else ("fires" if value else "")


def _n(count: Any, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def nlu_headline(n: dict[str, Any]) -> str:
    h, cv = n.get("held_out") or {}, n.get("cross_validation") or {}
    parts = []
    if "accuracy" in h:
        parts.append(f"held-out ({h.get('support')} messages): accuracy {h['accuracy']:.3f}, "
                     f"F1 macro {h['f1_macro']:.3f}, weighted {h['f1_weighted']:.3f}, "
                     f"{len(h.get('errors', []))} errors")
    if "accuracy" in cv:
        parts.append(f"{cv['folds']}-fold cross-validation ({cv.get('support')} messages): accuracy "
                     f"{cv['accuracy']:.3f}, F1 macro {cv['f1_macro']:.3f}, weighted {cv['f1_weighted']:.3f}")
    if n.get("external"):
        from bench import faq_eval

        parts.append(faq_eval.headline(n["external"]))
    return "NLU: " + "; ".join(parts) + "." if parts else "NLU: not evaluated."


def nlu_summary(n: dict[str, Any]) -> str:
    from bench.report import text_table

    rows = []
    for key, label in (("held_out", "held-out tests/nlu"), ("cross_validation", "5-fold cross-validation")):
        x = n.get(key) or {}
        if "accuracy" in x:
            rows.append((label, f"acc {x['accuracy']:.3f}  F1 macro {x['f1_macro']:.3f}  "
                                f"F1 weighted {x['f1_weighted']:.3f}", f"{x.get('support')} msgs",
                         f"{x['seconds']} s"))
        else:
            rows.append((label, "failed: " + str(x.get("error", ""))[:80], "", ""))
    return text_table(rows, ("evaluation", "scores", "messages", "time"))


def nlu(n: dict[str, Any]) -> str:
    out: list[str] = []
    add = out.append
    h, cv = n.get("held_out") or {}, n.get("cross_validation") or {}
    add("# NLU evaluation")
    add("")
    add(f"Measured {n.get('measured_at')} with `./bench.sh --nlu` (also part of `./bench.sh`), which runs "
        "Rasa's own evaluation:")
    add("")
    add(f"- held out: `{h.get('command')}` on every file in `tests/nlu` ({', '.join(h.get('files') or [])}): "
        "messages that are not in the training data;")
    add(f"- `{cv.get('command')}`: five models, each trained on four fifths of `data/nlu` and tested on "
        "the fifth it did not see; the scores below pool the five test parts.")
    add("")
    add("Raw figures: [nlu-evaluation.json](nlu-evaluation.json).")
    add("")
    rows = []
    for label, x in (("held-out (tests/nlu)", h), ("5-fold cross-validation (data/nlu)", cv)):
        if "accuracy" in x:
            rows.append([label, x["support"], x["intents"], f"{x['accuracy']:.3f}", f"{x['f1_macro']:.3f}",
                         f"{x['f1_weighted']:.3f}", f"{x['precision_macro']:.3f}", f"{x['recall_macro']:.3f}",
                         len(x.get("errors") or []), x["seconds"]])
        else:
            rows.append([label, "-", "-", "failed", str(x.get("error", ""))[:200], "", "", "", "",
                         x.get("seconds")])
    out.extend(md_table(["evaluation", "messages", "intents", "accuracy", "F1 macro", "F1 weighted",
                         "precision macro", "recall macro", "errors", "seconds"], rows))
    add("")
    add("Rasa splits the folds with `StratifiedKFold(shuffle=True)` and no fixed seed, so repeated "
        "cross-validations differ a little (about ±0.01 in accuracy here).")
    add("")
    fold = cv.get("fold_mean") or {}
    if fold.get("test"):
        t = fold["test"]
        add(f"Per fold (mean ± standard deviation of the five test parts, as Rasa logs them): accuracy "
            f"{t.get('accuracy')} ± {t.get('accuracy_std')}, "
            f"F1 {t.get('f1-score')} ± {t.get('f1-score_std')}, "
            f"precision {t.get('precision')} ± {t.get('precision_std')}.")
        add("")
    shared = h.get("overlap_with_training") or {}
    if shared:
        count = shared.get("also_in_training") or 0
        add((f"None of the {shared.get('held_out_examples')} held-out messages is" if not count else
             f"{count} of the {shared.get('held_out_examples')} held-out messages are")
            + f" also among the {shared.get('training_examples')} training examples (compared lower-cased, "
            "without punctuation). Cross-validation scores lower because its test parts are the "
            "training data's own examples, short and deliberately hard ones included (\"uh huh\", "
            "\"spot on\"), each judged by a model trained without it and with a fifth less data.")
        add("")
    fallback = h.get("would_fall_back") or {}
    if h.get("fallback_threshold") is not None:
        add(f"Rasa scores the classifier's top intent. In the bot, a top confidence below "
            f"{h['fallback_threshold']} (the FallbackClassifier) becomes the honest \"I'm not sure\" "
            "reply instead: on the held-out set that happens to "
            f"{_n(fallback.get('correct_but_below_threshold'), 'correctly classified message')} "
            f"and to {fallback.get('wrong_and_below_threshold')} of the errors "
            "(an error the user sees as \"I'm not sure\" rather than a wrong answer).")
        add("")
    for label, x in (("held-out", h), ("cross-validation", cv)):
        if x.get("confused_pairs"):
            add(f"## Most confused intent pairs, {label}")
            add("")
            out.extend(md_table(["intent", "predicted as", "times"],
                                [[p["intent"], p["predicted"], p["count"]] for p in x["confused_pairs"]]))
            add("")
        if x.get("per_intent_lowest_f1"):
            add(f"Lowest F1 by intent, {label}: " + ", ".join(
                f"{p['intent']} {p['f1']:.2f} (n={p['support']})"
                for p in x["per_intent_lowest_f1"][:8]) + ".")
            add("")
    if "errors" in h:
        add(f"## Every held-out error ({len(h['errors'])})")
        add("")
        add("*Guard*: whether the bot's safety guard (`data/safety_guard.yml`), which runs before NLU on "
            "every message, answers it with \"call 999\" anyway.")
        add("")
        out.extend(md_table(["text", "intent", "predicted", "confidence", "guard"],
                            [_error_row(e) for e in h["errors"]]))
        add("")
        missed = [e for e in h["errors"] if e["intent"] == "emergency" and e.get("guard_fires") is False]
        if missed:
            add("Emergency messages that NLU missed and the guard does not catch either: "
                + "; ".join(f"\"{e['text']}\"" for e in missed) + ".")
            add("")
    if cv.get("errors"):
        add(f"## Every cross-validation error ({len(cv['errors'])})")
        add("")
        add("<details><summary>the list</summary>")
        add("")
        out.extend(md_table(["text", "intent", "predicted", "confidence", "guard"],
                            [_error_row(e) for e in cv["errors"]]))
        add("")
        add("</details>")
        add("")
    if n.get("external"):  # the external set (bench/faq_eval.py)
        from bench import faq_eval

        out.extend(faq_eval.markdown(n["external"]))
    return "\n".join(out).rstrip() + "\n"
