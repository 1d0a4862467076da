"""Behaviour a mutation pass found unpinned (docs/mutation-testing.md), checked by what the user reads.

* The FOUR summary at exactly 3 of 4 signs: the wording of "some signs", not of "all four".
* The CSV export's ``updated_at`` column: when the note was last changed, not when it was written.

The Telegram webhook secret and the per-user ordering are in ``tests/e2e/test_service_e2e.py``;
"/forget deletes the conversation" is in ``tests/hardening/test_privacy.py``.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.diary.export import export_csv
from bot.diary.store import Note
from nlu.actions.check import ActionFourSummary

ALL_FOUR = "Fixated, Obsessive, Unwanted and Repeated together are the pattern the police call stalking."
SOME = ("I can't tell you whether this is stalking, but what you describe is worth taking seriously: "
        "you know best how it makes you feel, and it is never your fault.")


async def summary_for(slots: dict[str, Any]) -> dict[str, Any]:
    tracker = Tracker(sender_id="u1", slots=slots,
                      latest_message={"text": "", "intent": {}, "entities": []}, events=[],
                      paused=False, followup_action=None, active_loop={},
                      latest_action_name="action_listen")
    dispatcher = CollectingDispatcher()
    await ActionFourSummary().run(dispatcher, tracker, {})
    return dispatcher.messages[0]


async def test_three_of_four_signs_is_said_plainly_without_calling_it_the_full_pattern() -> None:
    shown = await summary_for({"sign_fixated": "yes", "sign_obsessive": "yes", "sign_unwanted": "yes",
                         "sign_repeated": "no", "behaviours": ["following"]})
    lines = shown["text"].split("\n")
    assert lines[0] == "You answered yes to 3 of the 4 warning signs: Fixated, Obsessive and Unwanted."
    assert lines[1] == "What you told me has happened: following me."
    assert lines[2] == ""
    assert lines[3] == SOME
    assert ALL_FOUR not in shown["text"]
    # a strong pattern: the risk self-check is offered first
    assert [b["title"] for b in shown["buttons"]] == [
        "How dangerous is this? (self-check)", "Safety advice", "Start a log", "How to report it"]


async def test_three_of_four_with_one_not_sure_names_it() -> None:
    shown = await summary_for({"sign_fixated": "yes", "sign_obsessive": "unsure", "sign_unwanted": "yes",
                         "sign_repeated": "yes", "behaviours": []})
    lines = shown["text"].split("\n")
    assert lines[0] == ("You answered yes to 3 of the 4 warning signs: Fixated, Unwanted and Repeated "
                        "(not sure about Obsessive).")
    assert lines[1] == "You didn't choose any of the listed behaviours."
    assert lines[3] == SOME and ALL_FOUR not in shown["text"]


async def test_four_of_four_is_the_full_pattern() -> None:
    shown = await summary_for({"sign_fixated": "yes", "sign_obsessive": "yes", "sign_unwanted": "yes",
                         "sign_repeated": "yes"})
    lines = shown["text"].split("\n")
    assert lines[0] == ("You answered yes to 4 of the 4 warning signs: Fixated, Obsessive, Unwanted "
                        "and Repeated.")
    assert lines[3] == ALL_FOUR + " Stalking is a serious crime, and it doesn't have to involve threats."


def test_csv_updated_at_is_when_the_note_was_last_changed() -> None:
    written = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
    changed = datetime(2024, 4, 2, 17, 45, 30, tzinfo=timezone.utc)
    notes = [Note(id=7, occurred_at=datetime(2024, 2, 29, 22, 10, tzinfo=timezone.utc),
                  created_at=written, updated_at=changed, kind="following",
                  what_happened="he followed me from the station"),
             Note(id=8, occurred_at=datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc),
                  created_at=written, updated_at=written, what_happened="a letter")]
    rows = list(csv.DictReader(io.StringIO(export_csv(notes).decode("utf-8"), newline="")))
    # UK time with its offset: GMT on 1 March, BST on 2 April
    assert [(r["id"], r["created_at"], r["updated_at"]) for r in rows] == [
        ("7", "2024-03-01T09:00:00+00:00", "2024-04-02T18:45:30+01:00"),
        ("8", "2024-03-01T09:00:00+00:00", "2024-03-01T09:00:00+00:00"),
    ]
    assert rows[0]["occurred_at"] == "2024-02-29T22:10:00+00:00"
