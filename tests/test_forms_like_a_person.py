"""Forms that read like a person (issue 12 items 4, 5 and 6), through the real bot.

The guard, the embedded Rasa with the trained model and the diary, as a person meets
them, at EVERY step of every form (the guided note, the FOUR check, the risk
self-check; the walks of tests/test_safety_pause.py):

* a question is answered and the same step asked again; the question is never kept as
  an answer;
* "stop" inside an answer ("no I haven't told him to stop, I'm scared to") is an
  answer, and a real "stop" leaves (the note asks before throwing anything away);
* a correction ("wait, actually ...") goes to the field it corrects, is said back,
  and no later answer shifts.

Then the note's time step says back what it saved, and "where are you?" is asked once
and gives each place its own route, kept with the person's data until /forget.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.replies import Reply
from guidance.facts import Facts
from tests.conftest import ROOT
from tests.hardening.conftest import RealBot, real_bot
from tests.test_safety_pause import FORMS, STATES, answer, joined, open_newest, payloads, walk_to

pytestmark = pytest.mark.model

FACTS = Facts.load()
STOPPED = {"check": "we've stopped the check", "risk": "stopped the self-check",
           "note": "I haven't saved anything"}
# A question for each form, in question form (none of them is an answer to any step).
QUESTION = {"note": "do I need the reg for the police to do anything?",
            "check": "is it still stalking if he only texts me?",
            "risk": "do the police need proof before they do anything?"}
STOP_INSIDE = "no I haven't told him to stop, I'm scared to"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "forms-like-a-person")


def new_user() -> str:
    return f"forms-{uuid.uuid4().hex[:10]}"


def mark(form: str, step: int) -> str:
    return FORMS[form][1][step][0]


def finish_from(real: RealBot, user: str, form: str, step: int) -> list[Reply]:
    """Answer every step from ``step`` on as the walk does; the form's last replies."""
    _, walk = FORMS[form]
    replies: list[Reply] = []
    for rest in range(step, len(walk)):
        replies = real.ask(user, answer(walk, rest, ""))
        assert not any(words in joined(replies) for words in STOPPED.values()), joined(replies)[-300:]
    return replies


def the_end(real: RealBot, user: str, form: str, replies: list[Reply]) -> str:
    """What the person sees at the end: the saved note, the summary or the result."""
    if form == "note":
        assert "Saved to your log" in joined(replies), joined(replies)[-300:]
        return joined(open_newest(real, user))
    if form == "check":
        assert "of the 4 warning signs" in joined(replies), joined(replies)[-300:]
    else:
        assert "You said yes to" in joined(replies) or "yes to" in joined(replies), joined(replies)[-300:]
    return joined(replies)


# -- a question at every step -----------------------------------------------------------------
@pytest.mark.parametrize(("form", "step"), STATES)
def test_a_question_is_answered_and_the_step_asked_again(real: RealBot, form: str, step: int) -> None:
    user = new_user()
    walk_to(real, user, form, step, "")
    replies = real.ask(user, QUESTION[form])
    text = joined(replies)
    assert re.search(r"Back to (the note|the check|the questions)", text), text[-400:]
    assert text.rindex(mark(form, step)) > text.index("Back to"), text[-400:]  # the step again
    assert len(replies) >= 3  # an answer (or an honest "I don't know"), back, the step
    end = the_end(real, user, form, finish_from(real, user, form, step))
    assert QUESTION[form] not in end


@pytest.mark.parametrize("form", ["check", "risk"])
@pytest.mark.parametrize("question", ["what counts as a threat", "why does that matter"])
def test_a_question_without_a_question_mark_is_not_taken_for_an_unclear_answer(
        real: RealBot, form: str, question: str) -> None:
    """Played as a person in the risk self-check: "what counts as a threat" (no "?", which the
    NLU could not place) got "Sorry, I couldn't tell: please answer yes, no or don't know".
    Now it is answered, or the step explained ("why does that matter" reads as "what do you
    mean?" since the classifier reads MPNet's vectors), and the step asked again."""
    user = new_user()
    walk_to(real, user, form, 1, "")
    text = joined(real.ask(user, question))
    assert "couldn't tell" not in text, text
    answered = re.search(r"Back to (the check|the questions)", text)
    start = answered.start() if answered else 0
    assert text.rindex(mark(form, 1)) > start and not text.startswith(mark(form, 1)), text[-400:]


@pytest.mark.parametrize("form", ["check", "risk"])
def test_a_worry_that_is_not_an_answer_gets_the_topics_near_it_and_the_step_again(
        real: RealBot, form: str) -> None:
    """Played as a person in the check: "ppl will laugh at me if i report it" got only "I couldn't
    tell whether that means yes or no"; now the topics the NLU places it near come with that line
    (pressing one answers it, and the form goes on from the same step)."""
    user = new_user()
    walk_to(real, user, form, 1, "")
    # (since the gate weighs the topic alone, "ppl will laugh at me if i report it" is answered
    # with what happens after reporting, 0.66 against 0.26; this worry the NLU can't place)
    replies = real.ask(user, "im scared people will think im overreacting")
    text = joined(replies)
    assert "couldn't tell" in text and "If you meant to ask about one of these" in text, text
    offered = [p for p in payloads(replies) if p.startswith(("/faq_topic", "/ask_"))]
    assert offered and text.rindex(mark(form, 1)) > text.index("couldn't tell"), payloads(replies)
    answered = joined(real.ask(user, offered[0]))
    assert "couldn't tell" not in answered and mark(form, 1) in answered, answered
    assert mark(form, 2) in joined(real.ask(user, answer(FORMS[form][1], 1, "")))  # the form goes on


@pytest.mark.parametrize("asked", ["is it my fault", "is this my fault"])
def test_is_it_my_fault_gets_it_isnt_and_is_never_a_yes(real: RealBot, asked: str) -> None:
    """Played as a person: "is it my fault" was read as "yes" (the main menu; in the check, a yes
    to the step) and "is this my fault" got "I don't know"."""
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, asked)
    text = joined(replies)
    # the answer, or (not sure) "did you mean" with it among the offers: never the main menu
    offered = str(payloads(replies))
    assert "\"It's my fault.\" It isn't." in text or '"topic": "myths_romance"' in offered, text
    walk_to(real, user, "check", 1, "")
    text = joined(real.ask(user, asked))
    assert "Back to the check" in text and text.rindex(mark("check", 1)) > text.index("Back to"), text
    assert mark("check", 2) not in text  # not taken as an answer


# -- "carry on" typed inside a form: the step again, never an answer ----------------------------
# Every step of the note (free text, where "carry on" was saved as the police reference), and
# the first and last steps of the check and the self-check.
GO_ON_STATES = [(f, s) for f, s in STATES
                if f == "note" or s in (0, len(FORMS[f][1]) - 1)]


@pytest.mark.parametrize(("form", "step"), GO_ON_STATES)
def test_carry_on_inside_a_form_asks_the_step_again(real: RealBot, form: str, step: int) -> None:
    user = new_user()
    walk_to(real, user, form, step, "")
    text = joined(real.ask(user, "carry on"))
    assert "We're carrying on with" in text, text
    assert text.rindex(mark(form, step)) > text.index("carrying on"), text
    end = the_end(real, user, form, finish_from(real, user, form, step))
    assert "carry on" not in end.lower(), end


@pytest.mark.parametrize("form", ["note", "check", "risk"])
def test_the_command_of_the_form_in_progress_carries_on_and_loses_nothing(real: RealBot, form: str) -> None:
    """/note typed in a note (the menu's command, pressed again): before, the bot said "I've
    paused your note: everything is kept" and then started a new, empty note."""
    user = new_user()
    walk_to(real, user, form, 2, "")
    text = joined(real.ask(user, FORMS[form][0]))
    assert "We're carrying on with" in text and mark(form, 2) in text, text
    assert "I've paused" not in text and mark(form, 0) not in text, text
    end = the_end(real, user, form, finish_from(real, user, form, 2))
    if form == "note":  # the answers given before the command are in the saved note
        assert "outside the gym" in end, end


def test_the_command_of_the_form_in_progress_carries_on_while_another_waits(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "/check", "/affirm"]:  # the note waits behind the check
        real.ask(user, said)
    text = joined(real.ask(user, "/check"))
    assert "We're carrying on with the warning-signs check" in text and mark("check", 1) in text, text
    text = joined(real.ask(user, "/note"))  # the waiting note's command: it still waits, not lost
    assert "Your note is waiting" in text and mark("check", 1) in text and mark("note", 0) not in text, text
    for _, said in FORMS["check"][1][1:]:
        real.ask(user, said)
    assert "Where did it happen?" in joined(real.ask(user, "/resume"))  # the note, its time kept


# -- "stop" inside an answer, and a real stop -------------------------------------------------
@pytest.mark.parametrize(("form", "step"), STATES)
def test_stop_inside_an_answer_does_not_stop(real: RealBot, form: str, step: int) -> None:
    user = new_user()
    walk_to(real, user, form, step, "")
    replies = real.ask(user, STOP_INSIDE)
    text = joined(replies)
    assert not any(words in text for words in STOPPED.values()), text[-300:]
    if "Throw this note away?" in text:  # the review read "no": it asks, it never throws away
        replies = real.ask(user, next(p for p in payloads(replies) if '"keep"' in p))
        text = joined(replies)
    _, walk = FORMS[form]
    nxt = step + 1 if step + 1 < len(walk) and mark(form, step + 1) in text else step
    if form == "check" and step >= 4 and "of the 4 warning signs" in text:
        return  # the behaviours step read "no" as "none of these": the summary came
    if form == "risk" and step == len(walk) - 1 and "yes to" in text:
        return  # the last risk question answered: the result came
    the_end(real, user, form, finish_from(real, user, form, nxt))


@pytest.mark.parametrize(("form", "step"), STATES)
def test_stop_means_stop_at_every_step(real: RealBot, form: str, step: int) -> None:
    user = new_user()
    walk_to(real, user, form, step, "")
    replies = real.ask(user, "stop")
    if form == "note" and step > 0:  # something is written: nothing goes without asking
        assert "Throw this note away?" in joined(replies)
        replies = real.ask(user, next(p for p in payloads(replies) if '"discard"' in p))
    assert STOPPED[form] in joined(replies), joined(replies)[-300:]


def test_a_correction_no_field_reader_knows_goes_to_the_answer_it_repeats_a_word_of(real: RealBot) -> None:
    """Played as a person: "wait actually it was a grey golf", typed at "Did anyone see it?" after
    "tall, black jacket, silver golf", was saved as the witnesses and every later answer moved
    one step: no field reader knows a Golf.  Now it goes beside the answer it repeats a word of,
    said back, and the step is asked again."""
    user = new_user()
    walk_to(real, user, "note", 6, "")  # "How did it make you feel", after "grey hoodie, blue ford focus"
    text = joined(real.ask(user, "wait actually the focus was dark blue"))
    assert "grey hoodie, blue ford focus AB12 CDE; the focus was dark blue" in text, text
    assert mark("note", 6) in text.split("Got it", 1)[1], text
    end = the_end(real, user, "note", finish_from(real, user, "note", 6))
    assert "grey hoodie, blue ford focus AB12 CDE; the focus was dark blue" in end, end
    assert "How it made me feel: upset and anxious" in end and "dark blue" not in end.split("Witnesses")[1]


def test_a_correction_that_repeats_no_earlier_word_is_not_moved() -> None:
    from nlu.actions.forms import field_it_echoes

    answers = {"note_where": "outside my flat", "note_appearance": "tall, black jacket, silver golf"}
    assert field_it_echoes("it was a grey golf", answers) == "note_appearance"
    assert field_it_echoes("my sister was with me", answers) is None  # no word in common
    assert field_it_echoes("he was at my flat in his golf", answers) is None  # one word each: a tie


# -- a correction at every step after the first -------------------------------------------------
CORRECTION = {
    "check": ("wait, actually the first one is a no", "Fixated"),
    "risk": ("sorry, the first one should be a no", "Question 1 of 11"),
}


@pytest.mark.parametrize(("form", "step"), [(f, s) for f, s in STATES if s > 0])
def test_a_correction_goes_to_the_field_it_corrects(real: RealBot, form: str, step: int) -> None:
    user = new_user()
    walk_to(real, user, form, step, "")
    if form == "note":
        after_witnesses = step > 5
        words = ("wait, actually my colleague saw him too" if after_witnesses
                 else "sorry, it was last night about 11")
        field = "Witnesses" if after_witnesses else "When"
    else:
        words, field = CORRECTION[form]
    replies = real.ask(user, words)
    text = joined(replies)
    assert f'I\'ve changed "{field}"' in text or f'to "{field}"' in text, text[-300:]
    assert mark(form, step) in text.split("Got it", 1)[1]  # the same step asked again
    end = the_end(real, user, form, finish_from(real, user, form, step))
    if form == "note":
        # the corrected field, and every later answer in its own place
        if field == "Witnesses":
            assert "Witnesses: Sam from the gym; my colleague saw him too" in end
        else:
            assert re.search(r"When: \w{3} \d{1,2} \w{3}, about 23:00", end), end
        assert "How it made me feel: upset and anxious" in end
        assert "Evidence kept: screenshots of his texts" in end
        assert words not in end.replace("Sam from the gym; my colleague saw him too", "")
    elif form == "check":
        assert "Fixated" not in end.split("\n")[0]  # no longer among the yes answers
    else:
        assert "yes to 2 of" in end or "yes to 2" in end, end


def test_a_time_corrected_in_passing_keeps_its_day_and_is_said_back(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/note")
    assert "Saved as" in joined(real.ask(user, "last night about 11"))
    real.ask(user, "outside my flat")
    replies = real.ask(user, "wait, actually it was more like half 10")  # at "what happened?"
    text = joined(replies)
    said = re.search(r'I\'ve changed "When" to: (\w{3} \d{1,2} \w{3}), about 22:30', text)
    assert said, text
    assert "What happened?" in text.split("Got it", 1)[1]  # the same step asked again
    real.ask(user, "he sat in his car and flashed his lights")
    for _ in range(6):  # how, appearance, witnesses, feelings, evidence, police reference
        replies = real.ask(user, "/deny")
    review = joined(replies)
    assert f"When: {said.group(1)}, about 22:30" in review, review
    assert "more like half 10" not in review and "What happened: he sat in his car" in review


def test_a_place_is_not_answered_with_the_danger_line_but_danger_now_still_is(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/note")
    real.ask(user, "yesterday at 5pm")
    text = joined(real.ask(user, "outside my flat"))  # the NLU alone reads it as danger
    assert "What happened?" in text and "999" not in text, text
    user = new_user()
    real.ask(user, "/note")
    real.ask(user, "yesterday at 5pm")
    alert = real.ask(user, "he is outside my flat right now")  # the guard: 999 first
    assert alert[0].text == FACTS.alert_reply("danger")


def test_no_one_saw_it_is_kept_as_an_answer_and_skip_is_a_skip(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "outside my flat", "he sat in his car", "/deny", "/deny"]:
        real.ask(user, said)
    real.ask(user, "no one")  # did anyone see it?: no one did (the police can read that)
    for said in ["skip", "nothing", "skip"]:  # feelings skipped, no evidence, no reference
        replies = real.ask(user, said)
    review = joined(replies)
    assert "Witnesses: no one" in review and "Evidence kept: nothing" in review, review
    assert "How it made me feel: (skipped)" in review


# -- another request typed inside a form: offered, the form waits ------------------------------
@pytest.mark.parametrize(("start", "words", "offered", "asked"), [
    (["/check"], "i want to write down what happened", "/note", "1 of 4"),
    (["/risk"], "i want to write down what happened", "/note", "Question 1 of 11"),
    (["/note", "yesterday at 5pm"], "can i see my notes", "/notes", "Where did it happen?"),
])
def test_another_request_inside_a_form_is_offered_and_the_step_asked_again(
        real: RealBot, start: list[str], words: str, offered: str, asked: str) -> None:
    user = new_user()
    for said in start:
        real.ask(user, said)
    replies = real.ask(user, words)
    text = joined(replies)
    assert "something else" in text and offered in payloads(replies), text
    assert asked in text.split("something else", 1)[1] and "not sure I know the answer" not in text
    if offered == "/note":  # pressed: the form waits behind the note, its answers kept
        pressed = joined(real.ask(user, offered))
        assert "I've paused" in pressed and "When did it happen?" in pressed, pressed


def test_carry_on_for_the_note_inside_a_check_says_the_note_waits(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "/check"]:  # the note put on hold for the check
        real.ask(user, said)
    text = joined(real.ask(user, "/resume"))  # the note's "Carry on" button, mid-check
    assert "Your note is waiting" in text and "Finish or stop the warning-signs check" in text, text
    assert "1 of 4" in text and "couldn't tell" not in text


def test_carry_on_for_the_check_inside_a_note_says_the_check_waits(real: RealBot) -> None:
    user = new_user()
    for said in ["/check", "/affirm", "/note", "yesterday at 5pm"]:
        real.ask(user, said)
    text = joined(real.ask(user, "/resume"))  # the check's old "Carry on" button, mid-note
    assert "The warning-signs check is waiting" in text and "Where did it happen?" in text, text
    assert "can't be skipped" not in text
    for said in ["outside the gym", "he stared at me"] + ["/deny"] * 6:
        real.ask(user, said)
    saved = real.ask(user, "/affirm")  # the note saved: the check that waits is offered again
    text = joined(saved)
    assert "Saved to your log" in text and "The warning-signs check is still waiting" in text, text
    assert text.index("Saved to your log") < text.index("still waiting")
    assert "/resume" in payloads(saved[-1:]) and "/stop" in payloads(saved[-1:])
    back = joined(real.ask(user, "carry on"))  # the check, at its next step
    assert "2 of 4" in back, back


def test_a_note_that_waits_behind_the_check_is_offered_when_the_check_is_done(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "/check"]:  # the note put on hold for the check
        real.ask(user, said)
    replies: list[Reply] = []
    for _, said in FORMS["check"][1]:
        replies = real.ask(user, said)
    text = joined(replies)
    assert "of the 4 warning signs" in text and "Your note is still waiting" in text, text
    assert "/resume" in payloads(replies[-1:])
    assert "Where did it happen?" in joined(real.ask(user, "yes"))  # "yes" carries on; its time kept


def test_no_to_the_offer_leaves_the_form_waiting_and_yes_later_does_not_carry_on(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "/check"] + [a for _, a in FORMS["check"][1]]:
        real.ask(user, said)
    text = joined(real.ask(user, "no"))  # not now: it keeps waiting, with its buttons
    assert "your note is waiting" in text and "Where did it happen?" not in text, text
    text = joined(real.ask(user, "yes"))  # a later "yes" is not an answer to the offer
    assert "your note is waiting" in text and "Where did it happen?" not in text, text
    assert "Where did it happen?" in joined(real.ask(user, "/resume"))


def test_nothing_waiting_means_no_offer_after_a_note(real: RealBot) -> None:
    user = new_user()
    for said in ["/note", "yesterday at 5pm", "outside the gym", "he stared at me"] + ["/deny"] * 6:
        real.ask(user, said)
    text = joined(real.ask(user, "/affirm"))
    assert "Saved to your log" in text and "still waiting" not in text, text


# -- the examples people met (issue 12) ---------------------------------------------------------
def test_the_examples_of_the_issue(real: RealBot) -> None:
    user = new_user()
    walk_to(real, user, "check", 1, "")
    replies = real.ask(user, "idk really, he just texts a lot")  # Obsessive: not sure
    assert "romantic" not in joined(replies).lower() and mark("check", 2) in joined(replies)
    replies = real.ask(user, STOP_INSIDE)  # Unwanted: an answer, not a stop
    assert mark("check", 3) in joined(replies)
    replies = real.ask(user, "no, only the once")  # Repeated: an answer, not a question
    assert mark("check", 4) in joined(replies) and "Back to" not in joined(replies)
    summary = joined(real.ask(user, "/deny"))
    assert "not sure about Obsessive" in summary and "Repeated" not in summary.split("\n")[0]

    user = new_user()
    walk_to(real, user, "risk", 3, "")
    replies = real.ask(user, "no, only the once")  # visits: an answer
    assert mark("risk", 4) in joined(replies) and "Back to" not in joined(replies)


def test_skip_at_the_review_asks_and_keeps_the_note(real: RealBot) -> None:
    user = new_user()
    replies = walk_to(real, user, "note", 9, "")
    replies = real.ask(user, "skip")
    assert "Throw this note away?" in joined(replies)
    replies = real.ask(user, next(p for p in payloads(replies) if '"keep"' in p))
    assert "Here is your note" in joined(replies)
    # Change a field: the field asked again, every other answer kept, the review again
    replies = real.ask(user, next(p for p in payloads(replies) if '"change"' in p))
    replies = real.ask(user, next(p for p in payloads(replies) if '"note_where"' in p))
    assert mark("note", 1) in joined(replies)
    replies = real.ask(user, "outside the station")
    assert "Where: outside the station" in joined(replies)
    assert "Witnesses: Sam from the gym" in joined(replies)
    # Back: the last step asked again
    replies = real.ask(user, next(p for p in payloads(replies) if '"back"' in p))
    assert mark("note", 8) in joined(replies)
    replies = real.ask(user, "CR/123/26")
    assert "Police reference: CR/123/26" in joined(replies)
    assert "Saved to your log" in joined(real.ask(user, "/affirm"))


# -- item 5: the time step says back what it saved ----------------------------------------------
@pytest.mark.parametrize(("words", "said"), [
    ("last night about 11", r"Saved as \w{3} \d{1,2} \w{3}, about 23:00\. Change it\?"),
    ("yesterday", r"Saved as \w{3} \d{1,2} \w{3}, time not given\. Change it\?"),
    ("03/04", r"Saved as \w{3} 3 Apr(?: \d{4})?, time not given\. Or did you mean \w{3} 4 Mar"),
])
def test_the_note_says_back_the_time_it_saved(real: RealBot, words: str, said: str) -> None:
    user = new_user()
    walk_to(real, user, "note", 0, "")
    replies = real.ask(user, words)
    assert re.search(said, joined(replies)), joined(replies)
    assert any('"note_step": "note_when"' in p for p in payloads(replies))  # "Change the time"
    assert mark("note", 1) in joined(replies)
    echo = re.search(r"Saved as (.+?)\.", joined(replies)).group(1)  # type: ignore[union-attr]
    end = the_end(real, user, "note", finish_from(real, user, "note", 1))
    assert echo in end  # the saved note shows what was said back (never 00:00)
    assert "00:00" not in end or "23:00" in echo


def test_the_time_can_be_changed_from_its_button(real: RealBot) -> None:
    user = new_user()
    walk_to(real, user, "note", 0, "")
    replies = real.ask(user, "03/04")
    replies = real.ask(user, next(p for p in payloads(replies) if '"note_when"' in p))
    assert mark("note", 0) in joined(replies)
    replies = real.ask(user, "4 March")
    assert re.search(r"Saved as \w{3} 4 Mar", joined(replies)) and mark("note", 1) in joined(replies)


def test_a_time_alone_in_an_edit_corrects_the_notes_own_time(real: RealBot) -> None:
    """Editing the time of a note saved as yesterday 08:00: "more like half 8" is 08:30 that
    day (before: the last half past eight, this evening or this morning)."""
    user, day = editing_the_time_of_a_note(real)
    text = joined(real.ask(user, "more like half 8"))
    assert f"Saved as {day}, about 08:30" in text, text


def editing_the_time_of_a_note(real: RealBot) -> tuple[str, str]:
    """A new user with a quick note saved as yesterday at 08:00, its time being edited: (the user,
    the note's day as said back, "Sat 28 Nov")."""
    user = new_user()
    real.ask(user, "/start")
    saved = joined(real.ask(user, "/note he was at the station yesterday at 8am"))
    day = re.search(r"Saved as (\w{3} \d{1,2} \w{3}), 08:00", saved)
    assert day, saved
    listing = real.ask(user, "/notes")
    note_id = next(p for p in payloads(listing) if p.startswith("diary:open:")).rsplit(":", 1)[1]
    real.ask(user, f"diary:field:{note_id}:occurred_at")
    return user, day.group(1)


# -- item 6: where the person is ------------------------------------------------------------------
ROUTES = {
    "west_midlands": ["Live Chat on the West Midlands Police website"],
    "england_wales": ["reaches your local police force", "police.uk"],
    "scotland": ["Police Scotland", "online Stalking Form", "Action Against Stalking"],
    "northern_ireland": ["Police Service of Northern Ireland (PSNI)", "report it online"],
}
LAWS = {
    "west_midlands": "Protection from Harassment Act 1997",
    "england_wales": "Protection from Harassment Act 1997",
    "scotland": "section 39 of the Criminal Justice and Licensing (Scotland) Act 2010",
    "northern_ireland": "Protection from Stalking Act (Northern Ireland) 2022",
}


def urls(replies: list[Reply]) -> list[str]:
    return [b.url for r in replies for b in r.buttons if b.url]


@pytest.mark.parametrize("place", list(ROUTES))
def test_where_is_asked_once_and_each_place_gets_its_route(real: RealBot, place: str) -> None:
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "how do I report it to the police?")
    assert "Where are you?" in joined(replies)
    choice = next(p for p in payloads(replies) if f'"where": "{place}"' in p)
    replies = real.ask(user, choice)
    text = joined(replies)
    for words in ROUTES[place]:
        assert words in text, (place, text)
    assert (FACTS.contacts["live_chat_url"] in urls(replies)) is (place == "west_midlands")
    stored = real.run(real.core.desk._run(real.core.desk.store.get_answer, user, "where"))
    assert stored == place  # kept with the person's data
    # asked once: the law, in the same conversation and after a fresh /start
    replies = real.ask(user, "/ask_law")
    assert "Where are you?" not in joined(replies) and LAWS[place] in joined(replies)
    real.ask(user, "/start")
    replies = real.ask(user, "/ask_report")
    assert "Where are you?" not in joined(replies) and ROUTES[place][0] in joined(replies)
    plan = joined(real.ask(user, "/ask_plan"))
    assert "Where are you?" not in plan and "Report it to the police" in plan
    if place != "west_midlands":
        assert "Live Chat" not in plan


def stored_where(real: RealBot, user: str) -> object:
    return real.run(real.core.desk._run(real.core.desk.store.get_answer, user, "where"))


def test_a_town_typed_to_where_are_you_is_read_said_back_and_kept(real: RealBot) -> None:
    """Before, "we're in Coventry" (or "glasgow") to "Where are you?" brought the question back:
    only the buttons were understood."""
    user = new_user()
    real.ask(user, "/start")
    assert "Where are you?" in joined(real.ask(user, "how do I report it to the police?"))
    replies = real.ask(user, "we're in Coventry")
    text = joined(replies)
    assert "I've taken Coventry as the West Midlands" in text and "Where are you?" not in text, text
    assert FACTS.contacts["live_chat_url"] in urls(replies)
    assert stored_where(real, user) == "west_midlands"
    assert "Where are you?" not in joined(real.ask(user, "/ask_law"))


def test_a_town_that_could_be_two_places_is_asked_about_and_a_negation_is_not_read(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    real.ask(user, "how do I report it to the police?")
    replies = real.ask(user, "I don't live in Birmingham")  # no guess: the question again
    assert "Where are you?" in joined(replies) and stored_where(real, user) is None
    replies = real.ask(user, "Bangor")  # Wales or Northern Ireland: those two, as buttons
    assert "Bangor: which of these is it?" in joined(replies), joined(replies)
    choices = payloads(replies)
    assert len(choices) == 2 and '"northern_ireland"' in choices[1] and '"england_wales"' in choices[0]
    assert stored_where(real, user) is None  # nothing kept until one is pressed
    assert "PSNI" in joined(real.ask(user, choices[1])) and stored_where(real, user) == "northern_ireland"


def test_a_town_typed_under_the_plan_is_kept_with_its_own_change_button(real: RealBot) -> None:
    """The plan's answer has no "📍 Not in ...?" button, so the words "press 📍 below" need theirs."""
    user = new_user()
    real.ask(user, "/start")
    assert "Where are you?" in joined(real.ask(user, "/ask_plan"))
    replies = real.ask(user, "cardiff")
    taken = "I've taken Cardiff as England or Wales, outside the West Midlands"
    said = next(r for r in replies if taken in r.text)
    assert [b.payload for b in said.buttons] == ['/set_where{"where_topic": "plan"}'], said
    assert "Your safety plan" in joined(replies) and stored_where(real, user) == "england_wales"


@pytest.mark.parametrize("form", ["check", "risk"])
@pytest.mark.parametrize(("said", "taken", "stored"), [
    ("im in manchester", "Manchester as England or Wales, outside the West Midlands", "england_wales"),
    ("im in scotland btw", "Scotland as Scotland", "scotland"),  # read by place_statement.py
])
def test_a_place_said_in_the_middle_of_a_form_is_kept_and_the_step_asked_again(
        real: RealBot, form: str, said: str, taken: str, stored: str) -> None:
    """Before: "Sorry, I couldn't tell whether that means yes or no"."""
    user = new_user()
    walk_to(real, user, form, 1, "")
    text = joined(real.ask(user, said))
    assert f"I've taken {taken}" in text, text
    assert "couldn't tell" not in text and mark(form, 1) in text, text
    assert stored_where(real, user) == stored
    assert mark(form, 2) in joined(real.ask(user, answer(FORMS[form][1], 1, "")))  # the form goes on


def test_a_place_said_unasked_is_read_too(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    text = joined(real.ask(user, "actually i live in glasgow now"))
    assert "I've taken Glasgow as Scotland" in text and "Police Scotland" in text, text
    assert stored_where(real, user) == "scotland"


@pytest.mark.parametrize(("said", "read", "place", "stored"), [
    ("im in glasgow btw", "Glasgow", "Scotland", "scotland"),  # before: "Take care" (goodbye)
    ("we are in belfast", "Belfast", "Northern Ireland", "northern_ireland"),  # before: "did you mean"
    ("im from leeds", "Leeds", "England or Wales, outside the West Midlands",  # before: "I don't know"
     "england_wales"),
    ("i've just moved to Coventry", "Coventry", "the West Midlands", "west_midlands"),
])
def test_a_place_said_in_a_few_words_is_read_unasked_and_kept(
        real: RealBot, said: str, read: str, place: str, stored: str) -> None:
    """Short first-person statements of place, which the intent classifier misread, are read
    against the gazetteer (nlu/components/place_statement.py); the next question about
    reporting gets that place's route without asking "Where are you?"."""
    user = new_user()
    real.ask(user, "/start")
    text = joined(real.ask(user, said))
    assert f"I've taken {read} as {place}" in text, text
    assert stored_where(real, user) == stored
    assert "Where are you?" not in joined(real.ask(user, "how do i report it"))


def test_a_place_said_in_passing_in_a_question_is_kept_and_the_question_answered(real: RealBot) -> None:
    """Played as a person: "im in glasgow, can i report him online" was answered, and the next
    question about the law asked "Where are you?": the place said in passing was lost.  Now it is
    said back first (with the 📍 button), kept with their data, and used for what comes next."""
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "im in glasgow, can i report him online")
    assert replies[0].text.startswith("I've taken Glasgow as Scotland"), joined(replies)
    assert any(b.title == "📍 Not in Scotland?" for b in replies[0].buttons)
    assert "Report it to Police Scotland" in joined(replies[1:]), joined(replies)  # the question's topic
    assert stored_where(real, user) == "scotland"
    law = joined(real.ask(user, "what law covers stalking here"))
    assert "Where are you?" not in law and "(Scotland)" in law, law
    # said again, it is not said back again
    assert "I've taken" not in joined(real.ask(user, "im in glasgow, who can help me"))
    # the place's clause does not pull the question to "Scotland and Northern Ireland"
    text = joined(real.ask(new_user(), "we live in belfast, what can i do"))
    assert "I've taken Belfast as Northern Ireland" in text and "Four steps" in text, text


def test_a_place_said_in_passing_inside_a_note_s_answer_is_saved_as_typed(real: RealBot) -> None:
    """The NLU reads the question without the place's clause; the note keeps the words as typed."""
    user = new_user()
    walk_to(real, user, "note", 2, "")  # "What happened?"
    words = "we live in belfast and he keeps turning up at my work, what can i do"
    text = joined(real.ask(user, words))
    assert "I've taken" not in text, text  # not in a note: a place there is where it happened
    finish_from(real, user, "note", 3)
    assert f"What happened: {words}" in joined(open_newest(real, user))
    assert stored_where(real, user) is None


@pytest.mark.parametrize("said", ["im reading", "he is in leeds", "im in leeds and he followed me home",
                                  "i dont live in birmingham anymore"])
def test_words_that_only_look_like_a_place_statement_keep_nothing(real: RealBot, said: str) -> None:
    user = new_user()
    real.ask(user, "/start")
    text = joined(real.ask(user, said))
    assert "I've taken" not in text, text
    assert stored_where(real, user) is None


ELSEWHERE = "First: the answer below is about England and Wales"


@pytest.mark.parametrize(("place", "question", "noted"), [
    ("scotland", "can i get a restraining order", True),  # before: the England and Wales orders alone
    ("scotland", "what is clare's law", True),
    ("scotland", "what is a stalking protection order", True),
    ("northern_ireland", "how do i get a non molestation order", True),
    ("northern_ireland", "what is a stalking protection order", False),  # NI has SPOs too (§10)
    ("england_wales", "can i get a restraining order", False),
    ("west_midlands", "what is clare's law", False),
])
def test_an_answer_about_england_and_wales_says_so_first_to_someone_elsewhere(
        real: RealBot, place: str, question: str, noted: bool) -> None:
    """Someone who told us they are in Scotland or Northern Ireland, asking about orders or
    Clare's Law, got the England and Wales answer with nothing to say it was not their law."""
    user = new_user()
    real.ask(user, "/start")
    real.ask(user, f'/set_where{{"where": "{place}", "where_topic": "law"}}')
    replies = real.ask(user, question)
    assert (ELSEWHERE in replies[0].text) is noted, joined(replies)
    if noted:  # first, alone in its message, with their own place's answer and the place's change
        assert '/faq_topic{"topic": "scotland_ni"}' in [b.payload for b in replies[0].buttons]
        assert len(replies) > 1 and ELSEWHERE not in replies[1].text
    inside = new_user()  # and in the middle of a form, answered in passing
    real.ask(inside, "/start")
    real.ask(inside, f'/set_where{{"where": "{place}", "where_topic": "law"}}')
    walk_to(real, inside, "check", 1, "")
    text = joined(real.ask(inside, question))
    assert (ELSEWHERE in text) is noted and mark("check", 1) in text, text


def test_the_plan_comes_with_the_question_when_it_was_never_said(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "/ask_plan")
    assert "Your safety plan" in replies[0].text and "Where are you?" in replies[-1].text
    replies = real.ask(user, next(p for p in payloads(replies) if '"scotland"' in p))
    assert "Your safety plan" in joined(replies) and "Stalking Form" in joined(replies)
    assert "Where are you?" not in joined(real.ask(user, "/ask_plan"))


def test_forget_removes_where_the_person_is(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "/ask_report")
    real.ask(user, next(p for p in payloads(replies) if '"scotland"' in p))
    store = real.core.desk.store
    assert real.run(real.core.desk._run(store.get_answer, user, "where")) == "scotland"
    replies = real.ask(user, "/forget")
    real.ask(user, next(p for p in payloads(replies) if p == "diary:forget_yes"))
    assert real.run(real.core.desk._run(store.get_answer, user, "where")) is None
    real.ask(user, "/start")
    assert "Where are you?" in joined(real.ask(user, "/ask_report"))


def test_should_i_call_the_police_says_999_and_101_before_asking_where(real: RealBot) -> None:
    """Played as a person: "should i call the police", asked first, got only "Where are you?" and
    four places: no 999, no 101.  What holds anywhere in the UK now comes first; the law's
    question (no reporting in it) is asked as before."""
    user = new_user()
    real.ask(user, "/start")
    [ask] = [r for r in real.ask(user, "should i call the police") if "Where are you?" in r.text]
    assert ask.text.startswith("In an emergency, or if you are in danger now: call 999. "
                               "Otherwise 101"), ask.text
    other = new_user()
    real.ask(other, "/start")
    law = joined(real.ask(other, "/ask_law"))
    assert "Where are you?" in law and "call 999" not in law, law


# -- a question whose answer depends on where the person is ----------------------------------
def test_reporting_asked_inside_a_form_gets_the_route_for_where_they_are(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    told = real.ask(user, '/set_where{"where": "scotland", "where_topic": "report"}')
    assert "Police Scotland" in joined(told)
    command, walk = FORMS["note"]
    replies = real.ask(user, command)
    assert walk[0][0] in joined(replies), joined(replies)[-300:]
    real.ask(user, answer(walk, 0, ""))
    text = joined(real.ask(user, "how do I report it to the police?"))
    assert "Police Scotland" in text, text[-400:]
    assert "Back to the note" in text, text[-400:]


def test_an_old_button_at_a_step_that_can_be_skipped_says_so(real: RealBot) -> None:
    """A button of an earlier message pressed late (Telegram keeps them pressable)."""
    user = new_user()
    walk_to(real, user, "note", 6, "")  # "How did it make you feel" can be skipped
    text = joined(real.ask(user, "/keep_in_note"))
    assert "Please type your answer, or press Skip." in text and "can't be skipped" not in text, text
    assert mark("note", 6) in text
    walk_to(real, user := new_user(), "note", 2, "")  # "What happened?" cannot
    assert "can't be skipped" in joined(real.ask(user, "/affirm"))


# -- telling the story instead of answering yes or no -------------------------------------------
def test_a_topic_told_inside_the_check_is_answered_and_the_step_asked_again(real: RealBot) -> None:
    """"i found a tracker on my car" is no question, but the knowledge base answers it: before,
    the check said it couldn't tell yes from no."""
    user = new_user()
    walk_to(real, user, "check", 0, "")
    text = joined(real.ask(user, "i found a tracker on my car"))
    assert "tracker" in text.lower() and "Back to the check" in text and "couldn't tell" not in text, text
    assert text.rindex(mark("check", 0)) > text.index("Back to the check")


def test_is_this_stalking_asked_inside_the_check_is_answered_by_the_check(real: RealBot) -> None:
    """Before: "That sounds like a question, and I'm not sure I know the answer" (the NLU reads
    it as a request for the check, which is already going on)."""
    user = new_user()
    walk_to(real, user, "check", 1, "")
    text = joined(real.ask(user, "is that stalking?"))
    assert "That is what this check is for" in text and "not sure I know" not in text, text
    assert text.rindex(mark("check", 1)) > text.index("That is what this check is for")


@pytest.mark.parametrize("form", ["check", "risk"])
def test_not_understood_twice_in_a_row_offers_a_way_out(real: RealBot, form: str) -> None:
    user = new_user()
    walk_to(real, user, form, 1, "")
    first = joined(real.ask(user, "it started in march"))
    assert "couldn't tell" in first and "I still can't tell" not in first, first
    replies = real.ask(user, "we were together 3 years")
    text = joined(replies)
    assert "I still can't tell" in text and mark(form, 1) in text, text
    assert "/note" in payloads(replies) and "/stop" in payloads(replies)
    pressed = joined(real.ask(user, "/note"))  # the form waits behind the note, answers kept
    assert "I've paused" in pressed and "When did it happen?" in pressed, pressed


# -- "did you mean" inside a form ----------------------------------------------------------------
def test_a_question_not_placed_inside_a_note_gets_did_you_mean_and_the_button_is_answered(
        real: RealBot) -> None:
    """Before, "I'm not sure I know the answer" and the helpline, never the likeliest topics."""
    user = new_user()
    walk_to(real, user, "note", 1, "")
    # (since the gate weighs the topic alone, "can we do the warning signs check" is answered
    # with the four signs, 0.66 against 0.21; this one the NLU can't place)
    replies = real.ask(user, "what do i do about the court stuff?")
    text = joined(replies)
    assert "Did you mean one of these?" in text and mark("note", 1) in text, text
    offered = [p for p in payloads(replies) if p.startswith("/")]
    assert offered, text
    pressed = joined(real.ask(user, offered[0]))  # answered in passing, the same step again
    assert "Back to the note" in pressed and mark("note", 1) in pressed, pressed
    assert "can't be skipped" not in pressed and "Please type" not in pressed, pressed
    end = the_end(real, user, "note", finish_from(real, user, "note", 1))
    assert "Where: outside the gym" in end and offered[0] not in end, end


ACCOUNT = "he followed me home from the station last night about 11, i'm ok now"


def test_an_account_the_nlu_cant_place_can_be_saved_as_a_note_as_written(real: RealBot) -> None:
    """Before, "did you mean" offered topics only: the person had to type it all again after /note."""
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, ACCOUNT)
    # "not sure", or Rasa's gentle "if you are in danger now" (the guard did not fire: "i'm ok
    # now"), whose buttons keep the account too
    said = joined(replies)
    assert "Did you mean" in said or "not sure" in said or "If I've misread you" in said, said
    assert "diary:note_last" in payloads(replies), payloads(replies)
    saved = joined(real.ask(user, "diary:note_last"))
    assert "Saved as" in saved and "about 23:00" in saved and "Saved to your log" in saved, saved
    note = joined(open_newest(real, user))
    assert ACCOUNT in note, note
    again = joined(real.ask(user, "diary:note_last"))  # kept only until the next message
    assert "I no longer have that message" in again, again
    listing = real.ask(user, "/notes")
    assert sum(p.startswith("diary:open:") for p in payloads(listing)) == 1  # saved once


def test_the_person_s_own_account_the_nlu_cant_place_offers_the_check(real: RealBot) -> None:
    """Played as a person (a teenager): "theres this boy in year 11 who keeps following me round
    school" got "did you mean" with Helping a child and Stalking at work or university, and no
    way to check what was happening to her.  The person's own account ("me", "I") now offers
    "Check what is happening to me" beside the topics and "Save what I wrote as a note"."""
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "theres this boy in year 11 who keeps following me round school")
    assert "Did you mean" in joined(replies), joined(replies)
    assert "/start_check" in payloads(replies) and "diary:note_last" in payloads(replies), payloads(replies)
    assert "1 of 4" in joined(real.ask(user, "/start_check"))


def test_a_question_the_nlu_cant_place_is_not_offered_as_a_note(real: RealBot) -> None:
    user = new_user()
    real.ask(user, "/start")
    replies = real.ask(user, "is it stalking if hes my ex?")
    assert "diary:note_last" not in payloads(replies), joined(replies)
    replies = real.ask(user, ACCOUNT)
    real.ask(user, "hello")  # another message: the words are no longer kept
    assert "I no longer have that message" in joined(real.ask(user, "diary:note_last"))


def test_a_bare_yes_or_no_after_change_it_answers_that_not_the_next_step(real: RealBot) -> None:
    """"Saved as ... Change it?" comes with "Where did it happen?": a typed "yes" was saved as
    the place ("Where: yes")."""
    user = new_user()
    replies = walk_to(real, user, "note", 1, "")
    assert "Change it?" in joined(replies), joined(replies)
    said = joined(real.ask(user, "yes"))  # change it, or "yes, that's right"? The button says.
    assert "To change the time" in said and mark("note", 1) in said, said
    said = joined(real.ask(user, "no thats right"))
    assert "the time stays as it is" in said and mark("note", 1) in said, said
    end = the_end(real, user, "note", finish_from(real, user, "note", 1))
    assert "Where: outside the gym" in end and "Where: yes" not in end and "Where: no" not in end, end


def test_a_question_not_placed_while_a_note_waits_gets_did_you_mean_and_the_note_waits(
        real: RealBot) -> None:
    """Before, a question typed after an alert got the waiting note's buttons again and nothing
    else: no "did you mean", so the question went unanswered."""
    user = new_user()
    walk_to(real, user, "note", 1, "")
    alert = real.ask(user, "scared")
    assert "/resume" in payloads(alert), joined(alert)
    replies = real.ask(user, "will he know it was me?")  # "not sure" on this model
    text = joined(replies)
    assert "Did you mean one of these?" in text and "999" in text and "waiting" in text, text
    sent = payloads(replies)
    # the topics, then the waiting note's own buttons (the alert's words can still be kept)
    assert sent[-3:] == ["/resume", "/keep_in_note", "/stop"], sent
    topics = sent[:-3]
    assert topics and "/check" not in topics and "/start_check" not in topics, sent
    pressed = joined(real.ask(user, topics[0]))
    assert "did you mean" not in pressed.lower() and "waiting" not in pressed, pressed
    back = joined(real.ask(user, "/resume"))
    assert mark("note", 1) in back, back
    end = the_end(real, user, "note", finish_from(real, user, "note", 1))
    assert "Where: outside the gym" in end and "it was me" not in end, end


@pytest.mark.parametrize("form", ["check", "risk"])
def test_a_topic_button_pressed_inside_the_check_is_answered(real: RealBot, form: str) -> None:
    user = new_user()
    walk_to(real, user, form, 1, "")
    text = joined(real.ask(user, '/faq_topic{"topic": "clares_law"}'))
    assert "Clare's Law" in text and mark(form, 1) in text and "couldn't tell" not in text, text


def test_what_they_do_told_at_a_sign_is_kept_for_the_last_part(real: RealBot) -> None:
    """Played as a person: "hes txting me all the time and turning up at my flat" at "1 of 4"
    got "I couldn't tell whether that means yes or no", and what they do was lost; now it is said
    back, ticked in the last part, and the step asked again.  A negation is never read as what
    they do ("no he doesnt follow me" is a no)."""
    user = new_user()
    walk_to(real, user, "check", 0, "")
    text = joined(real.ask(user, "hes texting me all the time and turning up at my flat"))
    assert "I've noted what they do (" in text and "Turning up at home or work" in text, text
    assert "couldn't tell" not in text and text.rindex(mark("check", 0)) > text.index("noted"), text
    real.ask(user, "yes")
    real.ask(user, "no he doesnt follow me")
    real.ask(user, "yes")
    last = real.ask(user, "yes")
    titles = [b.title for r in last for b in r.buttons]
    assert "✓ Turning up at home or work" in titles and "Following me" in titles, titles


def test_what_they_do_told_in_the_account_that_starts_the_check_is_kept(real: RealBot) -> None:
    """Played as a person: "my ex keeps turning up at my work and texting me" started the check,
    and after four questions the last part asked, with nothing ticked, what they do.  Now what
    the account told is said back and ticked there; a button's /start_check ticks nothing."""
    user = new_user()
    first = joined(real.ask(user, "my ex keeps turning up at my work and texting me"))
    assert "I've noted what they do (" in first and "Turning up at home or work" in first, first
    assert "Calls, texts or emails" in first and mark("check", 0) in first, first
    for _ in range(3):
        real.ask(user, "yes")
    last = real.ask(user, "yes")
    titles = [b.title for r in last for b in r.buttons]
    assert "✓ Turning up at home or work" in titles and "✓ Calls, texts or emails" in titles, titles
    assert "Following me" in titles, titles
    other = new_user()
    pressed = joined(real.ask(other, "/start_check"))
    assert "noted what they do" not in pressed and mark("check", 0) in pressed, pressed


@pytest.mark.parametrize(("words", "title"), [
    ("my ex wont stop messaging me", "Calls, texts or emails"),
    ("she hasn't stopped turning up at my work", "Turning up at home or work"),
    ("someone keeps leaving flowers on my doorstep i dont know who", "Unwanted gifts or messages"),
    ("he doesnt call but he keeps turning up at my work", "Turning up at home or work"),
])
def test_a_stop_that_is_negated_is_what_they_do_not_a_no(real: RealBot, words: str, title: str) -> None:
    """Played as a person: "my ex wont stop messaging me" started the check with nothing noted:
    "wont" read as a negation.  A negated stop is the opposite of one: what they do goes on; so
    is not knowing ("i dont know who"); and a negation is read in its own clause only ("he doesnt
    call but ...": not calls)."""
    user = new_user()
    first = joined(real.ask(user, words))
    assert "I've noted what they do (" in first and title in first, first
    if "doesnt call" in words:
        assert "Calls, texts or emails" not in first, first


def test_an_account_typed_at_the_time_s_step_is_kept_for_what_happened(real: RealBot) -> None:
    """Played as a person: "he was waiting outside my work again and followed me to the bus stop",
    typed first at "When did it happen?", got "I couldn't read that as a date" and was lost.
    Now it is kept for "What happened" (not asked again) and the time is asked again."""
    user = new_user()
    walk_to(real, user, "note", 0, "")
    account = "he was waiting outside my work again and followed me to the bus stop"
    text = joined(real.ask(user, account))
    assert "I've kept that for \"What happened\"" in text and "couldn't read" not in text, text
    assert text.rindex(mark("note", 0)) > text.index("kept that"), text
    real.ask(user, "yesterday about half 5")
    after_where = joined(real.ask(user, "outside my work"))
    assert "What happened?" not in after_where, after_where
    end = the_end(real, user, "note", finish_from(real, user, "note", 3))
    assert f"What happened: {account}" in end, end
    # a few words that are not an account are still "not a date", and nothing is kept
    other = new_user()
    walk_to(real, other, "note", 0, "")
    assert "couldn't read" in joined(real.ask(other, "erm not sure"))


def test_an_account_typed_at_the_place_s_step_is_kept_for_what_happened(real: RealBot) -> None:
    """Played as a person: "he sat outside in his car for an hour", typed at "Where did it
    happen?", was saved as the place, and "What happened?" came next, asking for it again.  An
    answer that begins with the person who did it is now kept for "What happened" (not asked
    again) and the place is asked again; a place ("outside my house") is still the place."""
    user = new_user()
    walk_to(real, user, "note", 1, "yesterday at 6pm")
    account = "he sat outside in his car for an hour"
    text = joined(real.ask(user, account))
    assert "I've kept that for \"What happened\"" in text, text
    assert text.rindex(mark("note", 1)) > text.index("kept"), text
    after_where = joined(real.ask(user, "outside my house"))
    assert "What happened?" not in after_where, after_where
    end = the_end(real, user, "note", finish_from(real, user, "note", 3))
    assert f"What happened: {account}" in end and "Where: outside my house" in end, end
    other = new_user()
    walk_to(real, other, "note", 1, "yesterday at 6pm")
    assert "What happened?" in joined(real.ask(other, "outside my house, by the bins"))


@pytest.mark.parametrize("form", ["check", "risk"])
@pytest.mark.parametrize("question", ["does blocking him count as telling him to stop?",
                                      "would moving house help?"])
def test_a_question_whose_subject_is_a_doing_is_a_question(real: RealBot, form: str, question: str) -> None:
    """Played as a person in the check: "does blocking him count as telling him to stop?" got "I
    couldn't tell whether that means yes or no": an auxiliary before a doing ("blocking him") was
    not read as a question.  Now it is answered (or "I'm not sure which question", with topics)
    and the step asked again."""
    user = new_user()
    walk_to(real, user, form, 1, "")
    text = joined(real.ask(user, question))
    assert "couldn't tell" not in text, text
    assert re.search(r"Back to (the check|the questions)", text) and text.rindex(mark(form, 1)) > 0, text


@pytest.mark.parametrize("form", ["check", "risk"])
@pytest.mark.parametrize("words", ["ok", "okay", "got it"])
def test_ok_is_not_a_yes_to_a_yes_or_no_question(real: RealBot, form: str, words: str) -> None:
    """Played as a person: "ok" was read as a greeting (the welcome, with a check waiting); read
    as the yes it usually is ("ok" to "Carry on?"), it would tick "is he fixated on you?" or "has
    he threatened to kill you?".  In those steps it is not an answer: the step says it couldn't
    tell, and is asked again; a "yes" then moves on."""
    user = new_user()
    walk_to(real, user, form, 1, "")
    text = joined(real.ask(user, words))
    assert "couldn't tell" in text and text.rindex(mark(form, 1)) > text.index("couldn't tell"), text
    assert mark(form, 2) not in text, text
    assert mark(form, 2) in joined(real.ask(user, "yes"))


def test_ok_after_a_crisis_reply_keeps_the_waiting_form_in_sight(real: RealBot) -> None:
    """Played as a person: after the suicide route's reply in the middle of the check, "ok" got
    the welcome and the main menu (read as a greeting), the check out of sight.  Now it is taken
    in: the check is waiting, with its Carry on and Stop buttons."""
    user = new_user()
    walk_to(real, user, "check", 1, "")
    real.ask(user, "i cant do this anymore i just want it all to end")
    replies = real.ask(user, "ok")
    assert "waiting where we left it" in joined(replies) and "/resume" in payloads(replies), joined(replies)
    assert "Hello. I'm a chatbot" not in joined(replies)


FAQ_COPY = yaml.safe_load((ROOT / "data" / "faq_copy.yml").read_text("utf-8"))


def test_a_follow_up_with_no_words_of_its_own_gets_the_rest_of_the_answer(real: RealBot) -> None:
    """Played as a person: "how" after the answer about trackers got "I'm not sure I understood
    that, and I don't know the answer", and "what do you mean" the four warning signs.  Right
    after a knowledge-base answer with more to it, both now get the rest of that answer."""
    more = FAQ_COPY["more"]["tracking_stalkerware"].split("\n")[1]
    user = new_user()
    real.ask(user, "/start")
    assert "Spyware" in joined(real.ask(user, "i think my ex is tracking my phone what do i do"))
    text = joined(real.ask(user, "how"))
    assert more in text and "don't know the answer" not in text, text
    other = new_user()
    real.ask(other, "/start")
    assert "Clare's Law" in joined(real.ask(other, "what is clare's law"))
    text = joined(real.ask(other, "what do you mean"))
    assert FAQ_COPY["more"]["clares_law"].split("\n")[0][:40] in text and "FOUR" not in text, text
    # asked again: all there is, and who can tell more (not the same text, nor the four signs)
    again = joined(real.ask(other, "what do you mean"))
    assert again.startswith("That is all I have on it") and "FOUR" not in again, again
    # with no answer just given, "what do you mean" is still the four warning signs
    third = new_user()
    real.ask(third, "/start")
    assert "FOUR warning signs" in joined(real.ask(third, "what do you mean"))


def test_thanks_after_ticking_what_they_do_ends_the_choice(real: RealBot) -> None:
    """Played as a person: "thanks" after ticking "Following me" got "Sorry, I couldn't match that
    to one of these"; now it ends the choice and the result comes.  With nothing ticked yet it is
    not taken as "none of these"."""
    user = new_user()
    walk_to(real, user, "check", 4, "")
    real.ask(user, '/affirm{"behaviour": "following"}')
    text = joined(real.ask(user, "thanks"))
    assert "What you told me has happened: following me" in text and "couldn't match" not in text, text
    other = new_user()
    walk_to(real, other, "check", 4, "")
    assert "What you told me has happened" not in joined(real.ask(other, "thanks"))


def test_a_question_about_the_step_gets_the_steps_explanation(real: RealBot) -> None:
    """Played as a person: at "Is the contact unwanted ... you told them to stop, blocked them",
    "does blocking him count as telling him to stop?" got "I'm not sure which question that is"
    with online-safety topics, and "is ignoring him enough" "I couldn't tell whether that means
    yes or no".  Both ask what the step means for them: its explanation, then the step again."""
    explained = "\"Unwanted\" means you don't want the contact"
    user = new_user()
    walk_to(real, user, "check", 2, "")
    for question in ("does blocking him count as telling him to stop?", "is ignoring him enough"):
        text = joined(real.ask(user, question))
        assert explained in text and "3 of 4" in text, text
        assert "not sure which question" not in text and "couldn't tell" not in text, text
    assert "4 of 4" in joined(real.ask(user, "yes"))  # the answer still counts
    # a question the knowledge base can place is answered by it, as before
    other = new_user()
    walk_to(real, other, "check", 2, "")
    text = joined(real.ask(other, "can i report him online?"))
    assert "Report it to the police" in text and explained not in text, text
    # one word in common of four is not a question about the step
    third = new_user()
    walk_to(real, third, "check", 0, "")
    assert "\"Fixated\" means" not in joined(real.ask(third, "does being texted 5 times a day count?"))


def test_why_the_self_check_asks_in_other_words(real: RealBot) -> None:
    """Played as a person: "why do you need to know" at "Are you very frightened?" got "I'm not sure
    which question that is"; only "why", "why do you ask" and "why is that" were read.  A short "why"
    about the asking gets why the step asks; one about him does not."""
    from nlu.actions.risk import asks_why_asked, risk_copy

    why = risk_copy()["questions"][next(iter(risk_copy()["questions"]))]["why"]
    user = new_user()
    walk_to(real, user, "risk", 0, "")
    for asked in ("why do you need to know", "why are you asking me this"):
        text = joined(real.ask(user, asked))
        assert why in text and "not sure which question" not in text, text
    assert not asks_why_asked("why would he do this")


def test_not_knowing_when_it_happened_does_not_loop(real: RealBot) -> None:
    """Played as a person: "i dont remember" (and "skip") at "When did it happen?" got "Sorry, I
    couldn't read that as a date and time" again and again, with no way on but to invent a date.
    Now the note keeps "date not known" (in order at the time it was written) and goes on; the log
    says so, never a date nobody gave, and the last-7-days count leaves it out."""
    user = new_user()
    walk_to(real, user, "note", 0, "")
    text = joined(real.ask(user, "i dont remember"))
    assert text.startswith("Saved as date not known (written "), text
    assert "Where did it happen" in text and "couldn't read" not in text, text
    end = the_end(real, user, "note", finish_from(real, user, "note", 1))
    assert "date not known (written " in end, end
    listing = joined(real.ask(user, "/notes"))
    assert "In the last 7 days: 0." in listing, listing
    # words that are a time are still read first ("not sure, maybe yesterday": yesterday)
    other = new_user()
    walk_to(real, other, "note", 0, "")
    assert "time not given" in joined(real.ask(other, "not sure, maybe yesterday"))


def test_a_vague_past_is_not_made_a_day_and_the_day_is_asked_for(real: RealBot) -> None:
    """Played as a person: "a few days ago" at "When did it happen?" was saved as exactly three
    days ago ("Saved as Thu 26 Nov"), and "26th at 6" as today at 18:00. Now a past with no day
    is not saved as one: the step says why and asks for the day (or "last week", "don't know");
    a day's number is that day."""
    user = new_user()
    walk_to(real, user, "note", 0, "")
    text = joined(real.ask(user, "a few days ago"))
    assert "doesn't tell me which day" in text and "Saved as" not in text, text
    assert mark("note", 1) not in text
    day = (datetime.now(ZoneInfo("Europe/London")) - timedelta(days=3)).day  # never today's still to come
    text = joined(real.ask(user, f"the {day}th at 6pm"))
    assert re.search(rf"Saved as \w{{3}} {day} \w{{3}}, 18:00\.", text), text
    assert mark("note", 1) in text


def test_a_vague_past_typed_to_edit_a_note_s_time_is_not_saved(real: RealBot) -> None:
    """The edit of a note's time says the same as the note's step: "a few days ago" names no day."""
    user, _ = editing_the_time_of_a_note(real)
    text = joined(real.ask(user, "a few days ago"))
    assert "doesn't tell me which day" in text and "Saved as" not in text, text
    assert "nothing was changed" in joined(real.ask(user, "/notes")).lower()  # the note's time kept
