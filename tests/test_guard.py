"""Tests for the deterministic safety guard (bot/guard/ + data/safety_guard.yml).

Every message here is one a real user might send.  When the guard is tuned,
add the message that prompted the change to one of the lists below.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.guard import SafetyGuard, SafetyGuardConfigError


@pytest.fixture(scope="module")
def guard() -> SafetyGuard:
    return SafetyGuard.from_file()


# Danger now: the bot must answer "call 999 now" first.
MUST_FIRE = [
    # someone here / outside / inside / at the door
    "he's outside my house",
    "hes outside",
    "he is at my door right now",
    "someone is in my house",
    "there's someone in my garden",
    "there is a man in my back garden",
    "help he's here",
    "help me he is here",
    "he's in the house",
    "my ex is outside my work",
    "dave is outside my flat",
    "he's sitting in a car outside my house",
    "he's waiting for me outside",
    "he's waiting at the end of my road",
    "hes waiting by my car",
    "i can see him through the window",
    "he's watching me right now from across the street",
    "he has just turned up at my work",
    "someone is inside",
    "he won't leave my doorstep",
    "what do i do hes outside",
    "he's outside my house right now what should i do",
    "her ex is outside her house",  # a friend in danger now: 999 is right for them too
    # following now
    "hes following me now",
    "he's following me home right now",
    "someone's following me",
    "i think someone is following me",
    "im being followed",
    "he followed me home",
    "he's chasing me",
    # weapons
    "he has a knife",
    "hes got a gun",
    "he's got a knife",
    "he is pointing a gun at me",
    "he came at me with a hammer",
    "he's armed",
    "he has a 🔪",
    # threats to kill or hurt
    "he said he will kill me tonight",
    "he's going to hurt me",
    "he threatened to kill me",
    "he said he's gonna kill me",
    "he'll kill me",
    "he said he'd kill me if i went to the police",
    "i think he's going to kill me",
    "he says he is coming to hurt me",
    "he said he will come round and kill me",
    # attacks
    "he is hitting me",
    "he's attacking me",
    "he just hit me",
    "he is strangling me",
    "i've just been attacked",
    "he won't let me leave",
    "i'm hiding in the bathroom",
    "i've locked myself in",
    # break-ins
    "someone is breaking in",
    "he broke in",
    "he's trying to get in",
    "he is banging on my door",
    "he is trying to break in",
    "someone is trying to get into my flat",
    "he's smashing my windows",
    "he's kicked the door down",
    "he got into my flat",
    "he won't stop banging on my door",
    # found me / on the way
    "he found me",
    "he has tracked me down",
    "he's found out where i live",
    "he's on his way here",
    "he's coming round now",
    # in danger, calls for help
    "I'm in danger",
    "im in danger",
    "i am scared for my life",
    "i fear for my life",
    "my life is in danger",
    "we're in danger",
    "i don't feel safe right now",
    "this is an emergency",
    "emergency",
    "call the police",
    "please call the police",
    "call 999",
    "can you call the police",
    "call 911",
    "i need the police now",
    "i need help now",
    "please help",
    "please, help",
    "help me",
    "someone help",
    "sos",
    # lower case, typos, no punctuation, capitals, extra spaces, emoji
    "hes outsid my house",
    "im in dnager",
    "he has a nife",
    "hes got a kinfe",
    "he is folowing me",
    "hes outsde my door",
    "he is in my huose",
    "pls help hes outside my house",
    "HE IS OUTSIDE MY HOUSE",
    "HELP ME HE IS IN MY HOUSE",
    "he   is    outside  my   house",
    "he's outside 😱😱",
    "he\u2019s outside my flat",  # curly apostrophe
    "he's here!!!! help",
    "he's at the door 🚪 please help",
    "heeeelp meee",
    "hes trying 2 get in",
    # safety bias: now beats an earlier past-tense clause
    "he followed me home and he's outside now",
    "he followed me last week and now he's outside",
    "he used to follow me but now he is outside my house",
    "he is outside, he was here yesterday too",
    "he's been outside my house every night and he's outside right now",
    "he's outside again right now",
    "what if he's outside right now",
    # found while probing
    "i'm terrified he's right outside",
    "he just got in through the back door",
    "there's someone following me",
    "my daughter is being followed right now",
    "he's got me trapped",
    "he's smashing up my car",
    "i am not safe here",
    "hes out side my house",
    "he's parked across the street",
    "he messaged saying he's on his way",
    "he keeps banging on my door right now",
    "i'm not joking he's outside",
    "no he's outside right now",
]

# Past, habitual, questions, general information: no 999 banner.
MUST_NOT_FIRE = [
    # answers given while recording an incident or during the FOUR check: the past
    "he followed me to the bus stop",
    "he broke my window",
    "he smashed my car window and threatened me",
    "he follows me",
    "he follows me and texts me",
    # from the brief
    "he used to follow me",
    "he followed me last week",
    "he was outside my house yesterday",
    "what's the non-emergency number?",
    "what is the number for the police",
    "how do I report it?",
    "what should I do if he turns up?",
    "what if he comes to my house",
    "am I being stalked?",
    "my ex keeps texting me",
    "he texts me 20 times a day",
    "he sends me flowers",
    "someone keeps commenting on my posts",
    "hi",
    "thanks",
    "I've told him to leave me alone",
    "it only happened once",
    "what is a stalking protection order",
    "can I call 999?",
    "when should I call 999",
    "he threatened me months ago",
    "my friend is being stalked",
    "I watched a film about a stalker",
    "he was in my garden last night",
    "he has my number",
    "he knows where I work",
    "he followed me on instagram",
    "he keeps following my instagram",
    # past
    "he broke in last year",
    "he followed me home last week",
    "he threatened to kill me years ago",
    "he hit me when we were together",
    "he attacked me in 2019",
    "he has been outside my house before",
    "he turned up at my work",
    "he was following me",
    # habitual / pattern over time
    "he's outside my house every day",
    "my ex is always outside my work",
    "he has been following me for months",
    "he's been following me for months now",
    "he followed me home twice",
    "he keeps turning up at my house",
    # hypothetical / advice questions
    "what if he has a knife",
    "what should I do if he turns up and he has a knife",
    "if he's outside, what do I do",
    "how do i know if someone is following me",
    "is it stalking if he waits outside my work",
    "should i call the police",
    "do i call 101 or 999",
    "how do i call the police without speaking",
    "when he is outside my house i feel sick",
    # denied
    "he isn't outside anymore",
    "he would never hurt me",
    "he's not going to hurt me",
    "i'm not in danger",
    "i don't think i'm in danger",
    "no one is following me",
    # online, not physical
    "someone is following me on instagram",
    "he found me on facebook",
    "he broke into my email",
    "he hacked my instagram",
    "he's trying to get in touch",
    "he hit me up on snapchat",
    "he is watching my stories",
    # asking the bot for help, general chat
    "help",
    "/help",
    "help please",
    "i need help",
    "can you help me",
    "please help me understand what stalking is",
    "help me write a log",
    "thanks for your help",
    "/start",
    "hello",
    "ok",
    "yes",
    "no",
    "",
    "   ",
    "🙂",
    # other
    "he has a gun licence",
    "the police are outside now",
    "my taxi is outside",
    "i am going to the police tomorrow",
    "he kicked me out of the group chat",
    "it hit me that he was stalking me",
    "he's coming to the court hearing next month",
    "he would hurt my feelings",
    "is there a number i can text",
    "he said he was sorry",
    "what counts as an emergency",
    "i'm outside my house now",
    # found while probing
    "he's outside the law",
    "i broke into tears",
    "the kids are in the garden",
    "my car is in the garage",
    "do you think he will hurt me",
    "my neighbour keeps knocking on my door",
    "i get the feeling someone is watching me",
    "who can help me",
    "i'm trying to get into my flat",
    "he's trying to get into my head",
    "should you call 999 for stalking",
    "i'm scared he'll kill me one day",
    "he's hurting me emotionally",
    "i don't think he has a weapon",
    "he is in my head",
    "he's at work",
    "my daughter is being followed",
    "my friend is being followed home",
]


@pytest.mark.parametrize("message", MUST_FIRE)
def test_fires(guard: SafetyGuard, message: str) -> None:
    rule = guard.match(message)
    assert rule is not None, f"should fire: {message!r}"
    assert guard.signals_danger(message)


@pytest.mark.parametrize("message", MUST_NOT_FIRE)
def test_does_not_fire(guard: SafetyGuard, message: str) -> None:
    assert guard.match(message) is None, f"fired {guard.match(message)!r} on {message!r}"
    assert not guard.signals_danger(message)


@pytest.mark.parametrize(
    "message",
    [
        "he's outside my house",
        "he has a knife",
        "someone is breaking in",
        "im in danger",
        "zebedee is outside my flat",
        "Zebedee has a knife",
        "call the police",
    ],
)
def test_match_returns_a_rule_name_not_the_text(guard: SafetyGuard, message: str) -> None:
    rule = guard.match(message)
    assert rule in guard.rule_names
    assert message.lower() not in rule.lower()
    assert "zebedee" not in rule.lower()


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("he's outside my house", "someone_here_now"),
        ("he has a knife", "weapon"),
        ("he's following me home right now", "following_now"),
        ("he said he will kill me tonight", "threat_to_harm"),
        ("someone is breaking in", "break_in"),
        ("he is hitting me", "attack_now"),
        ("he found me", "found_me"),
        ("im in danger", "in_danger"),
        ("call the police", "call_police"),
        ("please help", "cry_for_help"),
        ("he's on his way here", "on_the_way"),
    ],
)
def test_rule_names(guard: SafetyGuard, message: str, rule: str) -> None:
    assert guard.match(message) == rule


def test_non_string_input_is_safe(guard: SafetyGuard) -> None:
    assert guard.match(None) is None  # type: ignore[arg-type]
    assert guard.match(12) is None  # type: ignore[arg-type]


def test_fast(guard: SafetyGuard) -> None:
    messages = MUST_FIRE + MUST_NOT_FIRE
    for message in messages:  # warm up
        guard.match(message)
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for message in messages:
            guard.match(message)
    per_message = (time.perf_counter() - start) / (rounds * len(messages))
    assert per_message < 0.001, f"{per_message * 1000:.3f} ms per message"


def test_long_message_is_fast(guard: SafetyGuard) -> None:
    text = "he texts me all the time and I am worried, " * 200
    start = time.perf_counter()
    assert guard.match(text) is None
    assert time.perf_counter() - start < 0.1


def test_bad_pattern_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "guard.yml"
    path.write_text("danger:\n  - name: broken\n    patterns: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(SafetyGuardConfigError, match="broken"):
        SafetyGuard.from_file(path)


def test_unknown_macro_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "guard.yml"
    path.write_text("danger:\n  - name: r\n    patterns: ['{NOPE} outside']\n", encoding="utf-8")
    with pytest.raises(SafetyGuardConfigError, match="NOPE"):
        SafetyGuard.from_file(path)


def test_small_config_works(tmp_path: Path) -> None:
    path = tmp_path / "guard.yml"
    path.write_text(
        "danger:\n  - name: here\n    patterns: ['\\bhe is here\\b']\n"
        "not_danger:\n  - name: past\n    patterns: ['\\byesterday\\b']\n",
        encoding="utf-8",
    )
    guard = SafetyGuard.from_file(path)
    assert guard.match("He is HERE!") == "here"
    assert guard.match("he is here yesterday") is None
