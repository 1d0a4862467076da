"""The risk self-check (S-DASH topics): the rules that turn answers into advice, and the
safety plan's steps.

Pure functions (``assess``, ``plan_steps``), so that every combination that changes the
advice can be tested without Rasa; the questions are asked by ``nlu/actions/risk.py`` and
the plan is drawn by the bot.  Copy lives in ``data/risk.yml``.  This is not a police
risk assessment and never says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from guidance.copy import data_file

RISK_SLOTS = ("risk_frightened", "risk_history", "risk_property", "risk_visits", "risk_loitering",
              "risk_threats", "risk_third_parties", "risk_violence", "risk_helpers",
              "risk_substances", "risk_violent_past")
# Answers that on their own mean "report it now".
URGENT = ("risk_threats", "risk_violence", "risk_visits")
SEVERAL = 3  # this many "yes" answers or more: report and ask about an SPO
SKIPPED = "skipped"


def risk_copy() -> dict[str, Any]:
    """``data/risk.yml``: the questions, the results and the safety plan's words."""
    return data_file("risk")


@dataclass(frozen=True)
class Assessment:
    level: str  # "report_now", "report_spo" or "keep_log"
    yes_count: int
    urgent_reasons: tuple[str, ...]


def assess(answers: dict[str, Optional[str]]) -> Assessment:
    """Escalation by the answers: threats, violence or frequent visits mean report now;
    several yes answers mean report and ask about an SPO; fewer, keep the log and call
    the helpline.  "Don't know" and skipped answers never lower the advice."""
    yes = [slot for slot in RISK_SLOTS if answers.get(slot) == "yes"]
    urgent = tuple(slot for slot in URGENT if slot in yes)
    if urgent:
        level = "report_now"
    elif len(yes) >= SEVERAL:
        level = "report_spo"
    else:
        level = "keep_log"
    return Assessment(level, len(yes), urgent)


def plan_steps(four: Optional[dict[str, Any]], risk: Optional[dict[str, Any]], log_count: int) -> list[str]:
    """The safety-plan steps that fit what we know, most urgent first."""
    four = four or {}
    risk = risk or {}
    behaviours = set(four.get("behaviours") or [])
    steps: list[str] = []
    if risk and assess(risk).level == "report_now":
        steps.append("report_now")
    if "following" in behaviours:
        steps.append("routes")
    if ("turning_up" in behaviours or risk.get("risk_visits") == "yes"
            or risk.get("risk_loitering") == "yes" or risk.get("risk_property") == "yes"):
        steps.append("home")
    if "monitoring" in behaviours:
        steps.append("online")
    steps += ["tell", "record", "report", "helpline"]
    return steps
