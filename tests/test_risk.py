"""The risk self-check's escalation rules and the personal safety plan's content."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

from guidance.risk import RISK_SLOTS, URGENT, assess, plan_steps

OTHER = [s for s in RISK_SLOTS if s not in URGENT]


@pytest.mark.parametrize("urgent", URGENT)
def test_threats_violence_or_frequent_visits_each_mean_report_now(urgent: str) -> None:
    result = assess({urgent: "yes"})
    assert result.level == "report_now" and result.urgent_reasons == (urgent,)


@pytest.mark.parametrize("yes_count", range(len(OTHER) + 1))
def test_without_urgent_signs_the_count_decides(yes_count: int) -> None:
    for chosen in itertools.combinations(OTHER, yes_count):
        answers = {s: ("yes" if s in chosen else "no") for s in RISK_SLOTS}
        expected = "report_spo" if yes_count >= 3 else "keep_log"
        assert assess(answers).level == expected, chosen


def test_every_combination_of_urgent_signs_reports_now() -> None:
    for n in range(1, len(URGENT) + 1):
        for chosen in itertools.combinations(URGENT, n):
            answers = {s: ("yes" if s in chosen else "no") for s in RISK_SLOTS}
            assert assess(answers).level == "report_now"


@pytest.mark.parametrize("unclear", ["unknown", "skipped", None])
def test_dont_know_and_skipped_never_raise_or_lower_the_advice(unclear: Any) -> None:
    answers = {s: unclear for s in RISK_SLOTS}
    assert assess(answers).level == "keep_log"
    answers.update({"risk_frightened": "yes", "risk_history": "yes", "risk_property": "yes"})
    assert assess(answers).level == "report_spo"


def test_followed_user_with_threats_gets_report_now_then_routes() -> None:
    four = {"sign_fixated": "yes", "behaviours": ["following"]}
    risk = {"risk_threats": "yes"}
    steps = plan_steps(four, risk, log_count=4)
    assert steps[:2] == ["report_now", "routes"]
    assert "online" not in steps and "home" not in steps
    assert steps[-4:] == ["tell", "record", "report", "helpline"]


def test_user_watched_online_gets_online_safety_and_no_urgent_step() -> None:
    steps = plan_steps({"behaviours": ["monitoring", "contacting"]}, {"risk_frightened": "yes"}, 0)
    assert steps[0] == "online" and "report_now" not in steps and "routes" not in steps


def test_user_visited_at_home_gets_home_security() -> None:
    steps = plan_steps({"behaviours": ["turning_up"]}, None, 2)
    assert steps[0] == "home"
    assert plan_steps(None, {"risk_loitering": "yes"}, 0)[0] == "home"


def test_plan_without_any_answers_still_has_the_basics() -> None:
    assert plan_steps(None, None, 0) == ["tell", "record", "report", "helpline"]
