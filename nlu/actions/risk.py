"""The risk self-check (S-DASH topics) as a Rasa form: the questions, the answers read as a
person means them, and the result.

The escalation rules are :mod:`guidance.risk` (pure, tested over every combination); copy
lives in ``data/risk.yml``.  This is not a police risk assessment and never says so.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.copy import fill
from guidance.risk import RISK_SLOTS, SKIPPED, assess, risk_copy
from nlu.actions import domain_copy, forms
from nlu.actions.answers import INTENT_ANSWERS, is_payload


def _latest(tracker: Tracker) -> tuple[str, Optional[str], float]:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return str(message.get("text") or ""), intent.get("name"), float(intent.get("confidence") or 0.0)


# "why do you need to know", "why are you asking me this": a short "why" the knowledge base can't place
WHY_WORDS = 7
ABOUT_ASKING = frozenset("you u ask asking asked need needed matter matters important question questions"
                         .split())


def asks_why_asked(cleaned: str) -> bool:
    """A short question that starts with "why" and is about the asking ("why do you need to know",
    "why are you asking me this"): at a step of the self-check it asks why the step asks (before,
    only "why", "why do you ask" and "why is that" did; "why do you need to know" got "I'm not sure
    which question that is", "why are you asking me this" what the bot is).  One about him ("why
    would he do this") is a question like any other."""
    words = cleaned.replace("?", " ").rstrip("!. ").split()
    if not words or words[0] not in ("why", "y", "whys") or len(words) > WHY_WORDS:
        return False
    # about the asking ("you", "need", "matter"), not about him ("why would he do this")
    about_asking = len(words) == 1 or words[1:] == ["is", "that"] or bool(ABOUT_ASKING & set(words[1:]))
    return about_asking


class ActionResetRisk(Action):
    def name(self) -> str:
        return "action_reset_risk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return [SlotSet(slot, None) for slot in RISK_SLOTS] + domain_copy.clear_pause_of(
            tracker, "risk_form")


class ValidateRiskForm(domain_copy.PauseFirst, forms.StopFirst, FormValidationAction):
    """Yes / no / don't know / skip, with "why?" explained and questions answered."""

    def name(self) -> str:
        return "validate_risk_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict[str, Any]) -> list[str]:
        return list(RISK_SLOTS)

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value in ("yes", "no", "unknown", SKIPPED):
            return {slot: value}
        text, intent, confidence = _latest(tracker)
        cleaned = text.strip().lower()
        if cleaned in ("skip", "pass", "next", "skip it", "rather not say"):
            return {slot: SKIPPED}
        if is_payload(text):
            answer = INTENT_ANSWERS.get(intent or "")
            if answer:
                return {slot: "unknown" if answer == "unsure" else answer}
        corrected = self._correction(slot, text, dispatcher)
        if corrected:
            return corrected
        if intent == "explain" or asks_why_asked(cleaned):
            dispatcher.utter_message(text=risk_copy()["questions"][slot]["why"])
            return {slot: None}
        said = None if is_payload(text) else forms.read_answer(text)
        question = forms.is_question(text, intent, confidence)
        if said is None and not question and confidence >= 0.5 and not forms.only_acknowledges(text):
            said = INTENT_ANSWERS.get(intent or "")
        if said:
            return {slot: "unknown" if said == "unsure" else said}
        if question or forms.about_a_topic(intent, confidence):
            forms.answer_question(dispatcher, tracker, domain, risk_copy()["back"])
            return {slot: None}
        if intent == "emergency":  # Rasa reads danger where the guard did not: 999 first
            dispatcher.utter_message(text=copy.text("danger_reminder"))
        place = forms.told_where(dispatcher, tracker, intent)  # "im in manchester": kept, said back
        if place:
            return {slot: None, "where_person": place}
        if not forms.offer_other_request(dispatcher, tracker, intent, confidence):
            forms.not_understood(dispatcher, tracker, str(risk_copy()["not_understood"]))
        return {slot: None}

    @staticmethod
    def _correction(slot: str, text: str, dispatcher: CollectingDispatcher) -> Optional[dict[str, Any]]:
        """"sorry, the last one should be a no": that earlier answer changed and confirmed."""
        body = forms.correction_body(text)
        if body is None:
            return None
        target = forms.referenced_step(body, list(RISK_SLOTS), slot)
        answer = forms.last_answer(body) if target else None
        if target is None or answer is None:
            return None
        value = "unknown" if answer == "unsure" else answer
        number = RISK_SLOTS.index(target) + 1
        shown = copy.entry("form_answer_names")["custom"][value]
        dispatcher.utter_message(text=copy.text(
            "form_corrected", question=fill(risk_copy()["progress"], number=number), answer=shown))
        return {target: value, slot: None}


def _make_validate(slot: str) -> Any:
    async def validate(self: ValidateRiskForm, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate(slot, value, dispatcher, tracker, domain)

    return validate


for _slot in RISK_SLOTS:
    setattr(ValidateRiskForm, f"validate_{_slot}", _make_validate(_slot))


def _make_ask(slot: str, number: int) -> type:
    class ActionAskRisk(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> list[EventType]:
            words = risk_copy()
            progress = fill(words["progress"], number=number)
            dispatcher.utter_message(text=f"{progress}\n{words['questions'][slot]['text']}",
                                     buttons=words["buttons"])
            return []

    ActionAskRisk.__name__ = f"ActionAsk{slot.title().replace('_', '')}"
    return ActionAskRisk


ASK_RISK_ACTIONS = [_make_ask(slot, n) for n, slot in enumerate(RISK_SLOTS, start=1)]


class ActionRiskResult(Action):
    """Say what the answers call for, kindly, and keep them (encrypted) with the user's data."""

    def name(self) -> str:
        return "action_risk_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        answers = {slot: tracker.get_slot(slot) for slot in RISK_SLOTS}
        result = assess(answers)
        words = risk_copy()["results"]
        reasons = ", ".join(words["reasons"][r] for r in result.urgent_reasons)
        text = fill(words[result.level], reasons=reasons, count=result.yes_count)
        dispatcher.utter_message(text=text, buttons=words["buttons"])
        dispatcher.utter_message(json_message={"diary": {
            "op": "save_answers", "name": "risk", "value": {**answers, "level": result.level}}})
        domain_copy.offer_waiting(dispatcher, tracker, "risk_form")
        return []


class ActionPlan(Action):
    """Ask the bot for the personal safety plan (it holds the answers and the log)."""

    def name(self) -> str:
        return "action_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        known = tracker.get_slot("where_person")  # else the bot asks once (or knows it already)
        request = {"op": "plan"} if known else {"op": "where", "topic": "plan"}
        dispatcher.utter_message(json_message={"diary": request})
        return []
