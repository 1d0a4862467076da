"""The incident log as a CSV: one row per incident, every field, safe to open in a spreadsheet.

A cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return, or a full-width look-alike) gets a
leading single quote, as OWASP advises, and every cell is quoted (``csv_cell``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, tzinfo

from bot.diary.export.common import (
    DEFAULT_TIMEZONE,
    attachment_details,
    attachment_names,
    in_date_order,
    strip_bidi,
    zone_of,
)
from bot.diary.kinds import kind_label
from bot.diary.store import TEXT_FIELDS, Note

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "occurred_at",  # a date only (no 00:00) when the time was not given
    "time_precision",  # exact, about, morning/afternoon/evening/night (no clock time), date, week, month
    # (week: the date is its Monday; month: its 1st)
    "kind",
    "kind_label",
    *TEXT_FIELDS,
    "attachment_count",
    "attachment_names",
    "attachment_details",
    "created_at",
    "updated_at",
)

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): = + - @ as the
#: first character, or a tab or carriage return before one; full-width forms too (some
#: spreadsheets fold them to ASCII).
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def _iso(value: datetime, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def csv_cell(value: object) -> str:
    """One CSV cell as text that a spreadsheet shows and never runs.

    Bidi controls are dropped; a cell whose first character, or first character
    after leading spaces, could start a formula gets a leading single quote (the
    writer quotes every cell, so the quote is inside the quotes).
    """
    text = strip_bidi("" if value is None else str(value))
    if text and (text[0] in _FORMULA_START or text.lstrip(" \u00a0\u3000")[:1] in _FORMULA_START):
        return "'" + text
    return text


def export_csv(notes: Iterable[Note], tz: str | tzinfo = DEFAULT_TIMEZONE) -> bytes:
    """One row per incident (date order), every field, ISO 8601 times with their UTC offset; the bytes.

    UTF-8 without a byte-order mark; every cell is quoted, so any CSV reader gets
    the text back, apart from what ``csv_cell`` changes: no bidi controls, and a
    leading single quote on a cell a spreadsheet would otherwise run as a formula.
    """
    zone = zone_of(tz)
    handle = io.StringIO(newline="")
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for note in in_date_order(n for n in notes if not n.unreadable):  # a damaged row has no text
        writer.writerow(
            [
                csv_cell(cell)
                for cell in (
                    note.id,
                    ("" if note.time_precision == "unknown"  # no date known: none written
                     else note.occurred_at.astimezone(zone).date().isoformat()
                     if note.time_precision in ("date", "week", "month")
                     else _iso(note.occurred_at, zone)),
                    note.time_precision or "exact",
                    note.kind or "",
                    kind_label(note.kind) if note.kind else "",
                    *[getattr(note, name) or "" for name in TEXT_FIELDS],
                    note.attachment_count,
                    "; ".join(attachment_names(note)),
                    "; ".join(attachment_details(note)),
                    _iso(note.created_at, zone),
                    _iso(note.updated_at, zone),
                )
            ]
        )
    return handle.getvalue().encode("utf-8")
