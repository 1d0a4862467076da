"""One ranking of answerable topics from a parse (pure Python; no Rasa import).

Every question the bot answers is one retrieval intent, ``faq``: the intent
classifier decides "a question" (against yes/no, the diary's commands, ...) and the
ResponseSelector ranks the knowledge base's topics inside it (``faq/clares_law``,
``faq/reporting``, ...).  In :func:`topic_ranking` a topic's probability is p(faq) x p(key |
faq); any other intent keeps the classifier's confidence.  Used by the honesty gate
(:mod:`nlu.components.topic_gate`) to decide whether to answer, and by
``action_did_you_mean`` for its buttons.

The leaflet's topics keep the answer, and the behaviour, their question intent had
(``ask_report`` asks where the person is, ``ask_safety_advice`` shows the safety
menu): :data:`ROUTES` names, for each such topic, the intent its buttons send and the
response or action that answers it (the intent's rule in data/rules/).
"""
from __future__ import annotations

from typing import Any, Optional

RETRIEVAL = "faq"
FALLBACK = "nlu_fallback"
# An account of what is happening ("he keeps following me home"): the warning-signs check.
ACCOUNT_INTENTS = frozenset({"start_check"})
# What the check itself answers ("is this stalking?"): a question about these, asked inside an
# account, is left to the check (nlu.components.topic_gate).
CHECK_TOPICS = frozenset({"what_is_stalking", "four_signs", "behaviours"})
# Topics about someone else's stalking (a friend's, a child's): an account asked about inside one
# ("my friend is being stalked by her ex, how can i help her") is not the person's own, so the
# check of "what is happening to me" and the note for their log are not offered after it.
ABOUT_SOMEONE_ELSE = frozenset({"helping_someone", "helping_a_child"})
# The entity that marks a question answered out of an account (action_faq offers the check after it).
ASKED_IN_ACCOUNT = "asked_in_account"
# The topics whose "more" is the rest of the text of the person's place (data/facts.yml), and the
# key of that text: the others' "more" is in data/faq_copy.yml.
WHERE_MORE = {"reporting": "report", "law": "law"}

# topic -> (the intent its buttons send, the response or action that answers it)
ROUTES: dict[str, tuple[str, str]] = {
    "what_is_stalking": ("ask_what_is_stalking", "utter_what_is_stalking"),
    "four_signs": ("ask_four_signs", "utter_four_signs"),
    "behaviours": ("ask_behaviours", "utter_behaviours"),
    "anyone_can_be_stalked": ("ask_anyone", "utter_anyone"),
    "romcom": ("ask_romcom", "utter_romcom"),
    "law": ("ask_law", "action_law"),
    "stalking_protection_order": ("ask_spo", "utter_spo"),
    "what_to_do": ("ask_safety_advice", "action_safety_advice"),
    "reporting": ("ask_report", "action_report"),
    "evidence_log": ("ask_record", "utter_record"),
    "routines": ("ask_routines", "utter_routines"),
    "online_safety": ("ask_online_safety", "utter_online_safety"),
    "helplines": ("ask_signposts", "utter_signposts"),
    "telling_someone": ("ask_tell_someone", "utter_tell_someone"),
    "helping_someone": ("ask_friend", "utter_friend"),
}
# the other way: a button's intent -> its topic
TOPIC_OF_INTENT = {intent: topic for topic, (intent, _) in ROUTES.items()}


def is_question(name: str) -> bool:
    return name.startswith("ask_") or name == RETRIEVAL or name.startswith(RETRIEVAL + "/")


def selected_topic(parse: dict[str, Any]) -> Optional[str]:
    """The knowledge-base topic the ResponseSelector chose for a ``faq`` parse ("clares_law")."""
    if str((parse.get("intent") or {}).get("name") or "") != RETRIEVAL:
        return None
    selector = parse.get("response_selector") or {}
    chosen = ((selector.get(RETRIEVAL) or selector.get("default") or {}).get("response") or {})
    key = str(chosen.get("intent_response_key") or "")
    return key.split("/", 1)[1] if key.startswith(RETRIEVAL + "/") else None


def selector_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """(knowledge-base key, p(key | a question)) as the topic selector ranked them, best first."""
    selector = ((parse.get("response_selector") or {}).get(RETRIEVAL)
                or (parse.get("response_selector") or {}).get("default") or {})
    return [(str(r.get("intent_response_key")), float(r.get("confidence") or 0.0))
            for r in selector.get("ranking") or [] if r.get("intent_response_key")]


def topic_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """(label, probability) of every knowledge-base key and other intent, best first.

    A button intent of a routed topic (``ask_report``) counts as its topic
    (``faq/reporting``), so the two never split one answer's probability.
    """
    keys = selector_ranking(parse)
    scores: dict[str, float] = {}
    for entry in parse.get("intent_ranking") or []:
        name, p = str(entry.get("name")), float(entry.get("confidence") or 0.0)
        if name == RETRIEVAL:
            for key, q in keys:
                scores[key] = scores.get(key, 0.0) + p * q
        elif name != FALLBACK:
            label = f"{RETRIEVAL}/{TOPIC_OF_INTENT[name]}" if name in TOPIC_OF_INTENT else name
            scores[label] = scores.get(label, 0.0) + p
    return sorted(scores.items(), key=lambda x: -x[1])


def gate_reading(parse: dict[str, Any]) -> Optional[tuple[str, float, float]]:
    """What the honesty gate weighs for a question: (best label, its probability, the
    second's), or None when there is nothing to rank.

    For a knowledge-base question (the classifier's best guess is ``faq``) that is the topic
    selector's own ranking, p(topic | a question): whether the message is a question at all
    is the classifier's and Rasa's FallbackClassifier's to say, and multiplying the two
    (p(faq) x p(topic), as before) held back an answer the selector was sure of whenever the
    classifier split its vote with another intent.  On five folds of the training data it
    answered more questions right and fewer wrong (docs/nlu-evaluation.md, "The gate weighs
    the topic alone").  For the other question intents (``ask_about_bot``, ...) it is the one
    ranking of every answerable topic (:func:`topic_ranking`), as before.
    """
    intent = str((parse.get("intent") or {}).get("name") or "")
    ranked = selector_ranking(parse) if intent == RETRIEVAL else topic_ranking(parse)
    if not ranked:
        return None
    return ranked[0][0], ranked[0][1], ranked[1][1] if len(ranked) > 1 else 0.0
