"""The FOUR check's custom actions, run as Rasa runs them: a Tracker in, events out."""
from __future__ import annotations

from typing import Any, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from guidance.advice import order_advice
from nlu.actions.advice import ActionEmergency, ActionSafetyAdvice
from nlu.actions.answers import SIGN_SLOTS, extract_behaviours, interpret_sign, says_done
from nlu.actions.check import ActionAskBehavioursDone, ActionFourSummary, ValidateFourCheckForm
from nlu.actions.diary import ActionExportNotes, ActionForget

DOMAIN: dict[str, Any] = {"responses": {"utter_report": [{"text": "Report: call 101",
                                                          "buttons": [{"title": "Live Chat",
                                                                       "payload": "https://x"}]}]}}


def tracker(text: str, intent: Optional[str] = None, confidence: float = 0.95,
            slots: Optional[dict[str, Any]] = None, requested: str = "sign_fixated",
            entities: Optional[list[dict[str, Any]]] = None,
            metadata: Optional[dict[str, Any]] = None) -> Tracker:
    return Tracker(
        sender_id="u1",
        slots={"requested_slot": requested, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence},
                        "entities": entities or [], "metadata": metadata or {}},
        events=[], paused=False, followup_action=None,
        active_loop={"name": "four_check_form"}, latest_action_name="action_listen",
    )


@pytest.mark.parametrize("slot, text, intent, expected", [
    ("sign_repeated", "he texts me 20 times a day", "start_check", "yes"),
    ("sign_repeated", "it only happened once", "start_check", "no"),
    ("sign_repeated", "just the once", None, "no"),
    ("sign_unwanted", "I've told him to leave me alone", "start_check", "yes"),
    ("sign_unwanted", "I told her to stop", None, "yes"),
    ("sign_unwanted", "i don't mind it really", None, "no"),
    ("sign_fixated", "he's obsessed with me", "start_check", "yes"),
    ("sign_obsessive", "he calls me all day every day", None, "yes"),
    ("sign_fixated", "yep", "affirm", "yes"),
    ("sign_fixated", "nope", "deny", "no"),
    ("sign_fixated", "dunno", "unsure", "unsure"),
    ("sign_fixated", "/affirm", "affirm", "yes"),
    ("sign_fixated", "/unsure", "unsure", "unsure"),
    ("sign_fixated", "the weather is nice", "greet", None),
    ("sign_fixated", "yeah maybe", "affirm", "yes"),
])
def test_answers_in_own_words(slot: str, text: str, intent: Optional[str],
                              expected: Optional[str]) -> None:
    assert interpret_sign(slot, text, intent, 0.9) == expected


def test_low_confidence_yes_is_not_taken_as_an_answer() -> None:
    assert interpret_sign("sign_fixated", "mm", "affirm", 0.2) is None


@pytest.mark.parametrize("text, expected", [
    ("he follows me home and sends me flowers", ["following", "gifts"]),
    ("he keeps turning up at my work", ["turning_up"]),
    ("texts and calls all the time", ["contacting"]),
    # typed on a phone: "txting" was not read (and "hes txting me ... turning up" noted only the last)
    ("hes txting me all the time", ["contacting"]),
    ("he keeps sending me msgs", ["contacting"]),
    ("he follows me on instagram and likes all my posts", ["monitoring"]),
    ("he smashed my car window and threatened me", ["damage_threats"]),
    ("none", []),
])
def test_behaviours_from_words(text: str, expected: list[str]) -> None:
    assert extract_behaviours(text) == expected


def test_done_words() -> None:
    assert says_done("none of them") and says_done("skip") and says_done("that's all")
    assert not says_done("he follows me")


async def validate(form: ValidateFourCheckForm, slot: str, trk: Tracker,
                   value: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    method = getattr(form, f"validate_{slot}")
    result = await method(value, dispatcher, trk, DOMAIN)
    return result, dispatcher.messages


async def test_validator_fills_a_sign_from_own_words() -> None:
    form = ValidateFourCheckForm()
    text = "he texts me 20 times a day"
    result, messages = await validate(form, "sign_repeated",
                                      tracker(text, "start_check", requested="sign_repeated"), text)
    assert result == {"sign_repeated": "yes"} and messages == []


async def test_validator_explains_the_sign_and_asks_again() -> None:
    form = ValidateFourCheckForm()
    text = "what do you mean?"
    result, messages = await validate(form, "sign_unwanted",
                                      tracker(text, "explain", requested="sign_unwanted"), text)
    assert result == {"sign_unwanted": None}
    assert "Unwanted" in messages[0]["text"]


@pytest.mark.parametrize("step", [*SIGN_SLOTS, "behaviours_done"])
async def test_what_do_you_mean_is_explained_at_every_step_of_the_check(step: str) -> None:
    """Played as a person: "what does repeated mean" at the last step (which forms of stalking
    have happened) got "Sorry, something went wrong": its explanation's copy had another name."""
    form = ValidateFourCheckForm()
    text = "what does that mean"
    result, messages = await validate(form, step, tracker(text, "explain", requested=step), text)
    assert result == {step: None}
    assert messages and "something went wrong" not in messages[0]["text"].lower()
    assert "means" in messages[0]["text"] or "Choose any that have happened" in messages[0]["text"]


async def test_validator_answers_a_question_mid_check_then_returns() -> None:
    form = ValidateFourCheckForm()
    text = "how do i report this"
    result, messages = await validate(form, "sign_fixated", tracker(text, "ask_report"), text)
    assert result == {"sign_fixated": None}
    # Where the person is isn't known inside the check: the route that works anywhere
    # (101), never the West Midlands Live Chat, and only link buttons mid-check.
    assert "[[non_emergency]]" in messages[0]["text"] and "police.uk" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "Find your police force", "payload": "[[police_uk_url]]"}]
    assert "Back to the check" in messages[1]["text"]


async def test_validator_asks_again_when_it_cannot_tell() -> None:
    form = ValidateFourCheckForm()
    text = "purple"
    result, messages = await validate(form, "sign_fixated", tracker(text, "greet", 0.3), text)
    assert result == {"sign_fixated": None}
    assert "couldn't tell" in messages[0]["text"]


async def test_check_command_mid_check_starts_again() -> None:
    form = ValidateFourCheckForm()
    result, messages = await validate(
        form, "sign_unwanted", tracker("/start_check", "start_check", requested="sign_unwanted"),
        "/start_check")
    assert result["sign_fixated"] is None and result["sign_unwanted"] is None
    assert "Starting the check again" in messages[0]["text"]


async def test_behaviour_buttons_toggle_and_done_finishes() -> None:
    form = ValidateFourCheckForm()
    pick = tracker('/affirm{"behaviour": "following"}', "affirm", requested="behaviours_done",
                   entities=[{"entity": "behaviour", "value": "following"}])
    result, _ = await validate(form, "behaviours_done", pick, pick.latest_message["text"])
    assert result == {"behaviours": ["following"], "behaviours_done": None}
    again = tracker('/affirm{"behaviour": "following"}', "affirm", requested="behaviours_done",
                    slots={"behaviours": ["following"]},
                    entities=[{"entity": "behaviour", "value": "following"}])
    result, _ = await validate(form, "behaviours_done", again, again.latest_message["text"])
    assert result == {"behaviours": [], "behaviours_done": None}
    done = tracker("/deny", "deny", requested="behaviours_done", slots={"behaviours": ["gifts"]})
    result, _ = await validate(form, "behaviours_done", done, "/deny")
    assert result == {"behaviours": ["gifts"], "behaviours_done": "yes"}


async def test_behaviours_question_ticks_chosen_ones() -> None:
    dispatcher = CollectingDispatcher()
    trk = tracker("", slots={"behaviours": ["monitoring"]}, requested="behaviours_done")
    await ActionAskBehavioursDone().run(dispatcher, trk, DOMAIN)
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert "✓ Watching my social media" in titles and titles[-1] == "Done"
    assert "None of these" not in titles


@pytest.mark.parametrize("answers, count, phrase", [
    (["yes", "yes", "yes", "yes"], "4 of the 4", "the police call stalking"),
    (["yes", "no", "unsure", "yes"], "2 of the 4", "worth taking seriously"),
    (["no", "no", "no", "no"], "0 of the 4", "don't stand out"),
])
async def test_summary_states_n_of_4_plainly(answers: list[str], count: str, phrase: str) -> None:
    slots = dict(zip(["sign_fixated", "sign_obsessive", "sign_unwanted", "sign_repeated"],
                     answers, strict=False))
    dispatcher = CollectingDispatcher()
    events = await ActionFourSummary().run(dispatcher, tracker("", slots=slots), DOMAIN)
    text = dispatcher.messages[0]["text"]
    assert count in text and phrase in text
    assert "not being stalked" not in text
    assert SlotSet("check_done", True) in events


def test_advice_order_fits_the_behaviours() -> None:
    buttons = [{"payload": p} for p in ("/ask_record", "/ask_tell_someone", "/ask_routines",
                                         "/ask_report", "/ask_spo", "/ask_online_safety")]
    ordered = order_advice(buttons, ["monitoring", "following"])
    assert [b["payload"] for b in ordered][:2] == ["/ask_online_safety", "/ask_routines"]
    assert order_advice(buttons, []) == buttons


async def test_safety_advice_says_when_it_reordered() -> None:
    dispatcher = CollectingDispatcher()
    await ActionSafetyAdvice().run(dispatcher, tracker("", slots={"behaviours": ["following"]}),
                                   DOMAIN)
    assert "From your answers" in dispatcher.messages[0]["text"]


async def test_emergency_read_by_rasa_alone_says_999_without_the_alarm() -> None:
    # The guard decides what is an alert; Rasa's own reading of danger gets the
    # gentle 999 line (it may be a negation the guard rightly let through).
    dispatcher = CollectingDispatcher()
    await ActionEmergency().run(dispatcher, tracker("he is here", "emergency"), DOMAIN)
    text = dispatcher.messages[0]["text"]
    assert "call [[emergency]] now" in text and "misread" in text
    assert "🚨" not in text


@pytest.mark.parametrize("text, op", [
    ("delete everything, I don't want any of it on my phone", "confirm_forget"),
    ("wipe it all off my phone", "confirm_forget"),
    ("erase my log", "confirm_forget"),
    ("export my log as a pdf", "confirm_export"),
    ("/export_notes", "confirm_export"),
])
async def test_export_and_forget_only_ask_for_the_bots_confirmation(text: str, op: str) -> None:
    # Rasa never exports or deletes: it asks the bot to show its confirmation, and a
    # message that mentions deleting goes to "delete everything?", never to an export.
    dispatcher = CollectingDispatcher()
    await ActionExportNotes().run(dispatcher, tracker(text, "export_notes"), DOMAIN)
    assert [m["custom"] for m in dispatcher.messages] == [{"diary": {"op": op}}]
    forget = CollectingDispatcher()
    await ActionForget().run(forget, tracker(text, "forget_me"), DOMAIN)
    assert [m["custom"] for m in forget.messages] == [{"diary": {"op": "confirm_forget"}}]


async def test_summary_offers_the_risk_check_after_three_signs_and_saves_answers() -> None:
    slots = {"sign_fixated": "yes", "sign_obsessive": "yes", "sign_unwanted": "yes",
             "sign_repeated": "no", "behaviours": ["following"]}
    dispatcher = CollectingDispatcher()
    await ActionFourSummary().run(dispatcher, tracker("", slots=slots), DOMAIN)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/start_risk"
    saved = [m["custom"]["diary"] for m in dispatcher.messages if m.get("custom")]
    assert {"op": "save_answers", "name": "four", "value": {
        "sign_fixated": "yes", "sign_obsessive": "yes", "sign_unwanted": "yes",
        "sign_repeated": "no", "behaviours": ["following"]}} in saved
    fewer = CollectingDispatcher()
    await ActionFourSummary().run(fewer, tracker("", slots={"sign_fixated": "yes"}), DOMAIN)
    assert all(b["payload"] != "/start_risk" for b in fewer.messages[0]["buttons"])


@pytest.mark.parametrize(("words", "found"), [
    ("i think im being watched", []),  # before: "Watching my social media"
    ("someone keeps sitting outside in a car", ["turning_up"]),  # before: nothing
    ("he keeps watching me from across the road", ["turning_up"]),
    ("he watches my stories", ["monitoring"]),
    ("he spied on me", ["monitoring"]),
    ("he spies on my phone", ["monitoring"]),  # before: calls and texts too ("phone")
    ("he keeps trying to phone me", ["contacting"]),
    ("my phone keeps ringing with private numbers", ["contacting"]),
])
def test_watching_in_person_is_not_social_media(words: str, found: list[str]) -> None:
    assert list(extract_behaviours(words)) == found
