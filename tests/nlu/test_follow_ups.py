"""A short question right after an answer, read with the question it follows (issue 12).

Played as a person: after the answer about trackers, "how would i even check" started the
warning-signs check and "how do i find it" got "I'm not sure"; after the answer about orders,
"how do i get one" got "I'm not sure".  nlu/components/follow_up.py reads such a question a second
time with the one it follows, and takes that reading only when the message alone is unsure and
the topic is one of the three it could be about.  Through the real bot.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu.components.follow_up import FollowUpMerge, answered_before, could_follow
from tests.conftest import ROOT
from tests.hardening.conftest import RealBot, real_bot
from tests.test_safety_pause import joined, walk_to

FAQ_COPY = yaml.safe_load((ROOT / "data" / "faq_copy.yml").read_text("utf-8"))
MORE_TRACKERS = FAQ_COPY["more"]["tracking_stalkerware"].split("\n")[1]  # "• Android: ... Scan now."
MORE_ORDERS = FAQ_COPY["more"]["civil_orders"].split("\n")[0]  # "More on orders:"
CHECK_OPENS = "Let's look at what is happening against the police's FOUR warning signs"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "follow-ups")


def new_user() -> str:
    return f"follow-{uuid.uuid4().hex[:10]}"


def test_how_to_check_after_the_answer_about_trackers_is_the_rest_of_it(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    assert "Spyware" in joined(real.ask(user, "i think someone put a tracker on my car"))
    text = joined(real.ask(user, "how would i even check"))
    assert MORE_TRACKERS in text and CHECK_OPENS not in text, text
    again = joined(real.ask(user, "how would i even check"))  # asked again: all there is
    assert again.startswith("That is all I have on it") and CHECK_OPENS not in again, again


def test_a_follow_up_on_another_topic_gets_that_topic(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    assert "Non-molestation order" in joined(real.ask(user, "what is a non molestation order"))
    text = joined(real.ask(user, "how do i get one"))
    assert text.startswith(MORE_ORDERS) and "not sure" not in text, text
    breach = joined(real.ask(user, "what if he breaks it?"))
    assert breach.startswith("If someone breaks an order that protects you"), breach


def test_the_conversation_never_brings_a_topic_the_words_do_not_ask_about(real: RealBot) -> None:
    """Read together with "what happens after i report", "can i save this as a note?" is about
    reporting (0.89); alone, reporting is not among its three likeliest topics: not taken."""
    user = new_user()
    real.ask(user, "/start")
    assert "crime reference number" in joined(real.ask(user, "what happens after i report"))
    text = joined(real.ask(user, "can i save this as a note?"))
    assert "after reporting" not in text and "That is all I have" not in text, text


def test_a_topic_that_said_all_it_has_is_not_brought_back(real: RealBot) -> None:
    """"can i get in trouble for blocking him" after the answer on what stalkers do got "That is all
    I have on it": that answer has no more, and the question is not about it; its own reading."""
    user = new_user()
    real.ask(user, "/start")
    assert "Stalking can take many forms" in joined(real.ask(user, "is it stalking if someone keeps liking "
                                                                  "all my old posts"))
    text = joined(real.ask(user, "can i get in trouble for blocking him"))
    assert "That is all I have" not in text and "Stalking can take many forms" not in text, text


def test_the_same_topic_asked_again_gets_the_rest_not_the_same_words(real: RealBot) -> None:
    """Played as a person: "how much proof" right after "do i need proof" repeated the whole answer
    on keeping a record.  Asked again in other typed words: the rest of it; a third time, all there is."""
    user = new_user()
    real.ask(user, "/start")
    first = joined(real.ask(user, "do i need proof"))
    assert "Record what happens" in first, first
    again = joined(real.ask(user, "how much proof"))
    assert again.startswith(FAQ_COPY["more"]["evidence_log"].split("\n")[0]), again
    assert "Record what happens" not in again, again
    third = joined(real.ask(user, "how much proof"))
    assert third.startswith("That is all I have on it"), third


def test_a_question_sure_on_its_own_is_read_on_its_own(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    real.ask(user, "what is clares law")
    text = joined(real.ask(user, "how do i report it?"))
    assert "call 999" in text and "More on Clare's Law" not in text, text


def test_with_nothing_answered_before_a_follow_up_is_not_guessed(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    text = joined(real.ask(user, "how do i get one"))
    assert MORE_ORDERS not in text and "That is all I have" not in text, text


def test_inside_the_check_a_follow_up_is_answered_and_the_step_asked_again(real: RealBot) -> None:
    user = new_user()
    walk_to(real, user, "check", 0, "")
    assert "Spyware" in joined(real.ask(user, "i found an airtag in my bag"))
    text = joined(real.ask(user, "how do i find it"))
    assert MORE_TRACKERS in text and "not sure which question" not in text, text
    assert "1 of 4" in text, text  # the same step, asked again


# -- the parts, without the bot ---------------------------------------------------------------
def tracker_after(text: str, parse: dict[str, Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("u", [UserUttered(text, parse_data=parse)])


def faq_parse(topic: str, others: tuple[str, ...] = ()) -> dict[str, Any]:
    ranking = [{"intent_response_key": f"faq/{t}", "confidence": 0.1} for t in (topic, *others)]
    return {"intent": {"name": "faq", "confidence": 0.9},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"},
                                          "ranking": ranking}}}


def test_what_counts_as_a_follow_up() -> None:
    assert could_follow("how do i get one") and could_follow("what if he breaks it?")
    assert not could_follow("yes") and not could_follow("he followed me home")
    assert not could_follow("/affirm") and not could_follow("")
    assert not could_follow("how do i get a non molestation order if he lives in another city and i dont")


def test_the_question_it_follows() -> None:
    assert answered_before(tracker_after("what is clares law", faq_parse("clares_law"))) == \
        ("clares_law", "what is clares law")
    button = tracker_after('/faq_topic{"topic": "civil_orders"}',
                           {"intent": {"name": "faq_topic", "confidence": 1.0},
                            "entities": [{"entity": "topic", "value": "civil_orders"}]})
    assert answered_before(button) == ("civil_orders", FAQ_COPY["titles"]["faq/civil_orders"])
    unsure = tracker_after("hmm", {"intent": {"name": "nlu_fallback", "confidence": 0.4}})
    assert answered_before(unsure) is None and answered_before(None) is None
    # a follow-up itself: the words of the question it followed
    follow = faq_parse("clares_law")
    follow["entities"] = [{"entity": "follow_up", "value": "clares_law"}]
    twice = DialogueStateTracker.from_events("u", [
        UserUttered("what is clares law", parse_data=faq_parse("clares_law")),
        UserUttered("who can ask", parse_data=follow)])
    assert answered_before(twice) == ("clares_law", "what is clares law")


def test_the_context_chooses_only_among_the_messages_own_topics() -> None:
    own = faq_parse("evidence_log", ("romcom", "clares_law", "after_reporting"))
    assert FollowUpMerge.among_its_own(own, "clares_law")
    assert not FollowUpMerge.among_its_own(own, "after_reporting")  # fourth: not among its three
    assert not FollowUpMerge.among_its_own(own, None)
    # a question pointing at no topic ("Who can apply?"): the conversation's topic is taken
    loose = faq_parse("helplines", ("anyone_can_be_stalked", "scotland_ni"))
    loose["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.65},
                               {"name": "faq", "confidence": 0.99}]
    loose["response_selector"]["faq"]["ranking"][0]["confidence"] = 0.36
    assert FollowUpMerge.among_its_own(loose, "civil_orders")
    loose["response_selector"]["faq"]["ranking"][0]["confidence"] = 0.7  # it points at one: not
    assert not FollowUpMerge.among_its_own(loose, "civil_orders")
    request = dict(loose, intent_ranking=[{"name": "keep_in_note", "confidence": 0.36},
                                          {"name": "faq", "confidence": 0.2}])  # not a question
    request["response_selector"]["faq"]["ranking"][0]["confidence"] = 0.36
    assert not FollowUpMerge.among_its_own(request, "civil_orders")


@pytest.mark.model
def test_real_follow_up_questions_are_answered_more_often_and_never_more_wrongly() -> None:
    """The follow-up pairs quoted from real FAQ pages (tests/data/follow_ups_realsource.yml,
    bench/follow_up_eval.py): read after the question they follow, more of the second questions
    get the right topic than read alone (measured 0.231 -> 0.462 of 13), none more wrongly."""
    import asyncio

    from bench import follow_up_eval
    from tests.conftest import require_model

    pairs = follow_up_eval.load_pairs()
    read = asyncio.run(follow_up_eval._read_all(pairs, require_model()))
    result = follow_up_eval.evaluate(pairs, read)
    alone, after = result["alone"], result["in_context"]
    assert after["right"] >= alone["right"] + 0.15, (alone, after)
    assert after["wrong"] <= alone["wrong"], (alone, after)
