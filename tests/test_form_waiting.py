"""A form that waits behind an alert is not lost when the person types on.

Played as a person would after a false alarm in the middle of a note: they do not
press a button, they go on typing ("Skip", "no", "photos of him by the car").
Each such message gets the waiting form's buttons again, with the 999 line, never
the main menu; "Keep my message in the note" keeps words of substance typed after
the alert, never a bare "skip"; nothing is saved without a choice.  Through the
real bot (guard, embedded Rasa with the trained model, diary).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from bot.replies import Reply
from guidance.facts import Facts
from tests.hardening.conftest import RealBot, real_bot

pytestmark = pytest.mark.model
FACTS = Facts.load()
ALARM = "he is outside my house right now"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "form-waiting")


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.buttons if b.payload]


def paused_note(real: RealBot) -> str:
    """A new person, a note paused by an alert at its "what happened?" step."""
    user = f"waiting-{uuid.uuid4().hex[:8]}"
    real.ask(user, "/start")
    real.ask(user, "/note")
    real.ask(user, "yesterday at 5pm")
    assert "What happened?" in joined(real.ask(user, "outside the gym"))
    alert = real.ask(user, ALARM)
    assert alert[0].text == FACTS.alert_reply("danger")
    return user


@pytest.mark.parametrize("typed", ["Skip", "no", "yes", "idk", "/deny"])
def test_typing_on_after_an_alert_gets_the_waiting_note_not_the_menu(real: RealBot, typed: str) -> None:
    user = paused_note(real)
    replies = real.ask(user, typed)
    text = joined(replies)
    assert "your note is waiting" in text and "999" in text, text
    assert "/resume" in payloads(replies) and "/stop" in payloads(replies)
    assert "What would you like to do" not in text
    back = real.ask(user, "/resume")  # the same step, asked again: nothing was lost or saved
    assert "What happened?" in joined(back)
    assert "Your log is empty" in joined(real.ask(user, "/notes"))


@pytest.mark.parametrize("typed", ["no sorry hes gone now", "its ok he left"])
def test_the_danger_passed_while_the_note_waits_gets_the_note_s_buttons_not_the_menu(
        real: RealBot, typed: str) -> None:
    """Played as a person: after the alert in a note, "no sorry hes gone now" got "Ask me
    anything: here is what I can help with" and the main menu; the note waited out of sight."""
    user = paused_note(real)
    replies = real.ask(user, typed)
    text = joined(replies)
    assert text.startswith("Thank you for telling me. (If that changes, call 999.)"), text
    assert "Your note is waiting" in text and "here is what I can help with" not in text, text
    assert payloads(replies) == ["/resume", "/keep_in_note", "/stop"]
    assert "What happened?" in joined(real.ask(user, "/resume"))


def test_words_typed_after_the_alert_can_be_kept_but_a_skip_is_not(real: RealBot) -> None:
    user = paused_note(real)
    real.ask(user, "Skip")  # not kept: the words that paused the note stay on offer
    replies = real.ask(user, "he waited by my car for an hour")
    assert "/keep_in_note" in payloads(replies), joined(replies)
    real.ask(user, "/keep_in_note")
    for answer in ["/deny", "/deny", "/deny", "/deny", "/deny", "/deny"]:
        replies = real.ask(user, answer)
    review = joined(replies)
    # the alert's words and the words typed after it, both kept, in order; never the "Skip"
    assert f"What happened: {ALARM}\nhe waited by my car for an hour\nHow:" in review, review
    assert "Skip" not in review.split("What happened:")[1].split("How:")[0]


def test_every_message_typed_on_is_kept_in_order_none_in_place_of_another(real: RealBot) -> None:
    """Played as a person after a false alarm in a note: they type on, three messages of the
    account and a "no".  Before, each message replaced the one before it as the words on offer,
    so "Keep" put only the last one in the note and the account was lost."""
    user = paused_note(real)
    typed = ["he was shouting my name through the letterbox", "no", "my neighbour heard it",
             "my neighbour heard it", "my friend sarah saw it all", "i felt sick"]
    for message in typed:
        replies = real.ask(user, message)
        text = joined(replies)
        assert 'kept what you wrote for "What happened"' in text and "999" in text, text
        assert "/keep_in_note" in payloads(replies), text
    real.ask(user, "/keep_in_note")
    for answer in ["/deny"] * 6:
        replies = real.ask(user, answer)
    review = joined(replies)
    kept = review.split("What happened: ")[1].split("\nHow:")[0]
    assert kept.split("\n") == [ALARM, "he was shouting my name through the letterbox",
                                 "my neighbour heard it", "my friend sarah saw it all", "i felt sick"], review


def test_the_words_that_paused_it_stay_on_offer_after_a_bare_skip(real: RealBot) -> None:
    user = paused_note(real)
    real.ask(user, "skip")
    real.ask(user, "/keep_in_note")
    for answer in ["/deny"] * 6:
        replies = real.ask(user, answer)
    assert f"What happened: {ALARM}" in joined(replies), joined(replies)


def test_hold_on_while_the_note_waits_is_a_pause_and_keeps_the_words_on_offer(real: RealBot) -> None:
    user = paused_note(real)
    replies = real.ask(user, "hold on")
    text = joined(replies)
    assert "I've paused your note" in text or "paused" in text.lower(), text
    assert "is waiting where we left it" not in text, text
    real.ask(user, "/keep_in_note")  # the words that paused it, never "hold on"
    for answer in ["/deny"] * 6:
        replies = real.ask(user, answer)
    review = joined(replies)
    assert f"What happened: {ALARM}" in review, review
    assert "hold on" not in review, review


def test_a_question_while_the_note_waits_is_answered_and_carry_on_still_works(real: RealBot) -> None:
    user = paused_note(real)
    answer = joined(real.ask(user, "what is a stalking protection order?"))
    assert "Stalking Protection Order" in answer or "protection order" in answer.lower(), answer
    assert "What happened?" in joined(real.ask(user, "/resume"))


def _open_edit(real: RealBot, user: str, field: str) -> int:
    """A saved note, and the edit of its ``field`` started (Rasa's edit form asks for the value)."""
    real.ask(user, "/start")
    real.ask(user, "/note he waited outside the gym")
    listing = real.ask(user, "/notes")
    opened = next(p for p in payloads(listing) if p.startswith("diary:open:"))
    note_id = int(opened.rsplit(":", 1)[1])
    asked = real.ask(user, f"diary:field:{note_id}:{field}")
    assert "/stop" in payloads(asked), joined(asked)  # its Cancel: the form waits for the value
    return note_id


@pytest.mark.parametrize("screen", ["/notes", "/export", "diary:page:0"])
def test_a_diary_screen_ends_an_edit_so_the_next_words_change_nothing(real: RealBot, screen: str) -> None:
    user = f"edit-{uuid.uuid4().hex[:8]}"
    note_id = _open_edit(real, user, "what_happened")
    left = joined(real.ask(user, screen))
    assert "nothing was changed" in left, left
    after = joined(real.ask(user, "this must not become the note"))
    assert "Updated" not in after, after
    opened = joined(real.ask(user, f"diary:open:{note_id}"))
    assert "he waited outside the gym" in opened and "this must not become" not in opened


def test_a_diary_screen_pauses_a_note_in_progress_and_carry_on_keeps_it(real: RealBot) -> None:
    user = f"note-{uuid.uuid4().hex[:8]}"
    real.ask(user, "/start")
    real.ask(user, "/note")
    real.ask(user, "yesterday at 5pm")
    real.ask(user, "outside the gym")
    replies = real.ask(user, "/notes")
    assert "/resume" in payloads(replies) and "Your log is empty" in joined(replies), joined(replies)
    assert "What happened?" in joined(real.ask(user, "/resume"))


def test_a_new_note_while_one_waits_asks_first_and_loses_nothing(real: RealBot) -> None:
    """"/note" (or "Record what happened") while a note waits: before, a new empty note started
    and the waiting one, with its answers, was gone unasked."""
    user = paused_note(real)
    replies = real.ask(user, "/note")
    text = joined(replies)
    assert "a note you haven't finished" in text and "When did it happen?" not in text, text
    assert "/resume" in payloads(replies) and "/stop" in payloads(replies)
    assert "What happened?" in joined(real.ask(user, "/resume"))  # the same note, its step
    user = paused_note(real)
    real.ask(user, "/record_incident")
    assert "I haven't saved anything" in joined(real.ask(user, "/stop"))
    assert "When did it happen?" in joined(real.ask(user, "/note"))  # now a new one


# (a question the NLU reads as the check; "is it stalking if hes my ex?" was one until the model
# was retrained with list_notes lines, and is now "not sure", with its topics offered)
@pytest.mark.parametrize("typed", ["check the warning signs", "is he stalking me?"])
def test_asking_for_the_check_while_the_note_waits_offers_it_and_the_note_still_waits(
        real: RealBot, typed: str) -> None:
    """A request (or a question the NLU reads as one), not an account: the check offered as a
    button beside the note's own; nothing kept."""
    user = paused_note(real)
    replies = real.ask(user, typed)
    text = joined(replies)
    assert "your note will wait" in text and "1 of 4" not in text, text
    assert "/check" in payloads(replies) and "/resume" in payloads(replies), payloads(replies)
    real.ask(user, "/keep_in_note")  # the alert's words only, never the request
    for answer in ["/deny"] * 6:
        replies = real.ask(user, answer)
    review = joined(replies)
    assert f"What happened: {ALARM}\nHow:" in review, review
