"""Export a user's incident log: a PDF to hand to the police, and a CSV.

The PDF (fpdf2, pure Python) has a cover page (date range, counts, when it was
made, what it is), a chart of incidents per week stacked by kind (matplotlib, Agg,
rendered in memory), then every incident in date order with every field labelled.
Text is reproduced as written: no markup is interpreted.  It is set in DejaVu Sans
(bundled with matplotlib), which covers Latin, Greek, Cyrillic, Arabic, Hebrew and
many symbols; a character the font lacks (most emoji) is written as its Unicode name
in brackets, e.g. "[crying face]", so nothing is silently lost.  When ``uharfbuzz``
is installed, Arabic and other scripts that join or run right to left are shaped.

Times are shown in UK time (Europe/London) unless told otherwise.  Exported files
are created readable by their owner only: they hold everything the user wrote.
The words of both exports live in ``export.yml``; kind labels in ``kinds.yml``.

Hostile text cannot change what the exports show:
- bidi controls (the right-to-left override U+202E and the other embeddings,
  overrides, isolates and direction marks) are dropped from both exports, so
  "0001" cannot be shown as "1000" (``strip_bidi``);
- a CSV cell that a spreadsheet would run as a formula (it starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return, or a full-width look-alike)
  gets a leading single quote, as OWASP advises, and every cell is quoted
  (``csv_cell``).

An export is written into a folder of its own (``export-*``, ``plan-*``); a
channel that sends it deletes it.  ``sweep_export_folders`` removes those a crash
left behind; the bot runs it at start-up.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.diary.errors import DiaryValueError
from bot.diary.kinds import kind_keys, kind_label, kind_labels, kind_or_fallback
from bot.diary.store import TEXT_FIELDS, Note
from guidance.dates import echo_when

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/London"
COPY_FILE = Path(__file__).resolve().parent / "export.yml"

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "occurred_at",  # a date only (no 00:00) when the time was not given
    "time_precision",  # exact, about, morning/afternoon/evening/night (no clock time), date
    "kind",
    "kind_label",
    *TEXT_FIELDS,
    "attachment_count",
    "attachment_names",
    "attachment_details",
    "created_at",
    "updated_at",
)

# Okabe-Ito colours (distinguishable with colour blindness), in kinds.yml order; "other" is grey.
_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
_OTHER_COLOUR = "#999999"


@lru_cache(maxsize=1)
def export_copy() -> dict[str, Any]:
    return yaml.safe_load(COPY_FILE.read_text(encoding="utf-8"))


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(tz)
    except Exception:  # no tz database on this machine: UTC, and the PDF says so
        return timezone.utc


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DiaryValueError(f"{name} must be timezone-aware")
    return value


def _sorted(notes: Iterable[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: (n.occurred_at, n.id))


def _private_file(path: Path) -> int:
    """A file descriptor for writing ``path`` afresh, mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


# --------------------------------------------------------------------------- chart data


@dataclass(frozen=True)
class WeeklyCounts:
    """Incidents per week (Monday to Sunday, local time) and kind, for the chart.

    ``weeks`` are the Mondays from the first incident's week to the last one's, with
    no gaps; ``counts[kind][i]`` is how many incidents of that kind fell in
    ``weeks[i]``; ``kinds`` lists the kinds that occur, in kinds.yml order.
    """

    weeks: list[date]
    kinds: list[str]
    counts: dict[str, list[int]]

    def totals(self) -> list[int]:
        return [sum(self.counts[k][i] for k in self.kinds) for i in range(len(self.weeks))]


def weekly_counts(notes: Iterable[Note], tz: str | tzinfo = DEFAULT_TIMEZONE) -> WeeklyCounts:
    zone = _zone(tz)
    per_note: list[tuple[date, str]] = []
    for note in notes:
        day = note.occurred_at.astimezone(zone).date()
        per_note.append((day - timedelta(days=day.weekday()), kind_or_fallback(note.kind)))
    if not per_note:
        return WeeklyCounts(weeks=[], kinds=[], counts={})
    first = min(w for w, _ in per_note)
    last = max(w for w, _ in per_note)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    present = {k for _, k in per_note}
    kinds = [k for k in kind_keys() if k in present]
    counts = {k: [0] * len(weeks) for k in kinds}
    for week, kind in per_note:
        counts[kind][(week - first).days // 7] += 1
    return WeeklyCounts(weeks=weeks, kinds=kinds, counts=counts)


def _colour(kind: str) -> str:
    if kind == "other":
        return _OTHER_COLOUR
    return _PALETTE[kind_keys().index(kind) % len(_PALETTE)]


def _week_labels(weeks: Sequence[date]) -> tuple[list[int], list[str]]:
    step = max(1, math.ceil(len(weeks) / 12))
    positions = list(range(0, len(weeks), step))
    labels, year = [], None
    for i in positions:
        week = weeks[i]
        label = f"{week.day} {week:%b}"
        if week.year != year:
            label += f"\n{week.year}"
            year = week.year
        labels.append(label)
    return positions, labels


def render_chart_png(weekly: WeeklyCounts, dpi: int = 200) -> bytes:
    """A stacked bar chart of ``weekly`` as PNG bytes (no pyplot: thread-safe, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    copy = export_copy()
    figure = Figure(figsize=(7.2, 3.3), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    x = list(range(len(weekly.weeks)))
    bottom = [0] * len(x)
    labels = kind_labels()
    for kind in weekly.kinds:
        values = weekly.counts[kind]
        axes.bar(
            x,
            values,
            bottom=bottom,
            width=0.8,
            color=_colour(kind),
            label=labels[kind],
            edgecolor="white",
            linewidth=0.4,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]
    positions, tick_labels = _week_labels(weekly.weeks)
    axes.set_xticks(positions)
    axes.set_xticklabels(tick_labels, fontsize=7)
    pad = max(0.0, (8 - len(x)) / 2)  # a few weeks: keep bars bar-shaped, centred
    axes.set_xlim(-0.6 - pad, len(x) - 0.4 + pad)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(bottom + [1]) * 1.08)
    axes.set_ylabel(copy["chart_y_label"], fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncol=3, frameon=False, fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------- text for the PDF


@lru_cache(maxsize=1)
def _font_paths() -> dict[str, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {
        "": folder / "DejaVuSans.ttf",
        "B": folder / "DejaVuSans-Bold.ttf",
        "I": folder / "DejaVuSans-Oblique.ttf",
    }


@lru_cache(maxsize=4)
def _font_codepoints(style: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(_font_paths()[style]), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _drop_silently(char: str) -> bool:
    """Invisible helpers of emoji sequences and other format characters the font lacks."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Cf", "Mn", "Me") or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
    )


#: Explicit bidi formatting characters: embeddings, overrides and their end (U+202A-U+202E),
#: isolates (U+2066-U+2069) and the direction marks LRM, RLM and ALM.  In a note they can only
#: make the text read differently from how it was typed (U+202E shows "0001" as "1000").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def strip_bidi(text: str) -> str:
    """``text`` without bidi controls: each script is then laid out by its own direction."""
    return _BIDI_RE.sub("", text)


def pdf_text(text: str, style: str = "") -> str:
    """``text`` made safe to set in the PDF font, without losing what it says.

    Newlines are kept, tabs become spaces, control characters and bidi controls
    go, and a character the font has no glyph for becomes its Unicode name in
    brackets.
    """
    codepoints = _font_codepoints(style)
    out: list[str] = []
    for char in strip_bidi(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "):
        code = ord(char)
        if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
            continue  # variation selectors: presentation hints only (emoji or text style)
        if char == "\n" or code in codepoints and unicodedata.category(char) != "Cc":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cs") or _drop_silently(char):
            continue
        elif unicodedata.category(char) == "Zs":
            out.append(" ")
        else:
            name = unicodedata.name(char, "").lower() or f"U+{code:04X}"
            out.append(f"[{name}]")
    return "".join(out)


def _when(value: datetime, zone: tzinfo) -> str:
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname() or ''}".strip()


def _note_when(note: Note, zone: tzinfo) -> str:
    """When it happened, as exact as it was given: "about 23:00", "time not given" (never 00:00)."""
    if note.time_precision in (None, "exact"):
        return _when(note.occurred_at, zone)
    return echo_when(note.occurred_at, str(note.time_precision), zone=zone, always_year=True)


def _day(value: datetime, zone: tzinfo) -> str:
    local = value.astimezone(zone)
    return f"{local.day} {local:%B %Y}"


def _attachment_names(note: Note) -> list[str]:
    names = []
    for attachment in note.attachments:
        names.append(attachment.filename or export_copy()["unnamed_file"].format(kind=attachment.kind))
    return names


def _file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def _attachment_details(note: Note) -> list[str]:
    """Each attached file as "name (kind, size)": what the police can ask to see."""
    item = export_copy().get("attachment_item", "{name} ({kind}, {size})")
    return [
        item.format(name=name, kind=attachment.kind, size=_file_size(attachment.size))
        for name, attachment in zip(_attachment_names(note), note.attachments, strict=True)
    ]


# --------------------------------------------------------------------------- PDF


def _needs_shaping(text: str) -> bool:
    """Right-to-left or joining scripts, or combining marks: worth the (slow) shaping engine."""
    return any(
        unicodedata.bidirectional(char) in ("R", "AL", "AN") or unicodedata.category(char) in ("Mn", "Mc")
        for char in text
    )


def _starts_right_to_left(text: str) -> bool:
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _multi_cell(pdf: Any, height: float, text: str, **kwargs: Any) -> None:
    """``pdf.multi_cell`` over the full width, shaping the text only where it needs it.

    Text that starts in a right-to-left script is set flush right, as it is read.
    """
    shaped = _SHAPING and _needs_shaping(text)
    pdf.set_text_shaping(use_shaping_engine=shaped)
    align = "R" if shaped and _starts_right_to_left(text) else "L"
    pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT", **kwargs)


def _shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


_SHAPING = _shaping_available()


def _new_pdf(title: str, footer: str) -> Any:
    from fpdf import FPDF

    # fpdf2 swaps an alias for the page count everywhere in the output; a random one
    # cannot turn up in what a user wrote (the default "{nb}" could).
    pages_alias = "{pages-" + secrets.token_hex(8) + "}"

    class IncidentLogPDF(FPDF):  # type: ignore[misc]
        def footer(self) -> None:
            # Runs inside page breaks, in the middle of other text: leave its state alone.
            shaping, self.text_shaping = self.text_shaping, None
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            # Left-aligned: the alias is wider than the number it becomes, so centring would drift.
            self.cell(0, 5, footer.format(page=self.page_no(), pages=pages_alias), align="L")
            self.set_text_color(0, 0, 0)
            self.text_shaping = shaping

    pdf = IncidentLogPDF(orientation="portrait", unit="mm", format="A4")
    pdf.alias_nb_pages(pages_alias)
    for style, path in _font_paths().items():
        pdf.add_font("DejaVu", style, str(path))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(title)
    pdf.set_creator("stalking-guidance-bot diary")
    return pdf


def _write(
    pdf: Any,
    text: str,
    size: float = 10.5,
    style: str = "",
    colour: tuple[int, int, int] = (0, 0, 0),
    height: float | None = None,
) -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.set_text_color(*colour)
    _multi_cell(pdf, height or size * 0.5, pdf_text(text, style))
    pdf.set_text_color(0, 0, 0)


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
    _write(pdf, copy["title"], size=24, style="B", height=12)
    if user_label:
        _write(pdf, copy["prepared_by"].format(user_label=user_label), size=12)
    pdf.ln(6)
    _write(pdf, copy["summary_heading"], size=14, style="B", height=8)
    pdf.ln(1)
    _write(pdf, copy["incidents_total"].format(count=len(notes)), size=11)
    if notes:
        first, last = notes[0].occurred_at, notes[-1].occurred_at
        _write(pdf, copy["date_range"].format(first=_day(first, zone), last=_day(last, zone)), size=11)
    else:
        _write(pdf, copy["no_incidents"], size=11)
    files = sum(n.attachment_count for n in notes)
    if files:
        _write(pdf, copy["attachments_total"].format(count=files), size=11)
    _write(pdf, copy["generated_at"].format(when=_when(generated_at, zone)), size=11)
    if notes:
        pdf.ln(5)
        _write(pdf, copy["by_kind_heading"], size=12, style="B", height=7)
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
    text = copy["about"] + " " + copy["times_note"].format(zone=zone_name)
    _multi_cell(pdf, 5.5, pdf_text(text), fill=True, padding=4)


def _chart(pdf: Any, notes: Sequence[Note], zone: tzinfo) -> None:
    copy = export_copy()
    pdf.add_page()
    _write(pdf, copy["chart_heading"], size=14, style="B", height=8)
    pdf.ln(2)
    png = render_chart_png(weekly_counts(notes, zone))
    width = pdf.epw
    pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, h=width * 3.3 / 7.2)
    pdf.ln(2)
    _write(pdf, copy["chart_caption"], size=8.5, colour=(90, 90, 90))


def _incident(pdf: Any, note: Note, number: int, total: int, zone: tzinfo) -> None:
    copy = export_copy()
    labels = copy["fields"]
    if pdf.get_y() > pdf.h - pdf.b_margin - 45:  # keep a heading with the start of its entry
        pdf.add_page()
    pdf.ln(3)
    pdf.set_fill_color(225, 232, 240)
    pdf.set_font("DejaVu", "B", 11.5)
    heading = (
        f"{copy['incident_heading'].format(number=number, total=total)}  -  {_note_when(note, zone)}"
    )
    _multi_cell(pdf, 7, pdf_text(heading, "B"), fill=True, padding=(1, 2))
    pdf.ln(1.5)

    def item(label: str, value: str | None) -> None:
        if pdf.get_y() > pdf.h - pdf.b_margin - 14:  # keep a label with its first line
            pdf.add_page()
        _write(pdf, label, size=8.5, style="B", colour=(70, 70, 70), height=4.6)
        if value is None:
            _write(pdf, copy["not_recorded"], size=10, style="I", colour=(140, 140, 140), height=5.2)
        else:
            _write(pdf, value, size=10.5, height=5.4)
        pdf.ln(1.6)

    item(labels["kind"], kind_label(note.kind) if note.kind else None)
    for name in TEXT_FIELDS:
        item(labels[name], getattr(note, name))
    names = _attachment_details(note)
    item(
        copy["attachments_label"], f"{len(names)}: " + "; ".join(names) if names else copy["attachments_none"]
    )
    written = copy["written_at"].format(created=_when(note.created_at, zone))
    if note.updated_at - note.created_at > timedelta(seconds=1):
        written += copy["changed_at"].format(updated=_when(note.updated_at, zone))
    _write(pdf, written, size=8.5, colour=(110, 110, 110), height=4.6)
    pdf.ln(2)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_draw_color(0, 0, 0)


def export_pdf(
    notes: Iterable[Note],
    path: str | Path,
    generated_at: datetime,
    user_label: str | None = None,
    tz: str | tzinfo = DEFAULT_TIMEZONE,
    unreadable: int = 0,
) -> Path:
    """Write the incident log of ``notes`` (any order) as a PDF at ``path`` (mode 0600).

    Notes marked ``unreadable`` (a damaged row) are left out; the cover says how many
    were, counting them with ``unreadable`` (those the caller already left out).
    """
    _aware("generated_at", generated_at)
    zone = _zone(tz)
    zone_name = getattr(zone, "key", None) or str(zone)
    notes = list(notes)
    unreadable += sum(1 for note in notes if note.unreadable)
    ordered = _sorted(note for note in notes if not note.unreadable)
    copy = export_copy()
    pdf = _new_pdf(copy["title"], copy["footer"])
    pdf.set_creation_date(generated_at)
    _cover(pdf, ordered, generated_at, user_label, zone, zone_name)
    if unreadable:
        pdf.ln(3)
        key = "unreadable_one" if unreadable == 1 else "unreadable_many"
        _write(pdf, copy[key].format(count=unreadable), size=10.5, style="B", colour=(150, 30, 30))
    if ordered:
        _chart(pdf, ordered, zone)
        pdf.ln(6)
        _write(pdf, copy["incidents_heading"], size=14, style="B", height=8)
        for number, note in enumerate(ordered, start=1):
            _incident(pdf, note, number, len(ordered), zone)
    target = Path(path)
    data = bytes(pdf.output())
    with os.fdopen(_private_file(target), "wb") as handle:
        handle.write(data)
    return target


# --------------------------------------------------------------------------- CSV


def _iso(value: datetime, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): = + - @ as the
#: first character, or a tab or carriage return before one; full-width forms too (some
#: spreadsheets fold them to ASCII).
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


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


def export_csv(notes: Iterable[Note], path: str | Path, tz: str | tzinfo = DEFAULT_TIMEZONE) -> Path:
    """Write one row per incident (date order), every field, ISO 8601 times with their UTC offset.

    UTF-8 without a byte-order mark; every cell is quoted, so any CSV reader gets
    the text back, apart from what ``csv_cell`` changes: no bidi controls, and a
    leading single quote on a cell a spreadsheet would otherwise run as a formula.
    """
    zone = _zone(tz)
    target = Path(path)
    with os.fdopen(_private_file(target), "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for note in _sorted(n for n in notes if not n.unreadable):  # a damaged row has no text
            writer.writerow(
                [
                    csv_cell(cell)
                    for cell in (
                        note.id,
                        (note.occurred_at.astimezone(zone).date().isoformat() if note.time_precision == "date"
                         else _iso(note.occurred_at, zone)),
                        note.time_precision or "exact",
                        note.kind or "",
                        kind_label(note.kind) if note.kind else "",
                        *[getattr(note, name) or "" for name in TEXT_FIELDS],
                        note.attachment_count,
                        "; ".join(_attachment_names(note)),
                        "; ".join(_attachment_details(note)),
                        _iso(note.created_at, zone),
                        _iso(note.updated_at, zone),
                    )
                ]
            )
    return target


# --------------------------------------------------------------------------- leftover export folders

#: Folders the bot makes for one export (``tempfile.mkdtemp(prefix=...)``: 8 random characters).
_EXPORT_FOLDER = re.compile(r"^(export|plan)-[a-z0-9_]{8}$")
#: The files the bot writes into them; a folder holding anything else is not the bot's.
_EXPORT_FILE = re.compile(r"^(incident-log-[0-9-]+\.(pdf|csv)|safety-plan\.pdf)$")
#: A folder younger than this may be an export another process is sending right now.
SWEEP_GRACE_SECONDS = 600.0


def _is_leftover_export(folder: Path, now: float, grace: float) -> bool:
    try:
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        newest = info.st_mtime
        for entry in folder.iterdir():
            entry_info = entry.lstat()
            if not stat.S_ISREG(entry_info.st_mode) or not _EXPORT_FILE.match(entry.name):
                return False
            newest = max(newest, entry_info.st_mtime)
    except OSError:
        return False
    return now - newest >= grace


def sweep_export_folders(root: str | Path | None = None, grace: float = SWEEP_GRACE_SECONDS) -> int:
    """Delete the export folders a crash left in ``root`` (default: the system temp folder).

    Only folders that are certainly the bot's are removed: named as the bot names
    them, owned by this user, holding nothing but the files an export writes, and
    untouched for ``grace`` seconds.  Returns how many were removed; never raises.
    """
    folder_root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = 0
    now = time.time()
    try:
        candidates = [p for p in folder_root.iterdir() if _EXPORT_FOLDER.match(p.name)]
    except OSError:
        return 0
    for folder in candidates:
        if not _is_leftover_export(folder, now, grace):
            continue
        try:
            shutil.rmtree(folder)
            removed += 1
        except OSError as error:
            log.warning("could not remove a leftover export folder: %s", type(error).__name__)
    if removed:
        log.warning("removed %d export folder(s) left behind by an earlier run", removed)
    return removed
