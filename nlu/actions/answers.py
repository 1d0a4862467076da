"""Reading the FOUR check's answers given in the user's own words.

Pure functions over the patterns in ``data/four_check.yml``, kept beside the
actions (not inside them) so they can be unit-tested without Rasa.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Optional

import yaml

from guidance.behaviours import (  # noqa: F401 - used by the actions
    BEHAVIOURS,
    PATTERNS_PATH,
    clean,
    extract_behaviours,
)

SIGN_SLOTS = ("sign_fixated", "sign_obsessive", "sign_unwanted", "sign_repeated")
INTENT_ANSWERS = {"affirm": "yes", "deny": "no", "unsure": "unsure"}
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    raw = yaml.safe_load(PATTERNS_PATH.read_text("utf-8"))
    compiled: dict[str, Any] = {"signs": {}}
    for slot, spec in raw["signs"].items():
        compiled["signs"][slot] = {
            "name": spec["name"],
            "no": [re.compile(p) for p in spec.get("no", [])],
            "yes": [re.compile(p) for p in spec.get("yes", [])],
        }
    compiled["done"] = [re.compile(p) for p in raw["behaviours_done"]]
    return compiled


def sign_name(slot: str) -> str:
    return str(_patterns()["signs"][slot]["name"])


def is_payload(text: str) -> bool:
    return text.startswith("/")


def interpret_sign(slot: str, text: str, intent: Optional[str], confidence: float) -> Optional[str]:
    """Return "yes", "no" or "unsure" for a FOUR question, or None when unclear.

    A button payload is taken at its word; otherwise the sign's own patterns win
    over the general yes/no intent, so "it only happened once" is Repeated = no.
    """
    if is_payload(text):
        return INTENT_ANSWERS.get(intent or "")
    cleaned = clean(text)
    spec = _patterns()["signs"][slot]
    if any(p.search(cleaned) for p in spec["no"]):
        return "no"
    if any(p.search(cleaned) for p in spec["yes"]):
        return "yes"
    if intent in INTENT_ANSWERS and confidence >= MIN_CONFIDENCE:
        return INTENT_ANSWERS[intent]
    return None


def says_done(text: str) -> bool:
    """True when free text ends the behaviours step ("none", "skip", "that's all")."""
    return any(p.search(clean(text)) for p in _patterns()["done"])
