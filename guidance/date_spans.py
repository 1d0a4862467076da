"""A span of time in "when did it happen?" ("between 10 and midnight", "from 3 to 4pm",
"10-11pm"), read by its start: the police want when it began (:mod:`guidance.date_grammar`
gives it "about").  Before, the end was read: "last night between 10 and midnight" was the
next day's 00:00, "yesterday between 3 and 4pm" 16:00, and "10-11pm" a date, 10 November.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Optional

NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "a couple of": 2, "couple of": 2, "a couple": 2, "a few": 3, "few": 3}
# An hour in words ("ten", "eleven"): the one-word numbers, not "a", "an" or "few".
HOUR_WORDS = "|".join(k for k in NUMBERS if " " not in k and k not in ("a", "an", "few"))
# "between 10 and midnight", "from 3 to 4pm", "10-11pm": a span of time is read by its start
# (the police want when it began), given "about", with the end's am/pm when the start has none.
SPAN_END = r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)?|midnight|midday|noon|" + HOUR_WORDS + r")"
SPAN = re.compile(r"\b(?:between|from)\s+(?P<start>\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)?|"
                    + HOUR_WORDS + r"|midnight|midday|noon)\s*(?:and|to|till|til|until|-|–)\s*(?P<end>"
                    + SPAN_END + r")(?![\d/:])"
                    r"|(?<![\d/\-.:])(?P<start2>\d{1,2}(?:[:.]\d{2})?)\s*(?:-|–|to|till|until)\s*"
                    r"(?P<end2>\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\.?|p\.?m\.?))(?![\d/:])")
_CLOCK_PARTS = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)?$")


def clock(words: str) -> Optional[tuple[int, int, Optional[str]]]:
    """(hour, minute, "am"/"pm"/"24h" or None) of one end of a span ("10", "4pm", "22:30",
    "midnight", "ten"); None when it is not a time of day."""
    words = words.strip()
    if words in ("midnight", "midday", "noon"):
        return (0, 0, "24h") if words == "midnight" else (12, 0, "24h")
    if words in NUMBERS:
        return (NUMBERS[words], 0, None) if 1 <= NUMBERS[words] <= 12 else None
    match = _CLOCK_PARTS.match(words)
    if not match or (match.group("m") and match.group("m")[0] not in "012345"):
        return None
    h, m = int(match.group("h")), int(match.group("m") or 0)
    ap = (match.group("ap") or "").replace(".", "") or None
    if h > 23 or (ap and not 1 <= h <= 12):
        return None
    if ap is None and (h == 0 or h >= 13 or match.group("h").startswith("0")):
        ap = "24h"
    return h, m, ap


def span_start(span: re.Match[str]) -> Optional[tuple[int, int, Optional[str]]]:
    """A span of time read by its start: the hour, and its am/pm from the end when the start has
    none ("between 3 and 4pm": 15:00; "from 10 to 1am", "between 10 and midnight": the night)."""
    start = clock(span.group("start") or span.group("start2") or "")
    end = clock(span.group("end") or span.group("end2") or "")
    if start is None or end is None:
        return None
    h, m, ap = start
    end_h, _, end_ap = end
    if ap is None and end_ap in ("am", "pm"):
        if end_ap == "pm":
            ap = "pm" if h % 12 <= end_h % 12 else "am"
        else:  # "from 10 to 1am": across midnight when the start is later on the clock
            ap = "pm" if h % 12 > end_h % 12 else "am"
    elif ap is None and end_ap == "24h" and end_h == 0 and 1 <= h <= 11:
        ap = "pm"  # "between 10 and midnight"
    elif ap is None and end_ap == "24h" and end_h >= 13 and h <= 12:
        ap = "pm" if h + 12 <= end_h else None  # "between 3 and 17:00"
    return h, m, ap


# where the span is in the words, and its start: hour, minute, "am"/"pm"/"24h" or None, and the
# part of the day it says ("night" for a span from midnight) or None
SpanStart = tuple[tuple[int, int], int, int, Optional[str], Optional[str]]


def read_span(text: str, free: Callable[[re.Match[str]], bool]) -> Optional[SpanStart]:
    """The first span of time in ``text`` not already read (``free``), or None."""
    for span in SPAN.finditer(text):
        start = span_start(span) if free(span) else None
        if start is not None:
            h, m, ap = start
            return span.span(), h, m, ap, "night" if ap == "24h" and h == 0 else None
    return None
