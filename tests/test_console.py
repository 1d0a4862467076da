"""The console's --jsonl protocol and the whole conversation through the real bot.

One console process (one Rasa model load) serves every test here; each test
starts with "/start", which resets the conversation.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, JsonlChat, isolated_store, require_model

pytestmark = pytest.mark.model


def run_check(chat: JsonlChat, answers: list[str]) -> list[str]:
    chat.send("/start")
    chat.send("/check")
    texts: list[str] = []
    for answer in answers:
        texts = chat.texts(answer)
    return texts


def test_one_json_line_per_input_line_with_text_and_buttons(chat: JsonlChat) -> None:
    reply = chat.send("/start")
    assert reply["in"] == "/start"
    first = reply["out"][0]
    assert "999" in first["text"] and "not the police" in first["text"]
    assert {"title": "Check the warning signs", "payload": "/start_check"} in first["buttons"]


def test_start_explains_the_bot_and_999(chat: JsonlChat) -> None:
    text = chat.texts("hi")[0]
    assert "FOUR warning signs" in text and "nobody reads this chat live" in text
    assert "call 999" in text


def test_check_by_buttons_with_four_signs_says_stalking(chat: JsonlChat) -> None:
    texts = run_check(chat, ["/affirm", "/affirm", "/affirm", "/affirm",
                             '/affirm{"behaviour": "following"}', "/deny"])
    summary = texts[-1]
    assert "4 of the 4 warning signs" in summary
    assert "Fixated, Obsessive, Unwanted and Repeated" in summary
    assert "following me" in summary
    assert "the police call stalking" in summary
    assert "before it escalates" in summary


def test_check_asks_the_four_signs_in_order_with_yes_no_not_sure(chat: JsonlChat) -> None:
    chat.send("/start")
    out = chat.send("/check")["out"]
    assert "FIXATED" in out[-1]["text"]
    assert [b["title"] for b in out[-1]["buttons"]] == ["Yes", "No", "Not sure"]
    assert "OBSESSIVE" in chat.texts("/affirm")[-1]
    assert "UNWANTED" in chat.texts("/affirm")[-1]
    assert "REPEATED" in chat.texts("/affirm")[-1]
    assert "Which of these have happened" in chat.texts("/affirm")[-1]


def test_check_in_own_words(chat: JsonlChat) -> None:
    texts = run_check(chat, ["yep", "he is obsessed with me",
                             "I've told him to leave me alone", "he texts me 20 times a day",
                             "he follows me home and sends me flowers"])
    summary = texts[-1]
    assert "4 of the 4 warning signs" in summary
    assert "following me" in summary and "unwanted gifts or messages" in summary


def test_only_once_is_repeated_no_and_wording_is_gentle(chat: JsonlChat) -> None:
    texts = run_check(chat, ["/affirm", "/unsure", "/affirm", "it only happened once", "none"])
    summary = texts[-1]
    assert "2 of the 4 warning signs" in summary
    assert "not sure about Obsessive" in summary
    assert "not being stalked" not in summary
    assert "the police call stalking" not in summary


def test_what_do_you_mean_explains_the_sign_again(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/check")
    texts = chat.texts("what do you mean?")
    assert "Fixated" in texts[0] and "obsessed with you" in texts[0]
    assert "1 of 4" in texts[-1]


def test_stop_leaves_the_check_kindly(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/check")
    chat.send("/affirm")
    texts = chat.texts("stop")
    assert "stopped the check" in texts[0]
    # the conversation goes on normally afterwards
    assert "Who to contact" in chat.texts("who can I talk to?")[0]


def test_danger_interrupts_the_check_with_999_first(chat: JsonlChat) -> None:
    chat.send("/start")
    chat.send("/check")
    chat.send("/affirm")
    out = chat.send("hes outside my house right now")["out"]
    assert len(out) == 1  # the alert alone: nothing else is asked in that turn
    assert "call 999 now" in out[0]["text"] and "55" in out[0]["text"]
    assert [b["payload"] for b in out[0]["buttons"]] == ["/resume", "/stop"]
    # the check is paused, so the next message is not taken as an answer
    answer = chat.texts("how do I report it?")[0]  # the route, or "where are you?" first (asked once)
    assert "Report it to the police" in answer or "Where are you?" in answer
    # and "carry on" asks the question it stopped at
    assert "2 of 4" in chat.texts("/resume")[-1]


def test_safety_advice_puts_routes_first_after_following(chat: JsonlChat) -> None:
    run_check(chat, ["/affirm", "/affirm", "/affirm", "/affirm",
                     '/affirm{"behaviour": "following"}', "/deny"])
    out = chat.send("/ask_safety_advice")["out"][0]
    assert out["buttons"][0]["payload"] == "/ask_routines"
    chat.send("/start")
    default = chat.send("/safety")["out"][0]
    assert default["buttons"][0]["payload"] == "/ask_record"


def test_social_media_monitoring_puts_online_safety_first(chat: JsonlChat) -> None:
    run_check(chat, ["/affirm", "/affirm", "/affirm", "/affirm",
                     "he watches everything I post on instagram"])
    out = chat.send("/ask_safety_advice")["out"][0]
    assert out["buttons"][0]["payload"] == "/ask_online_safety"


def test_signposts_carry_every_contact(chat: JsonlChat) -> None:
    chat.send("/start")
    out = chat.send("/help")["out"][0]
    for fact in ("999", "101", "55", "0808 802 0300", "020 3866 4107"):
        assert fact in out["text"]
    links = [b for b in out["buttons"] if b.get("url")]
    assert links and links[0]["url"].startswith("https://")
    # Relay UK for someone who can't speak or hear: one button away, named for them
    [more] = [b for b in out["buttons"] if "can't speak or hear" in b["title"]]
    relay = " ".join(o["text"] for o in chat.send(more["payload"])["out"])
    assert "18000" in relay and "18001 101" in relay


@pytest.mark.parametrize("question, expected", [
    ("what is stalking?", "serious crime"),
    ("what are the four warning signs", "Fixated"),
    ("what sort of things do stalkers do", "monitoring your social media"),
    ("can men be stalked?", "Anyone can be stalked"),
    ("isn't it romantic that he won't give up", "not acceptable"),
    ("my friend is being stalked what can i do", "friend"),
    ("what is a stalking protection order", "magistrates"),
    ("what does the law say about stalking", "Protection from Harassment Act 1997"),
    ("how do I report it?", "101"),
])
def test_questions_people_ask(chat: JsonlChat, question: str, expected: str) -> None:
    chat.send("/start")
    out = chat.send(question)["out"]
    if "Where are you?" in out[0]["text"]:  # reporting and the law: asked once
        choice = next(b["payload"] for b in out[0]["buttons"] if '"west_midlands"' in b["payload"])
        out = chat.send(choice)["out"]
    assert expected in "\n".join(o["text"] for o in out)


def test_unclear_message_gets_an_honest_fallback_with_999(chat: JsonlChat) -> None:
    chat.send("/start")
    out = chat.send("qwxz plorf")["out"][0]
    assert "not sure I understood" in out["text"] and "999" in out["text"]
    assert out["buttons"]


def test_button_title_selects_the_button(chat: JsonlChat) -> None:
    chat.send("/start")
    texts = chat.texts("Check the warning signs")
    assert "1 of 4" in texts[-1]


def test_start_resets_the_conversation(chat: JsonlChat) -> None:
    chat.send("/check")
    chat.send("/affirm")
    chat.send("/start")
    # after /start "yes" is not an answer to a check question any more
    assert "What would you like to do?" in chat.texts("yes")[0]


def test_nothing_but_json_on_stdout_and_exit_zero_at_end_of_input(tmp_path: Path) -> None:
    require_model()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--user", "eof-test"],
        input="hello\n\nhes got a knife\n", cwd=ROOT, capture_output=True, text=True,
        timeout=300, env={**os.environ, **isolated_store(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 3
    parsed = [json.loads(line) for line in lines]
    assert [p["in"] for p in parsed] == ["hello", "", "hes got a knife"]
    assert all(p["out"] for p in parsed)
    assert "call 999 now" in parsed[2]["out"][0]["text"]
    assert "knife" not in proc.stderr


def test_four_signs_then_risk_with_threats_then_a_plan_that_fits(chat: JsonlChat) -> None:
    summary = run_check(chat, ["/affirm"] * 4 + ['/affirm{"behaviour": "following"}', "/deny"])
    assert "4 of the 4" in summary[0]
    risk_intro = chat.texts("/start_risk")
    assert "NOT a police risk assessment" in risk_intro[0] and "private" in risk_intro[0]
    answers = ["/affirm", "/deny", "skip", "/deny", "/deny", "/affirm", "/deny", "/deny", "/deny",
               "/unsure", "/deny"]
    for answer in answers:
        texts = chat.texts(answer)
    result = texts[0]
    assert "threats of violence" in result and "call 999" in result and "101" in result
    assert "you are safe" not in result.lower()
    plan = chat.texts("/plan")[0]
    assert plan.index("Report it now") < plan.index("Vary your routes")
    assert "999" in plan and "101" in plan and "0808 802 0300" in plan
