"""The FOUR warning-sign check: reset, validation, the behaviours question, the summary."""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from nlu.actions import domain_copy, forms
from nlu.actions.answers import (
    BEHAVIOURS,
    SIGN_SLOTS,
    extract_behaviours,
    interpret_sign,
    is_payload,
    says_done,
    sign_name,
)
from nlu.actions.step_questions import explain_if_about_the_step
from nlu.components.asked_too import asks_too, clauses
from nlu.components.topics import ACCOUNT_INTENTS, CHECK_TOPICS, selector_ranking

CHECK_SLOTS = (*SIGN_SLOTS, "behaviours", "behaviours_done", "check_done")
_BEHAVIOUR_IN_PAYLOAD = re.compile(r'"behaviour"\s*:\s*"(\w+)"')


def _latest(tracker: Tracker) -> tuple[str, Optional[str], float]:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return str(message.get("text") or ""), intent.get("name"), float(intent.get("confidence") or 0.0)


def _restart_requested(text: str) -> bool:
    return text.strip().startswith("/start_check")


def _restart(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    dispatcher.utter_message(text=copy.text("check_restarted"))
    return {slot: None for slot in (*SIGN_SLOTS, "behaviours", "behaviours_done")}


def _answer_aside(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
                  slot: str, text: str, intent: Optional[str], confidence: float) -> bool:
    """Answer "what do you mean?" or a question asked mid-check; True if answered."""
    if intent == "explain":
        dispatcher.utter_message(text=copy.text(f"explain_{slot}"))
        return True
    if slot in SIGN_SLOTS and explain_if_about_the_step(dispatcher, slot, text, intent, confidence):
        return True  # "does blocking him count as telling him to stop?": what the sign means
    if forms.is_question(text, intent, confidence) or forms.about_a_topic(intent, confidence):
        forms.answer_question(dispatcher, tracker, domain, copy.text("back_to_check"))
        return True
    return False


def _correction(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
                text: str) -> Optional[dict[str, Any]]:
    """"wait, actually the first one is a no": the earlier sign it names, changed and
    confirmed; this step is asked again.  None when the message corrects nothing."""
    body = forms.correction_body(text)
    if body is None:
        return None
    names = {s: sign_name(s) for s in SIGN_SLOTS}
    target = forms.referenced_step(body, list(SIGN_SLOTS), slot, names)
    if target is None:
        return None
    answer = forms.last_answer(body) or interpret_sign(target, body, None, 0.0)
    if answer is None:
        return None
    shown = copy.entry("form_answer_names")["custom"][answer]
    dispatcher.utter_message(text=copy.text(
        "form_corrected", question=sign_name(target), answer=shown))
    return {target: answer, slot: None}


# A negation anywhere ("no he doesnt follow me", "he never turns up"): what they do is not read.
_NEGATION = re.compile(r"\b(?:no|not|never|nothing|none|nobody|don'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|"
                       r"won'?t|isn'?t|wasn'?t|aren'?t|weren'?t|stopped|used to)\b")
# ... but a negated stop is the opposite of one ("he won't stop messaging me", "she hasn't
# stopped turning up", "he never lets up"): what they do goes on, and is read.
_GOES_ON = re.compile(r"\b(?:won'?t|will not|wouldn'?t|doesn'?t|does not|don'?t|do not|didn'?t|did not|"
                      r"can'?t|cannot|never|hasn'?t|has not|haven'?t|have not)\s+"
                      r"(?:ever\s+|just\s+|even\s+)?(?:stop|stops|stopped|quit|give up|given up|let up|"
                      r"lets up|leave me alone|leave me be|back off)\b")


# ... and so is one of knowing ("i dont know who", "no idea why"): it says nothing of what they do.
_NOT_KNOWING = re.compile(r"\b(?:don'?t|do not|dont|didn'?t|did not) know\b|\bno idea\b|\bnot sure\b")


def _behaviours_told(text: str, intent: Optional[str], confidence: float) -> list[str]:
    """What they do, told in a sign's step instead of a yes or a no (not a question), read clause
    by clause: a clause with a negation is not read ("he doesnt call but he follows me everywhere"
    is following)."""
    if is_payload(text) or forms.is_question(text, intent, confidence):
        return []
    found: list[str] = []
    for clause, _ in clauses(text):
        plain = _NOT_KNOWING.sub("unsure", _GOES_ON.sub("keeps on", clause.lower()))
        if not _NEGATION.search(plain):
            found += [b for b in extract_behaviours(clause) if b not in found]
    return found


def behaviour_titles() -> dict[str, str]:
    """Behaviour key -> its button title, read from the behaviours question."""
    titles: dict[str, str] = {}
    for button in copy.buttons("ask_behaviours_done"):
        found = _BEHAVIOUR_IN_PAYLOAD.search(str(button.get("payload", "")))
        if found:
            titles[found.group(1)] = str(button["title"])
    return titles


class ActionResetCheck(Action):
    """Clear the answers of an earlier check so /check always starts afresh."""

    def name(self) -> str:
        return "action_reset_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        _asked_too(dispatcher, tracker)
        events: list[EventType] = [SlotSet(slot, None) for slot in CHECK_SLOTS]
        told = _told_at_start(tracker)
        if told:
            # "my ex keeps turning up at my work and texting me": what they do is ticked in the
            # last part, and said so, rather than asked for again after four questions
            titles = behaviour_titles()
            dispatcher.utter_message(text=copy.text("behaviours_noted_at_start",
                                                    chosen="; ".join(titles.get(b, b) for b in told)))
            events.append(SlotSet("behaviours", told))
        return events + domain_copy.clear_pause_of(tracker, "four_check_form")


def _told_at_start(tracker: Tracker) -> list[str]:
    """What they do, in the account that started the check (never a button's payload)."""
    text, intent, confidence = _latest(tracker)
    if intent not in ACCOUNT_INTENTS:
        return []
    told = _behaviours_told(text, intent, confidence)
    return [b for b in BEHAVIOURS if b in told]


def _asked_too(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """An account that starts the check with a question in it the knowledge base can't place
    with confidence ("my ex keeps following me and turning up everywhere, will the police
    believe me"): its likeliest topics offered first, as buttons answered in passing while the
    check goes on (the honesty gate answers one it is sure of instead of starting the check)."""
    from nlu.actions import faq  # faq imports the actions package: not at module load

    text, intent, _ = forms.latest(tracker)
    if intent not in ACCOUNT_INTENTS or not asks_too(text):
        return
    labels = [label for label, p in selector_ranking(tracker.latest_message or {}) if p >= faq.MIN_OFFER]
    known = faq.titles()
    buttons = [{"title": known[label], "payload": faq.payload(label)} for label in labels
               if label in known and label.split("/", 1)[-1] not in CHECK_TOPICS][:faq.MAX_OFFERS]
    if buttons:
        dispatcher.utter_message(text=copy.text("check_asked_too"), buttons=buttons)


class ValidateFourCheckForm(domain_copy.PauseFirst, forms.StopFirst, FormValidationAction):
    """Turns buttons and own-words answers into yes / no / unsure, one sign at a time."""

    def name(self) -> str:
        return "validate_four_check_form"

    def _validate_sign(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value in ("yes", "no", "unsure"):
            return {slot: value}  # cleared by a reset, or already read
        text, intent, confidence = _latest(tracker)
        if _restart_requested(text):
            return _restart(dispatcher)
        corrected = _correction(dispatcher, tracker, slot, text)
        if corrected:
            return corrected
        if intent == "explain":
            _answer_aside(dispatcher, tracker, domain, slot, text, intent, confidence)
            return {slot: None}
        if not forms.starts_with_an_answer(text) and \
                explain_if_about_the_step(dispatcher, slot, text, intent, confidence):
            return {slot: None}  # "what if its only been twice": a question, though "twice" reads as a yes
        answer = interpret_sign(slot, text, None, 0.0) or forms.read_answer(text)
        if answer is None and not forms.is_question(text, intent, confidence) \
                and not forms.only_acknowledges(text):  # "ok" is not a yes to "is he fixated on you?"
            answer = interpret_sign(slot, text, intent, confidence)
        if answer:
            return {slot: answer}
        if intent == "emergency":  # Rasa reads danger where the guard did not: 999 first
            dispatcher.utter_message(text=copy.text("danger_reminder"))
        place = forms.told_where(dispatcher, tracker, intent)  # "im in manchester": kept, said back
        if place:
            return {slot: None, "where_person": place}
        if _answer_aside(dispatcher, tracker, domain, slot, text, intent, confidence):
            return {slot: None}  # a question, or a topic the knowledge base answers ("i found a tracker")
        told = _behaviours_told(text, intent, confidence)
        if told:
            # "hes txting me all the time and turning up at my flat": not a yes or a no, but what
            # they do is kept for the last part (ticked there) and said back; the step again
            chosen = list(tracker.get_slot("behaviours") or [])
            titles = behaviour_titles()
            dispatcher.utter_message(text=copy.text("behaviours_noted_in_sign",
                                                    chosen="; ".join(titles.get(b, b) for b in told)))
            return {slot: None, "behaviours": [b for b in BEHAVIOURS if b in chosen or b in told]}
        if not forms.offer_other_request(dispatcher, tracker, intent, confidence):
            forms.not_understood(dispatcher, tracker, copy.text("not_understood_answer"))
        return {slot: None}

    async def validate_sign_fixated(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate_sign("sign_fixated", value, dispatcher, tracker, domain)

    async def validate_sign_obsessive(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate_sign("sign_obsessive", value, dispatcher, tracker, domain)

    async def validate_sign_unwanted(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate_sign("sign_unwanted", value, dispatcher, tracker, domain)

    async def validate_sign_repeated(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        return self._validate_sign("sign_repeated", value, dispatcher, tracker, domain)

    async def validate_behaviours_done(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None or value == "yes":
            return {"behaviours_done": value}
        text, intent, confidence = _latest(tracker)
        if _restart_requested(text):
            return _restart(dispatcher)
        chosen = list(tracker.get_slot("behaviours") or [])
        picked = [e.get("value") for e in tracker.latest_message.get("entities", [])
                  if e.get("entity") == "behaviour" and e.get("value") in BEHAVIOURS]
        if picked:  # a button: toggle it and ask again
            for key in picked:
                if key in chosen:
                    chosen.remove(key)
                else:
                    chosen.append(key)
            return {"behaviours": [b for b in BEHAVIOURS if b in chosen], "behaviours_done": None}
        if is_payload(text):
            if intent == "deny":
                return {"behaviours": chosen, "behaviours_done": "yes"}
            dispatcher.utter_message(text=copy.text("not_understood_behaviours"))
            return {"behaviours_done": None}
        corrected = _correction(dispatcher, tracker, "behaviours_done", text)
        if corrected:
            return corrected
        if intent == "explain" or forms.is_question(text, intent, confidence):
            _answer_aside(dispatcher, tracker, domain, "behaviours_done", text, intent, confidence)
            return {"behaviours_done": None}
        found = extract_behaviours(text)
        if found:
            merged = [b for b in BEHAVIOURS if b in chosen or b in found]
            return {"behaviours": merged, "behaviours_done": "yes"}
        if says_done(text) or (intent == "deny" and confidence >= 0.5):
            return {"behaviours": chosen, "behaviours_done": "yes"}
        if intent == "thank" and confidence >= 0.5 and chosen:
            # "thanks" after ticking some: they have finished choosing (before: "couldn't match")
            return {"behaviours": chosen, "behaviours_done": "yes"}
        if not _answer_aside(dispatcher, tracker, domain, "behaviours_done", text, intent, confidence) \
                and not forms.offer_other_request(dispatcher, tracker, intent, confidence):
            dispatcher.utter_message(text=copy.text("not_understood_behaviours"))
        return {"behaviours_done": None}


class ActionAskBehavioursDone(Action):
    """Ask which behaviours happened, ticking the ones already chosen."""

    def name(self) -> str:
        return "action_ask_behaviours_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        chosen = list(tracker.get_slot("behaviours") or [])
        if not chosen:
            dispatcher.utter_message(text=copy.text("ask_behaviours_done"),
                                     buttons=copy.buttons("ask_behaviours_done"))
            return []
        titles = behaviour_titles()
        buttons = []
        for button in copy.buttons("ask_behaviours_done"):
            found = _BEHAVIOUR_IN_PAYLOAD.search(str(button.get("payload", "")))
            if not found:
                continue  # "None of these" makes no sense once something is chosen
            mark = "✓ " if found.group(1) in chosen else ""
            buttons.append({"title": f"{mark}{button['title']}", "payload": button["payload"]})
        buttons.extend(copy.buttons("behaviours_chosen"))
        noted = "; ".join(titles.get(b, b) for b in chosen)
        text = copy.text("behaviours_chosen", chosen=noted)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class ActionFourSummary(Action):
    """Say plainly how many of the four signs were answered yes, and what that means."""

    def name(self) -> str:
        return "action_four_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        yes = [sign_name(s) for s in SIGN_SLOTS if tracker.get_slot(s) == "yes"]
        unsure = [sign_name(s) for s in SIGN_SLOTS if tracker.get_slot(s) == "unsure"]
        named = f": {_join(yes)}" if yes else ""
        if unsure:
            named += f" (not sure about {_join(unsure)})"
        titles = behaviour_titles()
        chosen = [titles.get(b, b) for b in (tracker.get_slot("behaviours") or [])]
        behaviour_line = (
            "What you told me has happened: " + "; ".join(t[0].lower() + t[1:] for t in chosen) + "."
            if chosen else "You didn't choose any of the listed behaviours."
        )
        meaning_key = ("summary_meaning_all" if len(yes) == 4
                       else "summary_meaning_some" if yes or unsure
                       else "summary_meaning_none")
        text = copy.text(
            "summary", count=len(yes), named=named, behaviour_line=behaviour_line,
            meaning=copy.text(meaning_key),
        )
        buttons = copy.buttons("summary")
        if len(yes) >= 3:  # offer the risk self-check after a strong pattern
            buttons = copy.buttons("summary_risk") + buttons
        dispatcher.utter_message(text=text, buttons=buttons)
        dispatcher.utter_message(json_message={"diary": {"op": "log_mention"}})
        answers = {slot: tracker.get_slot(slot) for slot in SIGN_SLOTS}
        answers["behaviours"] = list(tracker.get_slot("behaviours") or [])
        dispatcher.utter_message(json_message={"diary": {
            "op": "save_answers", "name": "four", "value": answers}})
        domain_copy.offer_waiting(dispatcher, tracker, "four_check_form")
        return [SlotSet("check_done", True)]


# The form's question for each sign: copy and Yes / No / Not sure buttons.
ASK_SIGN_ACTIONS = [domain_copy.make_ask_action(slot) for slot in SIGN_SLOTS]
