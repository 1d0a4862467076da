"""The two-layer safety guard: routes, negation, terse alarms, look-alikes, long messages.

The rules layer is tested on its own (``semantic=False``) so that a rule that
stops working fails here even when the semantic layer would cover for it.
"""

from __future__ import annotations

import pytest

from bot.guard import CRISIS_ROUTES, ROUTES, Alert, SafetyGuard


@pytest.fixture(scope="module")
def rules() -> SafetyGuard:
    return SafetyGuard.from_file(semantic=False)


# -- routes -----------------------------------------------------------------

ROUTE_CASES = [
    # danger now
    ("he's outside my house", "danger"),
    ("he has a knife", "danger"),
    ("he has just raped me", "danger"),
    # lethal-risk warnings, at any time
    ("he threatened to kill me last night", "lethal_risk"),
    ("if he can't have me nobody will", "lethal_risk"),
    ("he said if he can't have me, nobody will", "lethal_risk"),
    ("he strangled me last year", "lethal_risk"),
    ("he put his hands round my neck when we were together", "lethal_risk"),
    ("since I left him, it's got so much worse", "lethal_risk"),
    ("he told me he'd kill himself if I left", "lethal_risk"),
    # suicide and self-harm
    ("I'm thinking of killing myself", "suicide"),
    ("I don't want to live anymore", "suicide"),
    ("i just want to die", "suicide"),
    ("I've been self harming again", "suicide"),
    # sexual violence
    ("he raped me", "sexual_violence"),
    ("I was raped two years ago", "sexual_violence"),
    ("he sexually assaulted me at a party", "sexual_violence"),
    # a child or young person
    ("I'm worried about my 16-year-old daughter, a man keeps messaging her", "child"),
    ("my 16 year old is being stalked", "child"),
    ("i am 14 and someone keeps following me", "child"),
    # domestic abuse
    ("my husband hits me", "domestic_abuse"),
    ("I'm in an abusive relationship", "domestic_abuse"),
]


@pytest.mark.parametrize(("message", "route"), ROUTE_CASES)
def test_route(rules: SafetyGuard, message: str, route: str) -> None:
    alert = rules.assess(message)
    assert alert is not None, f"no alert for {message!r}"
    assert alert.route == route, f"{message!r}: {alert}"
    assert alert.layer == "rules"
    assert message.lower() not in alert.rule.lower()


def test_alert_interface(rules: SafetyGuard) -> None:
    alert = rules.assess("he's outside my house")
    assert alert == Alert(route="danger", rule="someone_here_now", layer="rules")
    assert set(ROUTES) == {"danger", *CRISIS_ROUTES}
    assert set(CRISIS_ROUTES) == {"suicide", "sexual_violence", "child", "domestic_abuse", "lethal_risk"}
    # match() keeps its old meaning: the danger rule's name, or None for anything else
    assert rules.match("he's outside my house") == "someone_here_now"
    assert rules.match("I'm thinking of killing myself") is None
    assert rules.assess("/start") is None
    assert rules.assess("") is None
    assert rules.assess(None) is None  # type: ignore[arg-type]


def test_danger_comes_first(rules: SafetyGuard) -> None:
    # a crisis word and danger now in one message: the 999 route wins
    assert rules.assess("he raped me and he is still in the house").route == "danger"
    assert rules.assess("I want to kill myself, he's outside with a knife").route == "danger"


# -- negation, hypotheticals, the past --------------------------------------

NO_ALERT = [
    "I'm not in danger, just asking",
    "i'm not in danger",
    "he's no longer outside",
    "he is not outside my house",
    "what if he is outside",
    "would it be dangerous if he has a knife",
    "I don't want to die",
    "I'm not suicidal",
    "I used to self harm",
    "I'm not going to kill myself, don't worry",
    "what is coercive control",
    "is stalking domestic abuse?",
    "I'm scared he'll find me",
    "i'm 15 minutes away",
    "i can't talk about it",
    "what should i do if i'm being followed",
    "i'm afraid of being attacked",
    "he followed me last week",
    "he was outside my house yesterday",
    "he used to have a knife",
    "he didn't rape me",
]


@pytest.mark.parametrize("message", NO_ALERT)
def test_no_alert(rules: SafetyGuard, message: str) -> None:
    assert rules.assess(message) is None, f"{message!r}: {rules.assess(message)}"


# -- terse alarms -----------------------------------------------------------

TERSE_999 = [
    "at the door now",
    "cant talk",
    "can't speak",
    "knife attack",
    "being attacked",
    "immediate danger",
    "need an ambulance",
    "ambulance please",
    "911 help",
    "112 now",
    "help 999",
    "scared",
    "im so scared",
    "terrified",
    "hes here",
    "he's coming",
]


@pytest.mark.parametrize("message", TERSE_999)
def test_terse_alarm_gets_999(rules: SafetyGuard, message: str) -> None:
    alert = rules.assess(message)
    assert alert is not None and alert.route == "danger", f"{message!r}: {alert}"


# -- look-alikes (issue 13, item 9) -----------------------------------------

LOOKALIKES = [
    "he's \u043eutside",  # Cyrillic о
    "he's \u043e\u0443ts\u0456d\u0435",  # Cyrillic о, у, і, е
    "h\u0435 h\u0430s \u0430 kn\u0456f\u0435",  # Cyrillic е, а, і
    "he's out\u200bside",  # zero-width space
    "he's out\u00adside",  # soft hyphen
    "he's out\u200dside my h\u2060ouse",  # zero-width joiner, word joiner
    "he's 0utside",
    "he has a kn1fe",
    "h3's 0uts1de my h0use",
    "\uff28\uff25'\uff33 \uff2f\uff35\uff34\uff33\uff29\uff24\uff25",  # full-width
    "he's \U0001d428\U0001d42e\U0001d42d\U0001d42c\U0001d422\U0001d41d\U0001d41e",  # maths bold
    "he's \u00f2uts\u00efde",  # accents
    "he's \u202eoutside",  # bidi override
    "i'm thinking of k\u0456ll\u0456ng myself",
]


@pytest.mark.parametrize("message", LOOKALIKES)
def test_lookalikes_are_read_as_letters(rules: SafetyGuard, message: str) -> None:
    assert rules.assess(message) is not None, f"missed {message!r}"


def test_numbers_are_not_folded(rules: SafetyGuard) -> None:
    assert rules.assess("he texts me 20 times a day") is None
    assert rules.match("call 999") == "call_police"
    assert rules.assess("he was outside at 10pm yesterday") is None


# -- long messages ----------------------------------------------------------


@pytest.mark.parametrize("position", [4000, 4097, 5000, 20000, 100000])
def test_danger_past_character_4096_is_read(rules: SafetyGuard, position: int) -> None:
    filler = "he texts me all the time and I keep a log. "
    text = (filler * (position // len(filler) + 1))[:position] + " He is outside my house now."
    assert len(text) > position
    assert rules.assess(text) == Alert("danger", "someone_here_now", "rules")
