"""The incident log as a PDF to hand to the police (fpdf2, pure Python).

A cover page (date range, counts, when it was made, what it is), a chart of
incidents per week stacked by kind, then every incident in date order with every
field labelled.  Times are shown in UK time (Europe/London) unless told otherwise.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.diary.export.chart import UNCHARTED, render_chart_png, weekly_counts
from bot.diary.export.common import (
    DEFAULT_TIMEZONE,
    attachment_details,
    aware,
    day,
    export_copy,
    in_date_order,
    note_when,
    when,
    zone_of,
)
from bot.diary.export.typeset import multi_cell, new_pdf, pdf_text, write
from bot.diary.kinds import kind_keys, kind_label, kind_or_fallback
from bot.diary.store import Note
from guidance.copy import fill
from guidance.note_schema import schema


def _cover(
    pdf: Any,
    notes: Sequence[Note],
    generated_at: datetime,
    user_label: str | None,
    zone: tzinfo,
    zone_name: str,
) -> None:
    copy = export_copy()
    pdf.add_page()
    write(pdf, copy["title"], size=24, style="B", height=12)
    if user_label:
        write(pdf, fill(copy["prepared_by"], user_label=user_label), size=12)
    pdf.ln(6)
    write(pdf, copy["summary_heading"], size=14, style="B", height=8)
    pdf.ln(1)
    write(pdf, fill(copy["incidents_total"], count=len(notes)), size=11)
    if notes:
        dated = [n for n in notes if n.time_precision != "unknown"]  # "date not known": in no range
        if dated:
            first, last = day(dated[0], zone), day(dated[-1], zone)
            write(pdf, fill(copy["date_range"], first=first, last=last), size=11)
    else:
        write(pdf, copy["no_incidents"], size=11)
    files = sum(n.attachment_count for n in notes)
    if files:
        write(pdf, fill(copy["attachments_total"], count=files), size=11)
    write(pdf, fill(copy["generated_at"], when=when(generated_at, zone)), size=11)
    if notes:
        pdf.ln(5)
        write(pdf, copy["by_kind_heading"], size=12, style="B", height=7)
        pdf.ln(1)
        counts: dict[str, int] = {}
        for note in notes:
            key = kind_or_fallback(note.kind)
            counts[key] = counts.get(key, 0) + 1
        pdf.set_font("DejaVu", "", 10.5)
        for key in kind_keys():
            if key in counts:
                pdf.cell(110, 6.5, pdf_text(kind_label(key)), border="B")
                pdf.cell(20, 6.5, str(counts[key]), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_fill_color(242, 242, 242)
    pdf.set_font("DejaVu", "", 10)
    text = copy["about"] + " " + fill(copy["times_note"], zone=zone_name)
    multi_cell(pdf, 5.5, pdf_text(text), fill=True, padding=4)


def _chart(pdf: Any, notes: Sequence[Note], zone: tzinfo) -> None:
    copy = export_copy()
    pdf.add_page()
    write(pdf, copy["chart_heading"], size=14, style="B", height=8)
    pdf.ln(2)
    png = render_chart_png(weekly_counts(notes, zone))
    width = pdf.epw
    pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, h=width * 3.3 / 7.2)
    pdf.ln(2)
    write(pdf, copy["chart_caption"], size=8.5, colour=(90, 90, 90))
    for precision in UNCHARTED:  # "in october", no date known: left out of the bars, not put in one
        left_out = sum(1 for n in notes if n.time_precision == precision)
        if left_out:
            line = fill(copy[f"chart_left_out_{precision}"], count=left_out)
            write(pdf, line, size=8.5, colour=(90, 90, 90))


def _incident(pdf: Any, note: Note, number: int, total: int, zone: tzinfo) -> None:
    copy = export_copy()
    if pdf.get_y() > pdf.h - pdf.b_margin - 45:  # keep a heading with the start of its entry
        pdf.add_page()
    pdf.ln(3)
    pdf.set_fill_color(225, 232, 240)
    pdf.set_font("DejaVu", "B", 11.5)
    heading = (
        f"{fill(copy['incident_heading'], number=number, total=total)}  -  {note_when(note, zone)}"
    )
    multi_cell(pdf, 7, pdf_text(heading, "B"), fill=True, padding=(1, 2))
    pdf.ln(1.5)

    def item(label: str, value: str | None) -> None:
        if pdf.get_y() > pdf.h - pdf.b_margin - 14:  # keep a label with its first line
            pdf.add_page()
        write(pdf, label, size=8.5, style="B", colour=(70, 70, 70), height=4.6)
        if value is None:
            write(pdf, copy["not_recorded"], size=10, style="I", colour=(140, 140, 140), height=5.2)
        else:
            write(pdf, value, size=10.5, height=5.4)
        pdf.ln(1.6)

    for field in schema().fields:  # data/note.yml, in its order; the time is in the heading
        if field.type == "kind":
            item(field.long_label, kind_label(note.kind) if note.kind else None)
        elif field.type == "text":
            item(field.long_label, getattr(note, field.name))
    names = attachment_details(note)
    item(
        copy["attachments_label"], f"{len(names)}: " + "; ".join(names) if names else copy["attachments_none"]
    )
    written = fill(copy["written_at"], created=when(note.created_at, zone))
    if note.updated_at - note.created_at > timedelta(seconds=1):
        written += fill(copy["changed_at"], updated=when(note.updated_at, zone))
    write(pdf, written, size=8.5, colour=(110, 110, 110), height=4.6)
    pdf.ln(2)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_draw_color(0, 0, 0)


def export_pdf(
    notes: Iterable[Note],
    generated_at: datetime,
    user_label: str | None = None,
    tz: str | tzinfo = DEFAULT_TIMEZONE,
    unreadable: int = 0,
) -> bytes:
    """The incident log of ``notes`` (any order) as the bytes of a PDF, made in memory.

    Notes marked ``unreadable`` (a damaged row) are left out; the cover says how many
    were, counting them with ``unreadable`` (those the caller already left out).
    """
    aware("generated_at", generated_at)
    zone = zone_of(tz)
    zone_name = getattr(zone, "key", None) or str(zone)
    notes = list(notes)
    unreadable += sum(1 for note in notes if note.unreadable)
    ordered = in_date_order(note for note in notes if not note.unreadable)
    copy = export_copy()
    pdf = new_pdf(copy["title"], copy["footer"])
    pdf.set_creation_date(generated_at)
    _cover(pdf, ordered, generated_at, user_label, zone, zone_name)
    if unreadable:
        pdf.ln(3)
        key = "unreadable_one" if unreadable == 1 else "unreadable_many"
        write(pdf, fill(copy[key], count=unreadable), size=10.5, style="B", colour=(150, 30, 30))
    if ordered:
        _chart(pdf, ordered, zone)
        pdf.ln(6)
        write(pdf, copy["incidents_heading"], size=14, style="B", height=8)
        for number, note in enumerate(ordered, start=1):
            _incident(pdf, note, number, len(ordered), zone)
    return bytes(pdf.output())
