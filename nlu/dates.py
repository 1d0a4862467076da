"""Reading "when did it happen?" in natural language, UK style (day first).

Used by the guided note's validator and by the bot when a note's date is edited.
The phrases dateparser does not know ("last Tuesday morning", "last night") are
rewritten by the rules in ``data/dates.yml`` first.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import dateparser
import yaml

DATES_PATH = Path(__file__).resolve().parent.parent / "data" / "dates.yml"
FUTURE_TOLERANCE = timedelta(minutes=5)


class FutureDate(ValueError):
    """The time given is in the future: a log records what has happened."""


@lru_cache(maxsize=1)
def _config() -> tuple[ZoneInfo, list[tuple[re.Pattern[str], str]]]:
    raw = yaml.safe_load(DATES_PATH.read_text("utf-8"))
    rewrites = [(re.compile(p, re.IGNORECASE), r) for p, r in raw["rewrites"]]
    return ZoneInfo(raw["timezone"]), rewrites


def local_zone() -> ZoneInfo:
    return _config()[0]


def parse_when(text: str, now: Optional[datetime] = None) -> Optional[datetime]:
    """The moment ``text`` names, as an aware datetime; None when it can't be read.

    Raises :class:`FutureDate` for a time in the future.
    """
    zone, rewrites = _config()
    now = (now or datetime.now(zone)).astimezone(zone)
    cleaned = text.strip().lower()
    if cleaned in {"now", "right now", "just now"}:
        return now
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
    if parsed > now + FUTURE_TOLERANCE:
        raise FutureDate(cleaned)
    return parsed
