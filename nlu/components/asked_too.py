"""A question asked in passing, in a message that tells what is happening (pure Python).

"im a guy and my ex gf wont leave me alone, can men even be stalked": the intent classifier
reads the account ("check what is happening to me") and the bot started the warning-signs
check; the question was never answered.  Such a message is read here as clauses (split at
punctuation and at "and", "but", "so"); it asks something when one of its clauses is in
question form, read by the patterns the forms already use for a question
(``data/form_reading.yml``: ``question_aux``, ``question_wh_verb``; a clause that ends
with "?") and one more for a clause that opens with a modal or present auxiliary before its subject
(``passing_question``: "can men even be stalked", "should i tell his mum"), which a story's
clause does not do ("did the same thing" and "was there again" drop their subject and are
left alone).  The honesty gate (:mod:`nlu.components.topic_gate`) decides whether the
knowledge base can answer it.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

READING = Path(__file__).resolve().parents[2] / "data" / "form_reading.yml"
KEYS = ("question_aux", "question_wh_verb", "passing_question")
# where a clause ends: punctuation, or a joining word between two clauses
CLAUSES = re.compile(r"([,.;:!?]+)\s*|\s+(?:and|but|so)\s+", re.IGNORECASE)


@cache
def _pattern(key: str) -> re.Pattern[str]:
    """One list of data/form_reading.yml as one pattern (any of them)."""
    raw = yaml.safe_load(READING.read_text("utf-8"))
    return re.compile("|".join(f"(?:{p})" for p in raw[key]), re.IGNORECASE)


def _patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(_pattern(key) for key in KEYS)


def clauses(text: str) -> list[tuple[str, bool]]:
    """(clause, whether it ended with "?") for each clause of ``text``."""
    words = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    pieces = CLAUSES.split(words)  # text, punctuation (or None), text, ...
    found = []
    for i in range(0, len(pieces), 2):
        part = (pieces[i] or "").strip()
        after = pieces[i + 1] if i + 1 < len(pieces) else None
        if part:
            found.append((part, "?" in (after or "")))
    return found


def asks(text: str) -> bool:
    """The whole message is in question form (one clause or more): it ends with "?", or it opens
    as a question does ("how do i get one", "can i do that online")."""
    text = text.strip()
    if not text or text.startswith("/"):
        return False
    if text.endswith("?"):
        return True
    words = re.sub(r"\s+", " ", text.replace("’", "'")).lower()
    return any(p.match(words) for p in (*_patterns(), _pattern("question_start")))


def of_the_person(text: str) -> bool:
    """The words speak of the person themselves ("me", "I"), not only of someone else
    (``first_person`` in data/form_reading.yml)."""
    return bool(_pattern("first_person").search(re.sub(r"\s+", " ", text.replace("’", "'")).strip()))


def asks_too(text: str) -> bool:
    """Two clauses or more, and one of them a question."""
    if text.lstrip().startswith("/"):
        return False
    parts = clauses(text)
    if len(parts) < 2:
        return False
    return any(asked or any(p.match(part) for p in _patterns()) for part, asked in parts)
