"""End-to-end latency and throughput through the Telegram Bot API emulator, N users at once.

Drives the Telegram the end-to-end tests use (``bench/emulator``): the telegram-test-api
emulator (node), the mending :class:`BotApiProxy`, :class:`TelegramUser`; the
bot runs in this process (``TelegramService``, long polling, as ``python -m bot
run`` does) in front of the real core.  All traffic stays on 127.0.0.1.

Each simulated person does ``/start``, ``/check`` and presses "Yes" four times,
sending the next message as soon as the reply they wait for has arrived (no
thinking time: the hardest case for "N users at once").  A step's latency runs
from just before the person's message is posted to the emulator until the
emulator stored the bot's reply the person waits for (the emulator's own
timestamp), so how often the person looks for replies does not change it.
To look rarely, a person is woken when the proxy has passed a message of the
bot to their chat, then reads the chat from the emulator like any client.
Every message the bot sent is counted per person; the counts of a lone person
are what everybody should get, and a shortfall is a lost reply.

:func:`realistic` is the other load (issue 15): 200 people, each sending a typed
message about every 10 seconds on average (Poisson arrivals: exponential gaps,
independent of the replies) for a minute, through the same emulator.  Each
person sends a prefix of the same script of typed messages; a lone person's
run of the script first says how many bot messages each one gets, so a reply
is "lost" when fewer came.  It also counts Bot API calls per user message.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import aiohttp
from aiohttp import web

from bench.common import load_average, log, summary_ms
from bench.emulator import (
    BotApiProxy,
    BotMessage,
    Emulator,
    TelegramUser,
    ensure_emulator_installed,
    free_port,
    last_with_buttons,
)

Predicate = Callable[[list[BotMessage]], bool]
FALLBACK_POLL = 5.0  # seconds
#: Bot API methods a user message can cost (everything but polling and start-up).
TURN_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                "answerCallbackQuery", "sendDocument", "deleteMessages", "deleteMessage")
#: Methods python-telegram-bot's AIORateLimiter throttles (those that name a chat).
LIMITED_METHODS = ("sendMessage", "sendChatAction", "editMessageText", "editMessageReplyMarkup",
                   "sendDocument", "deleteMessages", "deleteMessage")
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
_user_ids = itertools.count(910_001)
_bot_ids = itertools.count(1)


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


class NotifyingProxy(BotApiProxy):
    """The harness's proxy, also waking the person whose chat the bot just wrote to."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.events: dict[int, asyncio.Event] = {}
        self.api_calls: dict[str, int] = {}
        self.abandoned: dict[str, int] = {}

    def event(self, chat_id: int) -> asyncio.Event:
        return self.events.setdefault(chat_id, asyncio.Event())

    async def _bot_api(self, request: Any) -> Any:
        method = request.match_info.get("method", "")
        try:
            response = await super()._bot_api(request)
        except ConnectionResetError:
            # The bot dropped the request before sending all of it (a cancelled task, e.g. the
            # "typing…" loop once the reply is ready): counted, nobody is left to answer.
            self.abandoned[method] = self.abandoned.get(method, 0) + 1
            return web.Response(status=499)
        self.api_calls[method] = self.api_calls.get(method, 0) + 1
        if method.startswith("send") and method != "sendChatAction":
            with contextlib.suppress(Exception):
                params = self._params(request, await request.read())
                self.event(int(params["chat_id"])).set()
        # Keep memory flat over thousands of calls: the load test reads none of them.
        self.calls.clear()
        return response


@dataclass
class Person:
    user: TelegramUser
    latencies: list[float] = field(default_factory=list)  # to the awaited reply
    first_reply: list[float] = field(default_factory=list)  # to the first message of a step
    step_counts: list[int] = field(default_factory=list)
    received: int = 0
    finished: bool = False
    failure: Optional[str] = None


async def fetch(user: TelegramUser) -> list[BotMessage]:
    data = await user._post("/getUpdates", {"token": user.token, "chatId": user.chat_id})
    return [BotMessage.from_store(item) for item in data.get("result") or []]


def stored_at(message: BotMessage) -> float:
    return int(message.raw.get("time", message.date * 1000)) / 1000.0


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


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: Optional[int]) -> float:
    """User + system CPU time of a process (Linux /proc); 0 when unknown."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def bot_settings(proxy: BotApiProxy, token: str) -> Any:
    from bot.settings import Settings

    return Settings(telegram_bot_token=token, telegram_api_base_url=f"{proxy.url}/bot",
                    telegram_api_file_url=f"{proxy.url}/file/bot", telegram_webhook_url=None,
                    telegram_webhook_port=free_port(), telegram_webhook_listen="127.0.0.1")


@contextlib.asynccontextmanager
async def telegram(core: Any, rate_limiter: bool = True) -> Any:
    """Emulator, proxy and the bot (polling) in front of ``core``; torn down on leaving."""
    import bot.telegram.service as service_module
    from bot.telegram.service import TelegramService

    emulator = Emulator()
    await emulator.start()
    proxy = NotifyingProxy(emulator.url)
    original = service_module.AIORateLimiter
    service = None
    try:
        await proxy.start()
        if not rate_limiter:  # a diagnostic only: what the flood limit costs
            def unlimited(**kwargs: Any) -> Any:
                return original(overall_max_rate=0, group_max_rate=0, **kwargs)

            service_module.AIORateLimiter = unlimited  # type: ignore[assignment,misc]
        token = f"{200000 + next(_bot_ids)}:bench-{'limited' if rate_limiter else 'unlimited'}"
        service = TelegramService(bot_settings(proxy, token), core)
        service_module.AIORateLimiter = original  # type: ignore[misc]
        await service.start()
        yield emulator, proxy, token
    finally:
        service_module.AIORateLimiter = original  # type: ignore[misc]
        if service is not None:
            await service.stop()
        await proxy.stop()
        await emulator.stop()


async def run_level(core: Any, users: int, step_timeout: float, run_timeout: float,
                    expected: Optional[list[int]], rate_limiter: bool = True) -> dict[str, Any]:
    log(f"telegram: {users} users at once{'' if rate_limiter else ' (rate limiter off)'}")
    load_before = load_average()
    # A new connection per request: the emulator (node) closes idle keep-alive connections after
    # 5 s, and a person waiting longer than that would race it when reusing one.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session, \
            telegram(core, rate_limiter) as (emulator, proxy, token):
        people = [Person(TelegramUser(session, emulator.url, token, next(_user_ids)))
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
    }, ([p.step_counts for p in people if p.finished] or [None])[0]


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


def calls_per_message(calls: dict[str, int], user_messages: int) -> dict[str, Any]:
    """Bot API calls per user message, all of them and those the rate limiter throttles."""
    turn = {m: calls.get(m, 0) for m in TURN_METHODS if calls.get(m)}
    limited = sum(calls.get(m, 0) for m in LIMITED_METHODS)
    n = max(1, user_messages)
    return {"by_method": turn, "per_user_message": round(sum(turn.values()) / n, 2),
            "limited_per_user_message": round(limited / n, 2),
            "ceiling_user_msgs_per_s": round(30.0 * n / limited, 1) if limited else None}


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
        user = TelegramUser(session, emulator.url, token, next(_user_ids))
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
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        expected = await _calibrate(core, session, longest)
        log(f"telegram realistic: a lone person gets {expected} bot messages per script message")
        load_before = load_average()
        async with telegram(core) as (emulator, proxy, token):
            typists = [Typist(TelegramUser(session, emulator.url, token, next(_user_ids)))
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
    from bench.common import Diary, build_real_core, close_core, machine, temp_dir

    with temp_dir("telegram") as folder:
        core = await build_real_core(Diary(folder))
        try:
            burst = await run(core, levels) if levels else {}  # no levels: the paced loads only
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


if __name__ == "__main__":  # a quick look: python -m bench.telegram_load 1 10
    import sys

    from bench.common import Diary, build_real_core, close_core, quiet, temp_dir

    quiet()
    if sys.argv[1:2] == ["--update"]:
        # python -m bench.telegram_load --update [PEOPLE]: the burst levels 1, 10, 50 and 200 and the
        # realistic load, written into docs/benchmarks.json; then `python -m bench --render`.
        people = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 200
        levels = [] if "--paced" in sys.argv else [1, 10, 50, 200]
        result = asyncio.run(update_report(Path("docs"), levels, people))
        print(json.dumps({k: result.get(k) for k in ("realistic",)}, indent=2)[:4000])
        raise SystemExit(0)
    if sys.argv[1:2] == ["--realistic"]:  # python -m bench.telegram_load --realistic [PEOPLE]

        async def main_realistic() -> None:
            with temp_dir("telegram") as folder:
                core = await build_real_core(Diary(folder))
                try:
                    people = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 200
                    print(json.dumps(await realistic(core, people), indent=2))
                finally:
                    await close_core(core)

        asyncio.run(main_realistic())
        raise SystemExit(0)

    async def main() -> None:
        with temp_dir("telegram") as folder:
            core = await build_real_core(Diary(folder))
            try:
                levels = [int(x) for x in sys.argv[1:]] or [1, 10]
                print(json.dumps(await run(core, levels), indent=2))
            finally:
                await close_core(core)

    asyncio.run(main())
