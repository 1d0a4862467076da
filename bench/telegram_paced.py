"""200 people at a realistic pace through the Telegram emulator (issue 15), into the report.

:func:`realistic`: 200 people, each sending a typed
message about every 10 seconds on average (Poisson arrivals: exponential gaps,
independent of the replies) for a minute, through the same emulator.  Each
person sends a prefix of the same script of typed messages; a lone person's
run of the script first says how many bot messages each one gets, so a reply
is "lost" when fewer came.  It also counts Bot API calls per user message.

    python -m bench.telegram_load --update [PEOPLE] [--paced]
        the burst levels 1, 10, 50 and 200 (not with --paced) and the paced loads, written into
        docs/benchmarks.json; then ``python -m bench --render`` rewrites the Markdown
    python -m bench.telegram_load --realistic [PEOPLE]
        the realistic load only, printed as JSON
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import load_average, log, summary_ms
from bench.emulator import TelegramUser, ensure_emulator_installed
from bench.telegram_rig import (
    FALLBACK_POLL,
    NotifyingProxy,
    calls_per_message,
    client_session,
    cpu_seconds,
    fetch,
    stored_at,
    telegram,
    user_ids,
)

#: What people type, in the order each person sends them (a prefix of it, as many as their
#: random arrivals allow); questions and statements, no forms, nothing that asks for a button.
SCRIPT = [
    "what is stalking",
    "he keeps texting me even though I told him to stop",
    "how do I report it to the police",
    "what is a stalking protection order",
    "is this chat private",
    "who else can I talk to",
    "what should I write down",
    "can he see that I use this",
    "what is the helpline number",
    "thank you",
]


@dataclass
class Typist:
    """One person of the realistic load: a chat, their send times, what came back."""

    user: TelegramUser
    sends: list[float] = field(default_factory=list)  # wall-clock time of each message posted
    received: list[float] = field(default_factory=list)  # emulator time of each bot message
    late: int = 0


async def _typist(person: Typist, proxy: NotifyingProxy, gaps: list[float], started: float) -> None:
    """Send the script at the given times (open loop: never waiting for a reply)."""
    at = started
    for index, gap in enumerate(gaps):
        at += gap
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        person.sends.append(time.time())
        await person.user.say(SCRIPT[index % len(SCRIPT)])


async def _reader(person: Typist, proxy: NotifyingProxy, stop: asyncio.Event) -> None:
    """Read the person's chat whenever the proxy says the bot wrote to it."""
    wake = proxy.event(person.user.chat_id)
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), FALLBACK_POLL)
        wake.clear()
        person.received.extend(stored_at(m) for m in await fetch(person.user))


async def _calibrate(core: Any, session: aiohttp.ClientSession, count: int) -> list[int]:
    """Bot messages a lone person gets for each of the first ``count`` script messages."""
    async with telegram(core) as (emulator, proxy, token):
        user = TelegramUser(session, emulator.url, token, next(user_ids))
        counts = []
        for index in range(count):
            await user.say(SCRIPT[index % len(SCRIPT)])
            got = await user.replies(settle=1.0, timeout=60.0)
            counts.append(len(got))
        return counts


async def realistic(core: Any, people: int = 200, mean_gap: float = 10.0, seconds: float = 60.0,
                    reply_timeout: float = 30.0, seed: int = 15) -> dict[str, Any]:
    """``people`` each sending a message every ``mean_gap`` s on average (Poisson) for ``seconds``."""
    import random

    reason = ensure_emulator_installed()
    if reason:
        return {"skipped": reason}
    rng = random.Random(seed)
    plans = []
    for _ in range(people):
        gaps, total = [], 0.0
        while True:
            gap = rng.expovariate(1.0 / mean_gap)
            if total + gap > seconds:
                break
            total += gap
            gaps.append(gap)
        plans.append(gaps)
    longest = max((len(g) for g in plans), default=0)
    log(f"telegram realistic: {people} people, a message every {mean_gap:.0f} s on average, "
        f"{seconds:.0f} s; {sum(len(g) for g in plans)} messages (at most {longest} from one person)")
    async with client_session() as session:
        expected = await _calibrate(core, session, longest)
        log(f"telegram realistic: a lone person gets {expected} bot messages per script message")
        load_before = load_average()
        async with telegram(core) as (emulator, proxy, token):
            typists = [Typist(TelegramUser(session, emulator.url, token, next(user_ids)))
                       for _ in range(people)]
            emulator_pid = emulator.process.pid if emulator.process is not None else None
            cpu_before = (time.process_time(), cpu_seconds(emulator_pid))
            stop = asyncio.Event()
            readers = [asyncio.create_task(_reader(t, proxy, stop)) for t in typists]
            started = time.time() + 0.5
            await asyncio.gather(*(_typist(t, proxy, g, started)
                                   for t, g in zip(typists, plans, strict=True)))
            sent_all = time.time()
            # Wait for the replies still on their way (at most reply_timeout after the last send).
            deadline = time.monotonic() + reply_timeout
            want = [sum(expected[:len(g)]) for g in plans]
            while time.monotonic() < deadline and any(
                    len(t.received) < w for t, w in zip(typists, want, strict=True)):
                await asyncio.sleep(0.2)
            finished = time.time()
            stop.set()
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            cpu_used = (time.process_time() - cpu_before[0], cpu_seconds(emulator_pid) - cpu_before[1])
            calls = dict(proxy.api_calls)
    latencies, first, lost, extra, answered, last_reply = [], [], 0, 0, 0, started
    for typist in typists:
        got = sorted(typist.received)
        position = 0
        for index, sent in enumerate(typist.sends):
            need = expected[index]
            mine = got[position:position + need]
            position += need
            if len(mine) < need or not mine:
                lost += 1
                continue
            answered += 1
            latencies.append(max(0.0, mine[-1] - sent))
            first.append(max(0.0, mine[0] - sent))
            last_reply = max(last_reply, mine[-1])
        extra += max(0, len(got) - position)
    user_messages = sum(len(t.sends) for t in typists)
    span = max(1e-9, last_reply - started)
    return {
        "people": people,
        "mean_gap_seconds": mean_gap,
        "seconds": seconds,
        "arrivals": f"Poisson (exponential gaps, seed {seed}), open loop",
        "script": SCRIPT,
        "expected_bot_messages_per_message": expected,
        "user_messages": user_messages,
        "offered_user_msgs_per_s": round(user_messages / seconds, 2),
        "answered": answered,
        "lost_replies": lost,
        "extra_replies": extra,
        "throughput_user_msgs_per_s": round(answered / span, 2),
        "sending_seconds": round(sent_all - started, 1),
        "drain_seconds_after_last_send": round(max(0.0, last_reply - sent_all), 2),
        "wall_seconds": round(finished - started, 1),
        "latency": summary_ms(latencies),
        "first_reply_latency": summary_ms(first),
        "bot_api_calls": calls,
        "calls": calls_per_message(calls, user_messages),
        "cpu_seconds": {"bot_process": round(cpu_used[0], 1), "emulator": round(cpu_used[1], 1),
                        "note": "the bot process also runs the proxy and the simulated people"},
        "cpu_ms_per_user_message": round(cpu_used[0] / max(1, user_messages) * 1000, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


async def update_report(out: Path, levels: list[int], people: int,
                        sustained_people: int = 250) -> dict[str, Any]:
    """Measure the burst levels, the realistic load and a faster one (``sustained_people`` at the
    same pace: more than 20 messages a second offered); put them into ``out``/benchmarks.json."""
    from bench import telegram_load
    from bench.common import Diary, build_real_core, close_core, machine, temp_dir

    with temp_dir("telegram") as folder:
        core = await build_real_core(Diary(folder))
        try:
            burst = await telegram_load.run(core, levels) if levels else {}  # no levels: the paced loads only
            for level in burst.get("levels") or []:
                level["calls"] = calls_per_message(level.get("bot_api_calls") or {},
                                                   level.get("steps_answered") or 0)
            load = await realistic(core, people)
            faster = await realistic(core, sustained_people, seed=16) if sustained_people else None
        finally:
            await close_core(core)
    source = out / "benchmarks.json"
    report = json.loads(source.read_text("utf-8")) if source.exists() else {}
    telegram_part = report.setdefault("telegram", {})
    if "before_issue_15" not in telegram_part and telegram_part.get("levels"):
        telegram_part["before_issue_15"] = {"levels": telegram_part["levels"],
                                            "measured_at": report.get("measured_at")}
    telegram_part.update(burst)
    telegram_part["realistic"] = load
    if faster is not None:
        telegram_part["sustained"] = faster
    # Every run of this command is kept (the machine is shared: the same load can take much
    # longer when other work runs), newest last, so the report shows the spread.
    runs = telegram_part.setdefault("realistic_runs", [])
    for run_load in (load, faster):
        if run_load and not run_load.get("skipped"):
            runs.append({"measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                         **{k: run_load.get(k) for k in (
                             "people", "user_messages", "offered_user_msgs_per_s",
                             "throughput_user_msgs_per_s", "lost_replies", "latency", "calls",
                             "cpu_ms_per_user_message", "load_average_before", "load_average_after")}})
    del runs[:-16]
    if burst:  # when the burst levels were measured
        telegram_part["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    telegram_part["machine"] = machine()
    source.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return telegram_part


def main(argv: list[str]) -> int:
    from bench.common import Diary, build_real_core, close_core, quiet, temp_dir

    quiet()
    people = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 200
    if argv[:1] == ["--update"]:
        levels = [] if "--paced" in argv else [1, 10, 50, 200]
        result = asyncio.run(update_report(Path("docs"), levels, people))
        print(json.dumps({k: result.get(k) for k in ("realistic",)}, indent=2)[:4000])
        return 0

    async def measure() -> None:
        with temp_dir("telegram") as folder:
            core = await build_real_core(Diary(folder))
            try:
                print(json.dumps(await realistic(core, people), indent=2))
            finally:
                await close_core(core)

    asyncio.run(measure())
    return 0
