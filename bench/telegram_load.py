"""End-to-end latency and throughput through the Telegram Bot API emulator, N users at once.

The rig (``bench/telegram_rig.py``): the end-to-end tests' emulator and mending
proxy (``bench/emulator``), and the bot in this process in front of the real core.

Each simulated person does ``/start``, ``/check`` and presses "Yes" four times,
sending the next message as soon as the reply they wait for has arrived (no
thinking time: the hardest case for "N users at once").  A step's latency runs
from just before the person's message is posted to the emulator until the
emulator stored the bot's reply the person waits for (the emulator's own
timestamp), so how often the person looks for replies does not change it.
Every message the bot sent is counted per person; the counts of a lone person
are what everybody should get, and a shortfall is a lost reply.

The paced load (200 people at a realistic pace, issue 15) is ``bench/telegram_paced.py``.

    python -m bench.telegram_load 1 10          the burst levels given, printed as JSON
    python -m bench.telegram_load --update ...  see bench/telegram_paced.py
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from bench.common import load_average, log, summary_ms
from bench.emulator import (
    BotMessage,
    Predicate,
    TelegramUser,
    ensure_emulator_installed,
    last_with_buttons,
)
from bench.telegram_rig import (
    FALLBACK_POLL,
    NotifyingProxy,
    client_session,
    cpu_seconds,
    fetch,
    stored_at,
    telegram,
    user_ids,
)


def question(sign: str) -> Predicate:
    def check(messages: list[BotMessage]) -> bool:
        return any(sign in m.text.lower() and m.buttons for m in messages)

    return check


def welcome(messages: list[BotMessage]) -> bool:
    return any(any(b.get("callback_data") == "/start_check" for b in m.buttons) for m in messages)


def behaviours(messages: list[BotMessage]) -> bool:
    return any(len(m.buttons) > 3 for m in messages)


@dataclass(frozen=True)
class Step:
    action: str  # "say" or "press"
    value: str  # the text, or the title of the button pressed on the last keyboard
    done: Predicate


STEPS: list[Step] = [
    Step("say", "/start", welcome),
    Step("say", "/check", question("fixated")),
    Step("press", "Yes", question("obsessive")),
    Step("press", "Yes", question("unwanted")),
    Step("press", "Yes", question("repeated")),
    Step("press", "Yes", behaviours),
]


@dataclass
class Person:
    user: TelegramUser
    latencies: list[float] = field(default_factory=list)  # to the awaited reply
    first_reply: list[float] = field(default_factory=list)  # to the first message of a step
    step_counts: list[int] = field(default_factory=list)
    received: int = 0
    finished: bool = False
    failure: Optional[str] = None


async def walk(person: Person, proxy: NotifyingProxy, step_timeout: float) -> None:
    user = person.user
    keyboard: Optional[BotMessage] = None
    wake = proxy.event(user.chat_id)
    for index, step in enumerate(STEPS):
        wake.clear()
        sent_at = time.time()
        if step.action == "say":
            await user.say(step.value)
        else:
            assert keyboard is not None
            await user.press(keyboard, step.value)
        got: list[BotMessage] = []
        deadline = time.monotonic() + step_timeout
        while not (got and step.done(got)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                # Woken by the proxy; reading the chat anyway every few seconds is only a safety net.
                await asyncio.wait_for(wake.wait(), min(remaining, FALLBACK_POLL))
            wake.clear()
            got.extend(await fetch(user))
        person.step_counts.append(len(got))
        person.received += len(got)
        if not (got and step.done(got)):
            person.failure = f"step {index + 1} ({step.value}): no awaited reply in {step_timeout:.0f} s"
            return
        awaited = next(m for m in reversed(got) if step.done([m]))
        person.latencies.append(max(0.0, stored_at(awaited) - sent_at))
        person.first_reply.append(max(0.0, min(stored_at(m) for m in got) - sent_at))
        keyboard = last_with_buttons(got)
    person.finished = True


async def run_level(core: Any, users: int, step_timeout: float, run_timeout: float,
                    expected: Optional[list[int]], rate_limiter: bool = True,
                    ) -> tuple[dict[str, Any], Optional[list[int]]]:
    """One level: its figures, and the bot messages per step a person who finished got."""
    log(f"telegram: {users} users at once{'' if rate_limiter else ' (rate limiter off)'}")
    load_before = load_average()
    async with client_session() as session, telegram(core, rate_limiter) as (emulator, proxy, token):
        people = [Person(TelegramUser(session, emulator.url, token, next(user_ids)))
                  for _ in range(users)]
        emulator_pid = emulator.process.pid if emulator.process is not None else None
        cpu_before = (time.process_time(), cpu_seconds(emulator_pid))
        started = time.perf_counter()
        tasks = [asyncio.create_task(walk(p, proxy, step_timeout)) for p in people]
        done, pending = await asyncio.wait(tasks, timeout=run_timeout)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                person = people[tasks.index(task)]
                person.failure = f"{type(task.exception()).__name__}: {task.exception()}"
        elapsed = time.perf_counter() - started
        cpu_used = (time.process_time() - cpu_before[0], cpu_seconds(emulator_pid) - cpu_before[1])
        # Anything still on its way: wait a moment, then read every chat once more.
        await asyncio.sleep(1.0)
        for person in people:
            with contextlib.suppress(Exception):
                person.received += len(await fetch(person.user))
        api_calls = dict(proxy.api_calls)
        abandoned = dict(proxy.abandoned)
    steps_done = sum(len(p.latencies) for p in people)
    received = sum(p.received for p in people)
    expected_each = sum(expected) if expected else None
    lost = (sum(max(0, expected_each - p.received) for p in people) if expected_each is not None
            else sum(1 for p in people if not p.finished))
    extra = (sum(max(0, p.received - expected_each) for p in people) if expected_each is not None
             else 0)
    latencies = [x for p in people for x in p.latencies]
    failures = [p.failure for p in people if p.failure]
    return {
        "users": users,
        "rate_limiter": rate_limiter,
        "user_messages": len(STEPS) * users,
        "steps_answered": steps_done,
        "bot_messages_received": received,
        "bot_messages_expected": expected_each * users if expected_each is not None else None,
        "lost_replies": lost,
        "extra_replies": extra,
        "users_finished": sum(p.finished for p in people),
        "failures": failures[:5],
        "seconds": round(elapsed, 2),
        "throughput_user_msgs_per_s": round(steps_done / elapsed, 2) if elapsed else None,
        "throughput_bot_msgs_per_s": round(received / elapsed, 2) if elapsed else None,
        "latency": summary_ms(latencies),
        "first_reply_latency": summary_ms([x for p in people for x in p.first_reply]),
        "bot_api_calls": api_calls,
        "requests_abandoned_by_the_bot": abandoned,
        "cpu_seconds": {"bot_process": round(cpu_used[0], 1), "emulator": round(cpu_used[1], 1),
                        "note": "the bot process also runs the proxy and the simulated people"},
        "cpu_ms_per_user_message": round(cpu_used[0] / max(1, steps_done) * 1000, 1),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }, next((p.step_counts for p in people if p.finished), None)


async def run(core: Any, levels: list[int], step_timeout: float = 180.0,
              run_timeout: float = 360.0) -> dict[str, Any]:
    reason = ensure_emulator_installed()
    if reason:
        return {"skipped": reason}
    results: list[dict[str, Any]] = []
    expected: Optional[list[int]] = None
    for users in levels:
        result, counts = await run_level(core, users, step_timeout, run_timeout, expected)
        if expected is None and counts is not None and users == 1:
            expected = counts
            result["lost_replies"] = 0 if result["users_finished"] == 1 else 1
        results.append(result)
        log(f"telegram: {users} users: p95 {result['latency'].get('p95_ms')} ms, "
            f"lost {result['lost_replies']}, {result['seconds']} s")
    return {
        "mode": "long polling",
        "script": [f"{s.action} {s.value}" for s in STEPS],
        "expected_bot_messages_per_user": expected,
        "levels": results,
    }


async def diagnostic(core: Any, users: int, expected: Optional[list[int]]) -> dict[str, Any]:
    """``users`` at once with the bot's rate limiter off: what the CPU alone allows."""
    result, _ = await run_level(core, users, 180.0, 360.0, expected, rate_limiter=False)
    log(f"telegram: {users} users, rate limiter off: p95 {result['latency'].get('p95_ms')} ms, "
        f"{result['throughput_user_msgs_per_s']} msg/s")
    return result


def main(argv: list[str]) -> int:
    from bench.common import Diary, build_real_core, close_core, quiet, temp_dir

    if argv[:1] in (["--update"], ["--realistic"]):
        from bench import telegram_paced

        return telegram_paced.main(argv)
    quiet()

    async def measure() -> None:
        with temp_dir("telegram") as folder:
            core = await build_real_core(Diary(folder))
            try:
                levels = [int(x) for x in argv] or [1, 10]
                print(json.dumps(await run(core, levels), indent=2))
            finally:
                await close_core(core)

    asyncio.run(measure())
    return 0


if __name__ == "__main__":  # a quick look: python -m bench.telegram_load 1 10
    sys.exit(main(sys.argv[1:]))
