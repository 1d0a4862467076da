"""nlu/actions/step_questions.py without the bot: stems, and what is a question about the step."""
from __future__ import annotations

import pytest

from guidance import copy
from nlu.actions.step_questions import about_the_step, stem


@pytest.mark.parametrize(("word", "stemmed"), [
    ("blocking", "block"), ("blocked", "block"), ("blocks", "block"), ("stopped", "stop"),
    ("telling", "tell"),
    ("calls", "call"), ("is", "is")])
def test_stems_meet_the_steps_words(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


@pytest.mark.parametrize(("slot", "question", "about"), [
    ("sign_unwanted", "does blocking him count as telling him to stop?", True),
    ("sign_unwanted", "is ignoring him enough", True),
    ("sign_obsessive", "is 20 messages a day too many", True),
    ("sign_fixated", "how would i know if hes obsessed", True),
    ("sign_fixated", "does being texted 5 times a day count?", False),  # "time" alone: 1 of 4
    ("sign_unwanted", "can i report him online?", False),
    ("sign_obsessive", "is that still stalking if i dont know who", False),  # "dont" alone in common
])
def test_a_question_about_the_step(slot: str, question: str, about: bool) -> None:
    assert about_the_step(question, copy.text(f"ask_{slot}"), copy.text(f"explain_{slot}")) is about
