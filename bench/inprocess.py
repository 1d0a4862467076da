"""Per-turn reply latency in-process: the raw Rasa agent and the full bot path, in one run.

The same realistic, mixed conversation is played many times, each time by a
new person.  Every turn goes first through ``Core.handle(user_id, text)`` (the
safety guard, command mapping, the diary desk, Rasa, reply shaping), with the
dialogue engine wrapped so that what the core sends to Rasa is recorded; then
exactly those engine calls are replayed on the raw agent,
``agent.handle_text(text, sender_id=...)``, for a twin conversation.  So both
paths see the same messages, in the same states, under the same load on the
machine (this 2-core machine is shared; pairing each turn keeps noise out of
the ratio), and the difference is what the bot adds.

Turns the bot answers without Rasa (``/note <text>``: a quick note straight to
the diary) have no raw counterpart: they count in the bot's latency and are
left out of the paired overhead.
"""
from __future__ import annotations

import time
import uuid
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
    empty_replies: int = 0
    error_replies: int = 0


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


async def play(core: Any, recorder: RecordingEngine, agent: Any, samples: Optional[Samples],
               error_text: str) -> None:
    """One conversation on both paths, turn by turn."""
    person = uuid.uuid4().hex[:10]
    bot_user, raw_user = f"bench-bot-{person}", f"bench-raw-{person}"
    for text in SCRIPT:
        recorder.calls.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        replies = await core.handle(bot_user, text)
        bot_wall, bot_cpu = time.perf_counter() - wall, time.process_time() - cpu
        calls = list(recorder.calls)
        raw_wall = raw_cpu = 0.0
        if calls:
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
        else:
            samples.bot_only.append(bot_wall)
    for user in (bot_user, raw_user):
        await recorder.forget(user)


def overhead(bot: list[float], raw: list[float]) -> Optional[float]:
    if not raw or sum(raw) <= 0:
        return None
    return round((sum(bot) - sum(raw)) / sum(raw) * 100.0, 1)


async def run(core: Any, conversations: int, warm_up: int = 2) -> dict[str, Any]:
    """``warm_up`` conversations not counted, then ``conversations`` measured ones."""
    import copy

    recorder = RecordingEngine(core.engine)
    measured = copy.copy(core)  # the production-built core, its engine seen through the recorder
    measured.engine = recorder
    agent = core.engine._agent
    error_text = core.facts.error_reply
    log(f"in-process: {warm_up} warm-up conversations, then {conversations} measured "
        f"({len(SCRIPT)} turns each)")
    for _ in range(warm_up):
        await play(measured, recorder, agent, None, error_text)
    samples = Samples()
    started = time.perf_counter()
    for _ in range(conversations):
        await play(measured, recorder, agent, samples, error_text)
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
        "cpu_ms_per_turn": {
            "raw_rasa": round(sum(samples.raw_cpu) / max(1, len(samples.raw_cpu)) * 1000, 1),
            "bot": round(sum(samples.bot_cpu) / max(1, len(samples.bot_cpu)) * 1000, 1),
        },
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
