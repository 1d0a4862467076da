"""How the forms read a message that is not a plain answer (nlu/actions/forms.py), and the
route each place gets (guidance/advice.py, data/facts.yml jurisdictions).  No model:
the readers are pure functions; tests/test_forms_like_a_person.py runs them through the
real bot."""
from __future__ import annotations

from typing import Optional

import pytest

from guidance.advice import PLACES, route, where_question
from guidance.facts import Facts
from guidance.risk import RISK_SLOTS
from nlu.actions import forms

FACTS = Facts.load()
SIGNS = ["sign_fixated", "sign_obsessive", "sign_unwanted", "sign_repeated"]


@pytest.mark.parametrize(("text", "intent", "question"), [
    ("do I need the reg for the police to do anything?", None, True),
    ("is it stalking if he only texts?", None, True),
    ("what happens after I report it", "ask_report", True),
    ("will he find out?", None, True),
    ("how do I report it?", "ask_report", True),
    # an auxiliary before a person asks, with no "?" and whatever the NLU guessed
    ("can i report it without him finding out", "nlu_fallback", True),
    ("will he find out", None, True),
    ("do i need to keep the messages", "deny", True),
    ("is it ok to put the street name", "nlu_fallback", True),
    ("would that count as stalking", None, True),
    # a note's answer without its subject is not a question
    ("was there again at 5", None, False),
    ("did the same thing as last week", None, False),
    ("is the third time this week", None, False),
    # answers, hedged or not
    ("no, only the once", "ask_report", False),
    ("no, only the once?", "ask_report", False),
    ("idk really, he just texts a lot", "ask_romcom", False),
    ("when I was leaving work", None, False),
    ("who knows", None, False),
    ("Sam from the gym", "ask_friend", False),
    ("he asked me where I was going?", None, False),
    ("/affirm", "affirm", False),
])
def test_a_question_is_told_from_an_answer(text: str, intent: Optional[str], question: bool) -> None:
    assert forms.is_question(text, intent, 0.9) is question


@pytest.mark.parametrize(("text", "intent", "stop"), [
    ("stop", "stop", True), ("cancel", "stop", True), ("Stop.", None, True), ("/stop", "stop", True),
    ("I want to stop", "stop", True), ("stop asking me", "stop", True), ("please stop", None, True),
    ("no I haven't told him to stop, I'm scared to", "stop", False),
    ("he told me to stop calling", "stop", False),
    ("stop at the bus stop", "stop", False),
    ("no, only the once", "stop", False),
    ("Sam from the gym", "stop", False),
])
def test_stop_only_when_that_is_what_the_message_means(text: str, intent: Optional[str], stop: bool) -> None:
    assert forms.means_stop(text, intent, 0.9) is stop


@pytest.mark.parametrize(("text", "answer"), [
    ("no, only the once", "no"), ("idk really, he just texts a lot", "unsure"), ("no idea", "unsure"),
    ("yeah he does", "yes"), ("not really", "no"), ("he sits outside", None),
])
def test_hedged_answers(text: str, answer: Optional[str]) -> None:
    assert forms.read_answer(text) == answer


@pytest.mark.parametrize(("text", "field"), [
    ("wait, actually my colleague saw him too", "note_witnesses"),
    ("sorry, it was last night about 11", "note_when"),
    ("oh and I kept screenshots", "note_evidence"),
    ("actually he was wearing a red cap", "note_appearance"),
    ("wait, it was outside the station", "note_where"),
    ("hang on, the crime reference number is 123", "note_police_ref"),
])
def test_a_correction_finds_the_note_field_it_corrects(text: str, field: str) -> None:
    body = forms.correction_body(text)
    assert body is not None and forms.note_field_of(body) == field


@pytest.mark.parametrize("text", ["Sam from the gym", "outside my work", "I felt sick", "he followed me"])
def test_a_plain_answer_is_not_a_correction(text: str) -> None:
    assert forms.correction_body(text) is None


@pytest.mark.parametrize(("text", "current", "steps", "target", "answer"), [
    ("wait, actually the first one is a no", "sign_unwanted", SIGNS, "sign_fixated", "no"),
    ("sorry, fixated should be yes", "sign_repeated", SIGNS, "sign_fixated", "yes"),
    ("actually the last one should be no", "sign_unwanted", SIGNS, "sign_obsessive", "no"),
    ("wait, no, question 2 is a yes", RISK_SLOTS[4], list(RISK_SLOTS), RISK_SLOTS[1], "yes"),
])
def test_a_correction_names_the_earlier_step(text: str, current: str, steps: list[str], target: str,
                                             answer: str) -> None:
    body = forms.correction_body(text)
    names = {"sign_fixated": "Fixated"} if steps == SIGNS else None
    assert body is not None
    assert forms.referenced_step(body, steps, current, names) == target
    assert forms.last_answer(body) == answer


# -- where the person is ---------------------------------------------------------------------
def rendered(place: str, topic: str) -> tuple[str, list[str]]:
    message = route(place, topic)
    return FACTS.render(message["text"]), [FACTS.render(b["payload"]) for b in message["buttons"]]


def test_the_question_offers_the_four_places() -> None:
    question = where_question("report")
    assert [b["title"] for b in question["buttons"]] == [
        "West Midlands", "Elsewhere in England or Wales", "Scotland", "Northern Ireland"]
    assert all('"where_topic": "report"' in b["payload"] for b in question["buttons"])


def test_only_the_west_midlands_gets_the_configured_forces_live_chat() -> None:
    live_chat = FACTS.contacts["live_chat_url"]
    for place in PLACES:
        text, payloads = rendered(place, "report")
        assert (live_chat in payloads) is (place == "west_midlands"), place
        assert ("Live Chat on the West Midlands Police website" in text) is (place == "west_midlands")
        assert "999" in text and "101" in text


def test_elsewhere_in_england_and_wales_101_and_the_forces_own_website() -> None:
    text, payloads = rendered("england_wales", "report")
    assert "reaches your local police force" in text and "police.uk" in text
    assert "https://www.police.uk" in payloads
    assert "Protection from Harassment Act 1997" in rendered("england_wales", "law")[0]


def test_scotland_its_police_form_law_and_charity() -> None:
    report, payloads = rendered("scotland", "report")
    assert "Police Scotland" in report and "online Stalking Form" in report
    assert "Action Against Stalking" in report
    assert "https://scotland.police.uk/advice-and-information/stalking" in payloads
    law, _ = rendered("scotland", "law")
    assert "section 39 of the Criminal Justice and Licensing (Scotland) Act 2010" in law
    assert "Protection from Harassment Act" not in law


def test_northern_ireland_psni_and_its_2022_act_without_the_unverified_penalty() -> None:
    report, _ = rendered("northern_ireland", "report")
    assert "PSNI" in report and "101" in report
    law, _ = rendered("northern_ireland", "law")
    assert "Protection from Stalking Act (Northern Ireland) 2022" in law
    assert "10 years" not in law and "10 years" not in report  # not verified (facts-extended.md)
