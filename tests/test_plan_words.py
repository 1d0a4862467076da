"""The safety plan's words are built in the domain (guidance/risk.py), then shown by the bot.

What the person sees: which steps, in which order, each step's words with its values
filled ([[log]], [[spo]], [[route]], [[title]]), and no placeholder left once the bot
has filled the contacts.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, NoteFields, migrate
from guidance.facts import Facts
from guidance.risk import RISK_SLOTS, plan_text, safety_plan, tick_label

FACTS = Facts.load()
NO = {slot: "no" for slot in RISK_SLOTS}


def test_a_threat_puts_report_now_first_and_asks_about_an_spo() -> None:
    steps = safety_plan({"behaviours": ["following"]}, NO | {"risk_threats": "yes"}, ["tell"], 2)
    assert [s.key for s in steps] == ["report_now", "routes", "tell", "record", "report", "helpline"]
    by_key = {s.key: s for s in steps}
    assert by_key["record"].text.endswith("Don't delete messages. You have 2 incidents in your log so far.")
    assert by_key["report"].text.endswith("Ask about a Stalking Protection Order.")
    assert by_key["tell"].done and not by_key["report"].done
    assert tick_label(by_key["tell"]) == "Not done: Tell someone you trust"
    assert tick_label(by_key["routes"]) == "Done: Vary your routes and routines"


def test_few_yes_answers_and_an_empty_log_leave_the_log_line_and_the_spo_out() -> None:
    steps = {s.key: s for s in safety_plan({"behaviours": []}, NO, [], 0)}
    assert steps["record"].text.endswith("Don't delete messages.")
    assert steps["report"].text.endswith("Ask for the crime reference number.")


def test_the_place_gives_its_own_route_in_report_and_report_now() -> None:
    steps = {s.key: s for s in safety_plan(None, NO | {"risk_violence": "yes"}, [], 0, "scotland")}
    assert "online Stalking Form" in steps["report"].text
    assert steps["report_now"].text.startswith("Your answers include serious warning signs.")
    assert "online Stalking Form" in steps["report_now"].text


def test_the_plan_text_numbers_the_steps_and_hints_while_a_check_is_missing() -> None:
    steps = safety_plan(None, None, ["helpline"], 0)
    text = plan_text(steps, both_checks_done=False)
    assert text.startswith("🛡 Your safety plan.") and "the FOUR check (/check)" in text
    assert "▫️ 1. Tell someone you trust" in text and "✅ 4. Talk to the National Stalking Helpline" in text
    assert "Ask about a Stalking Protection Order." in text  # nothing known yet: every case covered
    assert "[[" in text  # contacts: the bot fills them
    assert "[[" not in FACTS.render(text) and "{" not in FACTS.render(text)
    assert "Stalking Protection" not in plan_text(safety_plan({"behaviours": []}, NO, [], 0), True)


async def test_the_desk_shows_the_plan_filled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'diary.db'}"
    migrate(url)
    store = DiaryStore(url, Cipher.generate())

    async def forget(_user: str) -> None: ...

    desk = DiaryDesk(store, FACTS, forget)
    store.add_note("u1", NoteFields(occurred_at=datetime.now(timezone.utc), what_happened="at the gate"))
    store.set_answer("u1", "risk", NO | {"risk_threats": "yes"})
    store.set_answer("u1", "four", {"behaviours": ["monitoring"]})
    await desk.handle_payload("u1", "diary:plan_done:online")
    [reply] = await desk.plan("u1")
    assert "✅ 2. Lock down your phone and accounts" in reply.text
    assert "You have 1 incident in your log so far." in reply.text
    assert "call 999" in reply.text and "[[" not in reply.text and "{" not in reply.text
    assert "FOUR check" not in reply.text  # both checks done: no hint
    titles = [b.title for b in reply.buttons]
    assert titles[:2] == ["Done: Report it now", "Not done: Lock down your phone and accounts"]
    assert reply.buttons[-1].payload == "diary:plan_pdf"
    [pdf] = await desk.plan_pdf("u1")
    assert pdf.document is not None and pdf.document.content.startswith(b"%PDF")
    store.close()
