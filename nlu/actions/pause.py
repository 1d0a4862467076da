"""Pausing a form for danger or a crisis, and carrying on where it stopped.

The bot's safety guard answers a danger or crisis message itself (it works with
Rasa down) and then sends "/pause" with ``{"via_guard": true, "route": ...,
"text": ...}`` as metadata.  Here the form in progress is paused: it is
deactivated with every answer kept, and the step and the words that paused it are
remembered.  Nothing else is asked in that turn: with the guard's alert, the only
thing sent back is ``{"pause": {"buttons": [...]}}``, which the bot attaches to
its alert ("Carry on where we were", "Stop", and in a note "Keep my message in
the note").  The guard's message is never stored as an answer unless the person
presses "Keep my message in the note".

"Carry on" (a button or in words) starts the paused form again: it asks the first
step still empty, which is the step it stopped at, with every earlier answer
intact.  "Stop" leaves it as the form's own "stop" would.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance import copy
from guidance.risk import RISK_SLOTS
from nlu.actions import domain_copy, forms
from nlu.actions.check import CHECK_SLOTS
from nlu.actions.domain_copy import PAUSE_SLOTS
from nlu.actions.edit import diary_copy
from nlu.actions.faq import an_account
from nlu.actions.note import MAX_FIELD_CHARS, NOTE_SLOTS, SKIP_WORDS, TEXT_SLOTS, field_label
from nlu.actions.note_form import ACCOUNT_SLOT, WHEN_SLOT
from nlu.components.topics import FALLBACK

FORMS = ("four_check_form", "note_form", "risk_form", "edit_note_form")
FORM_SLOTS = {
    "four_check_form": tuple(s for s in CHECK_SLOTS if s != "check_done"),
    "note_form": (*NOTE_SLOTS, "note_confirm"),
    "risk_form": RISK_SLOTS,
    "edit_note_form": ("edit_note_id", "edit_field", "edit_value"),  # nlu/actions/edit.py
}
# Note steps whose answer is free text: the paused words can be kept there.
KEEPABLE = TEXT_SLOTS
STOPPED = {"four_check_form": "utter_check_stopped", "risk_form": "utter_risk_stopped"}


def _guard_metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if metadata.get("via_guard") else {}


def kept_words(before: str, typed: str) -> tuple[str, bool]:
    """The words to keep for the note's step after ``typed``, and whether ``typed`` fitted.

    Someone who types on while a note waits is usually still answering its step ("he was
    banging on the door", then "my neighbour heard it"): every message of substance is
    kept, in order, one per line, never one in place of another.  A message the same as
    one already kept is not kept twice; one that would take the step over its length
    (``limits.text_chars`` of data/note.yml) is not kept, and the reply says so.
    """
    if not before:
        return typed[:MAX_FIELD_CHARS], len(typed) <= MAX_FIELD_CHARS
    if typed in before.split("\n"):
        return before, True
    joined = f"{before}\n{typed}"
    return (joined, True) if len(joined) <= MAX_FIELD_CHARS else (before, False)


def keep_step(tracker: Tracker, step: Optional[str], words: str) -> Optional[str]:
    """The note step the paused words may be kept in: the step that was asked, when its
    answer is free text; at the time step, an account of someone ("he followed me home from
    the bus stop again") goes to what happened while that is still empty, as it does there
    without an alert (nlu/actions/note_form.py); otherwise none."""
    if step in KEEPABLE:
        return step
    if step == WHEN_SLOT and ACCOUNT_SLOT in KEEPABLE and words and not tracker.get_slot(ACCOUNT_SLOT) \
            and forms.tells_of_someone(words):
        return ACCOUNT_SLOT
    return None


def pause_buttons(form: str, keep: bool) -> list[dict[str, Any]]:
    buttons = copy.buttons("safety_pause")
    if keep and form == "note_form":
        buttons[1:1] = copy.buttons("safety_pause_keep")
    return buttons


class ActionPauseForm(Action):
    """Pause the form in progress (answers kept) and offer to carry on or stop."""

    def name(self) -> str:
        return "action_pause_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        guard = _guard_metadata(tracker)
        # The person typed a command (/note, /check, ...) in the middle of a form: the
        # bot pauses the form first, so the command runs and nothing typed so far is lost.
        switch = bool(((tracker.latest_message or {}).get("metadata") or {}).get("switch"))
        active: Optional[str] = (tracker.active_loop or {}).get("name")
        events: list[EventType] = []
        command = str(((tracker.latest_message or {}).get("metadata") or {}).get("command") or "")
        target = forms.FORM_OF_START.get(command.lstrip("/"))
        if switch and target and active in FORMS and target in (active, tracker.get_slot("paused_form")):
            # The command of the form in progress (/note in a note), or of the one waiting behind
            # it: nothing is paused and nothing started afresh, which would throw answers away
            # (there is one place for a waiting form).  The bot sends "/resume" instead of the
            # command: the form in progress asks its step again (PauseFirst says which form
            # waits).  ActiveLoop lifts the rejection the "/pause" caused.
            step = tracker.get_slot("requested_slot")
            carry_on = {"carry_on": True, "same_form": target == active}
            dispatcher.utter_message(json_message={"pause": carry_on})
            return [*([SlotSet(step, None)] if step else []), ActiveLoop(active),
                    FollowupAction("action_listen")]
        if active in FORMS:
            step = tracker.get_slot("requested_slot")
            # The step's slot was just filled from this message's text (Rasa extracts
            # slots before the form runs): empty it, so the words are not an answer.
            events = [SlotSet(step, None)] if step else []
            events += [ActiveLoop(None), SlotSet("requested_slot", None),
                      SlotSet("paused_form", active), SlotSet("paused_slot", step),
                      SlotSet("paused_text", None)]
            form, paused_step = active, step
        else:  # nothing in progress, or a form already waiting (a second alert)
            form, paused_step = tracker.get_slot("paused_form"), tracker.get_slot("paused_slot")
            events = [ActiveLoop(None), SlotSet("paused_form", form)]
        words = str(guard.get("text") or "")[:MAX_FIELD_CHARS]
        # A form already waits and the person typed on, as if answering its step
        # (nlu/components/waiting_policy.py): the words may be kept in the note too.
        typed = str((tracker.latest_message or {}).get("text") or "")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        # "hold on" again while the form waits is a pause, not an answer to keep.
        waiting = not guard and not switch and intent != "pause" and active not in FORMS \
            and form in FORMS
        _, _, confidence = forms.latest(tracker)
        # words a waiting note already keeps (the alert's, or those typed since): "Keep" stays on offer
        kept = form == "note_form" and bool(tracker.get_slot("paused_text"))
        if waiting and intent == "not_in_danger":
            # "no sorry hes gone now" after an alert, with a form waiting: glad, and the form's
            # buttons (before: the main menu, and the waiting note out of sight); not kept in a note
            text = copy.text("form_waiting_safe", form=domain_copy.form_name(form, capital=True))
            dispatcher.utter_message(text=text, buttons=pause_buttons(form, kept))
            return events
        # ("is it stalking if hes my ex?" may read as "check what is happening to me": while a
        # note waits it comes here too, nlu/components/waiting_policy.py, and is a question.)
        if waiting and (intent == FALLBACK or intent in forms.FORM_OF_START) \
                and forms.is_question(typed, intent, confidence):
            # A question the NLU can't place while a form waits: the likeliest topics (answered
            # in passing, the form still waiting) beside the form's buttons; never kept in a note.
            offered = forms.passing_offers(tracker)
            if offered:
                text = copy.text("form_waiting_did_you_mean", form=domain_copy.form_name(form, capital=True))
                dispatcher.utter_message(text=text, buttons=offered + pause_buttons(form, kept))
                return events
        if waiting and intent in forms.FORM_OF_START and not typed.startswith("/") \
                and not an_account(tracker):
            # "check the warning signs" typed while the note waits (nlu/components/waiting_policy.py):
            # the request as a button, the note's buttons with it; nothing is kept.
            request = (copy.entry("other_request").get("custom") or {}).get(intent) or {}
            text = copy.text("form_waiting_request", form=domain_copy.form_name(form))
            offered = [{"title": str(request["title"]), "payload": str(request["payload"])}
                       ] if request else []
            dispatcher.utter_message(text=text, buttons=offered + pause_buttons(form, kept))
            return events
        fitted = True
        if waiting and typed and not typed.startswith("/") and forms.read_answer(typed) is None \
                and not SKIP_WORDS.match(typed):  # words of substance; "skip", "no" are not kept
            before = str(tracker.get_slot("paused_text") or "") if form == "note_form" else ""
            words, fitted = kept_words(before, typed)
        target = keep_step(tracker, paused_step, words) if form == "note_form" else None
        keep = bool((guard or waiting) and words and target)
        if keep:
            events.append(SlotSet("paused_text", words))
        elif active is None:
            keep = kept
        if switch and active not in FORMS:
            return events  # nothing in progress to put on hold: the command simply runs
        if form not in FORMS:
            if not guard:  # "hold on" with nothing in progress
                domain_copy.utter(dispatcher, "pause_nothing")
            return events
        buttons = pause_buttons(form, keep)
        if guard:
            # The bot has already sent the alert: these buttons join it, nothing else.
            dispatcher.utter_message(json_message={"pause": {"buttons": buttons}})
        elif waiting and keep and target:
            # What they typed is kept for the step, and the reply says where it would go.
            name = "form_waiting_kept" if fitted else "form_waiting_kept_full"
            field = field_label(str(target))
            text = copy.text(name, form=domain_copy.form_name(form), field=field)
            dispatcher.utter_message(text=text, buttons=buttons)
        else:
            text = copy.text("form_waiting" if waiting else "safety_pause", form=domain_copy.form_name(form))
            dispatcher.utter_message(text=text, buttons=buttons)
        return events


class ActionResumeForm(Action):
    """Carry on: clear the pause (the rule then starts the form again at its step)."""

    def name(self) -> str:
        return "action_resume_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        form = tracker.get_slot("paused_form")
        events: list[EventType] = [SlotSet(slot, None) for slot in PAUSE_SLOTS]
        if form not in FORMS:
            domain_copy.utter(dispatcher, "nothing_paused")
            return events
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        step, words = tracker.get_slot("paused_slot"), tracker.get_slot("paused_text")
        if intent == "keep_in_note" and form != "note_form":
            domain_copy.utter(dispatcher, "nothing_paused")
            return events
        target = keep_step(tracker, step, str(words or ""))
        if intent == "keep_in_note" and target and words:
            events.append(SlotSet(target, str(words)[:MAX_FIELD_CHARS]))
        dispatcher.utter_message(text=copy.text("back_to_form"))
        if intent == "keep_in_note" and target and words and target != step:
            # kept for a later step than the one asked again (the time's): say where it went
            dispatcher.utter_message(text=copy.text("note_account_kept_for_later", field=field_label(target)))
        if intent == "affirm":  # "yes" to "carry on with it now?" (WaitingFormPolicy): no rule
            events.append(FollowupAction(form))  # names the form, so it is asked for here
        return events


class ActionStopPaused(Action):
    """Stop the paused form: its answers are dropped, as the form's own "stop" does."""

    def name(self) -> str:
        return "action_stop_paused"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        form = tracker.get_slot("paused_form")
        events: list[EventType] = [SlotSet(slot, None) for slot in PAUSE_SLOTS]
        if form in STOPPED:
            dispatcher.utter_message(response=STOPPED[form])
        elif form == "note_form":
            domain_copy.utter(dispatcher, "note_stopped")
        elif form == "edit_note_form":
            dispatcher.utter_message(text=diary_copy("edit_cancelled"))
        else:
            domain_copy.utter(dispatcher, "nothing_paused")
        events += [SlotSet(slot, None) for slot in FORM_SLOTS.get(form or "", ())]
        return events

