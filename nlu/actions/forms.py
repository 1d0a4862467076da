"""Reading a form's answer as a person would: a question, a correction, a real "stop".

Shared by the guided note, the FOUR check and the risk self-check.  What
generalises, not a list of examples:

* a **question** is a message in question form (it opens with a question word or
  an inverted auxiliary, "do I need...", "will he...") or that ends with "?" while
  the NLU reads one of its question intents; a message that opens with an answer
  word ("no, only the once", "yes he does") is an answer, whatever follows;
* a **correction** opens with a discourse marker ("wait", "actually", "sorry, I
  meant", "oh and") or adds with "too" / "as well"; the field it corrects is found
  by the form's own readers (the note's field readers, the check's sign names and
  ordinals), never by its position;
* **stop** means stop only when that is what the message says: the exact words, or
  a short request the NLU reads as stop with no story in it ("no I haven't told him
  to stop, I'm scared to" is an answer).

The patterns live in ``data/form_reading.yml``; the copy in ``data/copy.yml``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from guidance import copy
from guidance.advice import DEFAULT_PLACE, place_of, route
from nlu.actions import domain_copy
from nlu.components.asked_too import asks_too
from nlu.components.topics import ASKED_IN_ACCOUNT, FALLBACK, RETRIEVAL, selected_topic
from nlu.components.topics import ROUTES as TOPIC_ROUTES

READING_PATH = Path(__file__).resolve().parents[2] / "data" / "form_reading.yml"
QUESTION_CONFIDENCE = 0.5
# A message that is not an answer, placed on a topic with at least this confidence: answered.
TOPIC_CONFIDENCE = 0.6
# A knowledge-base topic chosen with a button ("did you mean ..."): /faq_topic{"topic": ...}
TOPIC_BUTTON = "faq_topic"


@lru_cache(maxsize=1)
def _reading() -> dict[str, Any]:
    raw = yaml.safe_load(READING_PATH.read_text("utf-8"))

    def one(patterns: list[str]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    compiled: dict[str, Any] = {key: one(raw[key]) for key in (
        "question_start", "question_aux", "answer_start", "stop_exact", "stop_verb", "stop_story",
        "correction_start", "addition", "unsure", "yes", "no", "account_person", "question_wh_verb",
        "date_unknown",
        "account_start", "acknowledgement")}
    compiled["note_fields"] = {field: one(patterns) for field, patterns in raw["note_fields"].items()}
    compiled["ordinals"] = {str(k): int(v) for k, v in raw["ordinals"].items()}
    compiled["previous"] = one(raw["previous"])
    return compiled


def names_a_person(text: str) -> bool:
    """The words name a person (I, my, he, she, they, someone): an account, not a heading."""
    return bool(_reading()["account_person"].search(clean(text)))


def tells_of_someone(text: str) -> bool:
    """Typed words (not a button), a sentence (:data:`ACCOUNT_WORDS` or more) naming a person:
    what an account of what happened looks like, question or not."""
    return not text.startswith("/") and len(clean(text).split()) >= ACCOUNT_WORDS and names_a_person(text)


def begins_an_account(text: str) -> bool:
    """Typed words that begin with the person who did it ("he sat outside in his car for an
    hour"), four words or more: an account, never the answer to "where did it happen?"."""
    words = clean(text)
    return not words.startswith("/") and len(words.split()) >= 4 and \
        bool(_reading()["account_start"].match(words))


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip()


def latest(tracker: Tracker) -> tuple[str, Optional[str], float]:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return str(message.get("text") or ""), intent.get("name"), float(intent.get("confidence") or 0.0)


# A sentence, not "help" or "idk": at least this many words.  An account of what happened
# ("Save what I wrote as a note", nlu/actions/faq.py), and a sentence that is not an answer that
# may get topics offered with "I couldn't tell" (not_understood).
ACCOUNT_WORDS = 5


def not_understood(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    """Say ``text`` ("I couldn't tell yes or no"); the second time in a row, offer a way out
    instead: someone telling their story rather than answering should not meet the same
    line again and again (copy ``not_understood_again``: write a note, or stop)."""
    offers_line = copy.text("not_understood_offers")
    if said_last_turn(tracker, text) or said_last_turn(tracker, offers_line, ending=True):
        active = str((tracker.active_loop or {}).get("name"))
        dispatcher.utter_message(text=copy.text("not_understood_again", form=domain_copy.form_name(active)),
                                 buttons=copy.buttons("not_understood_again"))
        return
    # A sentence that is neither an answer nor a question, which the NLU places near a topic it
    # answers ("ppl will laugh at me if i report it" in the check): the likeliest topics offered
    # with the same line (before, the line alone: the worry went unheard).
    words, intent, _ = latest(tracker)
    offered = passing_offers(tracker) if intent in (FALLBACK, RETRIEVAL) \
        and len(clean(words).split()) >= ACCOUNT_WORDS else []
    if offered:
        dispatcher.utter_message(text=f"{text}\n{offers_line}", buttons=offered)
    else:
        dispatcher.utter_message(text=text)


def said_last_turn(tracker: Tracker, text: str, ending: bool = False) -> bool:
    """The bot said ``text`` (with ``ending``: a message ending with it) in answer to the
    message before this one."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "bot":
            said = str(event.get("text") or "")
            if said == text or (ending and said.endswith(text)):
                return True
    return False


# -- questions ------------------------------------------------------------------------------
# The intents a form's plain answer is read as: a question word and a verb under one of these is
# still an answer ("how would i know": not sure).
ANSWER_INTENTS = frozenset({"affirm", "deny", "unsure", "stop", "resume", "skip"})


def question_intents() -> set[str]:
    return set(domain_copy.QUESTION_RESPONSES) | set(domain_copy.ROUTED)


def about_a_topic(intent: Optional[str], confidence: float) -> bool:
    """Not an answer, but the NLU places it on a topic it can answer: a question intent, or a
    knowledge-base topic the honesty gate let through ("i found a tracker on my car" in the
    middle of the check: answered, then the step again, instead of "yes or no?")."""
    placed = intent in question_intents() or intent in (RETRIEVAL, TOPIC_BUTTON)
    return placed and confidence >= TOPIC_CONFIDENCE


def _retrieval_answer(tracker: Tracker, intent: Optional[str]) -> Optional[str]:
    """The knowledge base's answer (a retrieval intent's ResponseSelector), if there is one."""
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    for key in (intent, "default"):
        found = selector.get(key or "") or {}
        response = found.get("response") or {}
        texts = [r.get("text") for r in response.get("responses") or [] if r.get("text")]
        if texts and float(response.get("confidence") or 0.0) >= QUESTION_CONFIDENCE:
            return str(texts[0])
    return None


def starts_with_an_answer(text: str) -> bool:
    """"no, only the once", "yes, is that bad?": the message opens with an answer word."""
    return bool(_reading()["answer_start"].match(clean(text)))


def is_question(text: str, intent: Optional[str], confidence: float) -> bool:
    """The message asks something rather than answering the step."""
    words = clean(text)
    if not words or words.startswith("/"):
        return False
    reading = _reading()
    if reading["answer_start"].match(words):
        # "no, only the once" / "yes, is that bad?": an answer first.  Only a clear
        # question after the answer word ("no. do I need to...?") is a question.
        rest = re.split(r"[,.;:!]\s*", words, maxsplit=1)
        tail = rest[1] if len(rest) > 1 else ""
        return bool(tail) and tail.endswith("?") and bool(reading["question_start"].match(tail))
    if reading["question_aux"].match(words):  # "can i report it without him finding out"
        return True
    if intent not in ANSWER_INTENTS and reading["question_wh_verb"].match(words):  # "what counts as a threat"
        return True
    asks_like_a_question = bool(reading["question_start"].match(words))
    question_intent = intent in question_intents() or (intent or "").startswith(("faq", "chitchat"))
    if asks_like_a_question and (words.endswith("?") or question_intent):
        return True
    return words.endswith("?") and question_intent and confidence >= QUESTION_CONFIDENCE


def asked_in_passing(tracker: Tracker) -> bool:
    """The message tells what happened and asks something in passing ("he keeps messaging me
    from fake accounts, can i report it anonymously"): at a note's free-text step the account
    is the step's answer and the question is answered too (or its likeliest topics offered).
    Either the honesty gate found the question in an account (``asked_in_account``), or a
    question or a message the NLU can't place is an account (five words or more about someone)
    with a clause in question form (:func:`nlu.components.asked_too.asks_too`)."""
    if any(True for _ in tracker.get_latest_entity_values(ASKED_IN_ACCOUNT)):
        return True
    text, intent, _ = latest(tracker)
    return intent in (RETRIEVAL, FALLBACK) and tells_of_someone(text) and asks_too(text)


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
                    back: Optional[str]) -> None:
    """Answer a question asked inside a form, then say we go back to the step (the form
    asks it again; ``back`` None: nothing after the answer).  A question the NLU can't place
    gets an honest "I don't know"."""
    _, intent, confidence = latest(tracker)
    # A knowledge-base topic whose answer depends on where the person is (reporting, the
    # law) is answered as its button intent would be: by the person's place.
    topic = selected_topic(tracker.latest_message or {})
    from nlu.actions.faq import follow_up_answer, say_elsewhere_note  # faq imports this module: not at load

    follow_up = follow_up_answer(tracker, topic)  # "how would i even check" after the answer on trackers
    if follow_up:
        dispatcher.utter_message(text=follow_up)
        if back is not None:
            dispatcher.utter_message(text=back)
        return
    if topic in TOPIC_ROUTES and TOPIC_ROUTES[topic][0] in domain_copy.ROUTED:
        intent = TOPIC_ROUTES[topic][0]
    answered = None if intent in domain_copy.ROUTED else _retrieval_answer(tracker, intent)
    if answered or intent == TOPIC_BUTTON:
        # an answer about England and Wales, to someone in Scotland or Northern Ireland: said first
        say_elsewhere_note(dispatcher, tracker, topic if answered else
                           next(tracker.get_latest_entity_values("topic"), None))
    if answered:
        dispatcher.utter_message(text=answered)
    elif intent in domain_copy.ROUTED and confidence >= QUESTION_CONFIDENCE:
        # Reporting and the law depend on where the person is (not asked inside a form:
        # the route that works anywhere until they have told us).
        place = place_of(tracker.get_slot("where_person")) or DEFAULT_PLACE
        answer = route(place, domain_copy.ROUTED[intent])
        dispatcher.utter_message(text=answer["text"], buttons=domain_copy.link_buttons(answer))
    elif intent in domain_copy.QUESTION_RESPONSES and confidence >= QUESTION_CONFIDENCE:
        answer = domain_copy.domain_response(domain, domain_copy.QUESTION_RESPONSES[intent])
        dispatcher.utter_message(text=str(answer.get("text", "")),
                                 buttons=domain_copy.link_buttons(answer))
    elif intent == TOPIC_BUTTON and _topic_response(tracker) in (domain.get("responses") or {}):
        # a "did you mean" button pressed in the middle of a form (below): its topic's answer
        dispatcher.utter_message(response=_topic_response(tracker))
    elif intent == "start_check" and tracker.active_loop_name == "four_check_form" \
            and confidence >= QUESTION_CONFIDENCE:
        # "is that stalking?" asked in the check: the check is the answer
        dispatcher.utter_message(text=copy.text("check_is_the_answer"))
    elif offer_other_request(dispatcher, tracker, intent, confidence):
        return  # "can I see my notes": the request offered; the form asks its step again
    elif not _did_you_mean(dispatcher, tracker):
        dispatcher.utter_message(text=copy.text("form_question_unknown"))
    if back is not None:
        dispatcher.utter_message(text=back)


def _topic_response(tracker: Tracker) -> str:
    """``utter_faq/<topic>`` of a topic button's ``topic`` entity."""
    return f"utter_{RETRIEVAL}/{next(tracker.get_latest_entity_values('topic'), '')}"


def passing_offers(tracker: Tracker) -> list[dict[str, Any]]:
    """The "did you mean" buttons of a question the NLU can't place, as outside a form
    (nlu/actions/faq.py), only those answered in passing while a form is in progress or
    waits (a knowledge-base topic, or a question with its own answer): never a request
    that would start another form."""
    from nlu.actions import faq  # faq imports the actions package: not at module load

    buttons = []
    for label in faq.offers(tracker.latest_message or {}):
        sent = faq.payload(label)
        intent = sent[1:].split("{", 1)[0]
        if intent == TOPIC_BUTTON or intent in question_intents():
            buttons.append({"title": faq.titles()[label], "payload": sent})
    return buttons


def _did_you_mean(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A question the NLU can't place with confidence, inside a form: the likeliest topics as
    buttons (:func:`passing_offers`); True if offered."""
    buttons = passing_offers(tracker)
    if not buttons:
        return False
    dispatcher.utter_message(text=copy.text("form_did_you_mean"), buttons=buttons)
    return True


# -- where the person is, said in passing -------------------------------------------------------
def told_where(dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[str]) -> Optional[str]:
    """"im in manchester" typed in the middle of the check or the self-check: the NLU reads it
    as where the person lives, and it names one place (guidance.places): kept with their data
    and said back, as outside a form; the place, or None (the step reads the words as before)."""
    from guidance.advice import place_said
    from guidance.places import read_place
    from nlu.actions.advice import keep_where  # advice's actions import this module's package

    text = str((tracker.latest_message or {}).get("text") or "")
    reading = read_place(text) if intent == "set_where" and not text.startswith("/") else None
    if reading is None or reading.place is None:
        return None
    place = reading.place
    keep_where(dispatcher, place)
    said = copy.text("where_saved_in_form", read=reading.name, place=place_said(place))
    dispatcher.utter_message(text=said)
    return place


# -- stop -------------------------------------------------------------------------------------
# A form's answer read as another request only this sure of it.
OTHER_REQUEST_CONFIDENCE = 0.6


def offer_other_request(dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[str],
                        confidence: float) -> bool:
    """An answer that is a request to do something else ("i want to write down what happened"
    in the check): that request offered as a button, the form waiting; True if offered.

    The button is the command's own payload: pressing it puts the form on hold first, as a
    typed command does (bot/core.py), so nothing answered so far is lost."""
    offered = (copy.entry("other_request").get("custom") or {}).get(intent or "")
    active = str((tracker.active_loop or {}).get("name"))
    if not offered or confidence < OTHER_REQUEST_CONFIDENCE or FORM_OF_START.get(str(intent)) == active:
        return False
    dispatcher.utter_message(text=copy.text("other_request", form=domain_copy.form_name(active)),
                             buttons=[{"title": str(offered["title"]), "payload": str(offered["payload"])}])
    return True


# A request that starts a form, and that form (offering it again inside itself says nothing).
FORM_OF_START = {"start_check": "four_check_form", "start_risk": "risk_form", "record_incident": "note_form"}


def means_stop(text: str, intent: Optional[str], confidence: float) -> bool:
    """Leave the form: the exact words, or a short stop request with no story in it."""
    words = clean(text)
    reading = _reading()
    if words.lower() in ("/stop", "/cancel") or reading["stop_exact"].match(words):
        return True
    if intent != "stop" or confidence < 0.6 or words.startswith("/") or reading["answer_start"].match(words):
        return False
    return len(words.split()) <= 6 and bool(reading["stop_verb"].search(words)) \
        and not reading["stop_story"].search(words)


# -- yes / no / not sure ----------------------------------------------------------------------
def only_acknowledges(text: str) -> bool:
    """"ok", "got it": the words take in what was said and answer no yes-or-no question."""
    return bool(_reading()["acknowledgement"].match(clean(text).lower()))


def knows_no_date(text: str) -> bool:
    """"i dont remember", "no idea", "skip" at "When did it happen?"."""
    return bool(_reading()["date_unknown"].match(clean(text).lower()))


def read_answer(text: str) -> Optional[str]:
    """"yes", "no" or "unsure" from the words ("no, only the once", "idk really, he just
    texts a lot"), or None.  Not sure first: "no idea" is not a no."""
    words = clean(text)
    reading = _reading()
    if reading["unsure"].search(words):
        return "unsure"
    if reading["no"].match(words):
        return "no"
    if reading["yes"].match(words):
        return "yes"
    return None


_ANSWER_WORD = re.compile(
    r"\b(yes|yeah|yep|yup|no|nope|nah|not sure|unsure|don'?t know|dunno|idk)\b", re.IGNORECASE)
_ANSWER_OF = {"yes": "yes", "yeah": "yes", "yep": "yes", "yup": "yes", "no": "no", "nope": "no",
              "nah": "no"}


def last_answer(text: str) -> Optional[str]:
    """The answer a correction gives, by its last answer word ("wait, no, the first one is
    a yes" -> "yes")."""
    found = _ANSWER_WORD.findall(clean(text))
    return _ANSWER_OF.get(found[-1].lower(), "unsure") if found else None


# -- corrections ------------------------------------------------------------------------------
def correction_body(text: str) -> Optional[str]:
    """The words after a correction marker ("wait, actually my colleague saw him too" ->
    "my colleague saw him too"), or None when the message is not a correction."""
    words = clean(text)
    reading = _reading()
    found = reading["correction_start"].match(words)
    if found:
        body = words[found.end():].lstrip(" ,.-:;!")
        return body or None
    if reading["addition"].search(words):
        return words
    return None


def note_field_of(text: str) -> Optional[str]:
    """Which step of the note these words belong to, by the field readers (first that fits)."""
    for field, pattern in _reading()["note_fields"].items():
        if pattern.search(text):
            return field
    return None


_CONTENT_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def content_words(text: str) -> set[str]:
    """The words of ``text`` that carry its content (not "it", "was", "the", ...)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {w for w in _CONTENT_WORD.findall(clean(text).lower())
            if len(w) > 2 and w not in ENGLISH_STOP_WORDS}


def field_it_echoes(text: str, answers: dict[str, str]) -> Optional[str]:
    """The one earlier answer a correction repeats a word of ("wait actually it was a grey golf"
    after "tall, black jacket, silver golf": the appearance), or None (none, or a tie): a
    correction names what it corrects, whatever words the field readers know."""
    words = content_words(text)
    shared = sorted(((len(words & content_words(value)), field) for field, value in answers.items()),
                    reverse=True)
    if not shared or shared[0][0] == 0 or (len(shared) > 1 and shared[1][0] == shared[0][0]):
        return None
    return shared[0][1]


def adds(text: str) -> bool:
    return bool(_reading()["addition"].search(clean(text)))


def referenced_step(text: str, steps: list[str], current: str,
                    names: Optional[dict[str, str]] = None) -> Optional[str]:
    """The earlier step a correction names: by name ("fixated"), by number ("the first
    one", "question 2") or "the last / previous one"."""
    words = clean(text).lower()
    earlier = steps[:steps.index(current)] if current in steps else list(steps)
    for step, name in (names or {}).items():
        if step in earlier and re.search(rf"\b{re.escape(name.lower())}\b", words):
            return step
    reading = _reading()
    for word, number in reading["ordinals"].items():
        if re.search(rf"\b{re.escape(word)}\b", words) and 0 < number <= len(earlier):
            return earlier[number - 1]
    if reading["previous"].search(words) and earlier:
        return earlier[-1]
    return None


class StopFirst:
    """Mixin for the FOUR check's and the risk self-check's validators: a message that
    means stop goes to the form's "stop" rule (rejecting the form's run); any other
    message the classifier reads as "stop" ("no I haven't told him to stop, I'm scared
    to") is read as an answer.  (The slots map every intent, so the validator sees it.)"""

    # A mixin: name() and the run() it hands over to are the FormValidationAction's, after it in
    # the bases, which mypy cannot see from here (hence the two ignores below).
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[Any]:
        text, intent, confidence = latest(tracker)
        if intent == "stop" and means_stop(text, intent, confidence):
            raise ActionExecutionRejection(self.name(), "stop")  # type: ignore[attr-defined]
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
