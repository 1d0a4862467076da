"""Export a user's incident log: a PDF to hand to the police, and a CSV.

Both are made in memory and returned as bytes (``export_pdf``, ``export_csv``; the
safety plan's ``bot/plan_pdf.py`` too): they hold everything the user wrote, in
clear, so the bot never writes them to disk.  A reply carries the bytes with a
neutral file name (``bot.replies.Document``); Telegram uploads them from memory,
and only the console, which has no chat to upload to, saves them, in the folder
the person chose (``bot/console.py``).  The words of both exports live in
``bot/diary/export.yml``; the fields' headings and the kind labels in the note schema
(``data/note.yml``).

=============  ==============================================================
``common``     the exports' words, time zones, times, file lists, bidi controls
``chart``      incidents per week stacked by kind, as a PNG
``typeset``    text in the PDF font: missing glyphs, right-to-left scripts
``pdf``        the incident log as a PDF (cover, chart, every incident)
``csv_file``   the incident log as a CSV, safe to open in a spreadsheet
``sweep``      export folders older versions left behind, removed at start-up
=============  ==============================================================
"""

from __future__ import annotations

from bot.diary.export.chart import WeeklyCounts, render_chart_png, weekly_counts
from bot.diary.export.common import BIDI_CONTROLS, COPY_FILE, DEFAULT_TIMEZONE, export_copy, strip_bidi
from bot.diary.export.csv_file import CSV_COLUMNS, csv_cell, export_csv
from bot.diary.export.pdf import export_pdf
from bot.diary.export.sweep import SWEEP_GRACE_SECONDS, sweep_export_folders
from bot.diary.export.typeset import font_paths, pdf_text

__all__ = [
    "BIDI_CONTROLS",
    "COPY_FILE",
    "CSV_COLUMNS",
    "DEFAULT_TIMEZONE",
    "SWEEP_GRACE_SECONDS",
    "WeeklyCounts",
    "csv_cell",
    "export_copy",
    "export_csv",
    "export_pdf",
    "font_paths",
    "pdf_text",
    "render_chart_png",
    "strip_bidi",
    "sweep_export_folders",
    "weekly_counts",
]
