"""Reading response copy from the domain passed to an action.

Copy lives in the domain (``domain/*.yml``); actions that need to rearrange it
(reorder buttons, fill a list) read it from there instead of holding strings.
"""
from __future__ import annotations

from typing import Any

QUESTION_RESPONSES = {
    "ask_signposts": "utter_signposts",
    "ask_report": "utter_report",
    "ask_safety_advice": "utter_safety_menu",
    "ask_record": "utter_record",
    "ask_tell_someone": "utter_tell_someone",
    "ask_routines": "utter_routines",
    "ask_online_safety": "utter_online_safety",
    "ask_spo": "utter_spo",
    "ask_what_is_stalking": "utter_what_is_stalking",
    "ask_four_signs": "utter_four_signs",
    "ask_behaviours": "utter_behaviours",
    "ask_anyone": "utter_anyone",
    "ask_romcom": "utter_romcom",
    "ask_friend": "utter_friend",
    "ask_law": "utter_law",
    "ask_about_bot": "utter_about_bot",
}


def response(domain: dict[str, Any], name: str) -> dict[str, Any]:
    """The first variation of response ``name`` (text and buttons)."""
    variations = domain.get("responses", {}).get(name) or [{}]
    return dict(variations[0])


def text(domain: dict[str, Any], name: str) -> str:
    return str(response(domain, name).get("text", ""))


def buttons(domain: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [dict(b) for b in response(domain, name).get("buttons", [])]


def link_buttons(domain: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Only the buttons that open a link, safe to show in the middle of a form."""
    return [b for b in buttons(domain, name) if not str(b.get("payload", "")).startswith("/")]
