"""Turning replies into Telegram message parts: escaping, splitting, keyboards, copy."""
from __future__ import annotations

import logging
import re

import pytest

from bot.replies import Button
from bot.telegram.copy import TELEGRAM_COPY_PATH, TelegramCopy
from bot.telegram.logs import WITHHELD, WithholdArguments
from bot.telegram.render import (
    MAX_MESSAGE,
    build_keyboard,
    callback_data_for,
    chosen_title,
    escape,
    split_text,
    telegram_length,
)


def test_escape_leaves_no_markup() -> None:
    assert escape("<b>x</b> & <a href='y'>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href='y'&gt;"


def test_short_text_is_one_chunk() -> None:
    assert split_text("  hello  ") == ["hello"]
    assert split_text("") == []


def test_long_text_splits_at_paragraphs_then_lines() -> None:
    paragraphs = ["A" * 3000, "B" * 3000, "C" * 100]
    assert split_text("\n\n".join(paragraphs)) == [paragraphs[0], "\n\n".join(paragraphs[1:])]
    lines = ["x" * 2500, "y" * 2500]
    assert split_text("\n".join(lines)) == lines


def test_text_without_breaks_is_cut_hard_within_the_limit() -> None:
    chunks = split_text("z" * 10000)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_limit_counts_utf16_units() -> None:
    text = "🙂" * 3000  # 2 UTF-16 units each
    chunks = split_text(text)
    assert all(telegram_length(c) <= MAX_MESSAGE for c in chunks)
    assert "".join(chunks) == text


def test_words_are_not_cut() -> None:
    text = " ".join(["word"] * 2000)
    chunks = split_text(text)
    assert all(telegram_length(c) <= MAX_MESSAGE for c in chunks)
    assert " ".join(chunks) == text


def test_keyboard_layout_and_kinds() -> None:
    markup = build_keyboard([
        Button("Yes", "/affirm"), Button("No", "/deny"), Button("Not sure", "/unsure"),
        Button("Turning up at home or work", '/affirm{"behaviour": "turning_up"}'),
        Button("Live Chat", url="https://example.org/chat"),
    ])
    assert markup is not None
    rows = [[(b.text, b.callback_data, b.url) for b in row] for row in markup.inline_keyboard]
    assert rows[0] == [("Yes", "/affirm", None), ("No", "/deny", None),
                       ("Not sure", "/unsure", None)]
    assert rows[1] == [("Turning up at home or work", '/affirm{"behaviour": "turning_up"}', None)]
    assert rows[2] == [("Live Chat", None, "https://example.org/chat")]
    assert build_keyboard([]) is None


def test_payload_over_64_bytes_sends_the_title(caplog: pytest.LogCaptureFixture) -> None:
    assert callback_data_for(Button("Fine", "/affirm")) == "/affirm"
    assert callback_data_for(Button("Something else", "/x" + "é" * 40)) == "Something else"
    long_title = "ü" * 50
    data = callback_data_for(Button(long_title, "/x" * 40))
    assert len(data.encode()) <= 64 and long_title.startswith(data)
    assert all("é" not in r.getMessage() for r in caplog.records)


def test_chosen_title_finds_the_pressed_button() -> None:
    markup = build_keyboard([Button("Yes", "/affirm"), Button("No", "/deny")])
    assert chosen_title(markup, "/deny") == "No"
    assert chosen_title(markup, "/other") is None
    assert chosen_title(None, "/deny") is None


def test_copy_loads_with_contacts_filled_in() -> None:
    copy = TelegramCopy.load()
    assert "[[" not in copy.group_refusal and "In an emergency call 999." in copy.group_refusal
    assert copy.unsupported_reply("voice").startswith("I'm sorry, I can't listen to voice or audio messages.")
    assert copy.unsupported_reply("voice").endswith("If you're in danger now, call 999.")
    other = copy.unsupported_reply("nothing-like-this")
    assert other.startswith("I'm sorry, I can only read text messages.") and "call 999" in other
    assert copy.chosen_line("Yes {really}") == "✓ Yes {really}"


def test_copy_file_is_not_mistaken_for_rasa_training_data() -> None:
    # Rasa reads any file under data/ with such a line as NLU data or stories.
    for line in TELEGRAM_COPY_PATH.read_text("utf-8").splitlines():
        assert not re.match(r"\s*(nlu|responses|stories|rules):", line), line


def test_library_log_arguments_are_withheld() -> None:
    record = logging.LogRecord("telegram.ext.Application", logging.DEBUG, __file__, 1,
                               "Processing update %s after %d tries", ("my secret words", 3),
                               None)
    assert WithholdArguments().filter(record)
    assert record.getMessage() == f"Processing update {WITHHELD} after 3 tries"


def test_coalesce_joins_a_turn_into_as_few_messages_as_keep_each_keyboard_with_its_question() -> None:
    from bot.replies import Reply
    from bot.telegram.render import coalesce

    link = Button("Police Live Chat", url="https://example.org/chat")
    yes = Button("Yes", "/affirm")
    more = Button("Anything else?", "/more")
    # Text, then a question: one message, the question's keyboard under it.
    assert [(r.text, r.buttons) for r in coalesce([Reply("A."), Reply("B?", [yes])])] == [
        ("A.\n\nB?", [yes])]
    # Links, then a question: one message, the links first.
    assert [(r.text, r.buttons) for r in coalesce([Reply("A.", [link]), Reply("B?", [more])])] == [
        ("A.\n\nB?", [link, more])]
    # A question, then a plain line: one message, the keyboard under both.
    assert [r.buttons for r in coalesce([Reply("A?", [yes]), Reply("Take care.")])] == [[yes]]
    # Two questions: two messages.
    assert len(coalesce([Reply("A?", [yes]), Reply("B?", [more])])) == 2
    # A file or a clear stays apart; too long stays apart.
    assert len(coalesce([Reply("A."), Reply("B.", clear_chat=True)])) == 2
    assert len(coalesce([Reply("x" * 3000), Reply("y" * 3000)])) == 2
