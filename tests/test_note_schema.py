"""A note is described once (data/note.yml): everything that lists its parts follows it.

The last test adds a field to a copy of the schema and checks, in a fresh process
reading that copy, that the form, the review, the store, the edit menu, the CSV and
the PDF all have it, with no other file changed but the field's question (copy).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from guidance import copy
from guidance.note_schema import SCHEMA_FILE, schema
from nlu import note_domain

ROOT = Path(__file__).resolve().parent.parent


def test_the_note_forms_domain_is_written_from_the_schema() -> None:
    assert note_domain.DOMAIN_FILE.read_text(encoding="utf-8") == note_domain.render(), (
        "domain/note.yml is out of date: run python -m nlu.note_domain")
    form = yaml.safe_load(note_domain.DOMAIN_FILE.read_text(encoding="utf-8"))["forms"]["note_form"]
    assert form["required_slots"] == [*schema().slots, "note_confirm"]


def test_every_step_has_its_question_and_every_reader_a_step() -> None:
    for slot in schema().slots:
        assert copy.text(f"ask_{slot}"), f"data/copy.yml has no ask_{slot}"
    readers = yaml.safe_load((ROOT / "data" / "form_reading.yml").read_text(encoding="utf-8"))["note_fields"]
    assert set(readers) <= set(schema().slots)


def test_one_label_per_kind_before_saving_in_the_log_and_in_the_export() -> None:
    """The kind a note was filed under reads the same in the form's buttons, the review,
    /notes and the PDF and CSV (it used to read three ways)."""
    from bot.diary.kinds import kind_label
    from nlu.actions.note import describe_note, kind_buttons

    following = schema().kinds["following"]
    assert {"title": following, "payload": '/affirm{"behaviour": "following"}'} in kind_buttons()
    assert f"How: {following}\n" in describe_note({"kind": "following"})
    assert kind_label("following") == following
    assert all(b["title"] != schema().kinds["other"] for b in kind_buttons())


_TRY_A_NEW_FIELD = r'''
import asyncio, io, json, sys
from datetime import datetime, timezone
from cryptography.fernet import Fernet
from pypdf import PdfReader

from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.export import export_csv, export_pdf
from bot.diary.store import DiaryStore, NoteFields, migrate
from guidance.facts import Facts
from nlu import note_domain
from nlu.actions.note import describe_note, note_fields

url = sys.argv[1]
migrate(url)
store = DiaryStore(url, Cipher(Fernet.generate_key()))
saved = store.add_note("alice", NoteFields(occurred_at=datetime(2026, 11, 20, 23, 0, tzinfo=timezone.utc),
                                           what_happened="he waited outside", injuries="a bruised wrist"))
back = store.get_note("alice", saved.id)
slots = {"note_when": "2026-11-20T23:00:00+00:00", "note_what": "he waited outside",
         "note_injuries": "a bruised wrist"}
desk = DiaryDesk(store, Facts.load(), lambda _user: asyncio.sleep(0))
(menu,) = asyncio.run(desk.edit_menu("alice", saved.id))
(opened,) = asyncio.run(desk.open("alice", saved.id))
document = export_pdf([back], datetime.now(timezone.utc))
pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
print(json.dumps({
    "stored": back.injuries,
    "csv": export_csv([back]).decode(),
    "pdf": pdf,
    "review": describe_note(note_fields(slots)),
    "form": note_domain.domain(note_domain.schema())["forms"]["note_form"]["required_slots"],
    "menu": [b.title for b in menu.buttons],
    "opened": opened.text,
}))
'''


def test_a_new_field_needs_only_the_schema_and_its_question(tmp_path: Path) -> None:
    data = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    data["fields"].append({"name": "injuries", "type": "text", "step": "injuries", "label": "Injuries",
                           "long_label": "Any injuries, and any treatment"})
    schema_file = tmp_path / "note.yml"
    schema_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    env = {**os.environ, "NOTE_SCHEMA_FILE": str(schema_file)}
    run = subprocess.run([sys.executable, "-c", _TRY_A_NEW_FIELD, f"sqlite:///{tmp_path / 'diary.db'}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["stored"] == "a bruised wrist"  # kept, encrypted, with no migration
    header, row = seen["csv"].splitlines()[:2]
    assert '"injuries"' in header and '"a bruised wrist"' in row
    assert "Any injuries, and any treatment" in seen["pdf"] and "a bruised wrist" in seen["pdf"]
    assert "Injuries: a bruised wrist" in seen["review"]
    assert seen["form"][-2:] == ["note_injuries", "note_confirm"]
    assert "Injuries" in seen["menu"] and "Injuries: a bruised wrist" in seen["opened"]
