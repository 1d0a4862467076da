"""A moment as a person gave it (:class:`When`), and the settings of reading dates.

:class:`When` holds:

* ``at``: the moment, an aware datetime in UK time;
* ``precision``: ``exact`` ("at 11pm"), ``about`` ("about 11", "2 hours ago"), a part of
  the day (``morning``/``afternoon``/``evening``/``night``: "Tuesday evening", no clock
  time) or ``date`` ("yesterday", "20/11": the time was not given; the note is sorted by
  midnight but never shown as 00:00);
* ``alternative``: the other reading when the words have two ("03/04" is 3 April, or
  4 March; "yesterday at 8" is 08:00, or 20:00); the caller asks which.

The words and settings live in ``data/dates.yml``; reading is :mod:`guidance.dates`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Optional
from zoneinfo import ZoneInfo

from guidance.copy import data_file

FUTURE_TOLERANCE = timedelta(minutes=5)
# A time alone inside a quick note ("outside at 7pm") is the last 7pm if that was this recently.
BARE_TIME_WINDOW = timedelta(hours=12)
MAX_AGO_DAYS = 36500
PRECISIONS = ("exact", "about", "morning", "afternoon", "evening", "night", "date", "week", "month",
              "unknown")
PARTS = ("morning", "afternoon", "evening", "night")


class FutureDate(ValueError):
    """The time given is in the future: a log records what has happened."""


@dataclass(frozen=True)
class When:
    at: datetime
    precision: str = "exact"
    alternative: Optional[datetime] = None
    alternative_precision: Optional[str] = None

    @property
    def time_given(self) -> bool:
        return self.precision in ("exact", "about")

    @property
    def approximate(self) -> bool:
        return self.precision != "exact"

    @property
    def ambiguous(self) -> bool:
        return self.alternative is not None

    def to_slot(self) -> str:
        """For a Rasa slot or JSON: ``ISO`` (exact) or ``ISO|precision``."""
        iso = self.at.isoformat()
        return iso if self.precision == "exact" else f"{iso}|{self.precision}"

    @classmethod
    def from_slot(cls, value: str) -> When:
        """Back from :meth:`to_slot`; a plain ISO string (older slots) is exact."""
        iso, _, precision = str(value).partition("|")
        return cls(datetime.fromisoformat(iso), precision if precision in PRECISIONS else "exact")


def dates_file() -> dict[str, Any]:
    """``data/dates.yml``: hedges, parts of the day, the words shown back, rewrites."""
    return data_file("dates")


@lru_cache(maxsize=1)
def date_config() -> tuple[ZoneInfo, list[tuple[re.Pattern[str], str]]]:
    """The time zone dates are read and shown in, and the rewrites before dateparser."""
    raw = dates_file()
    rewrites = [(re.compile(p, re.IGNORECASE), r) for p, r in raw["rewrites"]]
    return ZoneInfo(raw["timezone"]), rewrites


@lru_cache(maxsize=1)
def _spellings() -> tuple[re.Pattern[str], dict[str, str]]:
    table = {str(k).lower(): str(v) for k, v in (dates_file().get("spellings") or {}).items()}
    words = "|".join(sorted(map(re.escape, table), key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<![\w'])(?:{words})(?![\w'])", re.IGNORECASE), table


def respell(text: str) -> str:
    """``text`` with the time words people type on a phone spelt out ("last nite" ->
    "last night", "2day" -> "today"; the list is ``spellings`` in data/dates.yml)."""
    pattern, table = _spellings()
    return pattern.sub(lambda m: table[m.group(0).lower()], text)


def local_zone() -> ZoneInfo:
    return date_config()[0]


def local_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """``hour``:``minute`` of ``day`` in ``zone``; an hour of 24 or more is the next day's."""
    return datetime.combine(day, time(hour % 24, minute), tzinfo=zone) + timedelta(days=hour // 24)
