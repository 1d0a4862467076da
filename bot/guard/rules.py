"""The danger and crisis rules, the vetoes, and which rule fires on a read message.

A rule fires on a clause (or, with ``scope: sentence``, on a whole sentence; with
``scope: message``, on the whole message read as one)
unless a veto in force covers it: a negation, the past told as a story, a
hypothetical, a topic question.  A ``rest_of_sentence`` veto also holds for the
clauses after it, and a "now" marker lifts the vetoes marked ``now_overrides``.
The rules are tried in order; crisis rules route by route, in the order of
:data:`CRISIS_ROUTES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.guard.patterns import (
    SafetyGuardConfigError,
    compile_pattern,
    expand_macros,
    named,
    patterns,
    word_list_macros,
)

DANGER = "danger"
CRISIS_ROUTES = ("lethal_risk", "suicide", "sexual_violence", "child", "domestic_abuse")
ROUTES = (DANGER, *CRISIS_ROUTES)
_RULE_SCOPES = ("clause", "sentence", "message")
_SCOPES = ("clause", "rest_of_sentence")


@dataclass(frozen=True)
class Rule:
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
class Veto:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    scope: str
    now_overrides: bool
    applies_to: frozenset[str] | None

    def search(self, clause: str) -> bool:
        return any(p.search(clause) for p in self.patterns)

    def covers(self, rule: Rule) -> bool:
        if self.name in rule.exempt:
            return False
        return self.applies_to is None or rule.name in self.applies_to


class RuleBook:
    """The rules, vetoes and "now" markers of ``safety_guard.yml``, compiled and cross-checked."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        macros = word_list_macros(config.get("word_lists") or {})
        macros = expand_macros(config.get("macros") or {}, macros)
        self._now = tuple(
            compile_pattern(p, f"now_markers[{i}]", macros)
            for i, p in enumerate(config.get("now_markers") or [])
        )

        self.danger: tuple[Rule, ...] = tuple(
            _rule(name, entry, f"danger rule {name!r}", macros, DANGER)
            for name, entry in named(config.get("danger"), "danger")
        )
        if not self.danger:
            raise SafetyGuardConfigError("safety guard config has no danger rules")
        crisis = []
        for name, entry in named(config.get("crisis") or [], "crisis"):
            route = entry.get("route")
            if route not in CRISIS_ROUTES:
                raise SafetyGuardConfigError(f"crisis rule {name!r}: route must be one of {CRISIS_ROUTES}")
            crisis.append(_rule(name, entry, f"crisis rule {name!r}", macros, route))
        # Crisis rules are tried route by route, in the order of CRISIS_ROUTES.
        self.crisis: tuple[Rule, ...] = tuple(
            sorted(crisis, key=lambda r: CRISIS_ROUTES.index(r.route))
        )
        names = {r.name for r in (*self.danger, *self.crisis)}
        if len(names) != len(self.danger) + len(self.crisis):
            raise SafetyGuardConfigError("danger and crisis rule names must all be different")

        vetoes = []
        for name, entry in named(config.get("not_danger") or [], "not_danger"):
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
                Veto(
                    name,
                    patterns(entry, where, macros),
                    scope,
                    bool(entry.get("now_overrides", False)),
                    applies,
                )
            )
        self.vetoes = tuple(vetoes)
        veto_names = {v.name for v in vetoes}
        for rule in (*self.danger, *self.crisis):
            unknown_vetoes = rule.exempt - veto_names
            if unknown_vetoes:
                raise SafetyGuardConfigError(
                    f"rule {rule.name!r}: exempt_from names unknown vetoes {sorted(unknown_vetoes)}"
                )
        self._sentence_vetoes = tuple(v for v in vetoes if v.scope == "rest_of_sentence")

    def vetoes_named(self, names: Any, where: str) -> tuple[Veto, ...]:
        """The vetoes ``names`` lists (``where``: the config key, for the error)."""
        wanted = set(names)
        unknown = wanted - {v.name for v in self.vetoes}
        if unknown:
            raise SafetyGuardConfigError(f"{where} names unknown vetoes {sorted(unknown)}")
        return tuple(v for v in self.vetoes if v.name in wanted)

    def scan(self, sentences: list[list[str]], rules: tuple[Rule, ...]) -> Rule | None:
        """The first of ``rules`` that fires, unvetoed, anywhere in the message."""
        if not rules:
            return None
        quiet: set[str] = set()
        for clauses in sentences:
            carried: list[Veto] = []  # rest_of_sentence vetoes from earlier clauses
            whole = " ".join(clauses)
            sentence_vetoes: list[Veto] | None = None
            for clause in clauses:
                vetoes: list[Veto] | None = None  # worked out only if a rule matches
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
        message: str | None = None
        for rule in rules:  # "scope: message": the whole message, read as one (a bare "scared")
            if rule.scope != "message":
                continue
            if message is None:
                message = " ".join(" ".join(clauses) for clauses in sentences)
            if rule.search(message) and not any(v.covers(rule) for v in self._vetoes_for(message, [])):
                return rule
        return None

    def says_now(self, clause: str) -> bool:
        """A "now" marker in ``clause`` ("right now", "still there now"): it lifts the
        ``now_overrides`` vetoes."""
        return any(p.search(clause) for p in self._now)

    def _vetoes_for(self, clause: str, carried: list[Veto]) -> list[Veto]:
        """The vetoes in force for ``clause`` (a "now" lifts the now_overrides ones)."""
        now = self.says_now(clause)
        found = [*carried, *(v for v in self.vetoes if v.search(clause))]
        return [v for v in found if not (now and v.now_overrides)]


def _rule(name: str, entry: Mapping[str, Any], where: str, macros: Mapping[str, str], route: str) -> Rule:
    scope = entry.get("scope", "clause")
    if scope not in _RULE_SCOPES:
        raise SafetyGuardConfigError(f"{where}: scope must be one of {_RULE_SCOPES}")
    exempt = entry.get("exempt_from") or []
    if not isinstance(exempt, list):
        raise SafetyGuardConfigError(f"{where}: exempt_from must be a list of veto names")
    return Rule(name, patterns(entry, where, macros), route, scope, frozenset(map(str, exempt)))
