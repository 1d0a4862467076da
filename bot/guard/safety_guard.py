"""The safety guard itself: :class:`SafetyGuard` and the :class:`Alert` it returns.

It puts the parts together: the message is read (:mod:`bot.guard.reading`),
the rules and vetoes compiled from ``data/safety_guard.yml``
(:mod:`bot.guard.rules`, :mod:`bot.guard.patterns`) are tried on it, and the
semantic layer (:mod:`bot.guard.semantic`) reads what the vetoes leave it.
How the whole works and why: :mod:`bot.guard`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.guard.patterns import SafetyGuardConfigError
from bot.guard.reading import Reader, is_user_text
from bot.guard.rules import DANGER, RuleBook
from bot.guard.semantic import SemanticGate, SemanticLayer, load_semantic

logger = logging.getLogger("bot.guard")

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "safety_guard.yml"


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


class SafetyGuard:
    """Decides whether a message signals danger now or a crisis (rules, then the semantic layer)."""

    def __init__(self, config: Mapping[str, Any], semantic: SemanticLayer | None = None) -> None:
        """Build the guard from the parsed YAML (see ``data/safety_guard.yml``).

        Raises :class:`SafetyGuardConfigError` (a ``ValueError``) naming the
        rule and pattern at fault, so a bad edit fails at start-up, loudly.
        """
        if not isinstance(config, Mapping):
            raise SafetyGuardConfigError("safety guard config must be a mapping")
        self._reader = Reader(config)
        self._book = RuleBook(config)
        self._gate = SemanticGate(config, self._reader, self._book)
        self.semantic = semantic
        logger.info("safety guard loaded: %d danger rules, %d crisis rules, %d vetoes, semantic layer %s",
                    len(self._book.danger), len(self._book.crisis), len(self._book.vetoes),
                    "on" if semantic else "off")

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
        return cls(config or {}, semantic=load_semantic(semantic))

    @property
    def rule_names(self) -> tuple[str, ...]:
        """The danger rule names, in the order they are tried."""
        return tuple(r.name for r in self._book.danger)

    @property
    def crisis_rule_names(self) -> tuple[str, ...]:
        """The crisis rule names, in the order they are tried."""
        return tuple(r.name for r in self._book.crisis)

    def match(self, text: str) -> str | None:
        """Return the name of the danger rule ``text`` triggers, or ``None``.

        Rules layer only (route ``"danger"``).  Never returns or logs any part of ``text``.
        """
        if not is_user_text(text):
            return None
        rule = self._book.scan(self._reader.read(text), self._book.danger)
        return rule.name if rule else None

    def assess(self, text: str) -> Alert | None:
        """The route the first reply must take, or ``None`` for an ordinary message.

        Danger first (rules, then the semantic layer), then the crisis routes
        (rules, then the semantic layer).  Never returns or logs any part of ``text``.
        """
        if not is_user_text(text):
            return None
        sentences = self._reader.read(text)
        rule = self._book.scan(sentences, self._book.danger)
        if rule is not None:
            return Alert(DANGER, rule.name, "rules")
        semantic = self._gate.route(self.semantic, text, sentences)
        if semantic is not None and semantic[0] == DANGER:
            return Alert(DANGER, semantic[1], "semantic")
        rule = self._book.scan(sentences, self._book.crisis)
        if rule is not None:
            return Alert(rule.route, rule.name, "rules")
        if semantic is not None:
            return Alert(semantic[0], semantic[1], "semantic")
        return None

    def assess_rules(self, text: str) -> Alert | None:
        """:meth:`assess` with the rules layer only (for evaluation)."""
        if not is_user_text(text):
            return None
        sentences = self._reader.read(text)
        for rules in (self._book.danger, self._book.crisis):
            rule = self._book.scan(sentences, rules)
            if rule is not None:
                return Alert(rule.route, rule.name, "rules")
        return None

    def semantic_route(self, text: str) -> tuple[str, str] | None:
        """The semantic layer's (route, label), after the suppressing vetoes (for evaluation)."""
        if not is_user_text(text):
            return None
        return self._gate.route(self.semantic, text, self._reader.read(text))

    def signals_danger(self, text: str) -> bool:
        """True when ``text`` says someone is in danger now (``match(text) is not None``)."""
        return self.match(text) is not None
