"""The knowledge base and the honest "not sure", through the real bot (console, trained model).

What a person sees: a question the leaflet never covered gets its short answer with a
"More" button; "tell me more" gives more on that topic; a vague message gets "Did you
mean ..." buttons, one of which answers; gibberish gets "I don't know" and the helpline.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import JsonlChat, own_chat

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonlChat]:
    """This module's own console and diary: a place chosen here (Scotland) is saved with the
    person's data and must not change the answers other modules' console tests expect."""
    yield from own_chat(tmp_path_factory, "kb-console")


def test_a_knowledge_base_question_then_more(chat: JsonlChat) -> None:
    chat.send("/start")
    [answer] = chat.send("how do I get a non-molestation order")["out"]
    assert "Non-molestation order: YOU apply to the family court" in answer["text"]
    assert answer["buttons"][0]["payload"] == '/faq_topic{"topic": "civil_orders", "detail": "more"}'
    assert "associated person" in chat.texts("tell me more")[0]
    assert "associated person" in chat.texts(answer["buttons"][0]["payload"])[0]


def test_a_vague_question_gets_did_you_mean_buttons_that_answer(chat: JsonlChat) -> None:
    chat.send("/start")
    [reply] = chat.send("court")["out"]
    assert "Did you mean" in reply["text"]
    payloads = [b["payload"] for b in reply["buttons"]]
    assert '/faq_topic{"topic": "civil_orders"}' in payloads and payloads[-1] == "/ask_questions"
    assert "Orders that can protect you" in chat.texts('/faq_topic{"topic": "civil_orders"}')[0]


def test_gibberish_gets_i_dont_know_and_the_helpline(chat: JsonlChat) -> None:
    chat.send("/start")
    [reply] = chat.send("qwxz plorf")["out"]
    assert "I don't know the answer" in reply["text"] and "0808 802 0300" in reply["text"]
    assert "Did you mean" not in reply["text"]


def _more_button(reply: dict) -> str:
    [payload] = [b["payload"] for b in reply.get("buttons") or [] if '"detail": "more' in b["payload"]]
    return payload


def test_a_long_answer_is_split_and_more_gives_the_rest(chat: JsonlChat) -> None:
    """Who to contact, and reporting in Scotland (the route the desk shows): at most 600
    characters each, and "More" says the rest."""
    chat.send("/start")
    [contacts] = chat.send("/ask_signposts")["out"]
    assert len(contacts["text"]) <= 600 and "0808 802 0300" in contacts["text"]
    assert "Relay UK" in chat.texts(_more_button(contacts))[0]
    chat.send("/ask_report")
    replies = chat.send('/set_where{"where": "scotland", "where_topic": "report"}')["out"]
    [route] = [r for r in replies if "Report it to Police Scotland" in (r.get("text") or "")]
    assert len(route["text"]) <= 600
    assert "Action Against Stalking" in route["text"]  # Scotland's specialist charity, first
    assert "Relay UK" in chat.texts(_more_button(route))[0]


def test_answers_that_do_not_ask_where_name_the_configured_force_only_as_an_example(chat: JsonlChat) -> None:
    """Played as a person in Leeds: Clare's Law said "Ask through your local police force: West
    Midlands Police has an online form", and "Who to contact" "Live Chat on the West Midlands
    Police website", as if that force served everyone."""
    chat.send("/start")
    clare = "\n".join(chat.texts("what is clare's law"))  # after this module's Scotland: a note first
    assert "only for someone who lives in the West Midlands" in clare and "police.uk" in clare, clare
    contacts = "\n".join(chat.texts("/ask_signposts"))
    assert "101 (any UK force), or your force's website (West Midlands Police: Live Chat)" in contacts
