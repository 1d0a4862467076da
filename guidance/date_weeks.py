"""A day of the week, said as people in the UK say it (:mod:`guidance.date_grammar` uses it).

"Friday" and "on Friday" are the last Friday up to today, "last Friday" the one before today;
"the Friday before last" and "a week last Friday" a week before that (British usage: before,
both were read as last Friday, a week out, in silence); "Sunday just gone" the last Sunday
before today (said on a Sunday, before, it was today).  "Two weeks ago on Tuesday" is the
Tuesday nearest to two weeks ago, with the one a week the other side as the other reading
("Or did you mean ...?"), since people mean both; before, the Tuesday was dropped.

And a day's number: with a month ("26 November", "11/20": :func:`dated`), or alone ("the 26th",
"on the 3rd at 6"), the last day of that number up to today (:func:`day_numbered`); before, "26th
at 6" said on the 29th was saved as the 29th at 18:00.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2,
            "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
            "saturday": 5, "sat": 5, "sunday": 6, "sun": 6}
_NAME = r"(?P<wd>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")"
# "a week last friday", "last friday", "this past friday", "on friday", "the friday before last",
# "sunday just gone"
WEEKDAY = re.compile(r"\b(?:(?P<week>(?:a|one)\s+week\s+)?(?P<last>last|this\s+past|past)\s+|(?:on\s+)?"
                     r"(?:the\s+|this\s+)?)?" + _NAME
                     + r"(?P<before>\s+before\s+last)?(?P<gone>\s+just\s+gone)?\b")


def weekday_back(match: re.Match[str], today: date) -> int:
    """How many days before ``today`` the weekday ``match`` names."""
    back = (today.weekday() - WEEKDAYS[match.group("wd")]) % 7
    if (match.group("last") or match.group("gone") or match.group("before")) and back == 0:
        back = 7
    if match.group("week") or match.group("before"):
        back += 7
    return back


def near_weeks_ago(day: date, weekday: int) -> tuple[date, date]:
    """The ``weekday`` nearest to ``day`` (a number of weeks ago), and the one a week the
    other side of it: "two weeks ago on Tuesday", said on Sunday 29 Nov, is Tue 17 Nov or
    Tue 10 Nov."""
    ahead = (weekday - day.weekday()) % 7  # days to the next such weekday (0: that day)
    after = day + timedelta(days=ahead)
    before = after - timedelta(days=7)
    return (after, before) if ahead <= 3 else (before, after)


def weekday_in(text: str) -> Optional[int]:
    """The day of the week named in ``text`` (0 Monday), if one is."""
    found = re.search(r"\b" + _NAME + r"\b", text)
    return WEEKDAYS[found.group("wd")] if found else None


# "the 26th", "on the 3rd": a day's number with its ordinal ending and no month
DAY_NUMBER = re.compile(r"\b(?P<on>on\s+)?(?:the\s+)?(?P<d>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)\b"
                        r"(?!\s+(?:times?|floor|attempt|go|one|day|week|month|year)s?\b)")


def day_numbered(number: int, today: date) -> Optional[date]:
    """The last day numbered ``number`` up to ``today``: "the 26th" said on 29 November is
    26 November, "the 31st" said then 31 October (November has no 31st)."""
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, number)
        except ValueError:
            candidate = None
        if candidate is not None and candidate <= today:
            return candidate
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def year_for(day: int, month: int, now: datetime) -> Optional[date]:
    """This year's date, or last year's when this year's is still to come."""
    for year in (now.year, now.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate <= now.date():
            return candidate
    return None


def dated(d: int, m: int, y: Optional[str], now: datetime) -> Optional[date]:
    """Day ``d`` of month ``m``, in year ``y`` (two or four digits) or the last such day."""
    if y is None:
        return year_for(d, m, now)
    year = int(y) + (2000 if len(y) == 2 else 0)
    try:
        return date(year, m, d)
    except ValueError:
        return None
