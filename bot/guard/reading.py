"""Reading a message: sentences of normalised clauses, as ``data/safety_guard.yml`` describes.

Look-alike characters, invisible characters and digits-for-letters are folded
(:mod:`bot.textnorm`), apostrophes dropped, symbols spelt out; then each
sentence is split into fragments and clauses, whose words are lower-cased,
stripped of repeated letters ("heeelp"), mapped through the ``words`` and
``phrases`` tables and corrected for one typing slip ("folowing").
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from bot.guard.patterns import compile_pattern, str_map
from bot.textnorm import fold_digits, fold_lookalikes

# Telegram messages are at most 4096 characters, but the console and other
# channels have no such limit: the whole message is read (a danger sentence
# at character 5000 still fires).  Past MAX_CHARS only the last MAX_CHARS
# characters are read as well, so a huge paste cannot hold up the bot.
MAX_CHARS = 65536

# ' and its look-alikes: right/left single quote, modifier apostrophe, backtick,
# acute accent, prime.  They are dropped: "he’s" -> "hes".
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc`\u00b4\u2032"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
# A slash command or a button payload ("/start", "/inform{...}"): not user words.
_PAYLOAD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*(?:@\w+)?(?:\{.*\})?$", re.DOTALL)


def is_user_text(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and not _PAYLOAD.match(text.strip())


class Reader:
    """The ``normalise`` and ``split`` sections of ``safety_guard.yml``, applied to a message."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        normalise = config.get("normalise") or {}
        self._symbols = [(k, f" {v} ") for k, v in str_map(normalise, "symbols").items()]
        self._words = str_map(normalise, "words")
        self._phrase_map = str_map(normalise, "phrases")
        self._phrases = None
        if self._phrase_map:
            longest_first = sorted(self._phrase_map, key=len, reverse=True)
            self._phrases = re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b")
        fuzzy = normalise.get("fuzzy") or {}
        self._fuzzy = _one_slip_map(
            [str(w).lower() for w in fuzzy.get("words") or []],
            {str(w).lower() for w in fuzzy.get("ignore") or []},
        )

        split = config.get("split") or {}
        self.sentence_split = compile_pattern(split.get("sentences", r"[.!?;\n\r]+"), "split.sentences")
        self._fragment_split = compile_pattern(split.get("fragments", r","), "split.fragments")
        self._clause_split = compile_pattern(split.get("clauses", r"(?!x)x"), "split.clauses")
        self._keep_words = frozenset(k for k in self._words if any(ch.isdigit() for ch in k))

    def read(self, text: str) -> list[list[str]]:
        """The message as sentences of normalised clauses (the whole message, see MAX_CHARS)."""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS] + "\n" + text[-MAX_CHARS:]
        return list(self.sentences(text))

    def sentences(self, text: str) -> Iterable[list[str]]:
        """Yield each sentence of ``text`` as its list of normalised clauses."""
        text = fold_lookalikes(text, digits=False).translate(_APOSTROPHES)
        text = fold_digits(text, keep=self._keep_words)
        for symbol, word in self._symbols:
            text = text.replace(symbol, word)
        for sentence in self.sentence_split.split(text):
            clauses: list[str] = []
            for fragment in self._fragment_split.split(sentence):
                words = self._normalise_words(fragment or "")
                if words:
                    parts = self._clause_split.split(words)
                    clauses.extend(c.strip() for c in parts if c and c.strip())
            if clauses:
                yield _glue_single_words(clauses)

    def _normalise_words(self, fragment: str) -> str:
        fragment = _LETTER_RUN.sub(r"\1", _NOT_WORD.sub(" ", fragment))
        out = []
        for token in fragment.split():
            replacement = self._words.get(token)
            if replacement is None:
                replacement = self._fuzzy.get(token, token)
            out.append(replacement)
        words = " ".join(" ".join(out).split())
        if self._phrases is not None:
            words = self._phrases.sub(lambda found: self._phrase_map[found.group(0)], words)
        return words


def _glue_single_words(clauses: list[str]) -> list[str]:
    """Join a one-word clause to the next one ("please, help" -> "please help")."""
    glued: list[str] = []
    pending = ""
    for clause in clauses:
        clause = f"{pending} {clause}".strip() if pending else clause
        if " " not in clause:
            pending = clause
            continue
        pending = ""
        glued.append(clause)
    if pending:
        glued.append(pending)
    return glued


def _one_slip_map(words: list[str], ignore: set[str]) -> dict[str, str]:
    """Map every string one typing slip away from ``words`` to that word.

    A slip is one letter deleted, inserted, replaced, or two neighbours
    swapped.  Real words listed in ``ignore`` (and the target words
    themselves) are left alone; strings shorter than 4 letters are skipped.
    """
    targets = set(words)
    mapping: dict[str, str] = {}
    for word in words:
        for variant in _one_slip(word):
            if len(variant) >= 4 and variant not in targets and variant not in ignore:
                mapping.setdefault(variant, word)
    return mapping


def _one_slip(word: str) -> set[str]:
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | swaps | replaces | inserts
