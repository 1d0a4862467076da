"""Danger and crises pause every form; the form carries on intact (issue 11, items 2-3).

Through the real bot (guard, embedded Rasa with the trained model, diary), as a
person would meet it: in every state of every form (each step of the guided
note, the FOUR check and the risk self-check, and the edit of a note's field),
each of danger now, every crisis route, a terse alarm and a plain negation:

* an alert's reply is the route's first reply ALONE (one message, nothing else
  asked), with "Carry on where we were" and "Stop" buttons;
* "Carry on" asks the same step again, every earlier answer intact, and the end
  of the form (the saved note, the summary, the result) shows every answer and
  never the alarm's words;
* the negation gets no alert and does not derail the form.
"""
from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from bot.replies import Reply
from guidance.facts import Facts
from tests.conftest import ROOT
from tests.hardening.conftest import RealBot, real_bot

pytestmark = pytest.mark.model

FACTS = Facts.load()
RISK = yaml.safe_load((ROOT / "data" / "risk.yml").read_text("utf-8"))

# message kind -> (what the person writes, the route the first reply must take)
MESSAGES: dict[str, tuple[str, Optional[str]]] = {
    "danger": ("he is outside my house right now", "danger"),
    "terse": ("hes here", "danger"),
    "suicide": ("I'm thinking of killing myself", "suicide"),
    "sexual_violence": ("he raped me", "sexual_violence"),
    "child": ("my 15 year old daughter is being groomed by an older man", "child"),
    "domestic_abuse": ("my partner hits me", "domestic_abuse"),
    "lethal_risk": ("if he can't have me nobody will", "lethal_risk"),
    "negation": ("I'm not in danger, just asking", None),
}
ALERT_TEXTS = [FACTS.alert_reply(route, layer) for route in
               ("danger", "suicide", "sexual_violence", "child", "domestic_abuse", "lethal_risk")
               for layer in ("rules", "semantic")]

# Each form as a walk: (the question's mark, the answer given to it).
CHECK = [("1 of 4", "/affirm"), ("2 of 4", "/affirm"), ("3 of 4", "/affirm"), ("4 of 4", "/deny"),
         ("Which of these have happened", '/affirm{"behaviour": "following"}'),
         ("Noted so far: Following me", "/deny")]
NOTE = [("When did it happen", "yesterday at 5pm"), ("Where did it happen", "outside the gym"),
        ("What happened?", "he followed me to the bus stop {marker}"),
        ("How did it happen", '/affirm{"behaviour": "following"}'),
        ("What did the person look like", "grey hoodie, blue ford focus AB12 CDE"),
        ("Did anyone see it", "Sam from the gym"), ("How did it make you feel", "upset and anxious"),
        ("What evidence have you kept", "screenshots of his texts"),
        ("crime reference number", "skip"), ("Save it?", "/affirm")]
RISK_WALK = [(RISK["questions"][slot]["text"], "/affirm" if n < 3 else "/deny")
             for n, slot in enumerate(RISK["questions"])]
FORMS = {"check": ("/check", CHECK), "note": ("/note", NOTE), "risk": ("/risk", RISK_WALK)}
STATES = [(form, step) for form, (_, walk) in FORMS.items() for step in range(len(walk))]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "safety-pause")


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.buttons if b.payload]


def no_alert(replies: list[Reply]) -> bool:
    """No alert, and no "I lost track" / "not sure I understood" either."""
    lost = ("lost track", "not sure I understood")
    return not any(r.text == alert for r in replies for alert in ALERT_TEXTS) and \
        not any(words in r.text for r in replies for words in lost)


def answer(walk: list[tuple[str, str]], step: int, marker: str) -> str:
    return walk[step][1].replace("{marker}", marker)


def open_newest(real: RealBot, user: str) -> list[Reply]:
    """/notes, then the newest note opened (every field shown)."""
    listing = real.ask(user, "/notes")
    return real.ask(user, next(p for p in payloads(listing) if p.startswith("diary:open:")))


def assert_alert_alone(replies: list[Reply], route: str) -> None:
    assert len(replies) == 1, [r.text[:60] for r in replies]
    assert replies[0].text == FACTS.alert_reply(route)
    assert not replies[0].document


def walk_to(real: RealBot, user: str, form: str, step: int, marker: str) -> list[Reply]:
    command, walk = FORMS[form]
    real.ask(user, "/start")
    replies = real.ask(user, command)
    for done in range(step):
        assert walk[done][0] in joined(replies), (done, joined(replies)[-300:])
        replies = real.ask(user, answer(walk, done, marker))
    assert walk[step][0] in joined(replies)
    return replies


def finish(real: RealBot, user: str, form: str, step: int, marker: str) -> list[Reply]:
    _, walk = FORMS[form]
    replies: list[Reply] = []
    for rest in range(step, len(walk)):
        replies = real.ask(user, answer(walk, rest, marker))
        assert no_alert(replies)
    return replies


def check_the_end(real: RealBot, user: str, form: str, replies: list[Reply], marker: str,
                  alarm: str) -> None:
    """The form's end shows every answer, and never the words that paused it."""
    text = joined(replies)
    assert alarm not in text
    if form == "check":
        assert "3 of the 4 warning signs" in text and "following me" in text, text
    elif form == "risk":
        assert "You said yes to 3" in text, text
    else:
        assert "Saved" in text, text
        note = joined(open_newest(real, user))
        for _, given in NOTE[1:3] + NOTE[4:8]:
            assert given.replace("{marker}", marker) in note, note
        assert "How: Following" in note and alarm not in note, note


@pytest.mark.parametrize("kind", list(MESSAGES))
@pytest.mark.parametrize(("form", "step"), STATES)
def test_alert_pauses_the_form_and_carry_on_resumes_it_intact(real: RealBot, form: str, step: int,
                                                               kind: str) -> None:
    user = f"pause-{form}-{step}-{kind}-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    _, walk = FORMS[form]
    walk_to(real, user, form, step, marker)
    words, route = MESSAGES[kind]
    replies = real.ask(user, words)
    if route is None:
        # No alert, no pause: the form is still there, asking this step or the next.
        assert no_alert(replies), joined(replies)
        assert "/resume" not in payloads(replies)
        marks = [mark for mark, _ in walk[step:step + 2]]
        assert any(mark in joined(replies) for mark in marks), joined(replies)
        return
    assert_alert_alone(replies, route)
    assert payloads(replies) == ["/resume", "/stop"] or (
        form == "note" and payloads(replies) == ["/resume", "/keep_in_note", "/stop"])
    resumed = real.ask(user, "/resume")
    assert no_alert(resumed)
    assert walk[step][0] in resumed[-1].text, joined(resumed)
    check_the_end(real, user, form, finish(real, user, form, step, marker), marker, words)


def start_edit(real: RealBot, user: str, marker: str, field: str) -> list[Reply]:
    """A quick note, opened from /notes, "✏️ Edit" and ``field``: the edit form's question."""
    real.ask(user, "/start")
    assert "Saved" in joined(real.ask(user, f"/note he sent me 5 texts {marker}"))
    opened = open_newest(real, user)
    edit = real.ask(user, next(p for p in payloads(opened) if p.startswith("diary:edit:")))
    asked = real.ask(user, next(p for p in payloads(edit) if p.endswith(f":{field}")))
    assert "new text" in joined(asked) and payloads(asked) == ["/stop"], joined(asked)  # Cancel
    return asked


def witnesses(real: RealBot, user: str) -> Optional[str]:
    [note] = real.core.desk.store.all_notes(user)
    return note.witnesses


@pytest.mark.parametrize("kind", list(MESSAGES))
def test_alert_during_an_edit_pauses_it_without_saving(real: RealBot, kind: str) -> None:
    user = f"edit-{kind}-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    start_edit(real, user, marker, "witnesses")
    words, route = MESSAGES[kind]
    replies = real.ask(user, words)
    if route is None:  # no alert: it is the new text, as written
        assert no_alert(replies) and "Updated" in joined(replies)
        assert witnesses(real, user) == words
        return
    assert_alert_alone(replies, route)
    assert payloads(replies) == ["/resume", "/stop"]
    assert witnesses(real, user) is None  # the alarm's words are not the new value
    resumed = real.ask(user, "/resume")  # carry on: the same field, asked again
    assert no_alert(resumed) and "new text for “Witnesses”" in resumed[-1].text, joined(resumed)
    assert witnesses(real, user) is None
    done = joined(real.ask(user, "Sam, 07700 900123"))
    assert "Updated" in done and "Witnesses: Sam, 07700 900123" in done
    assert words not in done and marker in done
    assert witnesses(real, user) == "Sam, 07700 900123"


def test_stop_after_an_alert_during_an_edit_changes_nothing(real: RealBot) -> None:
    user = f"edit-stop-{uuid.uuid4().hex[:6]}"
    start_edit(real, user, uuid.uuid4().hex[:10], "witnesses")
    assert_alert_alone(real.ask(user, "hes here"), "danger")
    stopped = real.ask(user, "/stop")
    assert [r.text for r in stopped] == ["OK, nothing was changed."]
    assert witnesses(real, user) is None
    # nothing waits: the next words are not taken as the value
    assert "Updated" not in joined(real.ask(user, "Sam from the gym"))
    assert witnesses(real, user) is None


@pytest.mark.parametrize("leave", ["/stop", "cancel", "stop"])
def test_cancel_or_stop_leaves_the_edit_unchanged(real: RealBot, leave: str) -> None:
    user = f"edit-cancel-{uuid.uuid4().hex[:6]}"
    start_edit(real, user, uuid.uuid4().hex[:10], "witnesses")
    assert [r.text for r in real.ask(user, leave)] == ["OK, nothing was changed."]
    assert "Updated" not in joined(real.ask(user, "Sam from the gym"))
    assert witnesses(real, user) is None


def test_a_question_inside_an_edit_is_answered_and_the_value_asked_again(real: RealBot) -> None:
    user = f"edit-question-{uuid.uuid4().hex[:6]}"
    start_edit(real, user, uuid.uuid4().hex[:10], "witnesses")
    replies = real.ask(user, "what counts as stalking?")
    assert "new text for “Witnesses”" in replies[-1].text and len(replies) >= 2, joined(replies)
    assert witnesses(real, user) is None
    assert "Updated" in joined(real.ask(user, "Sam"))
    assert witnesses(real, user) == "Sam"


def test_text_too_long_for_a_field_is_refused_and_asked_again(real: RealBot) -> None:
    user = f"edit-long-{uuid.uuid4().hex[:6]}"
    start_edit(real, user, uuid.uuid4().hex[:10], "witnesses")
    replies = real.ask(user, "Sam " * 1001)  # 4004 characters: the limit is 4000
    assert [r.text for r in replies] == [
        "That is longer than I can keep in one field (4000 characters). Please shorten it."]
    assert payloads(replies) == ["/stop"] and witnesses(real, user) is None
    assert "Updated" in joined(real.ask(user, "Sam"))


def test_stop_after_a_pause_leaves_the_note_unsaved(real: RealBot) -> None:
    user = f"stop-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    walk_to(real, user, "note", 3, marker)
    assert_alert_alone(real.ask(user, "hes here"), "danger")
    stopped = real.ask(user, "/stop")
    assert len(stopped) == 1 and "haven't saved anything" in stopped[0].text
    assert marker not in joined(real.ask(user, "/notes"))
    # the next note starts afresh
    assert "When did it happen" in joined(real.ask(user, "/note"))


def test_the_person_can_keep_the_words_that_paused_the_note(real: RealBot) -> None:
    user = f"keep-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    walk_to(real, user, "note", 2, marker)  # "What happened?"
    replies = real.ask(user, "hes here")
    assert_alert_alone(replies, "danger")
    assert "/keep_in_note" in payloads(replies)
    assert "How did it happen" in joined(real.ask(user, "/keep_in_note"))
    replies = finish(real, user, "note", 3, marker)
    assert "Saved" in joined(replies)
    note = joined(open_newest(real, user))
    assert "What happened: hes here" in note and "outside the gym" in note


def test_an_account_that_paused_the_time_step_can_be_kept_for_what_happened(real: RealBot) -> None:
    # Typed first, at "When did it happen?" (as the note's time step keeps an account without
    # an alert): kept, it goes to "What happened", which is then not asked; the time is asked again.
    user = f"keep-when-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    walk_to(real, user, "note", 0, marker)
    account = f"he followed me home from the bus stop again {marker}"
    replies = real.ask(user, account)
    assert_alert_alone(replies, "danger")
    assert payloads(replies) == ["/resume", "/keep_in_note", "/stop"]
    kept = joined(real.ask(user, "/keep_in_note"))
    assert 'kept that for "What happened"' in kept and "When did it happen" in kept, kept
    assert "Where did it happen" in joined(real.ask(user, "yesterday at 5pm"))
    assert "How did it happen" in joined(real.ask(user, "outside the gym"))
    replies = finish(real, user, "note", 3, marker)
    assert "Saved" in joined(replies)
    note = joined(open_newest(real, user))
    assert f"What happened: {account}" in note and "outside the gym" in note


def test_carry_on_in_words_and_hold_on_in_words(real: RealBot) -> None:
    user = f"words-{uuid.uuid4().hex[:6]}"
    walk_to(real, user, "check", 2, "")
    paused = real.ask(user, "hold on")
    assert "paused" in joined(paused) and payloads(paused) == ["/resume", "/stop"]
    resumed = real.ask(user, "carry on")
    assert no_alert(resumed) and "3 of 4" in resumed[-1].text


@pytest.mark.parametrize("words", ["he said hang on", "he told me to wait a minute"])
def test_a_notes_own_words_are_an_answer_even_if_they_sound_like_a_pause(real: RealBot,
                                                                         words: str) -> None:
    user = f"not-a-pause-{uuid.uuid4().hex[:6]}"
    walk_to(real, user, "note", 2, "")
    replies = real.ask(user, words)
    assert no_alert(replies) and "/resume" not in payloads(replies)
    assert "How did it happen" in replies[-1].text


def test_a_second_alert_while_paused_keeps_the_pause(real: RealBot) -> None:
    user = f"twice-{uuid.uuid4().hex[:6]}"
    walk_to(real, user, "risk", 4, "")
    assert_alert_alone(real.ask(user, "hes here"), "danger")
    again = real.ask(user, "I'm thinking of killing myself")
    assert_alert_alone(again, "suicide")
    assert payloads(again) == ["/resume", "/stop"]
    assert RISK_WALK[4][0] in real.ask(user, "/resume")[-1].text


class _DownEngine:
    intents = frozenset()

    async def handle(self, user_id: str, text: str, metadata: Optional[dict[str, Any]] = None) -> Any:
        raise ConnectionError("down")


@contextlib.contextmanager
def rasa_down(real: RealBot) -> Iterator[None]:
    engine = real.core.engine
    real.core.engine = _DownEngine()
    try:
        yield
    finally:
        real.core.engine = engine


def test_with_rasa_down_the_alert_goes_alone_and_the_form_stays_where_it_was(real: RealBot) -> None:
    user = f"down-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    walk_to(real, user, "note", 4, marker)
    with rasa_down(real):
        replies = real.ask(user, "he raped me")
    assert_alert_alone(replies, "sexual_violence")
    assert replies[0].buttons == []
    # Rasa never saw it: the note is still at the same step, earlier answers kept.
    check_the_end(real, user, "note", finish(real, user, "note", 4, marker), marker, "he raped me")


def test_with_rasa_down_an_edit_cannot_start_and_says_so(real: RealBot) -> None:
    user = f"down-edit-{uuid.uuid4().hex[:6]}"
    real.ask(user, "/start")
    real.ask(user, "/note he sent me flowers")
    opened = open_newest(real, user)
    edit = real.ask(user, next(p for p in payloads(opened) if p.startswith("diary:edit:")))
    field = next(p for p in payloads(edit) if p.endswith(":witnesses"))
    with rasa_down(real):
        replies = real.ask(user, field)
    assert len(replies) == 1 and replies[0].text.startswith(
        "Sorry, I can't change your note just now: nothing was changed.")
    assert FACTS.help_line in replies[0].text
    # once Rasa is back, the same button works
    assert "new text" in joined(real.ask(user, field))
    assert "Updated" in joined(real.ask(user, "Sam"))
    assert witnesses(real, user) == "Sam"


def test_with_rasa_down_an_alert_during_an_edit_goes_alone_and_the_edit_waits(real: RealBot) -> None:
    user = f"down-edit-alert-{uuid.uuid4().hex[:6]}"
    start_edit(real, user, uuid.uuid4().hex[:10], "witnesses")
    with rasa_down(real):
        replies = real.ask(user, "hes here")
    assert_alert_alone(replies, "danger")
    assert replies[0].buttons == [] and witnesses(real, user) is None
    # Rasa never saw it: the edit still waits for its value
    assert "Updated" in joined(real.ask(user, "Sam"))
    assert witnesses(real, user) == "Sam"


def test_every_route_has_its_own_first_reply_with_verified_contacts_only() -> None:
    replies = {route: FACTS.alert_reply(route) for route in
               ("danger", "suicide", "sexual_violence", "child", "domestic_abuse", "lethal_risk")}
    assert len(set(replies.values())) == len(replies)
    assert all("[[" not in text and "999" in text for text in replies.values())
    assert "116 123" in replies["suicide"]
    assert "0800 1111" in replies["child"] and "NSPCC" in replies["child"]
    assert "0808 2000 247" in replies["domestic_abuse"]
    assert "Rape Crisis" in replies["sexual_violence"] and "101" in replies["sexual_violence"]
    assert "report it now" in replies["lethal_risk"]
    every_copy = "\n".join(p.read_text("utf-8") for p in [*Path(ROOT, "data").glob("*.yml"),
                                                        *Path(ROOT, "domain").glob("*.yml")])
    # The Rape Crisis line's number is NOT verified (../shared/facts-extended.md).
    assert not re.search(r"0808\s*500\s*2222", every_copy)


# -- item 4: nothing sensitive on a guess -------------------------------------------------------

def documents(replies: list[Reply]) -> list[str]:
    return [r.document.filename for r in replies if r.document]


def test_delete_everything_in_words_asks_to_delete_and_never_sends_a_file(real: RealBot) -> None:
    user = f"wipe-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    real.ask(user, "/start")
    real.ask(user, f"/note he left a letter {marker}")
    asked = real.ask(user, "delete everything, I don't want any of it on my phone")
    assert documents(asked) == []
    assert "Delete everything?" in joined(asked) and "diary:forget_yes" in payloads(asked)
    # A typed "yes" is not the button: nothing is deleted, nothing sent.
    typed = real.ask(user, "yes")
    assert documents(typed) == [] and marker in joined(open_newest(real, user))
    gone = real.ask(user, "diary:forget_yes")
    assert documents(gone) == [] and "Deleted everything" in joined(gone)
    assert "empty" in joined(real.ask(user, "/notes"))


@pytest.mark.parametrize("ask", ["/export", "export my log", "send me my notes as a file"])
def test_export_says_what_will_happen_and_sends_files_only_from_its_button(real: RealBot,
                                                                         ask: str) -> None:
    user = f"export-{uuid.uuid4().hex[:6]}"
    real.ask(user, "/start")
    real.ask(user, "/note he sent me 12 texts")
    asked = real.ask(user, ask)
    assert documents(asked) == []
    assert "PDF" in joined(asked) and "Anyone who can see this phone" in joined(asked)
    assert payloads(asked) == ["diary:export_yes", "diary:export_no"]
    assert documents(real.ask(user, "yes")) == []
    assert documents(real.ask(user, "/affirm")) == []
    assert documents(real.ask(user, "diary:export_no")) == []
    sent = real.ask(user, "diary:export_yes")
    assert [Path(name).suffix for name in documents(sent)] == [".pdf", ".csv"]


def test_the_plan_pdf_is_sent_only_after_its_confirmation(real: RealBot) -> None:
    user = f"plan-{uuid.uuid4().hex[:6]}"
    real.ask(user, "/start")
    plan = real.ask(user, "/plan")
    assert "diary:plan_pdf" in payloads(plan)
    asked = real.ask(user, "diary:plan_pdf")
    assert documents(asked) == [] and "Anyone who can see this phone" in joined(asked)
    assert payloads(asked) == ["diary:plan_pdf_yes", "diary:plan_pdf_no"]
    assert documents(real.ask(user, "diary:plan_pdf_no")) == []
    [plan] = documents(real.ask(user, "diary:plan_pdf_yes"))
    assert re.fullmatch(r"plan-\d{4}-\d{2}-\d{2}\.pdf", plan)  # a neutral name (issue 15)


def test_a_quick_note_that_sets_off_the_alert_is_still_saved(real: RealBot) -> None:
    # "/note ..." asks in so many words for the text to be kept: the alert first, then saved.
    user = f"quick-{uuid.uuid4().hex[:6]}"
    marker = uuid.uuid4().hex[:10]
    real.ask(user, "/start")
    replies = real.ask(user, f"/note hes outside my house right now {marker}")
    assert replies[0].text == FACTS.alert_reply("danger")
    assert any("Saved" in r.text for r in replies[1:])
    assert marker in joined(open_newest(real, user))


@pytest.mark.parametrize("words", ["I'm not in danger, just asking", "i'm not in danger",
                                   "it's not an emergency"])
def test_a_plain_negation_outside_a_form_gets_no_alarm(real: RealBot, words: str) -> None:
    user = f"negation-{uuid.uuid4().hex[:6]}"
    real.ask(user, "/start")
    replies = real.ask(user, words)
    assert no_alert(replies) and "call 999 now" not in joined(replies), joined(replies)
    assert "/start_check" in payloads(replies)


def test_a_warning_sign_the_model_only_guessed_is_said_with_if(real: RealBot) -> None:
    """Played as a person: "he sat behind me and kept whispering my name", typed at a note's
    "What happened?", got "What you've described is a serious warning sign: threats to kill,
    violence ...": the guard's sentence model (a guess) read lethal risk in it.  Raised by the
    model alone, the reply now says "if" ("If what is happening includes threats to kill ...");
    the same 999, 101 and helplines follow.  Words the rules read ("if he can't have me nobody
    will") still get "What you've described is a serious warning sign".  (Since the model was
    rebuilt with "hes gone now" among its examples of nothing to alert, it no longer reads lethal
    risk in the whispering; a message only the model reads as lethal risk is used instead.)"""
    from bot.guard import SafetyGuard

    guessed_words = "he pushed a pillow over my face"
    alert = SafetyGuard.from_file().assess(guessed_words)
    assert alert is not None and (alert.route, alert.layer) == ("lethal_risk", "semantic"), alert
    user = f"guessed-{uuid.uuid4().hex[:6]}"
    walk_to(real, user, "note", 2, "")
    [guessed] = real.ask(user, guessed_words)
    assert guessed.text.startswith("🚨 If what is happening includes threats to kill"), guessed.text
    assert "What you've described" not in guessed.text
    assert "999" in guessed.text and "0808 802 0300" in guessed.text and "020 3866 4107" in guessed.text
    other = f"read-{uuid.uuid4().hex[:6]}"
    real.ask(other, "/start")
    [read] = real.ask(other, "if he can't have me nobody will")
    assert read.text.startswith("🚨 What you've described is a serious warning sign"), read.text
