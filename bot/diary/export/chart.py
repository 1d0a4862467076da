"""The PDF's chart: incidents per week, stacked by kind (matplotlib, Agg, rendered in memory)."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from bot.diary.export.common import DEFAULT_TIMEZONE, export_copy, zone_of
from bot.diary.kinds import kind_keys, kind_labels, kind_or_fallback
from bot.diary.store import Note

# Okabe-Ito colours (distinguishable with colour blindness), in the kinds' order (data/note.yml);
# "other" is grey.
_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
_OTHER_COLOUR = "#999999"


@dataclass(frozen=True)
class WeeklyCounts:
    """Incidents per week (Monday to Sunday, local time) and kind, for the chart.

    ``weeks`` are the Mondays from the first incident's week to the last one's, with
    no gaps; ``counts[kind][i]`` is how many incidents of that kind fell in
    ``weeks[i]``; ``kinds`` lists the kinds that occur, in the note schema's order (data/note.yml).
    """

    weeks: list[date]
    kinds: list[str]
    counts: dict[str, list[int]]

    def totals(self) -> list[int]:
        return [sum(self.counts[k][i] for k in self.kinds) for i in range(len(self.weeks))]


#: precisions with no week of their own: left out of the weekly chart, and counted under it
UNCHARTED = ("month", "unknown")


def weekly_counts(notes: Iterable[Note], tz: str | tzinfo = DEFAULT_TIMEZONE) -> WeeklyCounts:
    zone = zone_of(tz)
    per_note: list[tuple[date, str]] = []
    for note in notes:
        if note.time_precision in UNCHARTED:  # "in october", "i dont remember": no week (the PDF says so)
            continue
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
