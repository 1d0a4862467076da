"""Safety guard: does this message say someone is in danger NOW, or in a crisis?

Every user message goes through :class:`SafetyGuard` before the dialogue engine.
:meth:`SafetyGuard.assess` returns an :class:`Alert` naming the ROUTE the
first reply must take (``"danger"``: call 999 now; or a crisis route:
``"suicide"``, ``"sexual_violence"``, ``"child"``, ``"domestic_abuse"``,
``"lethal_risk"``), the rule that decided, and the LAYER that decided:

* ``"rules"``: the deterministic patterns of ``data/safety_guard.yml``
  (described below), read on a normalised text (look-alike characters,
  invisible characters and digits-for-letters folded: :mod:`bot.textnorm`);
* ``"semantic"``: sentence embeddings and a small classifier
  (:mod:`bot.guard_semantic`), for paraphrases no rule names.  It only ever
  ADDS an alert; it never silences the rules.

Precedence: danger (rules, then semantic) before any crisis route; among the
crisis routes, the order of ``routes`` in the YAML file.
:meth:`SafetyGuard.match` is the older, narrower question: the name of the
danger rule that fires (rules layer only), or ``None``.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.textnorm import fold_digits, fold_lookalikes

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "safety_guard.yml"

# Telegram messages are at most 4096 characters, but the console and other
# channels have no such limit: the whole message is read (a danger sentence
# at character 5000 still fires).  Past MAX_CHARS only the last MAX_CHARS
# characters are read as well, so a huge paste cannot hold up the bot.
MAX_CHARS = 65536

DANGER = "danger"
CRISIS_ROUTES = ("lethal_risk", "suicide", "sexual_violence", "child", "domestic_abuse")
ROUTES = (DANGER, *CRISIS_ROUTES)
_RULE_SCOPES = ("clause", "sentence")


@dataclass(frozen=True)
class Alert:
    """What the first reply must be about.

    ``route``: one of :data:`ROUTES`; ``rule``: the rule (rules layer) or the
    classifier label (semantic layer) that decided, never the user's words;
    ``layer``: ``"rules"`` or ``"semantic"``.
    """

    route: str
    rule: str
    layer: str


class SemanticLayer(Protocol):
    """What the guard needs from the semantic layer (see :mod:`bot.guard_semantic`)."""

    def classify(self, text: str) -> tuple[str, str] | None:
        """``(route, label)`` for an alert, or ``None``."""

    def classify_many(self, texts: Sequence[str]) -> tuple[str, str] | None:
        """The alert for the worst of several texts (the candidate sentences of one message)."""

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
    route: str = DANGER
    scope: str = "clause"
    exempt: frozenset[str] = frozenset()
    # One alternation of all the patterns: one search a clause instead of one per pattern.
    _combined: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        combined = re.compile("|".join(f"(?:{p.pattern})" for p in self.patterns), re.IGNORECASE)
        object.__setattr__(self, "_combined", combined)

    def search(self, clause: str) -> bool:
        return self._combined.search(clause) is not None


@dataclass(frozen=True)
class _Veto:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    scope: str
    now_overrides: bool
    applies_to: frozenset[str] | None

    def search(self, clause: str) -> bool:
        return any(p.search(clause) for p in self.patterns)

    def covers(self, rule: _Rule) -> bool:
        if self.name in rule.exempt:
            return False
        return self.applies_to is None or rule.name in self.applies_to


class SafetyGuard:
    """Decides whether a message signals danger now or a crisis (rules, then the semantic layer)."""

    def __init__(self, config: Mapping[str, Any], semantic: SemanticLayer | None = None) -> None:
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
            _rule(name, entry, f"danger rule {name!r}", macros, DANGER)
            for name, entry in _named(config.get("danger"), "danger")
        )
        if not self._rules:
            raise SafetyGuardConfigError("safety guard config has no danger rules")
        crisis = []
        for name, entry in _named(config.get("crisis") or [], "crisis"):
            route = entry.get("route")
            if route not in CRISIS_ROUTES:
                raise SafetyGuardConfigError(f"crisis rule {name!r}: route must be one of {CRISIS_ROUTES}")
            crisis.append(_rule(name, entry, f"crisis rule {name!r}", macros, route))
        # Crisis rules are tried route by route, in the order of CRISIS_ROUTES.
        self._crisis: tuple[_Rule, ...] = tuple(
            sorted(crisis, key=lambda r: CRISIS_ROUTES.index(r.route))
        )
        names = {r.name for r in (*self._rules, *self._crisis)}
        if len(names) != len(self._rules) + len(self._crisis):
            raise SafetyGuardConfigError("danger and crisis rule names must all be different")

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
        veto_names = {v.name for v in vetoes}
        for rule in (*self._rules, *self._crisis):
            unknown_vetoes = rule.exempt - veto_names
            if unknown_vetoes:
                raise SafetyGuardConfigError(
                    f"rule {rule.name!r}: exempt_from names unknown vetoes {sorted(unknown_vetoes)}"
                )
        self._sentence_vetoes = tuple(v for v in vetoes if v.scope == "rest_of_sentence")
        self._keep_words = frozenset(k for k in self._words if any(ch.isdigit() for ch in k))
        suppressed = (config.get("semantic") or {}).get("suppressed_by") or []
        unknown = set(suppressed) - veto_names
        if unknown:
            raise SafetyGuardConfigError(f"semantic.suppressed_by names unknown vetoes {sorted(unknown)}")
        self._semantic_suppressors = tuple(v for v in vetoes if v.name in set(suppressed))
        self._semantic_min_words = int((config.get("semantic") or {}).get("min_words") or 1)
        danger_only = (config.get("semantic") or {}).get("danger_suppressed_by") or []
        unknown = set(danger_only) - veto_names
        if unknown:
            raise SafetyGuardConfigError(
                f"semantic.danger_suppressed_by names unknown vetoes {sorted(unknown)}"
            )
        self._semantic_danger_suppressors = tuple(v for v in vetoes if v.name in set(danger_only))
        self.semantic = semantic
        logger.info("safety guard loaded: %d danger rules, %d crisis rules, %d vetoes, semantic layer %s",
                    len(self._rules), len(self._crisis), len(self._vetoes), "on" if semantic else "off")

    @classmethod
    def from_file(cls, path: Path | None = None, *, semantic: bool | None = None) -> SafetyGuard:
        """Load the guard from ``path`` (default: ``<repo>/data/safety_guard.yml``).

        ``semantic``: ``True`` loads the semantic layer (and raises if it
        cannot); ``False`` leaves it off; ``None`` (the default) loads it
        unless ``SAFETY_GUARD_SEMANTIC=0`` is set, and falls back to the rules
        alone, with a warning in the log, if the model cannot be loaded.
        """
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise SafetyGuardConfigError(f"{path}: not valid YAML: {error}") from error
        return cls(config or {}, semantic=_load_semantic(semantic))

    @property
    def rule_names(self) -> tuple[str, ...]:
        """The danger rule names, in the order they are tried."""
        return tuple(r.name for r in self._rules)

    @property
    def crisis_rule_names(self) -> tuple[str, ...]:
        """The crisis rule names, in the order they are tried."""
        return tuple(r.name for r in self._crisis)

    def match(self, text: str) -> str | None:
        """Return the name of the danger rule ``text`` triggers, or ``None``.

        Rules layer only (route ``"danger"``).  Never returns or logs any part of ``text``.
        """
        if not _is_user_text(text):
            return None
        rule = self._scan(self._read(text), self._rules)
        return rule.name if rule else None

    def assess(self, text: str) -> Alert | None:
        """The route the first reply must take, or ``None`` for an ordinary message.

        Danger first (rules, then the semantic layer), then the crisis routes
        (rules, then the semantic layer).  Never returns or logs any part of ``text``.
        """
        if not _is_user_text(text):
            return None
        sentences = self._read(text)
        rule = self._scan(sentences, self._rules)
        if rule is not None:
            return Alert(DANGER, rule.name, "rules")
        semantic = self._semantic(text, sentences)
        if semantic is not None and semantic[0] == DANGER:
            return Alert(DANGER, semantic[1], "semantic")
        rule = self._scan(sentences, self._crisis)
        if rule is not None:
            return Alert(rule.route, rule.name, "rules")
        if semantic is not None:
            return Alert(semantic[0], semantic[1], "semantic")
        return None

    def assess_rules(self, text: str) -> Alert | None:
        """:meth:`assess` with the rules layer only (for evaluation)."""
        if not _is_user_text(text):
            return None
        sentences = self._read(text)
        for rules in (self._rules, self._crisis):
            rule = self._scan(sentences, rules)
            if rule is not None:
                return Alert(rule.route, rule.name, "rules")
        return None

    def semantic_route(self, text: str) -> tuple[str, str] | None:
        """The semantic layer's (route, label), after the suppressing vetoes (for evaluation)."""
        if not _is_user_text(text):
            return None
        return self._semantic(text, self._read(text))

    def _semantic(self, text: str, sentences: list[list[str]]) -> tuple[str, str] | None:
        if self.semantic is None:
            return None
        candidates = self._semantic_candidates(text, sentences)
        if not candidates:
            return None
        try:
            found = self.semantic.classify_many(candidates)
            if found is not None and found[0] == DANGER and self._semantic_danger_suppressors:
                danger_vetoes = self._semantic_danger_suppressors
                if any(v.search(c) for clauses in sentences for c in clauses for v in danger_vetoes):
                    return None
            return found
        except Exception as error:  # noqa: BLE001 - the rules must answer whatever the model does
            # The type only: a traceback or an error's message could carry the user's words.
            logger.error("semantic guard layer failed (%s); rules only for this message",
                         type(error).__name__)
            return None

    def _semantic_candidates(self, text: str, sentences: list[list[str]]) -> list[str]:
        """What the semantic layer may read: the message; or, when a suppressing veto (a
        negation, the past, a hypothetical, a topic question) is in it, its other
        sentences on their own.  A long message is read whole (in windows)."""
        words = len(text.split())
        if words < self._semantic_min_words:
            return []
        if words > 60:
            return [text]
        if not self._suppressed(sentences):
            return [text]
        # Suppressed somewhere: read the other sentences on their own.
        parts = [p for p in self._sentence_split.split(text) if len(p.split()) >= 2]
        if len(parts) < 2:
            return []
        return [p for p in parts[:6] if not self._suppressed(list(self._sentences(p)))]

    def _suppressed(self, sentences: list[list[str]]) -> bool:
        suppressors = self._semantic_suppressors
        return any(v.search(clause) for clauses in sentences for clause in clauses for v in suppressors)

    def _read(self, text: str) -> list[list[str]]:
        """The message as sentences of normalised clauses (the whole message, see MAX_CHARS)."""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS] + "\n" + text[-MAX_CHARS:]
        return list(self._sentences(text))

    def _scan(self, sentences: list[list[str]], rules: tuple[_Rule, ...]) -> _Rule | None:
        """The first of ``rules`` that fires, unvetoed, anywhere in the message."""
        if not rules:
            return None
        quiet: set[str] = set()
        for clauses in sentences:
            carried: list[_Veto] = []  # rest_of_sentence vetoes from earlier clauses
            whole = " ".join(clauses)
            sentence_vetoes: list[_Veto] | None = None
            for clause in clauses:
                vetoes: list[_Veto] | None = None  # worked out only if a rule matches
                if clause in quiet:  # the same clause again (a pasted, repeated text)
                    carried.extend(v for v in self._sentence_vetoes if v.search(clause))
                    continue
                for rule in rules:
                    if rule.scope != "clause" or not rule.search(clause):
                        continue
                    if vetoes is None:
                        vetoes = self._vetoes_for(clause, carried)
                    if not any(v.covers(rule) for v in vetoes):
                        return rule
                if vetoes is None:
                    quiet.add(clause)  # no rule matched it: none will next time either
                carried.extend(v for v in self._sentence_vetoes if v.search(clause))
            for rule in rules:
                if rule.scope != "sentence" or not rule.search(whole):
                    continue
                if sentence_vetoes is None:
                    sentence_vetoes = self._vetoes_for(whole, [])
                if not any(v.covers(rule) for v in sentence_vetoes):
                    return rule
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
        text = fold_lookalikes(text, digits=False).translate(_APOSTROPHES)
        text = fold_digits(text, keep=self._keep_words)
        for symbol, word in self._symbols:
            text = text.replace(symbol, word)
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


def _is_user_text(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and not _PAYLOAD.match(text.strip())


def _rule(name: str, entry: Mapping[str, Any], where: str, macros: Mapping[str, str], route: str) -> _Rule:
    scope = entry.get("scope", "clause")
    if scope not in _RULE_SCOPES:
        raise SafetyGuardConfigError(f"{where}: scope must be one of {_RULE_SCOPES}")
    exempt = entry.get("exempt_from") or []
    if not isinstance(exempt, list):
        raise SafetyGuardConfigError(f"{where}: exempt_from must be a list of veto names")
    return _Rule(name, _patterns(entry, where, macros), route, scope, frozenset(map(str, exempt)))


def _load_semantic(wanted: bool | None) -> SemanticLayer | None:
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
