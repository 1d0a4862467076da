"""Words about the chat's privacy and about one note, through the real bot (console, trained model).

Found by playing: "how do i delete this chat" and "delete my last note" got "Delete everything?"
(the whole log, the answers and the conversation), "clear this chat" got "I'm not sure", and "can
he see that im using this" / "do you save my messages" got what the bot is, which answers
neither.  Now the privacy questions get what the bot keeps and what only the person can do on the
phone, with the Clear this chat button; one note gets its own Delete button; and "delete
everything" is still the confirmation it was.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import JsonlChat, own_chat

pytestmark = pytest.mark.model

FORGET = "Delete everything?"
PRIVACY = "anyone who can open Telegram on this phone can read this chat"


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonlChat]:
    yield from own_chat(tmp_path_factory, "privacy-words")


def _payloads(out: list[dict]) -> list[str]:
    return [b["payload"] for reply in out for b in reply.get("buttons") or []]


@pytest.mark.parametrize("text", ["how do i delete this chat", "clear this chat",
                                  "can he see that im using this", "do you save my messages",
                                  "how can i hide these messages"])
def test_a_privacy_question_gets_what_is_kept_and_the_clear_button(chat: JsonlChat, text: str) -> None:
    chat.send("/start")
    out = chat.send(text)["out"]
    said = " ".join(reply.get("text") or "" for reply in out)
    assert PRIVACY in said and "stored encrypted" in said and "/forget" in said
    assert FORGET not in said
    assert "/clear_chat" in _payloads(out)


def test_one_note_is_deleted_with_its_own_button_never_everything(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/note he was outside my work this morning")
    out = chat.send("delete my last note")["out"]
    said = " ".join(reply.get("text") or "" for reply in out)
    assert "To delete one note" in said and FORGET not in said
    [opened] = [p for p in _payloads(out) if p.startswith("diary:open:")]
    note = chat.send(opened)["out"]
    [delete] = [p for p in _payloads(note) if p.startswith("diary:delete:")]
    confirm = chat.send(delete)["out"]
    [yes] = [p for p in _payloads(confirm) if p.startswith("diary:delete_yes:")]
    chat.send(yes)
    assert "outside my work this morning" not in " ".join(chat.texts("/notes"))


@pytest.mark.parametrize("text", ["i want to delete one of my notes", "get rid of that last entry"])
def test_one_note_in_other_words_is_not_delete_everything(chat: JsonlChat, text: str) -> None:
    chat.send("/start")
    said = " ".join(chat.texts(text))
    assert "To delete one note" in said and FORGET not in said


def test_delete_everything_still_asks_to_delete_everything(chat: JsonlChat) -> None:
    chat.send("/start")
    said = " ".join(chat.texts("delete everything"))
    assert FORGET in said
    chat.send("diary:forget_no")


def test_a_privacy_question_inside_a_note_is_answered_then_the_step_again(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/note")
    chat.send("yesterday at 6pm")
    said = chat.texts("can he see this chat?")
    assert PRIVACY in said[0]
    assert "Where did it happen?" in said[-1]
    chat.send("stop")
