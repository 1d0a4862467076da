"""What dominates a turn: a pyinstrument profile of the bot path, summed into named parts.

pyinstrument (a sampling profiler) records the stack every millisecond while
the in-process conversation runs on the bot path.  Each named part below is
the share of samples with that function on the stack (counted once per sample
even when it recurses), so parts can overlap (the form's actions run inside
the prediction loop) and do not add up to 100 %.  The most expensive functions
by their own time are listed too, to catch what the named parts miss.

pyinstrument is not a dependency of the bot; without it this part says so and
the rest of the benchmark runs.
"""
from __future__ import annotations

import time
from typing import Any, Optional

from bench.common import log

#: (label, file path suffix, function name(s, "a|b")[, the caller's file path suffix and function name])
PARTS: list[tuple[str, ...]] = [
    ("Rasa: whole message (Agent.handle_message)", "rasa/core/agent.py", "handle_message"),
    ("Rasa: NLU parse (pipeline)", "rasa/core/processor.py", "parse_message"),
    ("Rasa: policies predict next action", "rasa/core/processor.py", "_predict_next_with_tracker"),
    ("Rasa: custom action calls (RemoteAction.run)", "rasa/core/actions/action.py", "run"),
    ("  of which jsonschema check of action results (bot/rasa_speedups.py)", "bot/rasa_speedups.py",
     "_validate_action_result"),
    ("  of which action code (rasa_sdk executor)", "rasa_sdk/executor.py", "run"),
    ("  of which JSON copy of the action call (bot/engine.py)", "json/__init__.py", "dumps|loads",
     "bot/engine.py", "request"),
    ("Rasa: tracker store read (deserialise)", "rasa/core/tracker_store.py", "retrieve"),
    ("Rasa: tracker store write (serialise)", "rasa/core/tracker_store.py", "save"),
    ("Rasa: Event class lookup (all_subclasses, cached by bot/rasa_speedups.py)", "bot/rasa_speedups.py",
     "all_subclasses"),
    ("Event loop idle, waiting (for the diary's worker threads)", "selectors.py", "select"),
    ("Bot: safety guard", "bot/guard/safety_guard.py", "assess|match"),
    ("Bot: diary desk before Rasa", "bot/core.py", "_diary_first"),
    ("Bot: replies from Rasa messages (facts, desk)", "bot/core.py", "_message_replies"),
]


def available() -> Optional[str]:
    try:
        import pyinstrument
    except ImportError:
        return None
    return str(getattr(pyinstrument, "__version__", "unknown"))


Key = tuple[str, str]


def _key(frame: Any) -> Key:
    return (str(getattr(frame, "file_path", "") or "").replace("\\", "/"),
            str(getattr(frame, "function", "") or ""))


def _walk(frame: Any, parent: Key, ancestors: frozenset[Key], inclusive: dict[Key, float],
          called_by: dict[tuple[Key, Key], float], own: dict[Key, float]) -> None:
    if getattr(frame, "is_synthetic", False):
        return  # "[self]" and "[await]": already in the parent's total_self_time
    key = _key(frame)
    if key not in ancestors:
        inclusive[key] = inclusive.get(key, 0.0) + float(frame.time)
        called_by[(parent, key)] = called_by.get((parent, key), 0.0) + float(frame.time)
    own[key] = own.get(key, 0.0) + float(getattr(frame, "total_self_time", 0.0) or 0.0)
    for child in frame.children:
        _walk(child, key, ancestors | {key}, inclusive, called_by, own)


def _matches(key: Key, suffix: str, function: str) -> bool:
    return key[1] in function.split("|") and key[0].endswith(suffix)


def summarise(session: Any, top: int = 12) -> dict[str, Any]:
    root = session.root_frame()
    if root is None:
        return {"error": "no samples"}
    inclusive: dict[Key, float] = {}
    called_by: dict[tuple[Key, Key], float] = {}
    own: dict[Key, float] = {}
    _walk(root, ("", ""), frozenset(), inclusive, called_by, own)
    total = float(root.time) or 1.0
    parts = []
    for label, suffix, function, *caller in PARTS:
        if caller:
            seconds = sum(t for (parent, key), t in called_by.items()
                          if _matches(key, suffix, function) and _matches(parent, caller[0], caller[1]))
        else:
            seconds = sum(t for key, t in inclusive.items() if _matches(key, suffix, function))
        parts.append({"part": label, "share_pct": round(seconds / total * 100, 1),
                      "seconds": round(seconds, 2)})
    hottest = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return {
        "profiled_seconds": round(total, 2),
        "parts": parts,
        "top_self_time": [{"function": f"{name} ({_short(path)})", "share_pct": round(t / total * 100, 1)}
                          for (path, name), t in hottest],
    }


def _short(path: str) -> str:
    path = path.replace("\\", "/")
    for marker in ("site-packages/", "/work/main/", "python3.10/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


async def profile_bot_path(core: Any, conversations: int) -> dict[str, Any]:
    """Profile ``conversations`` conversations through ``Core.handle`` (bot path only)."""
    version = available()
    if version is None:
        return {"skipped": "pyinstrument is not installed (pip install pyinstrument==4.6.2)"}
    import uuid

    from pyinstrument import Profiler

    from bench.inprocess import SCRIPT

    log(f"profile: {conversations} conversations on the bot path under pyinstrument {version}")
    profiler = Profiler(interval=0.001, async_mode="disabled")
    turns = 0
    started = time.perf_counter()
    profiler.start()
    try:
        for _ in range(conversations):
            user = f"bench-profile-{uuid.uuid4().hex[:10]}"
            for text in SCRIPT:
                await core.handle(user, text)
                turns += 1
            await core.engine.forget(user)
    finally:
        profiler.stop()
    result = summarise(profiler.last_session)
    result["pyinstrument"] = version
    result["turns"] = turns
    per_turn = (time.perf_counter() - started) / max(1, turns)
    result["wall_ms_per_turn_while_profiled"] = round(per_turn * 1000, 1)
    return result
