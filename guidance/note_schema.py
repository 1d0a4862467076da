"""An incident note, described once (``data/note.yml``): its fields, kinds, labels and limits.

Everything that lists a note's parts derives from :func:`schema`: the note form's
steps and slots (``nlu/note_domain.py`` writes ``domain/note.yml`` from it), the
review before saving, /notes and its edit menu, the store's checks and the exports.
No Rasa, Telegram or database code here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Optional

import yaml

from guidance.copy import DATA_DIR

#: ``NOTE_SCHEMA_FILE`` names another file: how tests/test_note_schema.py tries a new field.
SCHEMA_FILE = Path(os.environ.get("NOTE_SCHEMA_FILE") or DATA_DIR / "note.yml")
TYPES = ("when", "kind", "text")
FALLBACK_KIND = "other"
SLOT_PREFIX = "note_"
#: The value of a step the person skipped (an optional step's slot).
SKIPPED = "__skipped__"


@dataclass(frozen=True)
class Field:
    """One part of a note."""

    name: str
    type: str  # "when", "kind" or "text"
    label: str
    long_label: str
    step: Optional[str] = None  # the form's step; None: filled by another step
    required: bool = False
    detail: Optional[str] = None  # a kind field: the text field its words are kept in

    @property
    def slot(self) -> Optional[str]:
        """The note form's slot of this field's step (``note_<step>``), or None."""
        return f"{SLOT_PREFIX}{self.step}" if self.step else None


@dataclass(frozen=True)
class NoteSchema:
    fields: tuple[Field, ...]
    kinds: dict[str, str]  # key -> label, in the file's order
    text_chars: int

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every field's name, in the order a note lists them."""
        return tuple(f.name for f in self.fields)

    @property
    def text_fields(self) -> tuple[str, ...]:
        """The free-text fields (kept encrypted), in order."""
        return tuple(f.name for f in self.fields if f.type == "text")

    @property
    def typed_fields(self) -> tuple[str, ...]:
        """The fields whose value is typed (the time and the free text), in order: what the
        edit of a saved note changes (the kind is chosen by buttons)."""
        return tuple(f.name for f in self.fields if f.type in ("when", "text"))

    @property
    def steps(self) -> tuple[Field, ...]:
        """The fields the note form asks for, in order (one step each)."""
        return tuple(f for f in self.fields if f.step)

    @property
    def slots(self) -> tuple[str, ...]:
        """The note form's slots, in the order it asks them (the review comes after)."""
        return tuple(str(f.slot) for f in self.steps)

    @property
    def optional_slots(self) -> frozenset[str]:
        return frozenset(str(f.slot) for f in self.steps if not f.required)

    def by_slot(self, slot: str) -> Field:
        for field in self.steps:
            if field.slot == slot:
                return field
        raise KeyError(slot)

    def label(self, name: str) -> str:
        return self.field(name).label

    def kind_label(self, kind: Optional[str]) -> str:
        """The label of ``kind``; an unset or unknown kind reads as "other"."""
        return self.kinds[kind_or_fallback(kind, self)]


def kind_or_fallback(kind: Optional[str], note: Optional[NoteSchema] = None) -> str:
    """The kind a note counts under: its own, or "other" when unset or no longer listed."""
    kinds = (note or schema()).kinds
    return kind if kind in kinds else FALLBACK_KIND


def _field(raw: dict[str, Any]) -> Field:
    unknown = set(raw) - {"name", "type", "label", "long_label", "step", "required", "detail"}
    if unknown:
        raise ValueError(f"{SCHEMA_FILE}: field {raw.get('name')!r} has unknown keys {sorted(unknown)}")
    field = Field(name=str(raw["name"]), type=str(raw["type"]), label=str(raw["label"]),
                  long_label=str(raw.get("long_label") or raw["label"]),
                  step=str(raw["step"]) if raw.get("step") else None,
                  required=bool(raw.get("required", False)),
                  detail=str(raw["detail"]) if raw.get("detail") else None)
    if field.type not in TYPES:
        raise ValueError(f"{SCHEMA_FILE}: field {field.name!r} has type {field.type!r}; one of {TYPES}")
    return field


def load(path: Path) -> NoteSchema:
    """The schema in ``path`` (checked: names and steps unique, one "when" field first)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = tuple(_field(raw) for raw in data["fields"])
    kinds = {str(item["key"]): str(item["label"]) for item in data["kinds"]}
    names = [f.name for f in fields]
    steps = [f.step for f in fields if f.step]
    if len(set(names)) != len(names) or len(set(steps)) != len(steps):
        raise ValueError(f"{path}: field names and steps must be unique")
    if not fields or fields[0].type != "when" or sum(f.type == "when" for f in fields) != 1:
        raise ValueError(f"{path}: the first field, and only it, is the time (type: when)")
    if fields[0].name != "occurred_at":
        raise ValueError(f"{path}: the time's field is named occurred_at (the store sorts by it)")
    if [f.name for f in fields if f.type == "kind"] not in ([], ["kind"]):
        raise ValueError(f"{path}: at most one field is the kind, and it is named kind")
    if FALLBACK_KIND not in kinds:
        raise ValueError(f"{path} must list the kind {FALLBACK_KIND!r}")
    for field in fields:
        if field.detail and (field.detail not in names or fields[names.index(field.detail)].type != "text"):
            raise ValueError(f"{path}: {field.name}'s detail must be a text field")
    return NoteSchema(fields=fields, kinds=kinds, text_chars=int(data["limits"]["text_chars"]))


@cache
def schema() -> NoteSchema:
    """The note schema of ``data/note.yml``."""
    return load(SCHEMA_FILE)
