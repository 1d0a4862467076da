"""The forms of unwanted attention named in someone's own words ("he followed me home": following).

The police leaflet's six forms (turning up, following, contacting, gifts, monitoring, damage
or threats), read with the patterns of ``data/four_check.yml`` (``behaviours``).  Used by the
FOUR check and the guided note (nlu/actions) and by a quick note (bot/desk), which files the
note under the first form it names, so the log's pattern counts it where it belongs.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

from guidance.copy import DATA_DIR

PATTERNS_PATH = DATA_DIR / "four_check.yml"
BEHAVIOURS = ("turning_up", "following", "contacting", "gifts", "monitoring", "damage_threats")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    raw = yaml.safe_load(PATTERNS_PATH.read_text("utf-8"))
    return {key: [re.compile(p) for p in patterns] for key, patterns in raw["behaviours"].items()}


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def extract_behaviours(text: str) -> list[str]:
    """The leaflet's forms of unwanted attention named in ``text``, in canonical order."""
    if text.startswith("/"):
        return []
    cleaned = clean(text)
    found = [key for key, patterns in _patterns().items() if any(p.search(cleaned) for p in patterns)]
    return [b for b in BEHAVIOURS if b in found]
