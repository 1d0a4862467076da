"""The guard's glue to its semantic layer (the model itself: :mod:`bot.guard_semantic`).

What the layer may read (the ``semantic`` section of ``safety_guard.yml``): the
whole message; or, when a suppressing veto (a negation, the past, a
hypothetical, a topic question) is in it, its other sentences on their own.  A veto
that yields to "now" does not suppress a sentence that says now.
A danger verdict is dropped when a ``danger_suppressed_by`` veto is in the
message.  The layer only ever adds an alert, and if it fails the rules still
answer, for that message, with the error's type (never its words) in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.guard.reading import Reader
from bot.guard.rules import DANGER, RuleBook, Veto

logger = logging.getLogger("bot.guard")


class SemanticLayer(Protocol):
    """What the guard needs from the semantic layer (see :mod:`bot.guard_semantic`)."""

    def classify(self, text: str) -> tuple[str, str] | None:
        """``(route, label)`` for an alert, or ``None``."""

    def classify_many(self, texts: Sequence[str]) -> tuple[str, str] | None:
        """The alert for the worst of several texts (the candidate sentences of one message)."""


class SemanticGate:
    """Which parts of a message the semantic layer reads, and which of its verdicts stand."""

    def __init__(self, config: Mapping[str, Any], reader: Reader, book: RuleBook) -> None:
        section = config.get("semantic") or {}
        self._reader = reader
        self._book = book
        self._suppressors = book.vetoes_named(section.get("suppressed_by") or [], "semantic.suppressed_by")
        self._min_words = int(section.get("min_words") or 1)
        self._danger_suppressors = book.vetoes_named(
            section.get("danger_suppressed_by") or [], "semantic.danger_suppressed_by"
        )

    def route(self, layer: SemanticLayer | None, text: str,
              sentences: list[list[str]]) -> tuple[str, str] | None:
        """``layer``'s (route, label) for the message read as ``sentences``, or ``None``."""
        if layer is None:
            return None
        candidates = self._candidates(text, sentences)
        if not candidates:
            return None
        try:
            found = layer.classify_many(candidates)
            if found is not None and found[0] == DANGER and self._danger_suppressors:
                danger_vetoes = self._danger_suppressors
                if any(v.search(c) for clauses in sentences for c in clauses for v in danger_vetoes):
                    return None
            return found
        except Exception as error:  # noqa: BLE001 - the rules must answer whatever the model does
            # The type only: a traceback or an error's message could carry the user's words.
            logger.error("semantic guard layer failed (%s); rules only for this message",
                         type(error).__name__)
            return None

    def _candidates(self, text: str, sentences: list[list[str]]) -> list[str]:
        """What the semantic layer may read: the message; or, when a suppressing veto (a
        negation, the past, a hypothetical, a topic question) is in it, its other
        sentences on their own.  A long message is read whole (in windows)."""
        words = len(text.split())
        if words < self._min_words:
            return []
        if words > 60:
            return [text]
        if not self._suppressed(sentences):
            return [text]
        # Suppressed somewhere: read the other sentences on their own.
        parts = [p for p in self._reader.sentence_split.split(text) if len(p.split()) >= 2]
        if len(parts) < 2:
            return []
        return [p for p in parts[:6] if not self._suppressed(list(self._reader.sentences(p)))]

    def _suppressed(self, sentences: list[list[str]]) -> bool:
        """A suppressing veto in a sentence, unless the sentence says now and the veto yields
        to now ("he was waiting by the gate and he's still there now")."""
        suppressors: tuple[Veto, ...] = self._suppressors
        for clauses in sentences:
            now = any(self._book.says_now(clause) for clause in clauses)
            if any(v.search(clause) and not (now and v.now_overrides)
                   for clause in clauses for v in suppressors):
                return True
        return False


def load_semantic(wanted: bool | None) -> SemanticLayer | None:
    import os

    if wanted is False or (wanted is None and os.environ.get("SAFETY_GUARD_SEMANTIC", "1") == "0"):
        return None
    try:
        from bot.guard_semantic import load_default

        return load_default()
    except Exception as error:  # noqa: BLE001
        if wanted:
            raise
        logger.warning("semantic guard layer unavailable (%s): rules only", type(error).__name__)
        return None
