"""Changing one's mind in the middle of a form, through the real bot (issue 11 item 4, issue 12 item 4).

* A typed command (/note, /check, /risk, ...) in the middle of a form is an explicit
  choice to go elsewhere: the form is paused (its answers kept, "Carry on where we
  were" offered) and the command runs.  The form's own command (/note in a note)
  carries on with it instead: started afresh, it would throw its answers away.  Before,
  the form took "/note" as an answer ("Sorry, I couldn't tell whether that means yes or no").
* "delete everything" in ANY state, a form included, gets the "Delete everything?"
  confirmation and nothing else: no file, nothing deleted, and the words are never
  taken as the form's answer.  Before, the FOUR check answered "couldn't tell".
"""
from __future__ import annotations

import uuid

import pytest

from tests.test_safety_pause import FORMS, joined, payloads, real, walk_to  # noqa: F401 - fixture

pytestmark = pytest.mark.model

DELETE_REQUESTS = [
    "delete everything, I don't want any of it on my phone",
    "can you wipe all my data",
    "Delete it all",
]


def user() -> str:
    return f"mind-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("form", ["check", "note", "risk"])
@pytest.mark.parametrize("command,first_question", [("/note", "When did it happen"),
                                                    ("/check", "1 of 4")])
def test_a_typed_command_mid_form_pauses_it_and_runs(real, form: str, command: str,  # noqa: F811
                                                      first_question: str) -> None:
    person = user()
    walk_to(real, person, form, 1, "m")
    replies = real.ask(person, command)
    text = joined(replies)
    assert "couldn't tell" not in text and "not sure I understood" not in text
    if FORMS[form][0] == command:  # the form's own command: it carries on, never afresh over itself
        assert "We're carrying on with" in text and FORMS[form][1][1][0] in text, text
        assert "I've paused" not in text and first_question not in text, text
        return
    assert "I've paused" in text and "everything you have told me so far is kept" in text
    assert "/resume" in payloads(replies)
    assert first_question in text


def test_a_typed_command_with_no_form_just_runs(real) -> None:  # noqa: F811
    person = user()
    real.ask(person, "/start")
    replies = real.ask(person, "/note")
    assert "I've paused" not in joined(replies)
    assert "When did it happen" in joined(replies)


@pytest.mark.parametrize("form,step", [("check", 0), ("check", 2), ("note", 0), ("note", 2), ("risk", 1)])
@pytest.mark.parametrize("words", DELETE_REQUESTS)
def test_delete_everything_mid_form_only_asks_and_the_form_waits(real, form: str, step: int,  # noqa: F811
                                                                 words: str) -> None:
    person = user()
    before = walk_to(real, person, form, step, "m")
    replies = real.ask(person, words)
    assert len(replies) == 1 and not replies[0].document
    assert "deletes everything I keep about you" in replies[0].text
    assert "diary:forget_yes" in payloads(replies) and "diary:forget_no" in payloads(replies)
    kept = real.ask(person, "diary:forget_no")
    assert "nothing was deleted" in joined(kept)
    # The form is still at the same step: its question is answered as before.
    _, walk = FORMS[form]
    assert walk[step][0] in joined(before)
    after = real.ask(person, walk[step][1].replace("{marker}", "m"))
    assert "couldn't tell" not in joined(after)
    if step + 1 < len(walk):
        assert walk[step + 1][0] in joined(after)


@pytest.mark.parametrize("words", ["he deleted everything off my phone", "he told me to delete everything",
                                   "should I delete his messages", "how do I remove a tracker"])
def test_mentions_that_are_not_a_request_are_not_read_as_one(words: str) -> None:
    from bot.messages import ForgetRequests

    assert not ForgetRequests.from_file().asks(words)


@pytest.mark.parametrize("words", [*DELETE_REQUESTS, "I want to erase my log", "remove my notes please",
                                   "dеlete everything"])  # a Cyrillic "е"
def test_requests_to_delete_are_read_as_one(words: str) -> None:
    from bot.messages import ForgetRequests

    assert ForgetRequests.from_file().asks(words)


def test_yes_or_no_typed_after_a_confirmation_is_understood_and_yes_never_deletes(real) -> None:  # noqa: F811
    """Before, a typed "no" or "yes" after "Delete everything?" got the main menu, and the
    person could not tell whether anything had gone."""
    person = user()
    real.ask(person, "/note he was outside the gym")
    real.ask(person, "delete everything")
    assert "nothing was deleted" in joined(real.ask(person, "no"))
    real.ask(person, "delete everything")
    replies = real.ask(person, "yes")
    assert "only do this when you press the button" in joined(replies), joined(replies)
    assert "diary:forget_yes" in payloads(replies)
    assert "1 incident" in joined(real.ask(person, "/notes"))  # nothing was deleted
    listing = real.ask(person, "/notes")
    note = next(p for p in payloads(listing) if p.startswith("diary:open:")).rsplit(":", 1)[1]
    real.ask(person, f"diary:delete:{note}")
    assert "the note is kept" in joined(real.ask(person, "No."))
    real.ask(person, "/export")
    assert "no files were sent" in joined(real.ask(person, "nah"))
    real.ask(person, "/export")
    assert "no files were sent" in joined(real.ask(person, "actually not now"))
    assert "What would you like to do" in joined(real.ask(person, "no"))  # nothing asked: as before


@pytest.mark.parametrize(("typed", "said"), [
    ("no wait", "nothing was deleted"), ("nah leave it", "nothing was deleted"),
    ("Don't delete it!", "nothing was deleted"), ("no, keep it", "nothing was deleted"),
    ("ok do it", "only do this when you press the button"),
    ("yes delete it all", "only do this when you press the button"),
    # played as a person: the words before the answer were read as the answer and missed it
    ("wait no dont", "nothing was deleted"), ("actually, no", "nothing was deleted"),
    ("hmm not now", "nothing was deleted"), ("oh wait, keep it", "nothing was deleted"),
    ("hmm, ok do it", "only do this when you press the button"),
])
def test_a_short_answer_to_delete_everything_is_read_by_its_first_words(real, typed: str, said: str) -> None:  # noqa: F811
    """Played as a person: "no wait" (and "ok do it") after "Delete everything?" got the main menu,
    and the person could not tell whether their log was gone."""
    person = user()
    real.ask(person, "/note he was outside the gym")
    real.ask(person, "delete everything")
    replies = real.ask(person, typed)
    assert said in joined(replies), joined(replies)
    assert "What would you like to do" not in joined(replies)
    assert "1 incident" in joined(real.ask(person, "/notes"))  # nothing deleted, either way


@pytest.mark.parametrize("words", ["help", "HELP", "please help"])
def test_a_bare_help_that_the_nlu_cannot_place_still_says_999_first_thing(real, words: str) -> None:  # noqa: F811
    """"help" gets 999 first thing: "did you mean ..." (the NLU unsure of a single word) names it,
    as "I don't know" always did; read as a question (since the classifier reads MPNet's
    vectors, "help" is the knowledge base's "who to contact") its first line is 999."""
    person = user()
    replies = real.ask(person, words)
    text = joined(replies)
    assert "call 999" in text, text
    first_line = text.split("\n")[:2]
    assert ("/ask_signposts" in payloads(replies) or text.startswith("🚨")  # or the guard's alert
            or (text.startswith("📞 Who to contact") and "999" in first_line[1])), text
