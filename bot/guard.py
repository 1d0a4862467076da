"""Deterministic safety guard: does this message say someone is in danger NOW?

Every user message goes through :class:`SafetyGuard` before the dialogue engine.
When it fires, the bot answers "call 999 now" first, whatever the engine says.

Why a guard as well as Rasa's ``emergency`` intent:

* it is a deterministic floor under the statistical model: a message that says
  "he's outside my house" always gets the 999 answer, whatever the model's
  confidence, training data or version;
* it is pure Python (standard library and PyYAML), fast (well under a
  millisecond a message) and loaded once, so it still works when Rasa is down,
  slow or still starting;
* every phrase, pattern, typo fix and exclusion lives in
  ``data/safety_guard.yml``, so a police force or charity deploying the bot can
  tune it without touching code.  That file also explains how a message is
  read, step by step.

The guard returns the NAME of the rule that fired (for example
``"someone_here_now"``), never the user's words, and it logs nothing about a
message: what people tell this bot is sensitive.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "safety_guard.yml"

# Telegram messages are at most 4096 characters; anything past that is ignored.
MAX_CHARS = 4096

_SCOPES = ("clause", "rest_of_sentence")
_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
# ' and its look-alikes: right/left single quote, modifier apostrophe, backtick,
# acute accent, prime.  They are dropped: "he’s" -> "hes".
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc`\u00b4\u2032"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
# A slash command or a button payload ("/start", "/inform{...}"): not user words.
_PAYLOAD = re.compile(r"^/[A-Za-z_][A-Za-z0-9_]*(?:@\w+)?(?:\{.*\})?$", re.DOTALL)


class SafetyGuardConfigError(ValueError):
    """``safety_guard.yml`` is missing something or has a pattern that does not compile."""


@dataclass(frozen=True)
class _Rule:
    name: str
    patterns: tuple[re.Pattern[str], ...]

    def search(self, clause: str) -> bool:
        return any(p.search(clause) for p in self.patterns)


@dataclass(frozen=True)
class _Veto:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    scope: str
    now_overrides: bool
    applies_to: frozenset[str] | None

    def search(self, clause: str) -> bool:
        return any(p.search(clause) for p in self.patterns)

    def covers(self, rule_name: str) -> bool:
        return self.applies_to is None or rule_name in self.applies_to


class SafetyGuard:
    """Decides, without any model, whether a message signals danger now."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        """Build the guard from the parsed YAML (see ``data/safety_guard.yml``).

        Raises :class:`SafetyGuardConfigError` (a ``ValueError``) naming the
        rule and pattern at fault, so a bad edit fails at start-up, loudly.
        """
        if not isinstance(config, Mapping):
            raise SafetyGuardConfigError("safety guard config must be a mapping")
        normalise = config.get("normalise") or {}
        self._symbols = [(k, f" {v} ") for k, v in _str_map(normalise, "symbols").items()]
        self._words = _str_map(normalise, "words")
        self._phrase_map = _str_map(normalise, "phrases")
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
        self._sentence_split = _compile(split.get("sentences", r"[.!?;\n\r]+"), "split.sentences")
        self._fragment_split = _compile(split.get("fragments", r","), "split.fragments")
        self._clause_split = _compile(split.get("clauses", r"(?!x)x"), "split.clauses")

        macros = _word_list_macros(config.get("word_lists") or {})
        macros = _expand_macros(config.get("macros") or {}, macros)
        self._now = tuple(
            _compile(p, f"now_markers[{i}]", macros) for i, p in enumerate(config.get("now_markers") or [])
        )

        self._rules: tuple[_Rule, ...] = tuple(
            _Rule(name, _patterns(entry, f"danger rule {name!r}", macros))
            for name, entry in _named(config.get("danger"), "danger")
        )
        if not self._rules:
            raise SafetyGuardConfigError("safety guard config has no danger rules")
        names = {r.name for r in self._rules}

        vetoes = []
        for name, entry in _named(config.get("not_danger") or [], "not_danger"):
            where = f"not_danger rule {name!r}"
            scope = entry.get("scope", "clause")
            if scope not in _SCOPES:
                raise SafetyGuardConfigError(f"{where}: scope must be one of {_SCOPES}")
            applies = entry.get("applies_to")
            if applies is not None:
                unknown = set(applies) - names
                if unknown:
                    raise SafetyGuardConfigError(f"{where}: applies_to names unknown rules {sorted(unknown)}")
                applies = frozenset(applies)
            vetoes.append(
                _Veto(
                    name,
                    _patterns(entry, where, macros),
                    scope,
                    bool(entry.get("now_overrides", False)),
                    applies,
                )
            )
        self._vetoes = tuple(vetoes)
        self._sentence_vetoes = tuple(v for v in vetoes if v.scope == "rest_of_sentence")
        logger.info("safety guard loaded: %d danger rules, %d vetoes", len(self._rules), len(self._vetoes))

    @classmethod
    def from_file(cls, path: Path | None = None) -> SafetyGuard:
        """Load the guard from ``path`` (default: ``<repo>/data/safety_guard.yml``)."""
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise SafetyGuardConfigError(f"{path}: not valid YAML: {error}") from error
        return cls(config or {})

    @property
    def rule_names(self) -> tuple[str, ...]:
        """The danger rule names, in the order they are tried."""
        return tuple(r.name for r in self._rules)

    def match(self, text: str) -> str | None:
        """Return the name of the danger rule ``text`` triggers, or ``None``.

        Never returns or logs any part of ``text``.
        """
        if not isinstance(text, str) or not text.strip() or _PAYLOAD.match(text.strip()):
            return None
        for clauses in self._sentences(text):
            carried: list[_Veto] = []  # rest_of_sentence vetoes from earlier clauses
            for clause in clauses:
                vetoes: list[_Veto] | None = None  # worked out only if a rule matches
                for rule in self._rules:
                    if not rule.search(clause):
                        continue
                    if vetoes is None:
                        vetoes = self._vetoes_for(clause, carried)
                    if not any(v.covers(rule.name) for v in vetoes):
                        return rule.name
                carried.extend(v for v in self._sentence_vetoes if v.search(clause))
        return None

    def signals_danger(self, text: str) -> bool:
        """True when ``text`` says someone is in danger now (``match(text) is not None``)."""
        return self.match(text) is not None

    def _vetoes_for(self, clause: str, carried: list[_Veto]) -> list[_Veto]:
        """The vetoes in force for ``clause`` (a "now" lifts the now_overrides ones)."""
        now = any(p.search(clause) for p in self._now)
        found = [*carried, *(v for v in self._vetoes if v.search(clause))]
        return [v for v in found if not (now and v.now_overrides)]

    # -- reading a message --------------------------------------------------

    def _sentences(self, text: str) -> Iterable[list[str]]:
        """Yield each sentence of ``text`` as its list of normalised clauses."""
        text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
        for symbol, word in self._symbols:
            text = text.replace(symbol, word)
        text = text.translate(_APOSTROPHES)
        for sentence in self._sentence_split.split(text):
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


# -- helpers ----------------------------------------------------------------


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


def _word_list_macros(raw: Mapping[str, Any]) -> dict[str, str]:
    """Turn each word list into a macro: a group matching exactly those words.

    The group is built as a trie (``(?:h(?:e|im)|s(?:he|omeone))``) rather than
    a flat list, so a failing match costs a letter or two, not one try per word.
    """
    macros: dict[str, str] = {}
    for name, words in raw.items():
        if not _MACRO.fullmatch("{" + str(name) + "}"):
            raise SafetyGuardConfigError(f"word list {name!r}: name must be UPPER_CASE")
        if not isinstance(words, list) or not words:
            raise SafetyGuardConfigError(f"word list {name!r}: must be a non-empty list of words")
        for word in words:
            if isinstance(word, bool) or not isinstance(word, str | int):
                raise SafetyGuardConfigError(
                    f"word list {name!r}: {word!r} is not a word (quote yes/no/on/off in YAML)"
                )
        macros[str(name)] = _trie_pattern([" ".join(str(w).lower().split()) for w in words])
    return macros


def _trie_pattern(words: Iterable[str]) -> str:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?" if len(branches) == 1 else body + "?"
        return body

    return "(?:" + build(trie) + ")"


def _expand_macros(raw: Mapping[str, Any], macros: dict[str, str]) -> dict[str, str]:
    """Expand ``{NAME}`` references in macros (to word lists and earlier macros)."""
    for name, value in raw.items():
        if not isinstance(value, str) or not _MACRO.fullmatch("{" + str(name) + "}"):
            raise SafetyGuardConfigError(f"macro {name!r}: name must be UPPER_CASE and value a string")
        if name in macros:
            raise SafetyGuardConfigError(f"macro {name!r}: also defined as a word list")
        macros[str(name)] = _substitute(value, macros, f"macro {name!r}")
    return macros


def _substitute(pattern: str, macros: Mapping[str, str], where: str) -> str:
    def replace(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in macros:
            raise SafetyGuardConfigError(f"{where}: unknown macro {{{name}}}")
        return macros[name]

    return _MACRO.sub(replace, pattern)


def _compile(pattern: Any, where: str, macros: Mapping[str, str] | None = None) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise SafetyGuardConfigError(f"{where}: pattern must be a non-empty string")
    try:
        return re.compile(_substitute(pattern, macros or {}, where), re.IGNORECASE)
    except re.error as error:
        raise SafetyGuardConfigError(f"{where}: pattern does not compile: {error}") from error


def _named(entries: Any, section: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    if not isinstance(entries, list):
        raise SafetyGuardConfigError(f"{section}: must be a list of rules")
    seen: set[str] = set()
    for entry in entries:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name:
            raise SafetyGuardConfigError(f"{section}: every rule needs a name")
        if name in seen:
            raise SafetyGuardConfigError(f"{section}: rule {name!r} appears twice")
        seen.add(name)
        yield name, entry


def _str_map(section: Mapping[str, Any], key: str) -> dict[str, str]:
    raw = section.get(key) or {}
    if not isinstance(raw, Mapping):
        raise SafetyGuardConfigError(f"normalise.{key}: must be a mapping")
    return {str(k).lower(): str(v).lower() for k, v in raw.items()}


def _patterns(entry: Mapping[str, Any], where: str, macros: Mapping[str, str]) -> tuple[re.Pattern[str], ...]:
    patterns = entry.get("patterns")
    if not isinstance(patterns, list) or not patterns:
        raise SafetyGuardConfigError(f"{where}: needs a non-empty list of patterns")
    return tuple(_compile(p, f"{where}, pattern {i + 1}", macros) for i, p in enumerate(patterns))
