"""An account of what is happening to someone else is not the person's check (issue 12).

Played as a person: "my friends ex keeps following her round town" started the warning-signs
check ("Does this person seem fixated on you?"), with "Following me" ticked: the classifier read
an account (start_check 0.77), the topic selector placed it on helping a friend (0.78).  With no
"me" or "I" in it, and the selector as sure as the gate needs, it is answered as that question
(nlu/components/topic_gate.py, ``about_someone_else``).  Through the real bot.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nlu.components.topic_gate import TopicGate
from tests.hardening.conftest import RealBot, real_bot
from tests.test_safety_pause import joined

CHECK = "Does this person seem fixated on you"
HELPING = "If a friend or family member is being stalked"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "someone-else")


@pytest.mark.parametrize("text", ["my friends ex keeps following her round town",
                                  "someone keeps following my mum home"])
def test_an_account_of_someone_else_gets_how_to_help_them(real: RealBot, text: str) -> None:
    user = f"else-{uuid.uuid4().hex[:8]}"
    real.ask(user, "/start")
    replies = joined(real.ask(user, text))
    assert HELPING in replies and CHECK not in replies, replies


def test_the_persons_own_account_still_starts_the_check(real: RealBot) -> None:
    user = f"else-{uuid.uuid4().hex[:8]}"
    real.ask(user, "/start")
    replies = joined(real.ask(user, "he keeps following me and my friend"))
    assert CHECK in replies and HELPING not in replies, replies


def parse(text: str, key: str, p: float, second: float = 0.05) -> dict[str, Any]:
    ranking = [{"intent_response_key": f"faq/{key}", "confidence": p},
               {"intent_response_key": "faq/who_stalks", "confidence": second}]
    chosen = {"response": {"intent_response_key": f"faq/{key}"}, "ranking": ranking}
    return {"text": text, "intent": {"name": "start_check", "confidence": 0.77},
            "intent_ranking": [{"name": "start_check", "confidence": 0.77},
                               {"name": "faq", "confidence": 0.23}],
            "response_selector": {"faq": chosen}}


def test_what_the_gate_reads_as_someone_elses_account() -> None:
    gate = TopicGate({"threshold": 0.65, "ambiguity_threshold": 0.4})
    friend = parse("my friends ex keeps following her", "helping_someone", 0.78)
    assert gate.about_someone_else(friend) == 0.78
    assert gate.about_someone_else(parse("my ex keeps following me", "helping_someone", 0.78)) is None  # "me"
    assert gate.about_someone_else(parse("he keeps following her", "helping_someone", 0.5)) is None  # unsure
    assert gate.about_someone_else(parse("he keeps following her", "behaviours", 0.9)) is None  # not helping
