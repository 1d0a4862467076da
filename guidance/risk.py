"""The risk self-check (S-DASH topics): the rules that turn answers into advice, and the
safety plan's steps.

Pure functions (``assess``, ``plan_steps``, ``safety_plan``, ``plan_text``), so that every
combination that changes the advice or the plan's words can be tested without Rasa or a
database; the questions are asked by ``nlu/actions/risk.py``, and the bot reads the answers
from its store and shows what these build.  Contacts (``[[emergency]]``) are left for the
bot to fill.  Copy lives in ``data/risk.yml``.  This is not a police
risk assessment and never says so.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

from guidance.advice import plan_report_text
from guidance.copy import counted, data_file, fill

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


# -- the safety plan's words ------------------------------------------------------------
@dataclass(frozen=True)
class PlanStep:
    key: str  # data/risk.yml plan: steps
    title: str
    text: str
    done: bool


def speaks_of_spo(four: Optional[dict[str, Any]], risk: Optional[dict[str, Any]]) -> bool:
    """Whether "report it" asks about a Stalking Protection Order: several yes answers or
    "report now", or nothing known yet (the plan then covers every case)."""
    several = assess(risk).level in ("report_now", "report_spo") if risk else False
    return several or not (four or risk)


def step_words(key: str, log_count: int, spo: bool, place: Optional[str] = None) -> tuple[str, str]:
    """The title and text of step ``key``; ``place``: where the person is, when they told us."""
    plan = risk_copy()["plan"]
    step = plan["steps"][key]
    spo_line = str(plan["spo_line"]) if spo else ""
    log_line = fill(plan["log_line"], count=counted(log_count, plan["log_units"])) if log_count else ""
    text = fill(step["text"], log=log_line, spo=spo_line)
    where = plan_report_text(place)  # the place's own route, when the person told us
    if where and key == "report":
        text = where + spo_line
    elif where and key == "report_now":
        text = fill(plan["report_now_where"], route=where)
    return str(step["title"]), text


def safety_plan(four: Optional[dict[str, Any]], risk: Optional[dict[str, Any]], done: Iterable[str],
                log_count: int, place: Optional[str] = None) -> list[PlanStep]:
    """The plan's steps, most urgent first, with their words and whether each is ticked."""
    done = set(done)
    spo = speaks_of_spo(four, risk)
    return [PlanStep(key, *step_words(key, log_count, spo, place), done=key in done)
            for key in plan_steps(four, risk, log_count)]


def plan_text(steps: list[PlanStep], both_checks_done: bool) -> str:
    """The plan as one message: the header, a hint while a check is missing, the numbered steps."""
    plan = risk_copy()["plan"]
    lines = [str(plan["header"])]
    if not both_checks_done:
        lines.append(str(plan["empty_hint"]))
    for number, step in enumerate(steps, start=1):
        mark = plan["done_mark"] if step.done else plan["todo_mark"]
        lines.append(f"\n{mark} {number}. {step.title}\n{step.text}")
    return "\n".join(lines)


def tick_label(step: PlanStep) -> str:
    """The button that ticks a step, or unticks it: "Done: <title>" / "Not done: <title>"."""
    plan = risk_copy()["plan"]
    return fill(plan["mark_undo"] if step.done else plan["mark_done"], title=step.title)


def is_plan_step(key: str) -> bool:
    return key in risk_copy()["plan"]["steps"]
