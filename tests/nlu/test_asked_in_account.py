"""A question asked inside an account of what is happening is answered, not dropped (issue 12).

Played as a person: "im a guy and my ex gf wont leave me alone, can men even be stalked"
started the warning-signs check ("1 of 4 · FIXATED") and the question was never answered.
Now the question is answered when the knowledge base is sure of it, and the check (and
keeping the words as a note) is offered after it; a question the check itself answers ("is
this stalking?") or one the bot is unsure of leaves the check as it was.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from guidance.copy import SAVE_AS_NOTE
from nlu.components.asked_too import asks_too
from nlu.components.topic_gate import TopicGate
from tests.conftest import JsonlChat, own_chat


@pytest.mark.parametrize("text", [
    "im a guy and my ex gf wont leave me alone, can men even be stalked",
    "my ex keeps turning up at my work. what should i do?",
    "he follows me everywhere, is that illegal?",
    "hes been texting me 50 times a day, can the police do anything",
    "he keeps sending me flowers at work so should i tell my manager",
])
def test_an_account_with_a_question_in_it_asks_something(text: str) -> None:
    assert asks_too(text)


@pytest.mark.parametrize("text", [
    "he keeps following me home",
    "is this stalking",  # one clause: a question, not an account with one in it
    "he came round, did the same thing",  # a story drops its subject after "did"
    "he was outside again, was there till 2am",
    "he called me, when i got home he was there",  # "when" opens a clause of the story
    "i told him to stop but he does it anyway",
    "he texts me and calls me every day",
    "/start_check",
])
def test_a_plain_account_asks_nothing(text: str) -> None:
    assert not asks_too(text)


def parse(text: str, ranking: list[tuple[str, float]], intent: str = "start_check") -> dict[str, Any]:
    return {"text": text, "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}, {"name": "faq", "confidence": 0.1}],
            "entities": [],
            "response_selector": {"faq": {"ranking": [
                {"intent_response_key": f"faq/{k}", "confidence": p} for k, p in ranking]}}}


GATE = TopicGate({"threshold": 0.6, "ambiguity_threshold": 0.35})
ASKED = "im a guy and my ex gf wont leave me alone, can men even be stalked"


def test_the_gate_answers_the_question_when_it_is_sure_of_its_topic() -> None:
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data=parse(ASKED, [("anyone_can_be_stalked", 0.8), ("who_stalks", 0.1)]))
    GATE.process([message])
    assert message.data["intent"]["name"] == "faq"
    assert [e["entity"] for e in message.data["entities"]] == ["asked_in_account"]
    assert [e["name"] for e in message.data["intent_ranking"]].count("faq") == 1


@pytest.mark.parametrize("ranking, intent, text", [
    ([("anyone_can_be_stalked", 0.55), ("who_stalks", 0.1)], "start_check", ASKED),  # not sure enough
    ([("anyone_can_be_stalked", 0.6), ("who_stalks", 0.3)], "start_check", ASKED),  # two close
    # the check answers it
    ([("four_signs", 0.9), ("law", 0.05)], "start_check", "he texts all day, is this stalking?"),
    # no question in it
    ([("anyone_can_be_stalked", 0.9), ("law", 0.05)], "start_check", "he keeps following me home"),
    ([("anyone_can_be_stalked", 0.9), ("law", 0.05)], "deny", ASKED),  # not an account
])
def test_otherwise_the_account_is_left_as_it_was(ranking: list[tuple[str, float]], intent: str,
                                                 text: str) -> None:
    assert GATE.asked_in_account(parse(text, ranking, intent)) is None


# -- through the real bot -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonlChat]:
    yield from own_chat(tmp_path_factory, "asked-in-account")


@pytest.mark.model
def test_a_man_asking_whether_men_can_be_stalked_gets_the_answer_then_the_check(chat: JsonlChat) -> None:
    chat.send("/start")
    out = chat.send(ASKED)["out"]
    text = "\n".join(o["text"] for o in out)
    assert "FIXATED" not in text  # the check did not start over the question
    assert "anyone can be stalked" in text.lower()
    offer = out[-1]
    assert offer["text"].startswith("You also told me what is happening")
    pressed = [b["payload"] for o in out for b in o.get("buttons") or []]
    assert pressed.count("/start_check") == 1  # the check offered once (the answer has it here)
    # the words can be kept as the note they are
    assert SAVE_AS_NOTE in [b["payload"] for b in offer["buttons"]]
    first = "\n".join(o["text"] for o in chat.send("/start_check")["out"])
    assert "1 of 4" in first and "FIXATED" in first


@pytest.mark.model
def test_a_friend_s_account_asked_about_gets_no_check_of_my_own_and_no_note(chat: JsonlChat) -> None:
    """Played as a person: "my friend is being stalked by her ex, how can i help her" got the
    answer on helping a friend, then "You also told me what is happening", "Check what is
    happening to me" and "Save what I wrote as a note": the account is the friend's."""
    chat.send("/start")
    out = chat.send("my friend is being stalked by her ex, how can i help her")["out"]
    text = "\n".join(o["text"] for o in out)
    assert "If a friend or family member is being stalked" in text, text
    assert "You also told me what is happening" not in text, text
    pressed = [b["payload"] for o in out for b in o.get("buttons") or []]
    assert "/start_check" not in pressed and SAVE_AS_NOTE not in pressed, pressed


@pytest.mark.model
def test_an_account_that_asks_if_it_is_stalking_still_starts_the_check(chat: JsonlChat) -> None:
    chat.send("/start")
    out = chat.send("he keeps following me home from work, is this stalking?")["out"]
    text = "\n".join(o["text"] for o in out)
    assert "1 of 4" in text and "FIXATED" in text


def note_to_what_happened(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/record_incident")
    chat.send("last night about 11")
    out = chat.send("on my phone")["out"]
    assert "What happened?" in out[-1]["text"]


@pytest.mark.model
def test_in_a_note_the_account_is_kept_and_its_question_answered(chat: JsonlChat) -> None:
    """Before: "he keeps messaging me ..., can i report it anonymously" at "What happened?" was
    kept with its question never answered; one ending in "?" the NLU placed was answered and the
    account dropped (the step asked again)."""
    note_to_what_happened(chat)
    said = "he keeps messaging me on instagram from fake accounts, can i report it anonymously?"
    out = chat.send(said)["out"]
    assert out[0]["text"] == "I've kept that for \"What happened\". You asked something too:"
    assert "Cyberstalking" in out[1]["text"] or "anonymous" in out[1]["text"].lower()
    assert "How did it happen?" in out[-1]["text"]  # the next step: nothing asked twice
    review = finish_note(chat)
    assert said in review


@pytest.mark.model
def test_in_a_note_an_unplaced_question_gets_its_topics_and_the_account_is_kept(chat: JsonlChat) -> None:
    note_to_what_happened(chat)
    said = "he keeps texting me from new numbers, can the police do anything about it?"
    out = chat.send(said)["out"]
    assert out[0]["text"].startswith("I've kept that for \"What happened\"")
    assert "Did you mean" in out[1]["text"] and out[1]["buttons"]
    assert "How did it happen?" in out[-1]["text"]
    assert said in finish_note(chat)


def finish_note(chat: JsonlChat) -> str:
    """Skip every later step to the review; the review's text."""
    for _ in range(12):
        out = chat.send("skip")["out"]
        text = "\n".join(o["text"] for o in out)
        if "Here is your note" in text:
            return text
    raise AssertionError("the note's review never came")


@pytest.mark.model
def test_an_unplaced_question_is_offered_before_the_check_and_answered_in_it(chat: JsonlChat) -> None:
    """The check still starts (it is what the account asks for), but the question is not
    dropped: its likeliest topics come first, and one pressed is answered with the check's
    step asked again."""
    chat.send("/start")
    # (the classifier now reads "my ex keeps following me and turning up everywhere, will the
    # police believe me" as a question first: "not sure", the topics offered, no check)
    out = chat.send("she keeps following me and turning up at my flat, will anyone believe me")["out"]
    assert out[0]["text"].startswith("You asked something too")
    offered = [b["payload"] for b in out[0]["buttons"]]
    assert offered and not any("four_signs" in p or "behaviours" in p for p in offered)
    assert "1 of 4" in out[-1]["text"]
    after = chat.send(offered[0])["out"]
    assert "Back to the check:" in [o["text"] for o in after] and "1 of 4" in after[-1]["text"]
