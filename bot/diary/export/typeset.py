"""Setting text in a PDF: the bundled font, characters it lacks, and scripts read right to left.

Text is reproduced as written: no markup is interpreted.  It is set in DejaVu Sans
(bundled with matplotlib), which covers Latin, Greek, Cyrillic, Arabic, Hebrew and
many symbols; a character the font lacks (most emoji) is written as its Unicode name
in brackets, e.g. "[crying face]", so nothing is silently lost.  When ``uharfbuzz``
is installed, Arabic and other scripts that join or run right to left are shaped.
Used by the incident log (``pdf.py``) and the safety plan (``bot/plan_pdf.py``).
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.diary.export.common import strip_bidi
from guidance.copy import fill


@lru_cache(maxsize=1)
def font_paths() -> dict[str, Path]:
    """The DejaVu Sans files by fpdf2 style ("" regular, "B" bold, "I" oblique)."""
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

    with TTFont(str(font_paths()[style]), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _drop_silently(char: str) -> bool:
    """Invisible helpers of emoji sequences and other format characters the font lacks."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Cf", "Mn", "Me") or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
    )


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


def _shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


_SHAPING = _shaping_available()


def multi_cell(pdf: Any, height: float, text: str, **kwargs: Any) -> None:
    """``pdf.multi_cell`` over the full width, shaping the text only where it needs it.

    Text that starts in a right-to-left script is set flush right, as it is read.
    """
    shaped = _SHAPING and _needs_shaping(text)
    pdf.set_text_shaping(use_shaping_engine=shaped)
    align = "R" if shaped and _starts_right_to_left(text) else "L"
    pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT", **kwargs)


def write(
    pdf: Any,
    text: str,
    size: float = 10.5,
    style: str = "",
    colour: tuple[int, int, int] = (0, 0, 0),
    height: float | None = None,
) -> None:
    """One paragraph of ``text`` in DejaVu ``style`` at ``size`` points."""
    pdf.set_font("DejaVu", style, size)
    pdf.set_text_color(*colour)
    multi_cell(pdf, height or size * 0.5, pdf_text(text, style))
    pdf.set_text_color(0, 0, 0)


def new_pdf(title: str, footer: str) -> Any:
    """An A4 document with the DejaVu fonts, 18 mm margins and ``footer`` on every page.

    ``footer`` may hold ``[[page]]`` and ``[[pages]]``.
    """
    from fpdf import FPDF

    # fpdf2 swaps an alias for the page count everywhere in the output; a random one
    # cannot turn up in what a user wrote (the default "{nb}" could).
    pages_alias = "{pages-" + secrets.token_hex(8) + "}"

    class IncidentLogPDF(FPDF):
        def footer(self) -> None:
            # Runs inside page breaks, in the middle of other text: leave its state alone.
            shaping, self.text_shaping = self.text_shaping, None
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            # Left-aligned: the alias is wider than the number it becomes, so centring would drift.
            self.cell(0, 5, fill(footer, page=self.page_no(), pages=pages_alias), align="L")
            self.set_text_color(0, 0, 0)
            self.text_shaping = shaping

    pdf = IncidentLogPDF(orientation="portrait", unit="mm", format="A4")
    pdf.alias_nb_pages(pages_alias)
    for style, path in font_paths().items():
        pdf.add_font("DejaVu", style, str(path))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(title)
    pdf.set_creator("stalking-guidance-bot diary")
    return pdf
