"""What a message is before the core reads it: cleaned text, a button's payload, the slash
commands, a request to delete everything, and the time budget a call gets.

Small pieces of :mod:`bot.core`'s message path, apart so the path itself reads in one place.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Optional, TypeVar

import yaml

from bot.textnorm import fold_lookalikes

T = TypeVar("T")

COMMANDS_PATH = Path(__file__).resolve().parent.parent / "data" / "commands.yml"
MAX_TEXT = 4000


def clean_text(text: Optional[str]) -> str:
    """The message as text every part of the bot can store, encrypt and log safely.

    Lone surrogates (which no UTF-8 channel can carry, but a buggy client or a
    test can) become U+FFFD and NUL characters are dropped: both would make a
    store, a JSON encoder or a PDF fail on what is otherwise a normal message.
    """
    text = (text or "").replace("\x00", "")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text.strip()


async def within(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result, or ``asyncio.TimeoutError`` after ``timeout`` seconds.

    Unlike ``asyncio.wait_for``, this does not wait for the cancelled work to
    finish: an engine that ignores cancellation (or is stuck in a slow network
    call) cannot hold the user's answer back past the time-out.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_ignore_outcome)
        raise asyncio.TimeoutError
    return task.result()


def _ignore_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log "never retrieved"


def button_entities(raw: Optional[str]) -> bool:
    """True when a payload's ``{...}`` is what buttons send: none, or a flat JSON object.

    Flat: each value is text, a number, true/false/null, or a list of those.
    """
    if raw is None:
        return True
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return False

    def scalar(value: Any) -> bool:
        return value is None or isinstance(value, str | int | float | bool)

    return isinstance(data, dict) and all(
        scalar(v) or (isinstance(v, list) and all(scalar(x) for x in v)) for v in data.values())


def load_commands(path: Path = COMMANDS_PATH) -> list[dict[str, str]]:
    return list(yaml.safe_load(path.read_text("utf-8"))["commands"])


SENSITIVE_PATH = Path(__file__).resolve().parent.parent / "data" / "sensitive_requests.yml"


def past_openers(said: str, openers: list[str]) -> str:
    """``said`` without the words said before an answer ("actually not now", "wait no dont",
    "hmm, ok do it": ``typed_openers`` in data/diary_copy.yml), lower case as given."""
    ordered = sorted((str(w).lower() for w in openers), key=len, reverse=True)
    while True:
        opener = next((w for w in ordered if re.match(rf"{re.escape(w)}\b[\s,.!]+\S", said)), None)
        if opener is None:
            return said
        said = re.sub(r"^[\s,.!]+", "", said[len(opener):])


class ForgetRequests:
    """Does a message ask to delete the person's data?  (Patterns: data/sensitive_requests.yml.)"""

    def __init__(self, patterns: list[str], not_when: list[str]) -> None:
        self.patterns = [re.compile(p) for p in patterns]
        self.not_when = [re.compile(p) for p in not_when]

    @classmethod
    def from_file(cls, path: Path = SENSITIVE_PATH) -> ForgetRequests:
        entry = yaml.safe_load(path.read_text("utf-8"))["forget_request"]
        return cls(list(entry["patterns"]), list(entry.get("not_when") or []))

    def asks(self, text: str) -> bool:
        folded = fold_lookalikes(text[:MAX_TEXT], digits=False).lower().replace("\u2019", "'")
        return (any(p.search(folded) for p in self.patterns)
                and not any(p.search(folded) for p in self.not_when))
