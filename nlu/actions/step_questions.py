"""A question about the step itself, asked at a step of the check (issue 12, forms that read like
a person).

Played as a person: at "Is the contact unwanted: have you made it clear ... For example: you told
them to stop, blocked them ...", "does blocking him count as telling him to stop?" got "I'm not
sure which question that is" with two online-safety topics, and "is ignoring him enough" got
"I couldn't tell whether that means yes or no".  Both ask what the step means for them, and the
step's own explanation (what "what do you mean?" gets there) answers that.  A question the
knowledge base cannot place, a third of whose content words are the step's question's or its
explanation's (compared by stem: "blocking" and "blocked"), gets that explanation and the step
again; a
question the knowledge base can place is answered by it, as before.
"""
from __future__ import annotations

import re

from guidance import copy
from nlu.actions import forms
from nlu.components.asked_too import asks

_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


def stem(word: str) -> str:
    """A crude stem, enough to meet the step's words: "blocking", "blocked", "blocks" -> "block";
    "stopped" -> "stop"."""
    word = word.lower().replace("'", "")
    cut = _SUFFIX.sub("", word)
    if len(cut) < 3:
        return word
    if len(cut) > 3 and cut[-1] == cut[-2] and cut[-1] not in "ls":  # "stopp" -> "stop"
        cut = cut[:-1]
    return cut


# negations written without their apostrophe are not stop words to scikit-learn's list, and say
# nothing about a step ("is that still stalking if i dont know who" shares only "dont" with
# "... when you don't reply": not a question about that step)
NEGATIONS = frozenset("dont didnt doesnt cant wont isnt arent wasnt werent havent hasnt hadnt couldnt "
                      "shouldnt wouldnt aint".split())


def stems(text: str) -> set[str]:
    return {stem(w) for w in forms.content_words(text) if w.lower().replace("'", "") not in NEGATIONS}


#: the share of a question's content words the step's words must hold
SHARE = 1 / 3


def about_the_step(text: str, *step_texts: str) -> bool:
    """At least :data:`SHARE` of the content words of ``text`` (by stem) are the step's own words:
    "does blocking him count as telling him to stop?" 3 of 4 at "Is the contact unwanted";
    "does being texted 5 times a day count?" at "Does this person seem fixated ... all the time",
    1 of 4 (time): not about that step."""
    own = stems(text)
    step = set().union(*(stems(t) for t in step_texts)) if step_texts else set()
    return bool(own) and len(own & step) >= SHARE * len(own)


def explain_if_about_the_step(dispatcher: object, slot: str, text: str, intent: str | None,
                              confidence: float) -> bool:
    """At a step whose copy has ``ask_<slot>`` and ``explain_<slot>``: a question the knowledge base
    cannot place, about the step, gets the explanation; True if it was given."""
    asked = forms.is_question(text, intent, confidence) or asks(text)
    if not asked or forms.about_a_topic(intent, confidence):
        return False
    try:
        step, explained = copy.text(f"ask_{slot}"), copy.text(f"explain_{slot}")
    except KeyError:
        return False
    if not about_the_step(text, step, explained):
        return False
    dispatcher.utter_message(text=explained)  # type: ignore[attr-defined]
    return True
