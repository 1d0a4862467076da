"""Reading "when did it happen?" in natural language, UK style (day first), and showing it back.

Used by the guided note's validator, by the bot when a note's date is edited and by
``/note ...`` (a time written inside the note).  :func:`read_when` gives a :class:`When`:

* ``at``: the moment, an aware datetime in UK time;
* ``precision``: ``exact`` ("at 11pm"), ``about`` ("about 11", "2 hours ago"), a part of
  the day (``morning``/``afternoon``/``evening``/``night``: "Tuesday evening", no clock
  time) or ``date`` ("yesterday", "20/11": the time was not given; the note is sorted by
  midnight but never shown as 00:00);
* ``alternative``: the other reading when the words have two ("03/04" is 3 April, or
  4 March; "yesterday at 8" is 08:00, or 20:00); the caller asks which.

:func:`echo` shows it back ("Thu 26 Nov, about 23:00", "Thu 26 Nov, time not given");
the words live in ``data/dates.yml``.  A time in the future raises :class:`FutureDate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

import dateparser
import yaml

DATES_PATH = Path(__file__).resolve().parent.parent / "data" / "dates.yml"
FUTURE_TOLERANCE = timedelta(minutes=5)
# A time alone inside a quick note ("outside at 7pm") is the last 7pm if that was this recently.
BARE_TIME_WINDOW = timedelta(hours=12)
MAX_AGO_DAYS = 36500
PRECISIONS = ("exact", "about", "morning", "afternoon", "evening", "night", "date")
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


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    return yaml.safe_load(DATES_PATH.read_text("utf-8"))


@lru_cache(maxsize=1)
def _config() -> tuple[ZoneInfo, list[tuple[re.Pattern[str], str]]]:
    raw = _raw()
    rewrites = [(re.compile(p, re.IGNORECASE), r) for p, r in raw["rewrites"]]
    return ZoneInfo(raw["timezone"]), rewrites


def local_zone() -> ZoneInfo:
    return _config()[0]


def current_time(zone: tzinfo) -> datetime:
    """Now (one place, so tests can fix it)."""
    return datetime.now(zone)


# ---------------------------------------------------------------------------- patterns
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2,
             "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
             "saturday": 5, "sunday": 6}
_WEEKDAY = r"(?P<wd>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")"
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "a couple of": 2, "couple of": 2, "a couple": 2, "a few": 3, "few": 3}
_PART = r"(?P<part>morning|afternoon|evening|night|lunch ?time|lunch)"

_DAY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    ("numeric", re.compile(r"(?<![\d:.])(?P<a>\d{1,2})\s*[/\-]\s*(?P<b>\d{1,2})"
                           r"(?:\s*[/\-]\s*(?P<y>\d{2}|\d{4}))?(?![\d:])")),
    ("numeric", re.compile(r"(?<![\d:.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{2}|\d{4})(?!\d)")),
    ("day_month", re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.format("mon")
                             + r"(?:,?\s+(?P<y>\d{4}))?\b")),
    ("month_day", re.compile(r"\b" + _MONTH.format("mon") + r"\s+(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?"
                             r"(?!\s*(?::|am|pm|a\.m|p\.m|o'?clock))(?:,?\s+(?P<y>\d{4}))?\b")),
    ("before_yesterday", re.compile(r"\b(?:the\s+)?day\s+before\s+yesterday\b")),
    ("last_night", re.compile(r"\blast\s+night\b")),
    ("tonight", re.compile(r"\b(?:to-?night|this\s+night)\b")),
    ("this_part", re.compile(r"\bthis\s+(?P<part>morning|afternoon|evening|lunch ?time)\b")),
    ("yesterday", re.compile(r"\byesterday\b")),
    ("today", re.compile(r"\b(?:today|earlier(?:\s+today)?)\b")),
    ("weekday", re.compile(r"\b(?:(?P<last>last|this\s+past|past)\s+|(?:on\s+)?(?:this\s+)?)?" + _WEEKDAY
                           + r"\b")),
]
_CLOCK = re.compile(
    r"(?P<lead>\b(?:at|about|around|round|by|from|approx\.?|approximately|roughly|after|before|till|"
    r"until|gone|just\s+after|just\s+before)\s+)?"
    r"(?<![\d/\-.:])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*"
    r"(?P<ap>a\.?m\.?|p\.?m\.?)?(?P<oc>\s*o'?\s*clock)?(?P<ish>\s*-?ish)?(?![\d/:]|\.\d)")
_HALF_PAST = re.compile(r"\b(?P<q>half|quarter)\s+(?P<rel>past|to)\s+(?P<h>\d{1,2}|"
                        + "|".join(k for k in _NUMBERS if " " not in k and k not in ("a", "an", "few"))
                        + r")\b|\bhalf\s+(?P<h2>\d{1,2})\b")
_NOON = re.compile(r"\b(?P<w>midday|noon|midnight)\b")
_PART_ALONE = re.compile(r"\b(?:in\s+the\s+|at\s+|during\s+the\s+)?" + _PART + r"\b")
_AGO = re.compile(r"\b(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                  r"a couple of|couple of|a couple|a few|few)\s*(?P<half>and a half\s+)?"
                  r"(?P<u>mins?|minutes?|hrs?|hours?|days?|weeks?)\s+ago\b")
_HALF_HOUR_AGO = re.compile(r"\bhalf\s+an?\s+hour\s+ago\b")
_NOW = re.compile(r"^(?:just\s+now|right\s+now|now|just\s+then|a\s+moment\s+ago|moments\s+ago|"
                  r"a\s+minute\s+ago|it'?s\s+happening\s+now|happening\s+now)$")
_FUTURE_WORDS = re.compile(r"\b(?:tomorrow|tmr|tmrw|next\s+(?:week|month|year|\w+day)|later\s+today|"
                           r"in\s+(?:\d+|an?|a\s+few)\s+(?:mins?|minutes?|hours?|days?|weeks?))\b")
_NOW_INSIDE = re.compile(r"\b(?:just\s+now|right\s+now|a\s+moment\s+ago|moments\s+ago)\b")


def _hedged(text: str) -> bool:
    words = [h for h in _raw()["hedges"]]
    pattern = r"(?:\b(?:" + "|".join(re.escape(w) for w in words) + r")\b|\d-?ish\b)"
    return bool(re.search(pattern, text))


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour % 24, minute), tzinfo=zone) + timedelta(days=hour // 24)


@dataclass
class _Found:
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


def _year_for(day: int, month: int, now: datetime) -> Optional[date]:
    """This year's date, or last year's when this year's is still to come."""
    for year in (now.year, now.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate <= now.date():
            return candidate
    return None


def _dated(d: int, m: int, y: Optional[str], now: datetime) -> Optional[date]:
    if y is None:
        return _year_for(d, m, now)
    year = int(y) + (2000 if len(y) == 2 else 0)
    try:
        return date(year, m, d)
    except ValueError:
        return None


def _find(text: str, now: datetime, strict: bool) -> _Found:
    """The date and time parts in ``text`` (lower case).  ``strict``: inside free text
    (a quick note), where a bare number or weekday abbreviation must not count."""
    found = _Found()
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
            if strict and groups["y"] is None and not re.search(r"/", match.group(0)):
                continue  # "3-4 times" inside a note is not a date
            first = _dated(a, b, groups["y"], now) if 1 <= b <= 12 else None
            second = _dated(b, a, groups["y"], now) if 1 <= a <= 12 else None
            if first is None and second is None:
                continue
            # Day first (UK).  Only when that cannot be a date ("11/20") is it month first.
            found.day = first or second
            if first and second and first != second:
                found.day_alt = second
            found.explicit_year = groups["y"] is not None
        elif kind in ("day_month", "month_day"):
            month = _MONTHS[groups["mon"][:3]]
            found.day = _dated(int(groups["d"]), month, groups["y"], now)
            if found.day is None:
                continue
            found.explicit_year = groups["y"] is not None
        elif kind == "before_yesterday":
            found.day = today - timedelta(days=2)
        elif kind == "last_night":
            found.night_base = today - timedelta(days=1)
            found.part = "night"
        elif kind == "tonight":
            night_ends = int(_raw()["night_ends"])
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
            back = (today.weekday() - _WEEKDAYS[name]) % 7
            if groups.get("last") and back == 0:
                back = 7
            found.day = today - timedelta(days=back)
            found.day_kind = "weekday"
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
    return "afternoon" if word.startswith("lunch") else word


def _find_time(text: str, found: _Found, spans: list[tuple[int, int]], strict: bool) -> None:
    def free(match: re.Match[str]) -> bool:
        return not any(s <= match.start() < e or s < match.end() <= e for s, e in spans)

    noon = _NOON.search(text)
    if noon and free(noon):
        found.hour = 12 if noon.group("w") in ("midday", "noon") else 0
        found.meridiem = "24h"
        if noon.group("w") == "midnight":
            found.part = found.part or "night"
        spans.append(noon.span())
    half = next((m for m in _HALF_PAST.finditer(text) if free(m)), None)
    if found.hour is None and half:
        raw_h = half.group("h") or half.group("h2")
        hour = int(raw_h) if raw_h.isdigit() else _NUMBERS.get(raw_h, 0)
        if half.group("h2"):  # "half 11" (UK): half past 11
            found.hour, found.minute = hour, 30
        else:
            minutes = 30 if half.group("q") == "half" else 15
            if half.group("rel") == "past":
                found.hour, found.minute = hour, minutes
            else:
                found.hour, found.minute = hour - 1, 60 - minutes
        spans.append(half.span())
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


def _hour_readings(found: _Found) -> list[tuple[int, bool]]:
    """The 24-hour clock readings of the hour said, best first, with the day offset
    (+1: after midnight of a named night) folded into hours >= 24."""
    h = found.hour
    assert h is not None
    if found.meridiem == "am":
        base = h % 12
        return [(base + 24, True)] if found.part == "night" and found.night_base else [(base, True)]
    if found.meridiem == "pm":
        return [(h % 12 + 12, True)]
    if found.meridiem == "24h":
        if found.part == "night" and h < int(_raw()["night_ends"]) + 1:
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
        if h <= int(_raw()["night_ends"]):
            return [(h + 24, True)]
        return [(h + 12 if h < 12 else h, True)]
    if h == 12:
        return [(12, True), (0, False)]
    if h > 12:
        return [(h, True)]
    # A bare "at 7": both readings; the caller picks and may ask.
    return [(h + 12, True), (h, False)] if h <= 6 else [(h, True), (h + 12, False)]


def _combine(found: _Found, now: datetime, zone: ZoneInfo, hedged: bool) -> Optional[When]:
    """A :class:`When` from what :func:`_find` found, or None when nothing was."""
    day_given = found.day is not None
    day = found.day or now.date()
    if found.hour is not None:
        readings = _hour_readings(found)
        moments = [_local(day, hour, found.minute, zone) for hour, _ in readings]
        precision = "about" if hedged else "exact"
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
            alt = _local(found.day_alt, readings[0][0], found.minute, zone)
        return When(moments[0], precision, alt, precision if alt else None)
    if found.part is not None:
        parts = _raw()["parts_of_day"]
        start, shown = int(parts[found.part]["start"]), int(parts[found.part]["shown_at"])
        at = _local(day, shown, 0, zone)
        if at > now and _local(day, start, 0, zone) <= now + FUTURE_TOLERANCE:
            at = now.replace(second=0, microsecond=0)  # "this evening", said early in the evening
        alt = _local(found.day_alt, shown, 0, zone) if found.day_alt else None
        return When(at, found.part, alt, found.part if alt else None)
    if day_given:
        at = _local(day, 0, 0, zone)
        alt = _local(found.day_alt, 0, 0, zone) if found.day_alt else None
        return When(at, "date", alt, "date" if alt else None)
    return None


def _resolve(found: _Found, now: datetime, zone: ZoneInfo, hedged: bool) -> Optional[When]:
    """:func:`_combine`; a weekday whose time today is still to come is last week's, and
    "last night at 2am" said at half past midnight is the night before."""
    when = _combine(found, now, zone, hedged)
    shift = {"weekday": 7, "last_night": 1}.get(found.day_kind or "")
    if when is not None and shift and found.day is not None and when.at > now + FUTURE_TOLERANCE:
        found.day -= timedelta(days=shift)
        when = _combine(found, now, zone, hedged)
    return when


def _relative(text: str, now: datetime) -> Optional[When]:
    if _HALF_HOUR_AGO.search(text):
        return When((now - timedelta(minutes=30)).replace(second=0, microsecond=0), "about")
    match = _AGO.search(text)
    if not match:
        return None
    raw = match.group("n")
    n = float(raw) if raw.isdigit() else float(_NUMBERS.get(raw, 1))
    if n > MAX_AGO_DAYS:  # "999999 days ago": not a date anyone can mean (and beyond datetime)
        return None
    if match.group("half"):
        n += 0.5
    unit = match.group("u")
    if unit.startswith("min"):
        hedged = raw in ("a few", "few", "a couple of", "couple of", "a couple") or _hedged(text)
        return When((now - timedelta(minutes=n)).replace(second=0, microsecond=0),
                    "about" if hedged else "exact")
    if unit.startswith(("h", "hr")):
        return When((now - timedelta(hours=n)).replace(second=0, microsecond=0), "about")
    days = n * (7 if unit.startswith("week") else 1)
    if days > MAX_AGO_DAYS:
        return None
    day = (now - timedelta(days=days)).date()
    return When(_local(day, 0, 0, now.tzinfo), "date")  # type: ignore[arg-type]


def _checked(when: Optional[When], now: datetime, text: str) -> Optional[When]:
    if when is None:
        return None
    if when.at > now + FUTURE_TOLERANCE:
        # An ambiguous reading in the future: the other one (a 03/04 still to come is 4 March).
        if when.alternative is not None and when.alternative <= now + FUTURE_TOLERANCE:
            return When(when.alternative, when.alternative_precision or when.precision)
        if when.precision == "date" and when.at.date() <= now.date():
            return when
        raise FutureDate(text)
    if when.alternative is not None and when.alternative > now + FUTURE_TOLERANCE:
        return replace(when, alternative=None, alternative_precision=None)
    return when


def read_when(text: str, now: Optional[datetime] = None) -> Optional[When]:
    """What ``text`` (an answer to "when did it happen?") names; None when it can't be read.

    Raises :class:`FutureDate` for a time in the future.
    """
    zone, rewrites = _config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = re.sub(r"\s+", " ", text.strip().lower()).strip(" .!?,")
    if not cleaned:
        return None
    if _NOW.match(cleaned):
        return When(now.replace(microsecond=0), "exact")
    if _FUTURE_WORDS.search(cleaned):
        raise FutureDate(cleaned)
    relative = _relative(cleaned, now)
    if relative is not None:
        return _checked(relative, now, cleaned)
    found = _find(cleaned, now, strict=False)
    when = _resolve(found, now, zone, _hedged(cleaned))
    if when is not None:
        return _checked(when, now, cleaned)
    return _checked(_dateparser(cleaned, now, zone, rewrites), now, cleaned)


def _dateparser(cleaned: str, now: datetime, zone: ZoneInfo,
                rewrites: list[tuple[re.Pattern[str], str]]) -> Optional[When]:
    for pattern, replacement in rewrites:
        cleaned = pattern.sub(replacement, cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        return None
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "TIMEZONE": str(zone),
            "TO_TIMEZONE": str(zone),
            "RETURN_AS_TIMEZONE_AWARE": True,
        },
    )
    if parsed is None:
        return None
    if re.search(r"\d[:.]\d\d|\d\s*(am|pm)\b", cleaned):
        return When(parsed.astimezone(zone), "exact")
    # No clock time in the words ("last week", "a fortnight ago"): the day only.
    return When(_local(parsed.astimezone(zone).date(), 0, 0, zone), "date")


def parse_when(text: str, now: Optional[datetime] = None) -> Optional[datetime]:
    """The moment ``text`` names, as an aware datetime; None when it can't be read.

    (The moment only: :func:`read_when` also says whether a time was given.)
    Raises :class:`FutureDate` for a time in the future.
    """
    when = read_when(text, now)
    return None if when is None else when.at


def find_when(text: str, now: Optional[datetime] = None) -> Optional[When]:
    """A date or time written inside free text ("/note he was outside at 7pm"), or None.

    Only clear forms count (a weekday written out, "at 7", "7pm", "19:30", "yesterday",
    "2 hours ago"); one in the future is ignored (the note keeps the time it was sent).
    """
    zone, _ = _config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = re.sub(r"\s+", " ", text.lower())
    if _NOW_INSIDE.search(cleaned) or _FUTURE_WORDS.search(cleaned):
        return None
    try:
        relative = _relative(cleaned, now)
        if relative is not None:
            return _checked(relative, now, cleaned)
        found = _find(cleaned, now, strict=True)
        if found.day is None and found.hour is None and found.night_base is None:
            return None  # a part of the day alone ("in the morning") is too loose inside a sentence
        if found.hour is None and found.part is None and found.day == now.date():
            return None  # "earlier today": the time it was sent says more
        window = " ".join(cleaned[max(0, s - 20):e + 20] for s, e in found.spans)
        when = _checked(_resolve(found, now, zone, _hedged(window)), now, cleaned)
        if when is not None and found.day is None and now - when.at > BARE_TIME_WINDOW:
            return None  # "he'll come back at 11pm" written at 22:30 is not last night's 11pm
        return when
    except FutureDate:
        return None


# ---------------------------------------------------------------------------- showing back
def _day_text(local: datetime, now: datetime) -> str:
    text = f"{local:%a} {local.day} {local:%b}"
    return text if local.year == now.year else f"{text} {local.year}"


def echo_when(at: datetime, precision: str = "exact", now: Optional[datetime] = None,
              zone: Optional[tzinfo] = None, always_year: bool = False) -> str:
    """``at`` as a person reads it back: "Thu 26 Nov, about 23:00", "Thu 26 Nov, time not given".

    The year is added when it is not this year's (or always, for an exported log).
    """
    zone = zone or local_zone()
    now = (now or current_time(zone)).astimezone(zone)
    local = at.astimezone(zone)
    template = _raw()["echo"].get(precision if precision in PRECISIONS else "exact")
    day = f"{local:%a} {local.day} {local:%b %Y}" if always_year else _day_text(local, now)
    return str(template).format(day=day, time=f"{local:%H:%M}")


def echo(when: When, now: Optional[datetime] = None) -> str:
    return echo_when(when.at, when.precision, now)


def saved_as(when: When, now: Optional[datetime] = None) -> str:
    """The step's echo: "Saved as Thu 26 Nov, about 23:00." and, when the words could
    be read two ways, the check question naming the other reading."""
    text = str(_raw()["echo"]["saved_as"]).format(when=echo(when, now))
    if when.alternative is not None:
        other = echo_when(when.alternative, when.alternative_precision or when.precision, now)
        text += " " + str(_raw()["echo"]["check"]).format(alternative=other)
    return text


def echo_slot(value: Optional[str], now: Optional[datetime] = None) -> Optional[str]:
    """:func:`echo` of a slot value written by :meth:`When.to_slot` (None stays None)."""
    return None if not value else echo(When.from_slot(value), now)
