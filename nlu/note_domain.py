"""The note form's part of the Rasa domain, written from the note schema (``data/note.yml``).

``domain/note.yml`` is this module's output: the form's slots (one per step, then the
review), the form and its actions.  ``scripts/setup.sh`` writes it before training, so
a field added to the schema becomes a step of the form; ``tests/test_note_schema.py``
fails while the file in the repository is not what this writes.

    python -m nlu.note_domain          # write domain/note.yml
    python -m nlu.note_domain --check  # exit 1 if it is out of date
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from guidance.note_schema import NoteSchema, schema

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain" / "note.yml"
FORM = "note_form"
REVIEW_SLOT = "note_confirm"
HEADER = """\
# Written by `python -m nlu.note_domain` from data/note.yml: do not edit by hand.
# The incident note form: one slot per step of the note schema, then the review.
"""


def _from_text(slot: str) -> dict[str, Any]:
    return {"type": "text", "influence_conversation": False,
            "mappings": [{"type": "from_text",
                          "conditions": [{"active_loop": FORM, "requested_slot": slot}]}]}


def domain(note: NoteSchema) -> dict[str, Any]:
    """The domain part of the note form for ``note``."""
    steps = [*note.slots, REVIEW_SLOT]
    slots: dict[str, Any] = {
        # The review's state: None, "choose" (which field to change?) or "discard" (throw it away?).
        "note_review": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    }
    slots.update({slot: _from_text(slot) for slot in steps})
    return {
        "version": "3.1",
        "slots": slots,
        "forms": {FORM: {"required_slots": steps}},
        "actions": ["validate_note_form", *(f"action_ask_{slot}" for slot in steps)],
    }


def render(note: NoteSchema | None = None) -> str:
    return HEADER + yaml.safe_dump(domain(note or schema()), sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if DOMAIN_FILE.read_text(encoding="utf-8") != text:
            print(f"{DOMAIN_FILE} is out of date: run python -m nlu.note_domain", file=sys.stderr)
            return 1
        return 0
    if not DOMAIN_FILE.exists() or DOMAIN_FILE.read_text(encoding="utf-8") != text:
        DOMAIN_FILE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
