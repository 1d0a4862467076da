"""A form that waits (paused by an alert or "hold on") is never forgotten by a typed answer.

After the safety guard's alert, a form waits behind "▶️ Carry on where we were" and
"⏹ Stop".  Someone who was in the middle of a note often just types on: "skip",
"no", "photos of him by the car".  Read as a new conversation, those got the main
menu or a generic line and the note was out of sight.  While a form waits, this
policy sends such a message to ``action_pause_form``, which says the form is
waiting, with the same buttons (and, in a note, "Keep my message in the note" for
these words), so nothing is lost and nothing is saved without a choice.

Only the intents an answer is read as (``answer_intents``) are taken, and, while a note
waits, a typed request to check (``note_account_intents``: an account of what happened
reads like one) or a question intent for words not in question form ("my friend sarah saw
it all"); carry on,
stop, keep, a question, a command or a request (check, notes, forget...) go to the
rules as before.  Rasa's rules cannot say "any of these intents while a form
waits" without one rule per intent and form; a policy says it once.  Its priority
is above the RulePolicy's (6), and it predicts only right after such a message
(and ``action_listen`` after the action it chose), otherwise nothing.

When a form has just ended and the bot offered the one waiting behind it ("Carry on
with it now?"), a "yes" carries on instead (``action_resume_form``, which asks for the
form next).
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

PAUSE_ACTION = "action_pause_form"
RESUME_ACTION = "action_resume_form"
WAITING_SLOT = "paused_form"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT],
                          is_trainable=False)
class WaitingFormPolicy(Policy):
    """While a form waits, an answer-like message gets the form's "carry on / stop" again."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,
            "answer_intents": ["affirm", "deny", "unsure", "explain", "emergency", "not_in_danger"],
            # While a note waits, a typed message read as one of these is most often more of
            # the account ("he was shouting my name through the letterbox" reads as "check
            # what is happening to me"): action_pause_form keeps it with the note's words if it
            # tells what happened, and otherwise offers that request as a button.  Before, the
            # check started on top of the waiting note.
            "note_account_intents": ["start_check"],
            # The actions that end a form and offer the one waiting behind it ("The check is
            # still waiting with your answers. Carry on with it now?", domain_copy.offer_waiting):
            # a "yes" right after one of them carries on.
            "offer_after": ["action_save_note", "action_four_summary", "action_risk_result",
                            "action_update_note"],
        }

    def _just_offered(self, tracker: DialogueStateTracker) -> bool:
        """The bot's last turn ended a form and offered the waiting one (the actions
        between the previous message and this one)."""
        current = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                if current:
                    return False
                current = True
            elif current and isinstance(event, ActionExecuted) \
                    and event.action_name in self.config["offer_after"]:
                return True
        return False

    @staticmethod
    def _statement_read_as_a_question(typed: str, intent: Optional[str],
                                      tracker: DialogueStateTracker) -> bool:
        """"my friend sarah saw it all" typed while a note waits, read as "how do I help a friend":
        a question intent for words that are not in question form: more of the account."""
        from nlu.actions import forms  # the actions' reading of a question (data/form_reading.yml)

        if not intent or not (intent in forms.question_intents() or intent == "faq"):
            return False
        confidence = float((tracker.latest_message.intent or {}).get("confidence") or 0.0) \
            if tracker.latest_message else 0.0
        return not forms.is_question(typed, intent, confidence)

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[dict[str, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = tracker.latest_action_name
        if tracker.active_loop_name or not tracker.get_slot(WAITING_SLOT):
            return self._prediction(probabilities)
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        typed = str((tracker.latest_message.text if tracker.latest_message else None) or "")
        note_waits = tracker.get_slot(WAITING_SLOT) == "note_form" and not typed.startswith("/")
        account = note_waits and (intent in self.config["note_account_intents"]
                                  or self._statement_read_as_a_question(typed, intent, tracker))
        if intent not in self.config["answer_intents"] and not account:
            return self._prediction(probabilities)
        if action == ACTION_LISTEN_NAME and intent == "affirm" and self._just_offered(tracker):
            # "yes" to "Carry on with it now?": carry on (the form follows, FollowupAction)
            probabilities[domain.index_for_action(RESUME_ACTION)] = 1.0
        elif action == ACTION_LISTEN_NAME:  # such a message: the form's buttons again
            probabilities[domain.index_for_action(PAUSE_ACTION)] = 1.0
        elif action == PAUSE_ACTION:  # and then wait for the person (this policy's choice ran)
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
