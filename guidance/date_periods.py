"""A week or a month, never a day it did not name (issue 12, item 5: times right).

"last week" was saved as Sun 22 Nov, "earlier this week" and "this month" as today, "last month"
and "in october" as the 29th of that month (today's day number), "last year" as this day a year
ago: a day the person never said, printed in the log the police read.  A week is now the week
("the week of Mon 16 Nov (day not given)"), a month the month ("October (day not given)"), and
words that name no day, week or month ("a few days ago", "the other day", "a few weeks ago",
"last year", "a while ago") are not read as a date at all (the step asks again; a quick note
keeps the time it was sent and says so).

Only when nothing more precise is said: a day of the week or a day's number ("tuesday last
week", "3rd of october") is the grammar's (:mod:`guidance.date_grammar`).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Optional

from guidance.date_weeks import WEEKDAYS, weekday_in
from guidance.when import When, local_time

MONTHS = {name: i + 1 for i, names in enumerate((
    "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
    "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBER = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "a couple of": 2, "couple of": 2, "a couple": 2}

WEEK = re.compile(r"\b(?:(?P<before>(?:the\s+)?week\s+before\s+last)|(?P<last>last\s+week)|"
                  r"(?:earlier\s+)?this\s+week)\b")
MONTH = re.compile(r"\b(?:(?P<last>last\s+month)|(?:earlier\s+)?this\s+month)\b")
MONTHS_AGO = re.compile(r"\b(?P<n>\d+|an?|one|two|three|four|five|six|a couple of|couple of|a couple)"
                        r"\s+months?\s+ago\b")
# a month by name: the whole answer ("october", "early october"), or after a word that makes it
# one ("in may", "last october"): "he may come back" is not May
NAMED_MONTH = re.compile(
    rf"^(?:(?:in|during|early|late|mid|around|about)\s+)?(?:(?:early|late|mid)[\s-]+)?(?P<alone>{_MONTH})$|"
    rf"\b(?:in|during|last|since)\s+(?:(?:early|late|mid)[\s-]+)?(?P<named>{_MONTH})\b")
MONTH_LAST_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\s+(?:of\s+)?last\s+year\b")
# a past that names no day, week or month: "a few days ago", "the other day", "a while back"
_NO_DAY = (r"(?:a\s+few|few|several|some)\s+(?:days|weeks|months)\s+(?:ago|back)|"
           r"the\s+other\s+(?:day|night|week)|a\s+while\s+(?:ago|back)|ages\s+ago")
# words that name no week and no month: not a date
VAGUE = re.compile(rf"\b(?:{_NO_DAY}|(?:days|weeks|months)\s+back|(?:last|this)\s+year|"
                   r"(?:a\s+)?(?:year|years)\s+ago|(?:weeks|months)\s+ago)\b")
# a past of no day said, even beside a clock time ("a few weeks ago at 9pm" is not today at 9pm)
VAGUE_PAST = re.compile(rf"\b(?:{_NO_DAY}|(?:last|this\s+past|the)\s+weekend|"
                        r"(?:a\s+few|some|several)\s+weekends\s+ago)\b|^(?:days|weeks|months)\s+(?:ago|back)\b")
# a day said beside the vague words ("the other day, the 26th"): the grammar reads it
_DAY_SAID = re.compile(rf"\d+/\d+|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:{_MONTH})\b|yesterday|today|last\s+night")
# a day's number, a clock time, or a date with slashes: something more precise than a period
_PRECISE = re.compile(r"\d{1,2}(?::|\.)\d\d|\d\s*(?:am|pm)\b|"
                      r"\b\d{1,2}(?:st|nd|rd|th)?\b(?!\s*(?:weeks?|months?)\s+ago)|\d+/\d+")


_DAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# "tuesday last week", "last week on tuesday": that day of the calendar week before this one
# "saturday last weekend" too: the weekend of that week (said on a Sunday, not the day before)
OF_LAST_WEEK = re.compile(rf"\b(?P<a>{_DAY})\s+(?:of\s+)?last\s+week(?:end)?\b|"
                          rf"\blast\s+week(?:end)?\s+(?:on\s+)?(?:the\s+)?(?P<b>{_DAY})\b")


def of_last_week(text: str, now: datetime) -> str:
    """``text`` with "tuesday last week" (or "last week on tuesday") written as that day's date,
    "17 november", for the grammar to read with any time said beside it.  On Sunday 29 November
    it was read as "last tuesday", the 24th: a day of this week, not of last week."""
    def day_of(match: re.Match[str]) -> str:
        weekday = WEEKDAYS[match.group("a") or match.group("b")]
        found = monday(now.date()) - timedelta(weeks=1) + timedelta(days=weekday)
        return f"{found.day} {found:%B}".lower()

    return OF_LAST_WEEK.sub(day_of, text)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_in(text: str, now: datetime) -> tuple[Optional[When], bool]:
    """(the week or month ``text`` names, or None; whether it names only a vague past: "a few weeks
    ago").  ``text`` is cleaned (lower case) and ``now`` local.  Nothing is read when a day of the
    week or a day's number is named (the grammar reads those)."""
    weekday = weekday_in(text)
    if VAGUE_PAST.search(text) and weekday is None and not _DAY_SAID.search(text):
        return None, True  # "a few days ago at 9pm": a time of no day said, not today's 9pm
    if weekday is not None or _PRECISE.search(text):
        return None, False
    zone = now.tzinfo
    today = now.date()
    found = WEEK.search(text)
    if found:
        back = 2 if found.group("before") else 1 if found.group("last") else 0
        start = monday(today) - timedelta(weeks=back)
        return When(local_time(start, 0, 0, zone), "week"), False  # type: ignore[arg-type]
    found = MONTHS_AGO.search(text)
    if found:
        raw = found.group("n")
        n = int(raw) if raw.isdigit() else _NUMBER.get(raw, 1)
        return (_month(today.year, today.month - n, now), False) if n <= 1200 else (None, True)
    found = MONTH_LAST_YEAR.search(text)
    if found:  # "december last year", "in may last year"
        return _month(today.year - 1, MONTHS[found.group("m")], now), False
    if VAGUE.search(text):
        return None, True
    found = MONTH.search(text)
    if found:
        return _month(today.year, today.month - (1 if found.group("last") else 0), now), False
    found = NAMED_MONTH.search(text)
    if found:
        number = MONTHS[found.group("alone") or found.group("named")]
        # the last such month that has begun: October said in November is this year's
        return _month(today.year - (1 if number > today.month else 0), number, now), False
    return None, False


def _month(year: int, month: int, now: datetime) -> When:
    while month < 1:
        year, month = year - 1, month + 12
    return When(local_time(date(year, month, 1), 0, 0, now.tzinfo), "month")  # type: ignore[arg-type]
