"""What both exports share: their words (``export.yml``), time zones, times and file lists.

Hostile text cannot change what the exports show: bidi controls (the right-to-left
override U+202E and the other embeddings, overrides, isolates and direction marks)
are dropped from both, so "0001" cannot be shown as "1000" (``strip_bidi``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.diary.errors import DiaryValueError
from bot.diary.store import Note
from guidance.copy import fill
from guidance.dates import echo_when

DEFAULT_TIMEZONE = "Europe/London"
COPY_FILE = Path(__file__).resolve().parent.parent / "export.yml"


@lru_cache(maxsize=1)
def export_copy() -> dict[str, Any]:
    return yaml.safe_load(COPY_FILE.read_text(encoding="utf-8"))


#: Explicit bidi formatting characters: embeddings, overrides and their end (U+202A-U+202E),
#: isolates (U+2066-U+2069) and the direction marks LRM, RLM and ALM.  In a note they can only
#: make the text read differently from how it was typed (U+202E shows "0001" as "1000").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def strip_bidi(text: str) -> str:
    """``text`` without bidi controls: each script is then laid out by its own direction."""
    return _BIDI_RE.sub("", text)


def zone_of(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz)
    except Exception:  # no tz database on this machine: UTC, and the PDF says so
        return timezone.utc


def aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DiaryValueError(f"{name} must be timezone-aware")
    return value


def in_date_order(notes: Iterable[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (n.occurred_at, n.id))


def when(value: datetime, zone: tzinfo) -> str:
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname() or ''}".strip()


def note_when(note: Note, zone: tzinfo) -> str:
    """When it happened, as exact as it was given: "about 23:00", "time not given" (never 00:00)."""
    if note.time_precision in (None, "exact"):
        return when(note.occurred_at, zone)
    return echo_when(note.occurred_at, str(note.time_precision), zone=zone, always_year=True)


def day(note: Note, zone: tzinfo) -> str:
    """The day a note happened, for the summary's range: "16 November 2026"; a note with only
    the month given, the month ("October 2026"), never its 1st."""
    local = note.occurred_at.astimezone(zone)
    return f"{local:%B %Y}" if note.time_precision == "month" else f"{local.day} {local:%B %Y}"


def attachment_names(note: Note) -> list[str]:
    names = []
    for attachment in note.attachments:
        names.append(attachment.filename or fill(export_copy()["unnamed_file"], kind=attachment.kind))
    return names


def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def attachment_details(note: Note) -> list[str]:
    """Each attached file as "name (kind, size)": what the police can ask to see."""
    item = export_copy().get("attachment_item", "[[name]] ([[kind]], [[size]])")
    return [
        fill(item, name=name, kind=attachment.kind, size=file_size(attachment.size))
        for name, attachment in zip(attachment_names(note), note.attachments, strict=True)
    ]
