"""One ranking of answerable topics from a parse (pure Python; no Rasa import).

The intent classifier ranks intents, one of which is the retrieval intent ``faq``;
the ResponseSelector ranks the knowledge base's topics inside it.  A question's
candidate answers are the question intents (``ask_law`` ...) with the intent's
confidence and the retrieval keys (``faq/clares_law`` ...) with
p(faq) x p(key | faq).  Used by the honesty gate (:mod:`nlu.components.topic_gate`)
to decide whether to answer, and by ``action_did_you_mean`` for its buttons.
"""
from __future__ import annotations

from typing import Any

RETRIEVAL = "faq"
FALLBACK = "nlu_fallback"


def is_question(name: str) -> bool:
    return name.startswith("ask_") or name == RETRIEVAL or name.startswith(RETRIEVAL + "/")


def topic_ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """(label, probability) of every question intent and knowledge-base key, best first."""
    selector = ((parse.get("response_selector") or {}).get(RETRIEVAL)
                or (parse.get("response_selector") or {}).get("default") or {})
    keys = [(str(r.get("intent_response_key")), float(r.get("confidence") or 0.0))
            for r in selector.get("ranking") or [] if r.get("intent_response_key")]
    out: list[tuple[str, float]] = []
    for entry in parse.get("intent_ranking") or []:
        name, p = str(entry.get("name")), float(entry.get("confidence") or 0.0)
        if name == RETRIEVAL:
            out.extend((key, p * q) for key, q in keys)
        elif name != FALLBACK:
            out.append((name, p))
    return sorted(out, key=lambda x: -x[1])
