"""The kinds of incident (the note schema's ``kinds``, ``data/note.yml``): keys and labels."""

from __future__ import annotations

from guidance.note_schema import FALLBACK_KIND, kind_or_fallback, schema

__all__ = ["FALLBACK_KIND", "kind_keys", "kind_label", "kind_labels", "kind_or_fallback"]


def kind_labels() -> dict[str, str]:
    """Kind key -> label, in the schema's order."""
    return schema().kinds


def kind_keys() -> tuple[str, ...]:
    return tuple(schema().kinds)


def kind_label(kind: str | None) -> str:
    return schema().kind_label(kind)
