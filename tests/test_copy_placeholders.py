"""Every placeholder in every copy file is filled, and there is one placeholder style: ``[[name]]``.

A placeholder is either a contact of ``data/facts.yml`` (the bot fills it before anything is
shown) or a value the code fills with ``guidance.copy.fill`` / ``copy.text(name, **values)``;
a person must never see ``[[count]]`` or ``{count}``.  The copy files are every YAML file the
bot shows words from: ``data/*.yml`` (the training data under data/nlu, rules and stories
are not copy), ``domain/*.yml`` (Rasa's responses) and ``bot/**/*.yml``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.copy import fill, placeholders
from guidance.dates import saved_as
from guidance.facts import Facts
from guidance.risk import RISK_SLOTS
from guidance.when import When, local_zone

ROOT = Path(__file__).resolve().parent.parent
COPY_FILES = sorted([*ROOT.glob("data/*.yml"), *ROOT.glob("domain/*.yml"), *ROOT.glob("bot/**/*.yml")])

# The values code fills in, by file (every other [[name]] must be a contact).
FILLED_BY_CODE: dict[str, set[str]] = {
    "bot/diary/export.yml": {"count", "created", "first", "kind", "last", "name", "number", "page",
                             "pages", "size", "total", "updated", "user_label", "when", "zone"},
    "data/copy.yml": {"answer", "behaviour_line", "chosen", "count", "field", "fits", "form", "limit",
                      "meaning", "named", "note", "place", "question", "read", "value", "waiting",
                      "when"},
    "data/dates.yml": {"alternative", "day", "how", "month", "time", "when"},
    # the desk (bot/desk/) and the console
    "data/diary_copy.yml": {"answers", "attachments", "count", "field", "kind", "kinds", "label", "last_30",
                            "last_7", "limit", "mine", "notes", "number", "ordinal", "page", "pages",
                            "size", "total", "when", "words", "yours"},
    # the risk result (nlu/actions/risk.py) and the safety plan (guidance/risk.py)
    "data/risk.yml": {"count", "log", "number", "reasons", "route", "spo", "title"},
    "data/telegram.yml": {"choice"},
}
_BRACES = re.compile(r"(?<!\{)\{([a-z_0-9]+)\}(?!\})")  # {name}, not {{...}} or {1,2}
CONTACTS = set(Facts.load().contacts)


def _strings(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{where}/{index}")


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _found(path: Path, pattern: Optional[re.Pattern[str]] = None) -> dict[str, set[str]]:
    """Placeholder name -> where in the file it is (the YAML path of each string)."""
    found: dict[str, set[str]] = {}
    for where, text in _strings(yaml.safe_load(path.read_text("utf-8"))):
        names = set(pattern.findall(text)) if pattern else placeholders(text)
        for name in names:
            found.setdefault(name, set()).add(where)
    return found


def test_the_copy_files_are_found() -> None:
    names = {_name(p) for p in COPY_FILES}
    assert {"data/copy.yml", "data/risk.yml", "data/dates.yml", "data/facts.yml",
            "domain/core.yml"} <= names


@pytest.mark.parametrize("path", COPY_FILES, ids=_name)
def test_every_placeholder_is_a_contact_or_a_value_the_code_fills(path: Path) -> None:
    known = CONTACTS | FILLED_BY_CODE.get(_name(path), set())
    unknown = {name: sorted(where) for name, where in _found(path).items() if name not in known}
    assert not unknown, f"{_name(path)}: [[name]] that nothing fills (a typo, or a value to add to " \
                        f"FILLED_BY_CODE with the code that fills it): {unknown}"


@pytest.mark.parametrize("path", COPY_FILES, ids=_name)
def test_one_placeholder_style(path: Path) -> None:
    braces = {name: sorted(where) for name, where in _found(path, _BRACES).items()}
    assert not braces, f"{_name(path)}: write [[name]] (filled by guidance.copy.fill), not {{name}}: {braces}"


@pytest.mark.parametrize("file", sorted(FILLED_BY_CODE))
def test_every_value_the_code_fills_is_in_its_file(file: str) -> None:
    assert FILLED_BY_CODE[file] <= set(_found(ROOT / file)), "a value no copy uses: remove it"


def test_fill_fills_what_it_is_given_once_and_leaves_contacts_for_the_bot() -> None:
    assert fill("[[count]] notes; call [[non_emergency]]", count=3) == "3 notes; call [[non_emergency]]"
    # a value is not filled again: a note that says "[[emergency]]" stays as written
    assert fill("Here is your note: [[note]]", note="[[emergency]] {x}") == \
        "Here is your note: [[emergency]] {x}"
    assert Facts.load().render(fill("Call [[non_emergency]] ([[count]])", count=2)) == "Call 101 (2)"


def _tracker(slots: dict[str, Any], text: str = "", intent: Optional[str] = None,
             entities: Optional[list[dict[str, Any]]] = None) -> Tracker:
    return Tracker(sender_id="u1", slots=slots,
                   latest_message={"text": text, "intent": {"name": intent, "confidence": 0.95},
                                   "entities": entities or [], "metadata": {}},
                   events=[], paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


async def _shown(action: Any, tracker: Tracker) -> list[str]:
    """What a person sees of ``action``'s messages: text and button titles, contacts filled."""
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker, {"responses": {}})
    facts = Facts.load()
    return [facts.render(str(part)) for message in dispatcher.messages
            for part in [message.get("text") or "", *(b["title"] for b in message.get("buttons") or [])]]


def _left(shown: list[str]) -> list[str]:
    return [text for text in shown if "[[" in text or _BRACES.search(text)]


async def test_the_risk_result_and_questions_are_shown_filled() -> None:
    from nlu.actions.risk import ASK_RISK_ACTIONS, ActionRiskResult

    urgent = {slot: "no" for slot in RISK_SLOTS} | {"risk_threats": "yes"}
    shown = await _shown(ActionRiskResult(), _tracker(urgent))
    assert "very seriously: threats of violence." in shown[0] and "call 999" in shown[0] and not _left(shown)
    several = {slot: "yes" if n < 4 else "no" for n, slot in enumerate(
        s for s in RISK_SLOTS if s not in ("risk_threats", "risk_violence", "risk_visits"))}
    shown = await _shown(ActionRiskResult(), _tracker(several))
    assert "You said yes to 4 of these questions" in shown[0] and not _left(shown)
    shown = await _shown(ASK_RISK_ACTIONS[2](), _tracker({}))
    assert shown[0].startswith("Question 3 of 11\n") and not _left(shown)


async def test_the_advice_and_the_place_are_shown_filled() -> None:
    from nlu.actions.advice import ActionSafetyAdvice, ActionSetWhere

    shown = await _shown(ActionSafetyAdvice(), _tracker({"behaviours": ["following"]}))
    assert not _left(shown) and copy.text("safety_fits") in shown[0]
    entities = [{"entity": "where", "value": "scotland"}, {"entity": "where_topic", "value": "report"}]
    shown = await _shown(ActionSetWhere(), _tracker({}, "/set_where", "set_where", entities))
    assert any(text.startswith("Thanks: Scotland") for text in shown), shown
    assert "📍 Not in Scotland?" in shown and not _left(shown)


def test_a_date_said_back_is_filled() -> None:
    from datetime import datetime

    at = datetime(2020, 11, 26, 23, 0, tzinfo=local_zone())
    when = When(at, "about", datetime(2020, 3, 4, 23, 0, tzinfo=local_zone()), "about")
    text = saved_as(when, now=datetime(2020, 11, 27, 1, 0, tzinfo=local_zone()))
    assert text.startswith("Saved as Thu 26 Nov, about 23:00. Or did you mean Wed 4 Mar, about 23:00?")
    assert "[[" not in text


async def test_rasa_s_gentle_danger_line_keeps_an_account_as_a_note_and_a_bare_line_does_not() -> None:
    """Rasa read danger now where the guard did not ("he followed me home from the station last
    night about 11, i'm ok now"): 999 first, and the account can still be kept as a note."""
    from guidance.copy import SAVE_AS_NOTE
    from nlu.actions.advice import ActionEmergency

    for text, kept in (("he followed me home from the station last night about 11, i'm ok now", True),
                       ("help me", False)):
        dispatcher = CollectingDispatcher()
        await ActionEmergency().run(dispatcher, _tracker({}, text, "emergency"), {"responses": {}})
        [message] = dispatcher.messages
        assert "999" in Facts.load().render(str(message["text"]))
        payloads = [b["payload"] for b in message.get("buttons") or []]
        assert (SAVE_AS_NOTE in payloads) is kept, (text, payloads)
        assert "/ask_signposts" in payloads
