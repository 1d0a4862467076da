"""Reading "when did it happen?" in natural language, UK style (day first), and showing it back.

Used by the guided note's validator, by the bot when a note's date is edited and by
``/note ...`` (a time written inside the note).  :func:`read_when` gives a
:class:`~guidance.when.When` (the moment, how exact it was given, and the other reading
when the words have two); the grammar of the common forms is :mod:`guidance.date_grammar`.

:func:`echo` shows it back ("Thu 26 Nov, about 23:00", "Thu 26 Nov, time not given");
the words live in ``data/dates.yml``.  A time in the future raises
:class:`~guidance.when.FutureDate`.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Optional
from zoneinfo import ZoneInfo

import dateparser

from guidance.copy import fill
from guidance.date_grammar import (
    AGO,
    FUTURE_WORDS,
    HALF_HOUR_AGO,
    NOW,
    NOW_INSIDE,
    NUMBERS,
    find,
    hour_readings,
    is_hedged,
    resolve,
)
from guidance.date_periods import of_last_week, period_in
from guidance.date_weeks import near_weeks_ago, weekday_in
from guidance.when import (
    BARE_TIME_WINDOW,
    FUTURE_TOLERANCE,
    MAX_AGO_DAYS,
    PRECISIONS,
    FutureDate,
    When,
    date_config,
    dates_file,
    local_time,
    local_zone,
    respell,
)


def current_time(zone: tzinfo) -> datetime:
    """Now (one place, so tests can fix it)."""
    return datetime.now(zone)


# ---------------------------------------------------------------------------- reading
def _relative(text: str, now: datetime) -> Optional[When]:
    if HALF_HOUR_AGO.search(text):
        return When((now - timedelta(minutes=30)).replace(second=0, microsecond=0), "about")
    match = AGO.search(text)
    if not match:
        return None
    raw = match.group("n")
    if raw in ("a few", "few") and match.group("u").startswith(("day", "week", "fortnight")):
        return None  # "a few days ago" names no day (guidance.date_periods: not a date)
    n = float(raw) if raw.isdigit() else float(NUMBERS.get(raw, 1))
    if n > MAX_AGO_DAYS:  # "999999 days ago": not a date anyone can mean (and beyond datetime)
        return None
    if match.group("half"):
        n += 0.5
    unit = match.group("u")
    if unit.startswith("min"):
        hedged = raw in ("a few", "few", "a couple of", "couple of", "a couple") or is_hedged(text)
        return When((now - timedelta(minutes=n)).replace(second=0, microsecond=0),
                    "about" if hedged else "exact")
    if unit.startswith(("h", "hr")):
        return When((now - timedelta(hours=n)).replace(second=0, microsecond=0), "about")
    days = n * (7 if unit.startswith("week") else 14 if unit.startswith("fortnight") else 1)
    if days > MAX_AGO_DAYS:
        return None
    day, other = (now - timedelta(days=days)).date(), None
    # "a couple of days ago around 9pm": the time said with it, on that day (before, it was dropped)
    rest = (text[:match.start()] + " " + text[match.end():]).strip()
    weekday = weekday_in(rest) if days >= 7 else None
    if weekday is not None:  # "two weeks ago on tuesday": that weekday, near then (guidance.date_weeks)
        day, other = near_weeks_ago(day, weekday)
    found = find(rest, now, strict=False) if rest else None
    if found is not None and (found.hour is not None or found.part is not None) \
            and (found.day is None or weekday is not None):
        found.day, found.day_alt, found.day_kind = day, other, "ago"
        # now is in the local ZoneInfo (both callers call astimezone(local_zone())): never None.
        return resolve(found, now, now.tzinfo, is_hedged(text))  # type: ignore[arg-type]
    zone = now.tzinfo
    return When(local_time(day, 0, 0, zone), "date",  # type: ignore[arg-type]
                local_time(other, 0, 0, zone) if other else None, "date" if other else None)  # type: ignore[arg-type]


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


def _cleaned(text: str) -> str:
    """An answer as the readers take it: lower case, spaces squeezed, end punctuation off,
    time words typed on a phone spelt out."""
    return respell(re.sub(r"\s+", " ", text.strip().lower()).strip(" .!?,"))


def read_when(text: str, now: Optional[datetime] = None) -> Optional[When]:
    """What ``text`` (an answer to "when did it happen?") names; None when it can't be read.

    Raises :class:`FutureDate` for a time in the future.
    """
    zone, rewrites = date_config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = of_last_week(_cleaned(text), now)
    if not cleaned:
        return None
    if NOW.match(cleaned):
        return When(now.replace(microsecond=0), "exact")
    if FUTURE_WORDS.search(cleaned):
        raise FutureDate(cleaned)
    relative = _relative(cleaned, now)
    if relative is not None:
        return _checked(relative, now, cleaned)
    period, vague = period_in(cleaned, now)  # "last week", "in october": never a day not said
    if period is not None or vague:
        return period
    found = find(cleaned, now, strict=False)
    when = resolve(found, now, zone, is_hedged(cleaned))
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
    return When(local_time(parsed.astimezone(zone).date(), 0, 0, zone), "date")


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
    return time_in_note(text, now)[0]


def names_a_future_time(text: str, now: Optional[datetime] = None) -> bool:
    """A date or time written inside free text that has not come yet ("he was outside at 5pm
    today", sent at 3 in the morning): :func:`find_when` ignores it, and the note that keeps the
    time it was sent must say so, never silently."""
    return time_in_note(text, now)[1]


def time_in_note(text: str, now: Optional[datetime] = None) -> tuple[Optional[When], bool]:
    """:func:`find_when` and :func:`names_a_future_time` from one reading of the text (a quick
    note needs both): the time written in it, or None; and whether that None is a time still
    to come."""
    try:
        return _find_when(text, now), False
    except FutureDate:
        return None, True


def _find_when(text: str, now: Optional[datetime] = None) -> Optional[When]:
    """:func:`find_when`, raising :class:`FutureDate` for a time still to come."""
    zone, _ = date_config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = of_last_week(respell(re.sub(r"\s+", " ", text.lower())), now)
    if NOW_INSIDE.search(cleaned) or FUTURE_WORDS.search(cleaned):
        return None
    relative = _relative(cleaned, now)
    if relative is not None:
        return _checked(relative, now, cleaned)
    period, vague = period_in(cleaned, now)
    if period is not None or vague:  # "a few days ago at 9pm" is not today at 9pm
        return period
    found = find(cleaned, now, strict=True)
    if found.day is None and found.hour is None and found.night_base is None:
        return None  # a part of the day alone ("in the morning") is too loose inside a sentence
    window = " ".join(cleaned[max(0, s - 20):e + 20] for s, e in found.spans)
    when = _checked(resolve(found, now, zone, is_hedged(window)), now, cleaned)
    if when is not None and found.day is None and now - when.at > BARE_TIME_WINDOW:
        return None  # "he'll come back at 11pm" written at 22:30 is not last night's 11pm
    return when


# Words that leave a message only a time ("it was more like half 10", "no, about 10").
_TIME_FILLER = frozenset(
    "it was is its it's more like about around roughly actually no not sorry i think mean meant "
    "the time at that than nearer closer to nearly almost maybe probably earlier later ish or so "
    "oh wait hang on just before after gone".split())


def names_a_vague_past(text: str, now: Optional[datetime] = None) -> bool:
    """Whether ``text`` names a past but no day, week or month of it ("a few days ago", "the other
    day", "last year"): not a date to write down, and not one to say "couldn't read" to either."""
    zone, _ = date_config()
    now = (now or current_time(zone)).astimezone(zone)
    return period_in(of_last_week(_cleaned(text), now), now)[1]


def names_only_a_time(text: str, now: Optional[datetime] = None) -> bool:
    """Whether ``text`` says a clock time and nothing else ("more like half 10": yes; "he came
    back at 11": no, it says what happened)."""
    zone, _ = date_config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = _cleaned(text)
    found = find(cleaned, now, strict=False)
    if found.hour is None:
        return False
    rest = cleaned
    for start, end in sorted(found.spans, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    return all(word in _TIME_FILLER for word in re.findall(r"[a-z']+", rest))


def read_time_correction(text: str, before: When, now: Optional[datetime] = None) -> Optional[When]:
    """A correction of the time of ``before``: "more like half 10" after "last night about 11".

    A clock time said alone keeps ``before``'s day and takes the reading of the hour nearest
    to ``before`` (22:30, not 10:30, for a night at 23:00; across midnight too); words that
    name a day are read afresh (:func:`read_when`).  None when the words name no time.
    Raises :class:`FutureDate` for a time in the future.
    """
    zone, _ = date_config()
    now = (now or current_time(zone)).astimezone(zone)
    cleaned = _cleaned(text)
    if not cleaned or NOW.match(cleaned) or AGO.search(cleaned) or HALF_HOUR_AGO.search(cleaned):
        return read_when(text, now)
    found = find(cleaned, now, strict=False)
    if found.day is not None or found.night_base is not None or found.hour is None:
        return read_when(text, now)
    old = before.at.astimezone(zone)
    precision = "about" if is_hedged(cleaned) else "exact"
    candidates = [local_time(old.date() + timedelta(days=shift), hour % 24, found.minute, zone)
                  + timedelta(days=hour // 24)
                  for hour, _ in hour_readings(found) for shift in (-1, 0, 1)]
    best = min(candidates, key=lambda c: abs((c - old).total_seconds()))
    if best > now + FUTURE_TOLERANCE:
        raise FutureDate(cleaned)
    return When(best, precision)


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
    template = dates_file()["echo"].get(precision if precision in PRECISIONS else "exact")
    day = f"{local:%a} {local.day} {local:%b %Y}" if always_year else _day_text(local, now)
    month = f"{local:%B}" if local.year == now.year and not always_year else f"{local:%B %Y}"
    return fill(str(template), day=day, time=f"{local:%H:%M}", month=month)


def short_when(at: datetime, precision: Optional[str] = None) -> str:
    """``at`` on a list's button: "27 Nov 23:00", "27 Nov ~23:00", "24 Nov evening", "24 Nov"
    (a time that was not given is never shown as a clock time)."""
    local = at.astimezone(local_zone())
    template = dates_file()["short"].get(precision if precision in PRECISIONS else "exact")
    return fill(str(template), day=f"{local.day:02d} {local:%b}", time=f"{local:%H:%M}",
                month=f"{local:%b %Y}")


def echo(when: When, now: Optional[datetime] = None) -> str:
    return echo_when(when.at, when.precision, now)


def saved_as(when: When, now: Optional[datetime] = None) -> str:
    """The step's echo: "Saved as Thu 26 Nov, about 23:00." and, when the words could
    be read two ways, the check question naming the other reading."""
    text = fill(str(dates_file()["echo"]["saved_as"]), when=echo(when, now))
    if when.alternative is not None:
        other = echo_when(when.alternative, when.alternative_precision or when.precision, now)
        zone = local_zone()
        # the same day read two ways is the hour (11 = 11am or 11pm); otherwise the date
        same_day = when.alternative.astimezone(zone).date() == when.at.astimezone(zone).date()
        how = dates_file()["echo"]["check_time" if same_day else "check_date"]
        text += " " + fill(str(dates_file()["echo"]["check"]), alternative=other, how=str(how))
    return text


def echo_slot(value: Optional[str], now: Optional[datetime] = None) -> Optional[str]:
    """:func:`echo` of a slot value written by :meth:`When.to_slot` (None stays None)."""
    return None if not value else echo(When.from_slot(value), now)
