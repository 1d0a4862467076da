"""The kinds of incident (``kinds.yml``): the keys the store accepts and their labels."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

KINDS_FILE = Path(__file__).resolve().parent / "kinds.yml"
FALLBACK_KIND = "other"


@lru_cache(maxsize=1)
def kind_labels() -> dict[str, str]:
    """Kind key -> label, in the file's order."""
    data = yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))
    labels = {str(item["key"]): str(item["label"]) for item in data["kinds"]}
    if FALLBACK_KIND not in labels:
        raise ValueError(f"{KINDS_FILE} must define the kind {FALLBACK_KIND!r}")
    return labels


def kind_keys() -> tuple[str, ...]:
    return tuple(kind_labels())


def kind_or_fallback(kind: str | None) -> str:
    """The kind to count a note under: its own, or "other" when unset or no longer known."""
    return kind if kind in kind_labels() else FALLBACK_KIND


def kind_label(kind: str | None) -> str:
    return kind_labels()[kind_or_fallback(kind)]
