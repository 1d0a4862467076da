"""A form that waits (paused by an alert or "hold on") is never forgotten by a typed answer.

After the safety guard's alert, a form waits behind "▶️ Carry on where we were" and
"⏹ Stop".  Someone who was in the middle of a note often just types on: "skip",
"no", "photos of him by the car".  Read as a new conversation, those got the main
menu or a generic line and the note was out of sight.  While a form waits, this
policy sends such a message to ``action_pause_form``, which says the form is
waiting, with the same buttons (and, in a note, "Keep my message in the note" for
these words), so nothing is lost and nothing is saved without a choice.

Only the intents an answer is read as (``answer_intents``) are taken; carry on,
stop, keep, a question, a command or a request (check, notes, forget...) go to the
rules as before.  Rasa's rules cannot say "any of these intents while a form
waits" without one rule per intent and form; a policy says it once.  Its priority
is above the RulePolicy's (6), and it predicts only right after such a message
(and ``action_listen`` after the action it chose), otherwise nothing.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

PAUSE_ACTION = "action_pause_form"
WAITING_SLOT = "paused_form"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT],
                          is_trainable=False)
class WaitingFormPolicy(Policy):
    """While a form waits, an answer-like message gets the form's "carry on / stop" again."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,
            "answer_intents": ["affirm", "deny", "unsure", "explain", "emergency"],
        }

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
        if intent not in self.config["answer_intents"]:
            return self._prediction(probabilities)
        if action == ACTION_LISTEN_NAME:  # such a message: the form's buttons again
            probabilities[domain.index_for_action(PAUSE_ACTION)] = 1.0
        elif action == PAUSE_ACTION:  # and then wait for the person (this policy's choice ran)
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)
