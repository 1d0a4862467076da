"""The grammar of "when did it happen?": the day and time parts of the words, UK style.

:func:`find` finds the parts ("last night", "Tuesday", "20/11", "about 11", "half 7",
"in the evening"), :func:`resolve` turns them into a :class:`~guidance.when.When`.
:mod:`guidance.dates` reads whole answers with them (and "2 hours ago", and dateparser
for the rest).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from guidance.date_spans import HOUR_WORDS, NUMBERS, read_span
from guidance.date_weeks import DAY_NUMBER, WEEKDAY, dated, day_numbered, weekday_back
from guidance.when import FUTURE_TOLERANCE, When, dates_file, local_time

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_PART = r"(?P<part>morning|afternoon|evening|night|lunch ?time|lunch|tea ?time)"

_DAY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    # not "10-11pm": a span of hours (guidance.date_spans)
    ("numeric", re.compile(r"(?<![\d:.])(?P<a>\d{1,2})\s*[/\-]\s*(?P<b>\d{1,2})"
                           r"(?:\s*[/\-]\s*(?P<y>\d{2}|\d{4}))?(?![\d:])(?!\s*(?:a\.?m|p\.?m)\b)")),
    ("numeric", re.compile(r"(?<![\d:.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{2}|\d{4})(?!\d)")),
    # "25.11" with no year: a date only where it can't be a time (25 is no hour), or a time follows
    ("numeric", re.compile(r"(?<![\d:.])(?P<a>2[4-9]|3[01]|\d{1,2}(?=\.\d{1,2}\s+at\s+\d))"
                           r"\.(?P<b>0?[1-9]|1[0-2])(?![\d.:])")),
    ("day_month", re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.format("mon")
                             + r"(?:,?\s+(?P<y>\d{4}))?\b")),
    ("month_day", re.compile(r"\b" + _MONTH.format("mon") + r"\s+(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?"
                             r"(?!\s*(?::|am|pm|a\.m|p\.m|o'?clock))(?:,?\s+(?P<y>\d{4}))?\b")),
    ("number", DAY_NUMBER),  # "the 26th", "on the 3rd": the last such day up to today
    ("before_yesterday", re.compile(r"\b(?:the\s+)?day\s+before\s+yesterday\b")),
    ("night_before_last", re.compile(r"\b(?:the\s+)?night\s+before\s+last\b")),
    ("last_night", re.compile(r"\blast\s+night\b")),
    ("tonight", re.compile(r"\b(?:to-?night|this\s+night)\b")),
    ("this_part", re.compile(r"\bthis\s+(?P<part>morning|afternoon|evening|lunch ?time|tea ?time)\b")),
    ("yesterday", re.compile(r"\byesterday\b")),
    ("today", re.compile(r"\b(?:today|earlier(?:\s+today)?)\b")),
    ("weekday", WEEKDAY),  # guidance.date_weeks: "a week last friday", "sunday just gone"
]
_CLOCK = re.compile(
    r"(?P<lead>\b(?:at|about|around|round|by|from|approx\.?|approximately|roughly|after|before|till|"
    r"until|gone|just\s+after|just\s+before|more\s+like|closer\s+to|nearer|nearly|almost)\s+)?"
    r"(?<![\d/\-.:])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*"
    r"(?P<ap>a\.?m\.?|p\.?m\.?)?(?P<oc>\s*o'?\s*clock)?(?P<ish>\s*-?ish)?(?![\d/:]|\.\d)")
_HALF_PAST = re.compile(r"\b(?P<q>half|quarter)\s+(?P<rel>past|to)\s+(?P<h>\d{1,2}|" + HOUR_WORDS
                        + r")\b|\bhalf\s+(?P<h2>\d{1,2}|" + HOUR_WORDS + r")\b")
# "ten past 12", "20 to 9", "twenty-five past ten": only where the whole answer is a time
# (never inside a quick note, where "5 to 10 times" is a count).
_MINUTE_WORDS = {"five": 5, "ten": 10, "twenty": 20, "twenty-five": 25}
_MINUTES_PAST = re.compile(r"\b(?P<n>\d{1,2}|twenty[- ]five|five|ten|twenty)\s+(?:minutes?\s+)?"
                           r"(?P<rel>past|to)\s+(?P<h>\d{1,2}|" + HOUR_WORDS + r")\b"
                           r"(?!\s*(?:times|texts|messages|calls|days|weeks|hours|minutes|mins|people))")
_NOON = re.compile(r"\b(?P<w>midday|noon|midnight)\b")
_PART_ALONE = re.compile(r"\b(?:in\s+the\s+|at\s+|during\s+the\s+)?" + _PART + r"\b")
AGO = re.compile(r"\b(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                  r"a couple of|couple of|a couple|a few|few)\s*(?P<half>and a half\s+)?"
                  r"(?P<u>mins?|minutes?|hrs?|hours?|days?|weeks?|fortnights?)\s+ago\b")
HALF_HOUR_AGO = re.compile(r"\bhalf\s+an?\s+hour\s+ago\b")
NOW = re.compile(r"^(?:just\s+now|right\s+now|now|just\s+then|a\s+moment\s+ago|moments\s+ago|"
                  r"a\s+minute\s+ago|it'?s\s+happening\s+now|happening\s+now)$")
FUTURE_WORDS = re.compile(r"\b(?:tomorrow|tmr|tmrw|next\s+(?:week|month|year|\w+day)|later\s+today|"
                          r"a\s+week\s+on\s+\w+day|\w+day\s+week|"
                           r"in\s+(?:\d+|an?|a\s+few)\s+(?:mins?|minutes?|hours?|days?|weeks?))\b")
NOW_INSIDE = re.compile(r"\b(?:just\s+now|right\s+now|a\s+moment\s+ago|moments\s+ago)\b")


def is_hedged(text: str) -> bool:
    words = [h for h in dates_file()["hedges"]]
    pattern = r"(?:\b(?:" + "|".join(re.escape(w) for w in words) + r")\b|\d-?ish\b)"
    return bool(re.search(pattern, text))


@dataclass
class Found:
    day_kind: Optional[str] = None
    day: Optional[date] = None
    day_alt: Optional[date] = None
    explicit_year: bool = False
    night_base: Optional[date] = None  # "last night"/"tonight": the evening the night began
    part: Optional[str] = None
    hour: Optional[int] = None
    minute: int = 0
    meridiem: Optional[str] = None  # "am"/"pm"/"24h" (a 24-hour clock: 18:30, 08:15)
    spans: tuple[tuple[int, int], ...] = ()
    ranged: bool = False  # a span of time ("between 10 and 11"): read by its start, "about"


def find(text: str, now: datetime, strict: bool) -> Found:
    """The date and time parts in ``text`` (lower case).  ``strict``: inside free text
    (a quick note), where a bare number or weekday abbreviation must not count."""
    found = Found()
    spans: list[tuple[int, int]] = []
    today = now.date()
    for kind, pattern in _DAY_PATTERNS:
        match = pattern.search(text)
        if not match or any(s <= match.start() < e for s, e in spans):
            continue
        groups = match.groupdict()
        if kind == "iso":
            try:
                found.day = date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
            except ValueError:
                continue
            found.explicit_year = True
        elif kind == "numeric":
            a, b = int(groups["a"]), int(groups["b"])
            if strict and groups.get("y") is None and not re.search(r"/", match.group(0)):
                continue  # "3-4 times" inside a note is not a date
            first = dated(a, b, groups.get("y"), now) if 1 <= b <= 12 else None
            second = dated(b, a, groups.get("y"), now) if 1 <= a <= 12 else None
            if first is None and second is None:
                continue
            # Day first (UK).  Only when that cannot be a date ("11/20") is it month first.
            found.day = first or second
            if first and second and first != second:
                found.day_alt = second
            found.explicit_year = groups.get("y") is not None
        elif kind in ("day_month", "month_day"):
            month = _MONTHS[groups["mon"][:3]]
            found.day = dated(int(groups["d"]), month, groups["y"], now)
            if found.day is None:
                continue
            found.explicit_year = groups["y"] is not None
        elif kind == "number":
            found.day = day_numbered(int(groups["d"]), today)
            if found.day is None or (strict and not groups["on"]):
                continue  # inside a note "the 3rd time he came" is not a date
        elif kind == "before_yesterday":
            found.day = today - timedelta(days=2)
        elif kind in ("last_night", "night_before_last"):
            found.night_base = today - timedelta(days=1 if kind == "last_night" else 2)
            found.part = "night"
        elif kind == "tonight":
            night_ends = int(dates_file()["night_ends"])
            found.night_base = today if now.hour >= night_ends else today - timedelta(days=1)
            found.part = "night"
        elif kind == "this_part":
            found.day = today
            found.part = _part_name(groups["part"])
        elif kind == "yesterday":
            found.day = today - timedelta(days=1)
        elif kind == "today":
            found.day = today
        elif kind == "weekday":
            name = groups["wd"]
            if strict and len(name) < 6 and name not in ("tues", "weds", "thurs"):
                continue
            found.day = today - timedelta(days=weekday_back(match, today))
            found.day_kind = "weekday"
        if kind in ("numeric", "day_month", "month_day") and not found.explicit_year \
                and re.search(r"\blast\s+year\b", text) and found.day is not None:
            found.day = dated(found.day.day, found.day.month, str(now.year - 1), now)  # "3 may last year"
        if found.day_kind is None:
            found.day_kind = kind
        spans.append(match.span())
        if kind not in ("this_part",):
            # "yesterday" + "evening" etc. are read below; one day phrase is enough
            break
    if found.night_base is not None:
        found.day = found.night_base
    _find_time(text, found, spans, strict)
    found.spans = tuple(spans)
    return found


def _part_name(word: str) -> str:
    """Lunchtime is in the afternoon; teatime (about 5 to 7pm in the UK) in the evening."""
    if word.startswith("lunch"):
        return "afternoon"
    return "evening" if word.startswith("tea") else word


def _find_time(text: str, found: Found, spans: list[tuple[int, int]], strict: bool) -> None:
    def free(match: re.Match[str]) -> bool:
        return not any(s <= match.start() < e or s < match.end() <= e for s, e in spans)

    read = read_span(text, free)  # "between 10 and midnight": its start, "about"
    if read is not None:
        where, found.hour, found.minute, found.meridiem, span_part = read
        found.ranged, found.part = True, found.part or span_part
        spans.append(where)
    noon = _NOON.search(text)
    if found.hour is None and noon and free(noon):
        found.hour = 12 if noon.group("w") in ("midday", "noon") else 0
        found.meridiem = "24h"
        if found.hour == 0 and re.search(r"\b(?:before|nearly|almost|not\s+quite)\s+$", text[:noon.start()]):
            # "just before midnight": about the end of that evening, not the next day
            found.hour, found.minute, found.ranged = 23, 59, True
        if noon.group("w") == "midnight":
            found.part = found.part or "night"
        spans.append(noon.span())
    half = next((m for m in _HALF_PAST.finditer(text) if free(m)), None)
    if found.hour is None and half:
        raw_h = half.group("h") or half.group("h2")
        hour = int(raw_h) if raw_h.isdigit() else NUMBERS.get(raw_h, 0)
        if half.group("h2"):  # "half 11" (UK): half past 11
            found.hour, found.minute = hour, 30
        else:
            minutes = 30 if half.group("q") == "half" else 15
            if half.group("rel") == "past":
                found.hour, found.minute = hour, minutes
            else:
                found.hour, found.minute = hour - 1, 60 - minutes
        spans.append(half.span())
    past = None if strict else next((m for m in _MINUTES_PAST.finditer(text) if free(m)), None)
    if found.hour is None and past:
        raw_n, raw_h = past.group("n"), past.group("h")
        minutes = int(raw_n) if raw_n.isdigit() else _MINUTE_WORDS[re.sub(r"[- ]", "-", raw_n)]
        hour = int(raw_h) if raw_h.isdigit() else NUMBERS.get(raw_h, 0)
        if 0 < minutes < 60 and hour <= 23:
            if past.group("rel") == "past":
                found.hour, found.minute = hour, minutes
            else:
                found.hour, found.minute = (hour - 1) % 24, 60 - minutes
            spans.append(past.span())
    if found.hour is None:
        for match in _CLOCK.finditer(text):
            if not free(match):
                continue
            h = int(match.group("h"))
            has_minutes = match.group("m") is not None
            ap = (match.group("ap") or "").replace(".", "")
            clock_like = has_minutes or ap or match.group("oc") or match.group("ish")
            if not clock_like and not match.group("lead"):
                continue
            if not clock_like and strict and (match.group("lead") or "").strip() not in (
                    "at", "about", "around", "approx", "approx.", "approximately", "roughly"):
                continue
            if match.group("m") is not None and match.group("m")[0] not in "012345":
                continue
            if h > 23 or (ap and not 1 <= h <= 12):
                continue
            found.hour, found.minute = h, int(match.group("m") or 0)
            if ap:
                found.meridiem = ap
            elif h == 0 or h >= 13 or (has_minutes and match.group("h").startswith("0")):
                found.meridiem = "24h"
            spans.append(match.span())
            break
    part = next((m for m in _PART_ALONE.finditer(text) if free(m)), None)
    if part and found.part is None:
        found.part = _part_name(part.group("part"))
        spans.append(part.span())
    elif part and found.part == "night" and part.group("part") != "night":
        spans.append(part.span())


def hour_readings(found: Found) -> list[tuple[int, bool]]:
    """The 24-hour clock readings of the hour said, best first, with the day offset
    (+1: after midnight of a named night) folded into hours >= 24."""
    h = found.hour
    assert h is not None
    if found.meridiem == "am":  # "friday night about 2am": the small hours after that day
        base = h % 12
        small_hours = found.part == "night" and base <= int(dates_file()["night_ends"])
        return [(base + 24, True)] if small_hours and (found.night_base or found.day) else [(base, True)]
    if found.meridiem == "pm":
        return [(h % 12 + 12, True)]
    if found.meridiem == "24h":
        if found.part == "night" and h < int(dates_file()["night_ends"]) + 1:
            return [(h + 24, True)]
        return [(h, True)]
    part = found.part
    if part == "morning":
        return [(h % 12 if h == 12 else h, True)] if h <= 12 else [(h, True)]
    if part in ("afternoon", "evening"):
        return [(h + 12 if h < 12 else h, True)]
    if part == "night":
        if h == 12:
            return [(24, True)]
        if h <= int(dates_file()["night_ends"]):
            return [(h + 24, True)]
        return [(h + 12 if h < 12 else h, True)]
    if h == 12:
        return [(12, True), (0, False)]
    if h > 12:
        return [(h, True)]
    # A bare "at 7": both readings; the caller picks and may ask.
    return [(h + 12, True), (h, False)] if h <= 6 else [(h, True), (h + 12, False)]


def _combine(found: Found, now: datetime, zone: ZoneInfo, hedged: bool) -> Optional[When]:
    """A :class:`When` from what :func:`find` found, or None when nothing was."""
    day_given = found.day is not None
    day = found.day or now.date()
    if found.hour is not None:
        readings = hour_readings(found)
        moments = [local_time(day, hour, found.minute, zone) for hour, _ in readings]
        precision = "about" if hedged or found.ranged else "exact"
        if not day_given:
            # A time alone ("at 11pm"): the last time it was that o'clock.
            candidates = sorted((m for m in moments + [m - timedelta(days=1) for m in moments]
                                 if m <= now + FUTURE_TOLERANCE), reverse=True)
            if not candidates:
                return None
            return When(candidates[0], precision)
        if len(moments) == 2:
            past = [m for m in moments if m <= now + FUTURE_TOLERANCE]
            if len(past) == 1:
                return When(past[0], precision)
            if day == now.date() and len(past) == 2:
                return When(max(past), precision)  # "today at 8" said at 21:00: 20:00
            return When(moments[0], precision, moments[1], precision)
        alt = None
        if found.day_alt is not None:
            alt = local_time(found.day_alt, readings[0][0], found.minute, zone)
        return When(moments[0], precision, alt, precision if alt else None)
    if found.part is not None:
        parts = dates_file()["parts_of_day"]
        start, shown = int(parts[found.part]["start"]), int(parts[found.part]["shown_at"])
        at = local_time(day, shown, 0, zone)
        if at > now and local_time(day, start, 0, zone) <= now + FUTURE_TOLERANCE:
            at = now.replace(second=0, microsecond=0)  # "this evening", said early in the evening
        alt = local_time(found.day_alt, shown, 0, zone) if found.day_alt else None
        return When(at, found.part, alt, found.part if alt else None)
    if day_given:
        at = local_time(day, 0, 0, zone)
        alt = local_time(found.day_alt, 0, 0, zone) if found.day_alt else None
        return When(at, "date", alt, "date" if alt else None)
    return None


def resolve(found: Found, now: datetime, zone: ZoneInfo, hedged: bool) -> Optional[When]:
    """:func:`_combine`; a weekday whose time today is still to come is last week's, and
    "last night at 2am" said at half past midnight is the night before."""
    when = _combine(found, now, zone, hedged)
    shift = {"weekday": 7, "last_night": 1}.get(found.day_kind or "")
    if when is not None and shift and found.day is not None and when.at > now + FUTURE_TOLERANCE:
        found.day -= timedelta(days=shift)
        when = _combine(found, now, zone, hedged)
    return when
