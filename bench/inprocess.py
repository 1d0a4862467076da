"""Per-turn reply latency in-process: the raw Rasa agent and the full bot path, in one run.

The same realistic, mixed conversation is played many times, each time by a
new person.  Every turn goes through ``Core.handle(user_id, text)`` (the
safety guard, command mapping, the diary desk, Rasa, reply shaping), with the
dialogue engine wrapped so that what the core sends to Rasa is recorded, and
exactly those engine calls go to the raw agent,
``agent.handle_text(text, sender_id=...)``, for a twin conversation, turn by
turn (alternately raw first and bot first).  So both paths see the same
messages, in the same states, under the same load on the machine (this 2-core
machine is shared; pairing each turn keeps noise out of the ratio), and the
difference is what the bot adds.

Turns the bot answers without Rasa (``/note <text>``: a quick note straight to
the diary) have no raw counterpart: they count in the bot's latency and are
left out of the paired overhead.
"""
from __future__ import annotations

import contextlib
import gc
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from bench.common import build_real_core, log, summary_ms

#: One person's conversation: the FOUR check by buttons, safety advice, signposts,
#: questions (buttons and words), the check in own words, a danger message, quick
#: notes, the log, and a guided note saved to the end.
SCRIPT: list[str] = [
    "/start",
    "/check", "/affirm", "/affirm", "/affirm", "/affirm",
    '/affirm{"behaviour": "following"}', '/affirm{"behaviour": "contacting"}', "/deny",
    "/safety", "/ask_record", "/ask_tell_someone",
    "/help",
    "/questions", "/ask_romcom", "what is stalking", "can men be stalked too", "how do i help a friend",
    "/check", "yes he is obsessed with me", "yes way more than normal", "yes i told him to stop",
    "he texts me 20 times a day", "he follows me home",
    "what should i do", "who can i call",
    "he's outside my house right now",
    "/note he followed me to the station again",
    "/notes",
    "/note", "yesterday at 5pm", "outside the gym", "he waited by my car and stared",
    '/affirm{"behaviour": "turning_up"}', "tall, grey hoodie", "/deny", "/deny", "/deny", "/deny",
    "/affirm",
    "hi", "thanks",
]


@dataclass
class EngineCall:
    kind: str  # "handle" or "reset"
    text: str
    metadata: Optional[dict[str, Any]] = None


class RecordingEngine:
    """The real engine, unchanged, with a note of every call the core makes to it."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.intents = engine.intents
        self.calls: list[EngineCall] = []

    async def start(self) -> None:
        await self.engine.start()

    async def handle(self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None) -> Any:
        self.calls.append(EngineCall("handle", text, dict(metadata) if metadata else None))
        return await self.engine.handle(user_id, text, metadata)

    async def reset(self, user_id: str) -> None:
        self.calls.append(EngineCall("reset", "/restart"))
        await self.engine.reset(user_id)

    async def forget(self, user_id: str) -> None:
        await self.engine.forget(user_id)

    async def close(self) -> None:
        await self.engine.close()


@dataclass
class Samples:
    bot_wall: list[float] = field(default_factory=list)
    bot_cpu: list[float] = field(default_factory=list)
    raw_wall: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)
    # Paired turns only (the core called Rasa): the same turn on both paths.
    paired_bot: list[float] = field(default_factory=list)
    paired_raw: list[float] = field(default_factory=list)
    paired_bot_cpu: list[float] = field(default_factory=list)
    paired_raw_cpu: list[float] = field(default_factory=list)
    bot_only: list[float] = field(default_factory=list)
    # By position in the script: (bot wall, raw wall, bot CPU, raw CPU) of each paired turn.
    by_turn: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    empty_replies: int = 0
    error_replies: int = 0
    mismatched_turns: int = 0


async def replay_raw(agent: Any, sender: str, calls: list[EngineCall]) -> None:
    """What the core asked of Rasa, straight to the agent (a reset is Rasa's ``/restart``)."""
    for call in calls:
        if call.metadata:
            # handle_text takes no metadata; this is the message it builds, with it.
            from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

            await agent.handle_message(UserMessage(call.text, CollectingOutputChannel(), sender,
                                                   metadata=call.metadata))
        else:
            await agent.handle_text(call.text, sender_id=sender)


def _same(a: list[EngineCall], b: list[EngineCall]) -> bool:
    return [(c.kind, c.text) for c in a] == [(c.kind, c.text) for c in b]


async def play(core: Any, recorder: RecordingEngine, agent: Any, samples: Optional[Samples],
               error_text: str, reference: dict[int, list[EngineCall]]) -> None:
    """One conversation on both paths, turn by turn.

    The script is fixed, so what the core sends to Rasa at each turn is known from the
    first (warm-up) conversation (``reference``).  To keep the order out of the
    comparison, even turns run the raw agent first (on the reference calls) and odd
    turns the bot first (the raw agent then gets the calls just recorded).
    """
    person = uuid.uuid4().hex[:10]
    bot_user, raw_user = f"bench-bot-{person}", f"bench-raw-{person}"
    for index, text in enumerate(SCRIPT):
        known = reference.get(index)
        raw_first = samples is not None and index % 2 == 0 and known is not None
        raw_wall = raw_cpu = 0.0
        if raw_first and known:
            wall, cpu = time.perf_counter(), time.process_time()
            await replay_raw(agent, raw_user, known)
            raw_wall, raw_cpu = time.perf_counter() - wall, time.process_time() - cpu
        recorder.calls.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        replies = await core.handle(bot_user, text)
        bot_wall, bot_cpu = time.perf_counter() - wall, time.process_time() - cpu
        calls = list(recorder.calls)
        if samples is None:
            reference.setdefault(index, calls)
        if raw_first and known is not None and not _same(known, calls):
            # The script is deterministic, so this should not happen; counted, to be seen if it does.
            samples.mismatched_turns += 1  # type: ignore[union-attr]
        if calls and not raw_first:
            wall, cpu = time.perf_counter(), time.process_time()
            await replay_raw(agent, raw_user, calls)
            raw_wall, raw_cpu = time.perf_counter() - wall, time.process_time() - cpu
        if samples is None:
            continue
        samples.bot_wall.append(bot_wall)
        samples.bot_cpu.append(bot_cpu)
        if not replies:
            samples.empty_replies += 1
        elif any(error_text and error_text in (r.text or "") for r in replies):
            samples.error_replies += 1
        if calls:
            samples.raw_wall.append(raw_wall)
            samples.raw_cpu.append(raw_cpu)
            samples.paired_bot.append(bot_wall)
            samples.paired_raw.append(raw_wall)
            samples.paired_bot_cpu.append(bot_cpu)
            samples.paired_raw_cpu.append(raw_cpu)
            samples.by_turn.setdefault(index, []).append((bot_wall, raw_wall, bot_cpu, raw_cpu))
        else:
            samples.bot_only.append(bot_wall)
    for user in (bot_user, raw_user):
        await recorder.forget(user)


def where_the_bot_adds(samples: Samples, top: int = 6) -> dict[str, Any]:
    """The bot's added time (bot minus raw, median over conversations) per turn, largest first."""
    import statistics

    rows = []
    for index, pairs in samples.by_turn.items():
        rows.append({
            "turn": index + 1, "text": SCRIPT[index],
            "added_wall_ms": round(statistics.median(b - r for b, r, _, _ in pairs) * 1000, 1),
            "added_cpu_ms": round(statistics.median(bc - rc for _, _, bc, rc in pairs) * 1000, 1),
            "raw_wall_ms": round(statistics.median(r for _, r, _, _ in pairs) * 1000, 1),
        })
    rows.sort(key=lambda row: -row["added_wall_ms"])
    differences = [b - r for pairs in samples.by_turn.values() for b, r, _, _ in pairs]
    cpu_differences = [bc - rc for pairs in samples.by_turn.values() for _, _, bc, rc in pairs]
    def median_ms(values: list[float]) -> Optional[float]:
        return round(statistics.median(values) * 1000, 2) if values else None

    return {"median_added_wall_ms": median_ms(differences), "median_added_cpu_ms": median_ms(cpu_differences),
            "largest": rows[:top]}


@contextlib.contextmanager
def gc_pauses() -> Iterator[dict[str, Any]]:
    """Count Python's garbage collections by generation, and how long they stopped everything."""
    found: dict[str, Any] = {}
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            pauses.setdefault(int(info.get("generation", 2)), []).append(time.perf_counter() - began.pop())

    gc.callbacks.append(callback)
    try:
        yield found
    finally:
        gc.callbacks.remove(callback)
        for generation, times in pauses.items():
            found[f"gen{generation}"] = {"count": len(times), "total_ms": round(sum(times) * 1000, 1),
                                         "max_ms": round(max(times) * 1000, 1) if times else 0.0}
        found["tracked_objects"] = len(gc.get_objects())
        found["frozen_objects"] = gc.get_freeze_count()


def overhead(bot: list[float], raw: list[float]) -> Optional[float]:
    if not raw or sum(raw) <= 0:
        return None
    return round((sum(bot) - sum(raw)) / sum(raw) * 100.0, 1)


async def run(core: Any, conversations: int, warm_up: int = 2) -> dict[str, Any]:
    """``warm_up`` conversations (at least one) not counted, then ``conversations`` measured ones."""
    import copy

    recorder = RecordingEngine(core.engine)
    measured = copy.copy(core)  # the production-built core, its engine seen through the recorder
    measured.engine = recorder
    agent = core.engine._agent
    error_text = core.facts.error_reply
    log(f"in-process: {warm_up} warm-up conversations, then {conversations} measured "
        f"({len(SCRIPT)} turns each)")
    reference: dict[int, list[EngineCall]] = {}
    for _ in range(max(1, warm_up)):
        await play(measured, recorder, agent, None, error_text, reference)
    samples = Samples()
    with gc_pauses() as pauses:
        started = time.perf_counter()
        for _ in range(conversations):
            await play(measured, recorder, agent, samples, error_text, reference)
        elapsed = time.perf_counter() - started
    bot, raw = summary_ms(samples.bot_wall), summary_ms(samples.raw_wall)
    paired_bot, paired_raw = summary_ms(samples.paired_bot), summary_ms(samples.paired_raw)
    ratio = {q: (round((paired_bot[q] / paired_raw[q] - 1) * 100.0, 1) if paired_raw.get(q) else None)
             for q in ("p50_ms", "p95_ms", "p99_ms")}
    return {
        "conversations": conversations,
        "warm_up_conversations": warm_up,
        "turns_per_conversation": len(SCRIPT),
        "script": SCRIPT,
        "seconds": round(elapsed, 1),
        "raw_rasa": raw,
        "bot": bot,
        "bot_turns_without_rasa": summary_ms(samples.bot_only),
        "paired_turns": {"bot": paired_bot, "raw_rasa": paired_raw},
        "bot_overhead_pct": overhead(samples.paired_bot, samples.paired_raw),
        "bot_overhead_pct_by_percentile": ratio,
        "bot_overhead_cpu_pct": overhead(samples.paired_bot_cpu, samples.paired_raw_cpu),
        "where_the_bot_adds": where_the_bot_adds(samples),
        "cpu_ms_per_turn": {
            "raw_rasa": round(sum(samples.raw_cpu) / max(1, len(samples.raw_cpu)) * 1000, 1),
            "bot": round(sum(samples.bot_cpu) / max(1, len(samples.bot_cpu)) * 1000, 1),
        },
        "garbage_collections": pauses,
        "turns_replayed_with_fresh_calls": samples.mismatched_turns,
        "empty_replies": samples.empty_replies,
        "error_replies": samples.error_replies,
    }


async def standalone(conversations: int) -> dict[str, Any]:
    """Build a core over a throwaway diary and run (used by ``python -m bench.inprocess``)."""
    from bench.common import Diary, close_core, temp_dir

    with temp_dir("inprocess") as folder:
        core = await build_real_core(Diary(folder))
        try:
            return await run(core, conversations)
        finally:
            await close_core(core)
