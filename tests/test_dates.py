"""Times right, and shown back (issue 12, item 5).

Every form a person uses for "when did it happen?" is read with a fixed "now" (UK
time: GMT in November, BST in July; around midnight too), stored with how exact it
was, and shown back as the person would say it ("Thu 26 Nov, about 23:00"; a date
without a time is "time not given", never 00:00).  Then through the bot's desk: the
edit of a note's time, a quick note with a time inside, the guided note's save, the
note's screen, and the export.
"""
from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

import guidance.dates as dates
from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.export import export_csv, export_pdf, weekly_counts
from bot.diary.store import DiaryStore, NoteFields, migrate
from guidance.dates import (
    echo,
    find_when,
    names_a_vague_past,
    names_only_a_time,
    read_time_correction,
    read_when,
    saved_as,
)
from guidance.facts import Facts
from guidance.when import FutureDate, When
from tests.hardening.conftest import RealBot, real_bot

UK = ZoneInfo("Europe/London")
THU_2330 = datetime(2026, 11, 26, 23, 30, tzinfo=UK)  # a Thursday, GMT (UTC+0)
FRI_0030 = datetime(2026, 11, 27, 0, 30, tzinfo=UK)  # just after midnight
THU_2230 = datetime(2026, 11, 26, 22, 30, tzinfo=UK)  # before 11pm
TUE_BST = datetime(2026, 7, 14, 10, 0, tzinfo=UK)  # a Tuesday morning, BST (UTC+1)


def uk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UK)


def read(text: str, now: datetime) -> When:
    when = read_when(text, now)
    assert when is not None, text
    return when


# ------------------------------ reading: (text, now) -> (moment, precision, echo)
CASES = [
    ("last night about 11", THU_2330, uk(2026, 11, 25, 23), "about", "Wed 25 Nov, about 23:00"),
    ("last night at 11pm", THU_2330, uk(2026, 11, 25, 23), "exact", "Wed 25 Nov, 23:00"),
    ("last night at 11pm", FRI_0030, uk(2026, 11, 26, 23), "exact", "Thu 26 Nov, 23:00"),
    ("last night about 11", TUE_BST, uk(2026, 7, 13, 23), "about", "Mon 13 Jul, about 23:00"),
    ("last night at 2am", TUE_BST, uk(2026, 7, 14, 2), "exact", "Tue 14 Jul, 02:00"),
    ("last night at 2am", FRI_0030, uk(2026, 11, 26, 2), "exact", "Thu 26 Nov, 02:00"),
    ("this morning around 8", THU_2330, uk(2026, 11, 26, 8), "about", "Thu 26 Nov, about 08:00"),
    ("this morning around 8", TUE_BST, uk(2026, 7, 14, 8), "about", "Tue 14 Jul, about 08:00"),
    ("Tuesday evening", THU_2330, uk(2026, 11, 24, 19), "evening",
     "Tue 24 Nov, in the evening (time not given)"),
    # said on a Tuesday morning: this evening has not come, so it is last week's
    ("Tuesday evening", TUE_BST, uk(2026, 7, 7, 19), "evening", "Tue 7 Jul, in the evening (time not given)"),
    # "tonight" said after the fact: today's 11pm; after midnight, the night just gone
    ("tonight at 11pm", THU_2330, uk(2026, 11, 26, 23), "exact", "Thu 26 Nov, 23:00"),
    ("tonight at 11pm", FRI_0030, uk(2026, 11, 26, 23), "exact", "Thu 26 Nov, 23:00"),
    ("yesterday", THU_2330, uk(2026, 11, 25), "date", "Wed 25 Nov, time not given"),
    ("yesterday", FRI_0030, uk(2026, 11, 26), "date", "Thu 26 Nov, time not given"),
    ("20/11 18:30", THU_2330, uk(2026, 11, 20, 18, 30), "exact", "Fri 20 Nov, 18:30"),
    # in July, 20 November this year is still to come: last year's, and the year is shown
    ("20/11 18:30", TUE_BST, uk(2025, 11, 20, 18, 30), "exact", "Thu 20 Nov 2025, 18:30"),
    ("2 hours ago", THU_2330, uk(2026, 11, 26, 21, 30), "about", "Thu 26 Nov, about 21:30"),
    ("2 hours ago", FRI_0030, uk(2026, 11, 26, 22, 30), "about", "Thu 26 Nov, about 22:30"),
    ("2 hours ago", TUE_BST, uk(2026, 7, 14, 8), "about", "Tue 14 Jul, about 08:00"),
    ("just now", THU_2330, THU_2330, "exact", "Thu 26 Nov, 23:30"),
    ("just now", TUE_BST, TUE_BST, "exact", "Tue 14 Jul, 10:00"),
    # "11/20" is not November 2020: month 20 does not exist, so it is 20 November
    ("11/20", THU_2330, uk(2026, 11, 20), "date", "Fri 20 Nov, time not given"),
    ("11/20", TUE_BST, uk(2025, 11, 20), "date", "Thu 20 Nov 2025, time not given"),
    ("20 November at 6pm", THU_2330, uk(2026, 11, 20, 18), "exact", "Fri 20 Nov, 18:00"),
    ("at 11pm", THU_2230, uk(2026, 11, 25, 23), "exact", "Wed 25 Nov, 23:00"),  # the last 11pm
    ("half 11 last night", THU_2330, uk(2026, 11, 25, 23, 30), "exact", "Wed 25 Nov, 23:30"),
    ("around 11ish last night", THU_2330, uk(2026, 11, 25, 23), "about", "Wed 25 Nov, about 23:00"),
    ("3 days ago", THU_2330, uk(2026, 11, 23), "date", "Mon 23 Nov, time not given"),
    ("the day before yesterday", THU_2330, uk(2026, 11, 24), "date", "Tue 24 Nov, time not given"),
    # typed on a phone: "last nite about 11" was read as this morning's 11:00, said back
    ("last nite about 11", THU_2330, uk(2026, 11, 25, 23), "about", "Wed 25 Nov, about 23:00"),
    ("lastnight at 11pm", THU_2330, uk(2026, 11, 25, 23), "exact", "Wed 25 Nov, 23:00"),
    ("yday", THU_2330, uk(2026, 11, 25), "date", "Wed 25 Nov, time not given"),
    ("tonite at 11pm", FRI_0030, uk(2026, 11, 26, 23), "exact", "Thu 26 Nov, 23:00"),
    ("this mornin around 8", THU_2330, uk(2026, 11, 26, 8), "about", "Thu 26 Nov, about 08:00"),
    ("2 hrs ago", THU_2330, uk(2026, 11, 26, 21, 30), "about", "Thu 26 Nov, about 21:30"),
    ("this avo around 3", THU_2330, uk(2026, 11, 26, 15), "about", "Thu 26 Nov, about 15:00"),  # was 03:00
    # A span of time is read by its start, "about" (before: its end, "last night between 10 and
    # midnight" was the next day's 00:00, "yesterday between 3 and 4pm" 16:00; "10-11pm" a date)
    ("yesterday between 3 and 4pm", THU_2330, uk(2026, 11, 25, 15), "about", "Wed 25 Nov, about 15:00"),
    ("last night between 10 and midnight", THU_2330, uk(2026, 11, 25, 22), "about",
     "Wed 25 Nov, about 22:00"),
    ("10-11pm last night", THU_2330, uk(2026, 11, 25, 22), "about", "Wed 25 Nov, about 22:00"),
    ("from 10 to 1am last night", THU_2330, uk(2026, 11, 25, 22), "about", "Wed 25 Nov, about 22:00"),
    ("between 9 and 10 this morning", THU_2330, uk(2026, 11, 26, 9), "about", "Thu 26 Nov, about 09:00"),
    ("friday night between 10 and 11", THU_2330, uk(2026, 11, 20, 22), "about", "Fri 20 Nov, about 22:00"),
    # before: "that time hasn't come yet"
    ("the night before last", THU_2330, uk(2026, 11, 24, 22), "night",
     "Tue 24 Nov, at night (time not given)"),
    ("sat night", THU_2330, uk(2026, 11, 21, 22), "night", "Sat 21 Nov, at night (time not given)"),
    # before: the 9pm was dropped ("time not given")
    ("a couple of days ago around 9pm", THU_2330, uk(2026, 11, 24, 21), "about", "Tue 24 Nov, about 21:00"),
    ("2 days ago in the evening", THU_2330, uk(2026, 11, 24, 19), "evening",
     "Tue 24 Nov, in the evening (time not given)"),
    # teatime (about 5 to 7pm in the UK) is the evening, lunchtime the afternoon; before, "last
    # thursday around teatime" was the date alone ("time not given")
    ("last tuesday around teatime", THU_2330, uk(2026, 11, 24, 19), "evening",
     "Tue 24 Nov, in the evening (time not given)"),
    ("yesterday at lunchtime", THU_2330, uk(2026, 11, 25, 15), "afternoon",
     "Wed 25 Nov, in the afternoon (time not given)"),
    # A week out, before (guidance/date_weeks.py): "a week last friday" and "the friday before last"
    # were last Friday, "sunday just gone" said on a Sunday was today, "a fortnight ago" unread
    ("a week last friday", THU_2330, uk(2026, 11, 13), "date", "Fri 13 Nov, time not given"),
    ("a week last friday about 9pm", THU_2330, uk(2026, 11, 13, 21), "about", "Fri 13 Nov, about 21:00"),
    ("the friday before last", THU_2330, uk(2026, 11, 13), "date", "Fri 13 Nov, time not given"),
    ("wednesday before last at 8pm", THU_2330, uk(2026, 11, 18, 20), "exact", "Wed 18 Nov, 20:00"),
    ("thursday just gone", THU_2330, uk(2026, 11, 19), "date", "Thu 19 Nov, time not given"),
    ("a fortnight ago", THU_2330, uk(2026, 11, 12), "date", "Thu 12 Nov, time not given"),
]


@pytest.mark.parametrize(("text", "main", "other"), [
    # the weekday nearest to two weeks ago, and the one a week the other side ("Or did you mean")
    ("2 weeks ago on tuesday", uk(2026, 11, 10), uk(2026, 11, 17)),
    ("a week ago monday evening", uk(2026, 11, 16, 19), uk(2026, 11, 23, 19)),
])
def test_weeks_ago_on_a_weekday_is_that_weekday_with_the_other_reading(
        text: str, main: datetime, other: datetime) -> None:
    """Before, "2 weeks ago on tuesday" was 14 days ago, whatever day that was."""
    when = read(text, THU_2330)
    assert (when.at, when.alternative) == (main, other)
    assert "Or did you mean" in saved_as(when, THU_2330)


@pytest.mark.parametrize(("text", "now", "moment", "precision", "shown"), CASES,
                         ids=[f"{c[0]}@{c[1]:%a%H%M%b}" for c in CASES])
def test_each_form_is_read_stored_and_shown_back(text: str, now: datetime, moment: datetime,
                                                 precision: str, shown: str) -> None:
    when = read(text, now)
    assert when.at == moment and when.at.utcoffset() == moment.utcoffset()
    assert when.precision == precision
    assert echo(when, now) == shown
    assert "00:00" not in shown or precision in ("exact", "about")
    assert when.time_given == (precision in ("exact", "about"))
    assert when.approximate == (precision != "exact")


def test_bst_and_gmt_give_the_right_utc_moment() -> None:
    assert read("last night at 11pm", TUE_BST).at.astimezone(ZoneInfo("UTC")).hour == 22  # BST
    assert read("last night at 11pm", THU_2330).at.astimezone(ZoneInfo("UTC")).hour == 23  # GMT


@pytest.mark.parametrize(("text", "now"), [
    ("tonight at 11pm", THU_2230),  # not 11pm yet
    ("this morning around 8", FRI_0030),  # this morning has not come
    ("tomorrow at 5pm", THU_2330),
    ("today at 11pm", TUE_BST),
    ("a week on friday", THU_2330),  # a week after Friday: still to come
    ("friday week", THU_2330),
])
def test_a_time_in_the_future_is_refused(text: str, now: datetime) -> None:
    with pytest.raises(FutureDate):
        read_when(text, now)


@pytest.mark.parametrize("text", ["999999999999 days ago", "99999999 weeks ago", "31/02", "2026-02-30",
                                  "at 25pm", "feb 30", "", "   "])
def test_impossible_dates_are_unclear_not_an_error(text: str) -> None:
    assert read_when(text, THU_2330) is None
    assert find_when(text, THU_2330) is None


def test_an_ambiguous_day_first_date_is_checked() -> None:
    when = read("03/04", THU_2330)
    assert when.at == uk(2026, 4, 3) and when.ambiguous  # day first (UK)...
    assert when.alternative == uk(2026, 3, 4)  # ...but 4 March is asked about
    text = saved_as(when, THU_2330)
    assert text.startswith("Saved as Fri 3 Apr, time not given.")
    assert "Or did you mean Wed 4 Mar, time not given?" in text and "month as a word" in text
    assert "am or pm" not in text  # the date is what could be read two ways, not a time
    # written with the month as a word, it is not asked again
    assert not read("4 March", THU_2330).ambiguous
    # 20/11 cannot be month first: no question
    assert not read("20/11 18:30", THU_2330).ambiguous


def test_an_hour_without_am_or_pm_on_a_past_day_is_checked() -> None:
    when = read("yesterday at 8", THU_2330)
    assert when.at == uk(2026, 11, 25, 8) and when.alternative == uk(2026, 11, 25, 20)
    text = saved_as(when, THU_2330)
    assert "Wed 25 Nov, 20:00" in text and "the time with am or pm" in text
    assert "month as a word" not in text  # the day is not in doubt


def test_the_other_weekday_is_asked_about_as_a_date() -> None:
    when = read("2 weeks ago on tuesday", THU_2330)
    assert when.alternative is not None and when.alternative.date() != when.at.date()
    text = saved_as(when, THU_2330)
    assert "month as a word" in text and "am or pm" not in text


# ------------------------------ a time corrected in passing: (before, words, now) -> echo
TIME_CORRECTIONS = [
    # the day already given is kept; the hour is the reading nearest the time it corrects
    ("last night about 11", "it was more like half 10", THU_2330, "Wed 25 Nov, about 22:30"),
    ("last night about 11", "half ten", THU_2330, "Wed 25 Nov, 22:30"),
    ("last night about 11", "10:30", THU_2330, "Wed 25 Nov, 22:30"),
    ("last night about 11", "quarter to 11", THU_2330, "Wed 25 Nov, 22:45"),
    ("last night about 11", "more like 1am", THU_2330, "Thu 26 Nov, about 01:00"),  # after midnight
    ("this morning around 8", "half 7", THU_2330, "Thu 26 Nov, 07:30"),
    ("this morning around 8", "more like 9", THU_2330, "Thu 26 Nov, about 09:00"),
    # words that name a day are read afresh
    ("last night about 11", "on tuesday at 9pm", THU_2330, "Tue 24 Nov, 21:00"),
]


@pytest.mark.parametrize(("first", "words", "now", "shown"), TIME_CORRECTIONS)
def test_a_time_corrected_alone_keeps_the_day_it_corrects(first: str, words: str, now: datetime,
                                                         shown: str) -> None:
    when = read_time_correction(words, read(first, now), now)
    assert when is not None and echo(when, now) == shown


def test_a_corrected_time_still_to_come_is_refused() -> None:
    with pytest.raises(FutureDate):  # 11:45 tonight has not happened at 23:30
        read_time_correction("11:45pm", read("today at 11pm", THU_2330), THU_2330)


@pytest.mark.parametrize(("text", "shown"), [
    ("last night at ten past 12", "Thu 26 Nov, 00:10"),  # the small hours after last night
    ("twenty-five past ten last night", "Wed 25 Nov, 22:25"),
    ("twenty five to 7 this morning", "Thu 26 Nov, 06:35"),
    ("yesterday at 20 to 9", "Wed 25 Nov, 08:40"),  # 20:40 offered as the other reading
])
def test_minutes_past_or_to_an_hour_in_words(text: str, shown: str) -> None:
    assert echo(read(text, THU_2330), THU_2330) == shown


def test_a_count_inside_a_quick_note_is_not_a_time() -> None:
    when = find_when("he called 5 to 10 times yesterday", THU_2330)
    assert when is not None and when.precision == "date"  # yesterday, not 09:55


@pytest.mark.parametrize(("text", "only"), [
    ("it was more like half 10", True), ("no, about 10", True), ("10ish", True),
    ("he came back at 11", False), ("he followed me for 2 hours", False), ("my colleague saw him", False),
])
def test_only_a_time_is_read_as_a_time_correction(text: str, only: bool) -> None:
    assert names_only_a_time(text, THU_2330) is only


def test_the_echo_the_note_form_shows() -> None:
    """What the guided note's when-step says back (nlu/actions/note_form.py calls saved_as)."""
    assert saved_as(read("last night about 11", FRI_0030), FRI_0030) == "Saved as Thu 26 Nov, about 23:00."
    assert saved_as(read("yesterday", FRI_0030), FRI_0030) == "Saved as Thu 26 Nov, time not given."
    slot = read("last night about 11", FRI_0030).to_slot()
    assert slot == "2026-11-26T23:00:00+00:00|about"
    assert When.from_slot(slot) == When(uk(2026, 11, 26, 23), "about")
    assert When.from_slot("2026-11-26T23:00:00+00:00").precision == "exact"  # older slots
    assert dates.echo_slot(slot, FRI_0030) == "Thu 26 Nov, about 23:00"


@pytest.mark.parametrize(("text", "now", "moment", "precision"), [
    ("/note he was outside at 7pm", THU_2330, uk(2026, 11, 26, 19), "exact"),
    ("he was outside my flat at about 7 again", THU_2330, uk(2026, 11, 26, 19), "about"),
    ("yesterday he followed me to the bus stop", THU_2330, uk(2026, 11, 25), "date"),
    ("he rang 6 times last night around 11", TUE_BST, uk(2026, 7, 13, 23), "about"),
    ("on Sunday at 14:30 he was at the gym", THU_2330, uk(2026, 11, 22, 14, 30), "exact"),
    ("he called me 20 times between 6 and 7pm yesterday", THU_2330, uk(2026, 11, 25, 18), "about"),
    ("15 messages on whatsapp last night between 10 and midnight", THU_2330, uk(2026, 11, 25, 22), "about"),
])
def test_a_time_inside_a_quick_note_is_found(text: str, now: datetime, moment: datetime,
                                             precision: str) -> None:
    when = find_when(text, now)
    assert when is not None and when.at == moment and when.precision == precision


@pytest.mark.parametrize("text", [
    "he sent me 14 texts", "he sat outside for 3-4 hours", "he called 2 or 3 times",
    "he was outside just now", "he said he would come back at 11pm",  # 11pm not yet: ignored
])
def test_no_time_inside_a_quick_note_keeps_the_time_it_was_sent(text: str) -> None:
    assert find_when(text, THU_2230) is None


# ------------------------------------------------------------------ through the bot
@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(dates, "current_time", lambda zone: FRI_0030.astimezone(zone))
    return FRI_0030


@pytest.fixture
def desk(tmp_path: Path) -> DiaryDesk:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())

    async def forget(user_id: str) -> None: ...

    return DiaryDesk(store, Facts.load(), forget)


def only_note(desk: DiaryDesk, user: str):  # noqa: ANN201
    notes, total = desk.store.list_notes(user, 0, 5)
    assert total == 1
    return notes[0]


# -- editing a note's time: Rasa's edit form (nlu/actions/edit.py) through the real bot ------------
@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "dates")


def edit_when(real: RealBot, user: str, note_id: int, text: str) -> str:
    """"When" in a note's edit menu, then ``text``: what the bot said back."""
    asked = "\n".join(real.texts(user, f"diary:field:{note_id}:occurred_at"))
    assert "When did it happen?" in asked, asked
    return "\n".join(real.texts(user, text))


def a_note(real: RealBot, at: datetime, what: str) -> tuple[str, int]:
    user = f"dates-{uuid.uuid4().hex[:8]}"
    return user, real.core.desk.store.add_note(user, NoteFields(occurred_at=at, what_happened=what)).id


def stored(real: RealBot, user: str, note_id: int):  # noqa: ANN201
    note = real.core.desk.store.get_note(user, note_id)
    assert note is not None
    return note


@pytest.mark.model
def test_editing_the_time_stores_what_was_said_and_shows_it(real: RealBot, fixed_now: datetime) -> None:
    user, note_id = a_note(real, FRI_0030, "he waited outside")
    text = edit_when(real, user, note_id, "tonight at 11pm")
    assert "Saved as Thu 26 Nov, 23:00." in text
    assert stored(real, user, note_id).occurred_at == uk(2026, 11, 26, 23)

    text = edit_when(real, user, note_id, "last night about 11")
    assert text.startswith("✅ Updated. Saved as Thu 26 Nov, about 23:00.")
    assert "When: Thu 26 Nov, about 23:00" in text  # the note shown again, as saved
    note = stored(real, user, note_id)
    assert note.occurred_at == uk(2026, 11, 26, 23) and note.time_precision == "about"

    text = edit_when(real, user, note_id, "yesterday")
    assert "Saved as Thu 26 Nov, time not given." in text
    assert "00:00" not in text  # neither the echo nor the note's screen
    assert stored(real, user, note_id).time_precision == "date"

    text = edit_when(real, user, note_id, "20/11 18:30")
    assert "Saved as Fri 20 Nov, 18:30." in text
    assert stored(real, user, note_id).time_precision is None  # exact again


@pytest.mark.model
def test_an_ambiguous_edit_is_saved_day_first_and_the_other_reading_offered(
        real: RealBot, fixed_now: datetime) -> None:
    user, note_id = a_note(real, FRI_0030, "a letter")
    text = edit_when(real, user, note_id, "03/04")
    assert "Saved as Fri 3 Apr, time not given. Or did you mean Wed 4 Mar, time not given?" in text
    assert stored(real, user, note_id).occurred_at == uk(2026, 4, 3)


@pytest.mark.model
def test_a_future_or_unreadable_time_is_refused_asked_again_and_changes_nothing(
        real: RealBot, fixed_now: datetime) -> None:
    user, note_id = a_note(real, uk(2026, 11, 20, 9), "x")
    text = edit_when(real, user, note_id, "this morning around 8")
    assert text == "That time seems to be in the future. When did it happen?"  # asked again, alone
    assert stored(real, user, note_id).occurred_at == uk(2026, 11, 20, 9)
    text = "\n".join(real.texts(user, "purple elephants"))
    assert text.startswith("Sorry, I couldn't read that as a date and time.")
    assert stored(real, user, note_id).occurred_at == uk(2026, 11, 20, 9)
    text = "\n".join(real.texts(user, "last night about 11"))  # still the time's question
    assert "Saved as Thu 26 Nov, about 23:00." in text


async def test_a_quick_note_uses_the_time_written_in_it(desk: DiaryDesk, fixed_now: datetime) -> None:
    replies = await desk.quick_note("u2", "he was outside at 7pm")
    assert replies[0].text.startswith("Saved as Thu 26 Nov, 19:00.")
    assert only_note(desk, "u2").occurred_at == uk(2026, 11, 26, 19)


async def test_a_quick_note_without_a_time_is_saved_now(desk: DiaryDesk, fixed_now: datetime) -> None:
    """No time in it: saved at the time it was sent, and that said (before, in silence: someone
    writing up last night's incident this morning had no sign the note said this morning)."""
    replies = await desk.quick_note("u3", "he sent me 14 texts")
    saved = only_note(desk, "u3").occurred_at
    assert abs(saved - datetime.now(UK)) < timedelta(minutes=1)
    said = f"There was no time in your note, so it has the time you sent it: {dates.echo(When(saved))}."
    assert replies[0].text.startswith("✅ Saved to your log.") and said in replies[0].text, replies[0].text


async def test_a_quick_note_that_says_today_and_no_time_is_the_date_alone(
        desk: DiaryDesk, fixed_now: datetime) -> None:
    """"he was outside my work again today", written in the evening: before, it was stored at the
    time it was sent as an exact time, which the police would read as when it happened."""
    replies = await desk.quick_note("u9", "he was outside my work again today")
    assert replies[0].text.startswith("Saved as Fri 27 Nov, time not given."), replies[0].text
    saved = only_note(desk, "u9")
    assert saved.occurred_at.astimezone(UK).date() == FRI_0030.astimezone(UK).date()
    assert saved.time_precision == "date"
    now = await desk.quick_note("u10", "hes outside my house right now")  # now: the time sent
    assert "it has the time you sent it" in now[0].text, now[0].text


async def test_a_quick_note_whose_time_has_not_come_says_it_kept_the_time_sent(
        desk: DiaryDesk, fixed_now: datetime) -> None:
    """"at 5pm today" sent at half past midnight: before, saved at the time sent, silently."""
    replies = await desk.quick_note("u5", "he was outside my work at 5pm today")
    assert replies[0].text.startswith("The time in your note hasn't come yet"), replies[0].text
    assert "Saved to your log" in replies[0].text
    assert abs(only_note(desk, "u5").occurred_at - datetime.now(UK)) < timedelta(minutes=1)
    plans = await desk.quick_note("u6", "he said he would come back at 11pm")  # an intention
    assert "hasn't come yet" not in plans[0].text


async def test_a_quick_note_is_filed_under_the_form_of_attention_it_names(
        desk: DiaryDesk, fixed_now: datetime) -> None:
    """Before, every quick note was "other" in the log's pattern ("In the last 30 days: 1 (other: 1)")."""
    replies = await desk.quick_note("u7", "he keeps texting me at all hours")
    assert only_note(desk, "u7").kind == "contacting"
    assert "(calls, texts or emails: 1)" in replies[0].text, replies[0].text
    await desk.quick_note("u8", "the weather was bad")  # names none: as before
    assert only_note(desk, "u8").kind is None


async def test_the_guided_note_keeps_how_exact_the_time_was(desk: DiaryDesk, fixed_now: datetime) -> None:
    slot = read("last night about 11", FRI_0030).to_slot()
    await desk.save_from_form("u4", {"occurred_at": slot, "what_happened": "he followed me"})
    stored = only_note(desk, "u4")
    assert stored.occurred_at == uk(2026, 11, 26, 23) and stored.time_precision == "about"
    screen = "\n".join(r.text for r in await desk.open("u4", stored.id))
    assert "Thu 26 Nov, about 23:00" in screen
    # an older plain ISO slot is still read (exact)
    await desk.save_from_form("u5", {"occurred_at": "2026-11-26T21:15:00+00:00", "what_happened": "x"})
    assert only_note(desk, "u5").time_precision is None


def test_the_export_says_time_not_given(tmp_path: Path, fixed_now: datetime) -> None:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())
    store.add_note("u6", NoteFields(occurred_at=uk(2026, 11, 25), what_happened="flowers left",
                                    time_precision="date"))
    store.add_note("u6", NoteFields(occurred_at=uk(2026, 11, 26, 23), what_happened="at the window",
                                    time_precision="about"))
    notes = store.all_notes("u6")
    pdf = export_pdf(notes, generated_at=FRI_0030)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "Wed 25 Nov 2026, time not given" in text and "Thu 26 Nov 2026, about 23:00" in text
    assert "25 Nov 2026, 00:00" not in text
    rows = list(csv.DictReader(io.StringIO(export_csv(notes).decode("utf-8"), newline="")))
    by_what = {r["what_happened"]: r for r in rows}
    assert by_what["flowers left"]["occurred_at"] == "2026-11-25"  # a date, no 00:00
    assert by_what["flowers left"]["time_precision"] == "date"
    assert by_what["at the window"]["time_precision"] == "about"




# -- a week or a month, never a day not said (guidance/date_periods.py) -------------------------
@pytest.mark.parametrize(("text", "at", "precision"), [
    ("last week", uk(2026, 11, 16), "week"),  # before: Thu 19 Nov, a day nobody said
    ("earlier this week", uk(2026, 11, 23), "week"),  # before: today
    ("this week", uk(2026, 11, 23), "week"),
    ("the week before last", uk(2026, 11, 9), "week"),
    ("2 weeks ago", uk(2026, 11, 12), "date"),  # a count of weeks back is that day, as before
    ("last month", uk(2026, 10, 1), "month"),  # before: 26 Oct
    ("earlier this month", uk(2026, 11, 1), "month"),
    ("in october", uk(2026, 10, 1), "month"),
    ("in december", uk(2025, 12, 1), "month"),  # the last December that has begun
    ("3 months ago", uk(2026, 8, 1), "month"),
    # more precise words stay the grammar's
    ("2 weeks ago on tuesday", uk(2026, 11, 10), "date"),
    # a day of last week is that day of the calendar week before this one (before: "tuesday last
    # week" on Thursday 26 Nov was Tuesday the 24th, a day of this week)
    ("tuesday last week", uk(2026, 11, 17), "date"),
    ("last week on tuesday", uk(2026, 11, 17), "date"),
    ("sunday last week", uk(2026, 11, 22), "date"),
    ("tuesday last week at 5pm", uk(2026, 11, 17, 17), "exact"),
    ("saturday last weekend", uk(2026, 11, 21), "date"),  # "last weekend" alone names no day
    ("last weekend on the sunday", uk(2026, 11, 22), "date"),
    ("3rd of november", uk(2026, 11, 3), "date"),
])
def test_a_week_or_a_month_is_kept_as_one(text: str, at: datetime, precision: str) -> None:
    when = read(text, THU_2330)
    assert (when.at, when.precision) == (at, precision), (text, when)


@pytest.mark.parametrize("text", ["a few weeks ago", "a few months ago", "last year", "a while ago",
                                  "ages ago", "a few days ago", "the other day", "few days back",
                                  "several days ago", "the other night about 11",
                                  "a few days ago at 9pm", "a few weeks ago at 9pm", "last weekend",
                                  "last weekend about 10pm"])
def test_words_that_name_no_week_or_month_are_not_a_date(text: str) -> None:
    """Played as a person: "a few days ago" was saved as exactly three days ago, and "a few
    days ago at 9pm" as today at 21:00: a day nobody said, in the log the police read."""
    assert read_when(text, THU_2330) is None
    assert names_a_vague_past(text, THU_2330)
    assert find_when(f"he was outside my house {text}", THU_2330) is None  # a quick note too


@pytest.mark.parametrize(("text", "at", "precision"), [
    # a day's number alone: the last such day up to today (before: "26th at 6" was today at 18:00)
    ("26th at 6pm", uk(2026, 11, 26, 18), "exact"),
    ("on the 24th about 9pm", uk(2026, 11, 24, 21), "about"),
    ("the 3rd", uk(2026, 11, 3), "date"),
    ("the 30th", uk(2026, 10, 30), "date"),  # Thursday the 26th: the 30th still to come is October's
    ("the 31st", uk(2026, 10, 31), "date"),
    # a vague past with a day said beside it: the day
    ("the other day, tuesday i think", uk(2026, 11, 24), "date"),
    ("2 days ago at 9pm", uk(2026, 11, 24, 21), "exact"),
    # last year said with a date or a month: that year's (before: this year's 3 October)
    ("3rd of october last year", uk(2025, 10, 3), "date"),
    ("december last year", uk(2025, 12, 1), "month"),
])
def test_a_day_said_by_its_number_or_beside_vague_words_is_that_day(
        text: str, at: datetime, precision: str) -> None:
    when = read(text, THU_2330)
    assert (when.at, when.precision) == (at, precision), (text, when)
    assert not names_a_vague_past(text, THU_2330)


@pytest.mark.parametrize(("text", "at", "precision"), [
    # played as a person, each was saved as another day in silence (Thursday 26 Nov, 23:30)
    ("bonfire night", uk(2026, 11, 5, 22), "night"),  # was tonight
    ("christmas day", uk(2025, 12, 25), "date"),  # was not read
    ("new year's eve about 11pm", uk(2025, 12, 31, 23), "about"),
    ("halloween", uk(2026, 10, 31), "date"),
    ("25.11 at 20:00", uk(2026, 11, 25, 20), "exact"),  # was today at 20:00 (25 is no hour)
    ("25.11", uk(2026, 11, 25), "date"),
    ("monday night about 2am", uk(2026, 11, 24, 2), "about"),  # the small hours after Monday, not before
    ("just before midnight", uk(2026, 11, 25, 23, 59), "about"),  # was the next day's 00:00
    ("nearly midnight on monday", uk(2026, 11, 23, 23, 59), "about"),
    ("around midnight on monday", uk(2026, 11, 24, 0), "about"),  # midnight itself: Monday night's
    ("this eve", uk(2026, 11, 26, 19), "evening"),
])
def test_named_days_dotted_dates_and_the_ends_of_a_night_are_the_day_meant(
        text: str, at: datetime, precision: str) -> None:
    when = read(text, THU_2330)
    assert (when.at, when.precision) == (at, precision), (text, when)


def test_a_dotted_time_is_still_a_time() -> None:
    assert read("8.30 this morning", THU_2330).at == uk(2026, 11, 26, 8, 30)
    assert read("at 10.15 last night", THU_2330).at == uk(2026, 11, 25, 22, 15)


def test_a_day_s_number_inside_a_quick_note_is_read_only_after_on() -> None:
    assert find_when("he banged on my door on the 24th", THU_2330) == When(uk(2026, 11, 24), "date")
    assert find_when("it was the 3rd time he came round", THU_2330) is None
    assert find_when("he texted for the 5th day running", THU_2330) is None


def test_a_week_or_a_month_is_shown_as_one() -> None:
    assert echo(When(uk(2026, 11, 16), "week"), THU_2330) == "the week of Mon 16 Nov (day not given)"
    assert echo(When(uk(2026, 10, 1), "month"), THU_2330) == "October (day not given)"
    assert echo(When(uk(2025, 12, 1), "month"), THU_2330) == "December 2025 (day not given)"
    assert find_when("he was following me all last week", THU_2330) == When(uk(2026, 11, 16), "week")
    assert find_when("he may come back", THU_2330) is None  # "may" is not May


def test_the_export_keeps_a_week_or_a_month(tmp_path: Path, fixed_now: datetime) -> None:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())
    for at, what, precision in ((uk(2026, 11, 16), "followed", "week"),
                                (uk(2026, 10, 1), "flowers", "month"),
                                (uk(2026, 11, 27, 0, 10), "a letter", "unknown")):  # "i dont remember"
        store.add_note("u7", NoteFields(occurred_at=at, what_happened=what, time_precision=precision))
    notes = store.all_notes("u7")
    pages = PdfReader(io.BytesIO(export_pdf(notes, generated_at=FRI_0030))).pages
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in pages))
    assert "the week of Mon 16 Nov 2026 (day not given)" in text, text
    assert "October 2026 (day not given)" in text, text
    # the summary's range and the weekly chart never make the month's 1st a day it happened
    assert "From October 2026 to 16 November 2026" in text, text
    assert "Incidents with only the month given are not in the chart: 1." in text, text
    assert weekly_counts(notes, UK).weeks == [date(2026, 11, 16)]
    assert "date not known (written Fri 27 Nov 2026)" in text, text
    assert "Incidents whose date is not known are not in the chart: 1." in text, text
    table = csv.DictReader(io.StringIO(export_csv(notes).decode("utf-8"), newline=""))
    rows = {r["what_happened"]: r for r in table}
    assert (rows["followed"]["occurred_at"], rows["followed"]["time_precision"]) == ("2026-11-16", "week")
    assert (rows["flowers"]["occurred_at"], rows["flowers"]["time_precision"]) == ("2026-10-01", "month")
    assert (rows["a letter"]["occurred_at"], rows["a letter"]["time_precision"]) == ("", "unknown")


async def test_a_quick_note_about_last_week_keeps_the_week(desk: DiaryDesk, fixed_now: datetime) -> None:
    replies = await desk.quick_note("u11", "he was following me all last week")
    assert replies[0].text.startswith("Saved as the week of Mon 16 Nov (day not given)."), replies[0].text
    assert only_note(desk, "u11").time_precision == "week"


async def test_a_quick_note_about_a_few_days_ago_says_it_named_no_day(desk: DiaryDesk,
                                                                     fixed_now: datetime) -> None:
    replies = await desk.quick_note("u12", "he was outside my house a few days ago at 9pm")
    assert "Your note doesn't say which day" in replies[0].text, replies[0].text
    assert "Saved as" not in replies[0].text  # not today at 21:00
    note = only_note(desk, "u12")
    assert note.time_precision is None and note.what_happened.endswith("a few days ago at 9pm")


async def test_the_list_of_notes_never_shows_a_time_that_was_not_given(desk: DiaryDesk,
                                                                       fixed_now: datetime) -> None:
    """The log's list (/notes): "Tuesday evening" was shown as "24 Nov 19:00", a clock time
    nobody gave; "about 23:00" as an exact 23:00."""
    for words, what in [("Tuesday evening", "on the bus"), ("last night about 11", "at the window"),
                        ("yesterday", "flowers left"), ("yesterday at 9:15pm", "texts")]:
        slot = read(words, FRI_0030).to_slot()
        await desk.save_from_form("u7", {"occurred_at": slot, "what_happened": what})
    listing = await desk.page("u7", 0)
    titles = [b.title for r in listing for b in r.buttons if b.payload.startswith("diary:open:")]
    assert "24 Nov evening · on the bus" in titles, titles
    assert "26 Nov ~23:00 · at the window" in titles, titles
    assert "26 Nov · flowers left" in titles, titles
    assert "26 Nov 21:15 · texts" in titles, titles


async def test_my_notes_says_how_often_by_when_it_happened(desk: DiaryDesk) -> None:
    """"how many times has he done it now": the top of "My notes" counts the incidents of the
    last 7 and 30 days (by when they happened), as the reply to a saved note does."""
    from datetime import timezone

    now = datetime.now(timezone.utc)
    for days, what in ((1, "texts"), (3, "at the gate"), (12, "flowers"), (45, "old one")):
        desk.store.add_note("u9", NoteFields(occurred_at=now - timedelta(days=days), what_happened=what))
    [header] = [r.text for r in await desk.page("u9", 0)]
    assert "Your log: 4 incidents" in header, header
    assert "In the last 7 days: 2. In the last 30 days: 3" in header, header
    assert "time in 14 days" not in header  # the Repeated line is about a note just saved


async def test_one_incident_is_counted_in_the_singular(desk: DiaryDesk, fixed_now: datetime) -> None:
    slot = read("yesterday", FRI_0030).to_slot()
    await desk.save_from_form("u8", {"occurred_at": slot, "what_happened": "x"})
    [header] = [r.text for r in await desk.page("u8", 0)]
    assert "Your log: 1 incident (newest first)" in header, header
    mention = await desk.log_mention("u8")
    assert mention is not None and "You have 1 incident in your log." in mention.text, mention
