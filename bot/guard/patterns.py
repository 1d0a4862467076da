"""How ``data/safety_guard.yml`` becomes compiled patterns.

Word lists become macros (each one group matching exactly its words, built as a
trie), macros may use word lists and earlier macros (``{NAME}``), and every
pattern is compiled case-insensitively.  Anything missing or that does not
compile raises :class:`SafetyGuardConfigError` naming the rule and pattern at
fault, so a bad edit fails at start-up, loudly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


class SafetyGuardConfigError(ValueError):
    """``safety_guard.yml`` is missing something or has a pattern that does not compile."""


def word_list_macros(raw: Mapping[str, Any]) -> dict[str, str]:
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


def expand_macros(raw: Mapping[str, Any], macros: dict[str, str]) -> dict[str, str]:
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


def compile_pattern(pattern: Any, where: str, macros: Mapping[str, str] | None = None) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise SafetyGuardConfigError(f"{where}: pattern must be a non-empty string")
    try:
        return re.compile(_substitute(pattern, macros or {}, where), re.IGNORECASE)
    except re.error as error:
        raise SafetyGuardConfigError(f"{where}: pattern does not compile: {error}") from error


def patterns(entry: Mapping[str, Any], where: str, macros: Mapping[str, str]) -> tuple[re.Pattern[str], ...]:
    found = entry.get("patterns")
    if not isinstance(found, list) or not found:
        raise SafetyGuardConfigError(f"{where}: needs a non-empty list of patterns")
    return tuple(compile_pattern(p, f"{where}, pattern {i + 1}", macros) for i, p in enumerate(found))


def named(entries: Any, section: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
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


def str_map(section: Mapping[str, Any], key: str) -> dict[str, str]:
    raw = section.get(key) or {}
    if not isinstance(raw, Mapping):
        raise SafetyGuardConfigError(f"normalise.{key}: must be a mapping")
    return {str(k).lower(): str(v).lower() for k, v in raw.items()}
