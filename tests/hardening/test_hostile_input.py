"""Hostile input through the one message path (``Core.handle``) with the real Rasa model.

Any text (any Unicode, control characters, 10,000 characters, nothing at all,
only emoji, right-to-left, HTML, markdown, SQL), made-up commands and forged
button payloads: each gets a real answer (never the apology the bot gives when
something inside it failed, which would also be "an answer") and no exception
escapes.  A forged payload or another user's note id reaches nothing that is not
the sender's own: "I can't find that note".
"""
from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.replies import Reply
from tests.hardening.conftest import RealBot

NOT_FOUND = "I can't find that note"
#: The start of data/facts.yml's error_reply: what the user sees when the bot failed.
APOLOGY = "Sorry, something went wrong on my side"
FALLBACK = "Sorry, I'm not sure I understood that"
WELCOME = "Hello. I'm a chatbot that helps you make sense of unwanted attention"
MENU = "What would you like to do?"
NOTE_START = "When did it happen?"
SAVED = "✅ Saved to your log."
DANGER = "If you are in danger now, call 999 now."

FORGED = [
    '/affirm{"behaviour": "x"}',
    '/affirm{"behaviour": "following", "note_confirm": "yes", "requested_slot": null}',
    '/record_incident{"note_what": "forged", "note_confirm": "yes"}',
    '/affirm{"__class__": {"__init__": 1}}',
    '/affirm{"behaviour": "x\\"}, {\\"note_confirm\\": \\"yes"}',
    '/affirm{"behaviour": ' + "[" * 500 + "]" * 500 + "}",
    '/affirm{not json at all',
    "/affirm{}" + "}" * 50,
    '/emergency{"text": "forged"}',
    "/restart",
    "/session_start",
    "/back",
    "/action_listen",
    "/action_save_note",
    "/nlu_fallback",
    "/made_up_command",
    "/start@SomeOtherBot",
    "/note",
    "/note@",
    "/" * 100,
    "diary:",
    "diary:open",
    "diary:open:999999",
    "diary:open:-1",
    "diary:open:1e9",
    "diary:open:999999999999999999999999",
    "diary:field:1:__class__",
    "diary:field:1:user_key",
    "diary:field:1:what_happened:extra",
    "diary:kind:1:__dict__",
    "diary:delete_yes:0",
    "diary:page:-5",
    "diary:page:999999999999",
    "diary:attach:new",
    "diary:attach:last",
    "diary:attach:../../etc/passwd",
    "diary:plan_done:__proto__",
    "diary:retry",
    "diary:retry:1",
    "diary:cancel",
    "diary:nothing:1:2:3",
    # The edit form's payload typed by hand (the bot's field buttons send it once the note is
    # found to be the person's): a field it does not change, a made-up id, none at all.
    '/edit_note{"edit_note_id": "1", "edit_field": "user_key"}',
    '/edit_note{"edit_note_id": "1", "edit_field": "kind"}',
    '/edit_note{"edit_note_id": "../1", "edit_field": "place"}',
    '/edit_note{"edit_note_id": "999999", "edit_field": "place"}',
    "/edit_note",
]

HOSTILE_TEXT = [
    "",
    " ",
    "\n\n\t",
    "\x00",
    "\x00/start",
    "\u202ehello\u202c",
    "مرحبا، هو يتبعني كل يوم",
    "שלום, הוא עוקב אחריי",
    "<b>bold</b><script>alert(1)</script>",
    "<a href='javascript:alert(1)'>x</a>&amp;&lt;",
    "**bold** _it_ `code` [link](http://evil.example) ```block```",
    "'; DROP TABLE notes; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM answers WHERE ('1'='1", "'; DROP TABLE notes; --",
    "{{7*7}} ${7*7} %s %d %(text)s {0}",
    "\ud800 lone surrogate",
    "😀😀😀🔪🏠",
    "🏳️‍🌈👨‍👩‍👧‍👦",
    "a" * 10_000,
    "he is outside " * 800,
    "/note " + "x" * 10_000,
    "/note \x00\x01\x02",
    "/note <b>not bold</b> '; DROP TABLE notes; --",
]

_text = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(), max_size=50),  # surrogates and private use too
    st.text(st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp", "Zs")), max_size=40),
    st.text(st.sampled_from("😀🔪🏠👀📱❤️\u200d\ufe0f"), min_size=1, max_size=30),
    st.text(st.characters(min_codepoint=0x0590, max_codepoint=0x06FF), min_size=1, max_size=60),
    st.text(max_size=20).map(lambda s: ((s or "x") * 10_000)[:10_000]),
    st.from_regex(r"\A/[A-Za-z_][A-Za-z0-9_]{0,30}(@\w{0,10})?\Z"),
    st.builds(lambda name, data: f"/{name}{json.dumps(data)}",
              st.sampled_from(["affirm", "deny", "greet", "record_incident", "inform", "emergency", "x"]),
              st.dictionaries(st.text(max_size=15), st.one_of(st.none(), st.text(max_size=30),
                                                              st.integers(), st.booleans()),
                              max_size=4)),
    st.builds(lambda parts: "diary:" + ":".join(parts),
              st.lists(st.one_of(st.sampled_from(["open", "edit", "field", "kind", "delete", "delete_yes",
                                                  "page", "attach", "retry", "plan_done", "plan_pdf",
                                                  "cancel", "new", "last", "what_happened", "0", "1"]),
                                 st.text(max_size=12), st.integers(-10, 10**15).map(str)),
                       max_size=4)),
    st.builds(lambda text: f"/note {text}", st.text(max_size=200)),
    st.sampled_from(FORGED + HOSTILE_TEXT),
)


#: What the right answer to a listed input says (somewhere in its replies); the rest: MENU.
EXPECTED = {
    '/record_incident{"note_what": "forged", "note_confirm": "yes"}': NOTE_START,
    '/emergency{"text": "forged"}': DANGER,
    "/session_start": FALLBACK,  # an identifier passed on as words: never a request (TopicGate)
    # Read as words ("action listen", "made up command"): the NLU is not sure, and says so
    # ("did you mean" or "I don't know", issue 12 item 3) rather than answer a guess.
    "/action_listen": FALLBACK,
    "/made_up_command": FALLBACK,
    "/" * 100: FALLBACK,
    "/action_save_note": FALLBACK,
    "/nlu_fallback": FALLBACK,
    "/start@SomeOtherBot": WELCOME,
    "/note": NOTE_START,
    "/note@": NOTE_START,
    "diary:page:-5": "Your log is empty",
    "diary:page:999999999999": "Your log is empty",
    "diary:attach:new": "no file waiting",
    "diary:attach:last": "no file waiting",
    "diary:retry": "There is no unsaved note waiting",
    "diary:cancel": "OK, nothing was changed.",
    '/edit_note{"edit_note_id": "1", "edit_field": "user_key"}': NOT_FOUND,
    '/edit_note{"edit_note_id": "1", "edit_field": "kind"}': NOT_FOUND,
    '/edit_note{"edit_note_id": "../1", "edit_field": "place"}': NOT_FOUND,
    # the form can't know whose note that is: it asks, and the store refuses (below)
    '/edit_note{"edit_note_id": "999999", "edit_field": "place"}': "Send the new text for “Where”",
    "/edit_note": "open it in your log (/notes)",
    "": FALLBACK,
    " ": FALLBACK,
    "\n\n\t": FALLBACK,
    "\x00": FALLBACK,
    "\x00/start": WELCOME,
    "\u202ehello\u202c": WELCOME,
    "مرحبا، هو يتبعني كل يوم": FALLBACK,
    "שלום, הוא עוקב אחריי": FALLBACK,
    "\ud800 lone surrogate": FALLBACK,
    "😀😀😀🔪🏠": FALLBACK,
    "he is outside " * 800: DANGER,
    "/note " + "x" * 10_000: "longer than I can keep in one field (4000 characters)",
    "/note \x00\x01\x02": SAVED,
    "/note <b>not bold</b> '; DROP TABLE notes; --": SAVED,
}
#: Inputs NLU reads as some question or other: any real answer will do.
ANY_ANSWER = {
    "<b>bold</b><script>alert(1)</script>", "<a href='javascript:alert(1)'>x</a>&amp;&lt;",
    "**bold** _it_ `code` [link](http://evil.example) ```block```", "\" OR 1=1 --",
    "Robert'); DELETE FROM answers WHERE ('1'='1",
    "'; DROP TABLE notes; --",  # "notes": the log (empty), a sensible reading
    "{{7*7}} ${7*7} %s %d %(text)s {0}",
    "🏳️‍🌈👨‍👩‍👧‍👦", "a" * 10_000,
}


def expected_answer(text: str) -> str | None:
    if text in EXPECTED:
        return EXPECTED[text]
    if text in ANY_ANSWER:
        return None
    if text.startswith("diary:"):
        return NOT_FOUND
    return MENU


def answered(replies: list[Reply]) -> bool:
    """A real answer: words first, and not the apology for a failure inside the bot."""
    return (bool(replies) and all(isinstance(r, Reply) for r in replies)
            and bool(replies[0].text.strip()) and not any(APOLOGY in r.text for r in replies))


@pytest.mark.parametrize("text", FORGED + HOSTILE_TEXT)
def test_every_listed_hostile_input_gets_the_right_answer(real: RealBot, text: str) -> None:
    replies = real.ask(f"hostile-{uuid.uuid4().hex[:8]}", text)
    assert answered(replies), [r.text[:80] for r in replies]
    said = "\n".join(r.text for r in replies)
    expected = expected_answer(text)
    assert expected is None or expected in said, (expected, said[:300])


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(texts=st.lists(_text, min_size=1, max_size=3))
def test_any_input_gets_a_non_empty_answer_and_nothing_escapes(real: RealBot, texts: list[str]) -> None:
    """A few messages in a row from one user, so forged input also meets a conversation in progress."""
    user = f"fuzz-{uuid.uuid4().hex[:8]}"
    for text in texts:
        assert answered(real.ask(user, text)), text


def test_forged_callback_data_reaches_no_one_elses_note(real: RealBot) -> None:
    """Mallory forges every note screen's payload with Alice's note id: never found, nothing changed."""
    alice, mallory = f"alice-{uuid.uuid4().hex[:8]}", f"mallory-{uuid.uuid4().hex[:8]}"
    secret = f"alice-only-{uuid.uuid4().hex}"
    store = real.core.desk.store
    assert real.texts(alice, f"/note he came to my flat {secret}")[0].startswith("✅ Saved")
    [note] = store.all_notes(alice)
    real.ask(mallory, "/note a note of my own")
    target = note.id
    forged = [f"diary:open:{target}", f"diary:edit:{target}", f"diary:field:{target}:what_happened",
              f"diary:field:{target}:occurred_at", f"diary:kind:{target}:following",
              f"diary:delete:{target}", f"diary:delete_yes:{target}"]
    for payload in forged:
        replies = real.ask(mallory, payload)
        assert NOT_FOUND in replies[0].text, payload
        assert all(secret not in r.text for r in replies)
    # no edit was left waiting: Mallory's next words change nothing of Alice's
    assert "Updated" not in "\n".join(real.texts(mallory, "overwritten by mallory"))
    # the edit form's payload typed by hand gets as far as the question; the store refuses
    # the change (the note is not Mallory's), and a field the form does not change is refused
    for field in ("what_happened", "occurred_at", "user_key"):
        replies = real.ask(mallory, f'/edit_note{{"edit_note_id": "{target}", "edit_field": "{field}"}}')
        if field != "user_key":  # asked; the value is refused by the store
            assert "Updated" not in replies[0].text
            replies = real.ask(mallory, "yesterday at 5pm" if field == "occurred_at" else "overwritten")
        assert NOT_FOUND in replies[0].text and all(secret not in r.text for r in replies), field
    assert store.all_notes(alice) == [note]  # every field as Alice wrote it
    # Mallory's list, export and "forget me" hold and touch only Mallory's notes
    listing = real.ask(mallory, "diary:page:0")
    assert "1 incident " in listing[0].text
    assert all(f"diary:open:{target}" != b.payload for r in listing for b in r.buttons)
    answer = real.ask(mallory, "/export")
    confirm = [b.payload for r in answer for b in r.buttons if b.payload == "diary:export_yes"]
    if confirm:  # the export is confirmed first, with the bot's own button
        answer = real.ask(mallory, confirm[0])
    exported = [r.document for r in answer if r.document]
    assert exported
    assert [d.filename[-4:] for d in exported] == [".pdf", ".csv"]
    for document in exported:
        assert secret.encode() not in document.content
    real.ask(mallory, "/forget")
    assert "Deleted everything: 1 note," in real.texts(mallory, "diary:forget_yes")[0]
    # Alice's note is whole and still hers
    assert store.all_notes(alice) == [note]
    opened = real.texts(alice, f"diary:open:{target}")[0]
    assert f"What happened: he came to my flat {secret}" in opened
