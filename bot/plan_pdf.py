"""The personal safety plan as a one-file PDF the user can keep or print.

Its first-page heading is neutral (``plan_title`` in ``bot/diary/export.yml``,
"My plan"), as is the file name the desk gives it (``plan-2026-11-28.pdf``): a
preview or a file list must not give the person away.  The steps inside say what
they are.  Like the incident log's exports it is made in memory and returned as
bytes: the bot never writes it to disk.
"""
from __future__ import annotations

from bot.diary.export import export_copy, font_paths, pdf_text


def plan_heading(title: str) -> str:
    """The heading the PDF shows: ``plan_title`` of export.yml when set, else ``title``."""
    return str(export_copy().get("plan_title") or title)


def render_plan_pdf(title: str, steps: list[tuple[str, str, bool]], help_line: str) -> bytes:
    """The plan's PDF: a (neutral) title, every step with its advice and whether it is done."""
    from fpdf import FPDF

    title = plan_heading(title)
    pdf = FPDF(format="A4")
    for style, font in font_paths().items():
        pdf.add_font("DejaVu", style, str(font))
    pdf.set_margins(18, 18, 18)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(0, 10, pdf_text(title, "B"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for number, (step_title, text, done) in enumerate(steps, start=1):
        mark = "[done]" if done else "[ ]"
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 7, pdf_text(f"{mark} {number}. {step_title}", "B"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(0, 6, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.ln(4)
    pdf.set_font("DejaVu", "I", 10)
    pdf.multi_cell(0, 5, pdf_text(help_line, "I"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
