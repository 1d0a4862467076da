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


# -- the semantic layer ------------------------------------------------------

SEMANTIC_ONLY = [
    # paraphrases no rule names; the semantic layer must still route them
    ("I keep thinking about taking all my pills", "suicide"),
    ("i want to end it so badly, give me a reason not to.", "suicide"),
    ("He tried to keep me away from my family because he told me they were no good.", "domestic_abuse"),
]


@pytest.fixture(scope="module")
def both() -> SafetyGuard:
    return SafetyGuard.from_file(semantic=True)


def test_semantic_layer_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights from the installed package, no hub, no network, no torch."""
    import sys

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    guard = SafetyGuard.from_file(semantic=True)
    assert guard.semantic is not None
    assert "torch" not in sys.modules


@pytest.mark.parametrize(("message", "route"), SEMANTIC_ONLY)
def test_semantic_layer_catches_what_no_rule_names(
    rules: SafetyGuard, both: SafetyGuard, message: str, route: str
) -> None:
    assert rules.assess(message) is None, "a rule catches it now: pick another paraphrase"
    alert = both.assess(message)
    assert alert == Alert(route, f"semantic_{route}", "semantic")


@pytest.mark.parametrize("message", NO_ALERT)
def test_semantic_layer_respects_negation_and_the_past(both: SafetyGuard, message: str) -> None:
    assert both.assess(message) is None, f"{message!r}: {both.assess(message)}"


def test_semantic_never_silences_a_rule(both: SafetyGuard) -> None:
    for message in TERSE_999 + [m for m, _ in ROUTE_CASES]:
        assert both.assess(message) is not None, message


def test_tokenizer_matches_the_models_own() -> None:
    """Token ids from the model's tokenizer.json (checked with the tokenizers package, 314 strings)."""
    from bot.embeddings import WordPieceTokenizer

    tokenizer = WordPieceTokenizer.from_file()
    assert tokenizer.encode("he's outside my house!!") == [
        101, 2002, 1005, 1055, 2648, 2026, 2160, 999, 999, 102]
    assert tokenizer.encode("Héllo wörld — café 🔪") == [101, 7592, 2088, 1517, 7668, 100, 102]
    assert tokenizer.encode("I’m not in danger, just asking") == [
        101, 1045, 1521, 1049, 2025, 1999, 5473, 1010, 2074, 4851, 102]
    assert len(tokenizer.encode("word " * 500)) == 128


def test_embeddings_are_unit_vectors_and_meaningful() -> None:
    from bot.embeddings import default_embedder

    texts = ["he is outside my house", "he's waiting outside my home", "I like tea"]
    vectors = default_embedder().embed(texts)
    assert vectors.shape == (3, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-3
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_a_changed_model_file_is_refused(tmp_path) -> None:
    from bot.embeddings import EmbeddingModelError, runtime_model_path

    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(EmbeddingModelError, match="sha256"):
        runtime_model_path(fake)


def test_the_classifier_was_built_from_the_training_data() -> None:
    """Editing data/guard_semantic.yml without `python -m bot.guard_semantic build` fails here."""
    from bot.guard_semantic import load

    assert load().threshold >= 0.5


# The guard's cost (p95 CPU per message, memory) is measured by ./bench.sh --guard,
# never by a timed test: see docs/guard-evaluation.md.


# -- the real-source validation set -----------------------------------------


def test_realsource_items_name_their_source_and_licence() -> None:
    import yaml

    from bench.guard_eval import SET_PATH

    data = yaml.safe_load(SET_PATH.read_text("utf-8"))
    assert len(data["items"]) >= 100
    for name, source in data["sources"].items():
        assert source.get("where", "").startswith("http"), name
        assert source.get("licence"), name
    for item in data["items"]:
        assert item["source"] in data["sources"], item["text"]
        assert item["kind"] in {"danger", "crisis", "near_miss", "past", "negated"}


def test_rules_layer_floors_on_the_realsource_set(rules: SafetyGuard) -> None:
    from bench.guard_eval import load_set, predict, score

    items = load_set()
    figures = score(items, [predict(rules, "rules", i["text"]) for i in items])
    assert figures["danger_recall"] >= 0.95, figures["missed_danger"]
    assert figures["near_miss_false_alarms"] <= 0.05, figures["false_alarms"]
    assert figures["negation_alarms"].startswith("0/")
    assert figures["crisis_route_recall"] >= 0.70, figures["missed_crisis"]


def test_both_layers_meet_the_targets_on_the_realsource_set(both: SafetyGuard) -> None:
    """Issue 11: danger recall 100%, false alarms at most 5% on near misses, none on plain negations."""
    from bench.guard_eval import evaluate

    figures = evaluate(both)
    combined = figures["both"]
    assert combined["danger_recall"] == 1.0, combined["missed_danger"]
    assert combined["near_miss_false_alarms"] <= 0.05, combined["false_alarms"]
    assert combined["negation_alarms"].startswith("0/")
    assert combined["crisis_any_alert"] >= 0.88, combined["missed_crisis"]
    assert combined["crisis_route_recall"] >= 0.85, combined["missed_crisis"]
    semantic = figures["semantic"]
    assert semantic["near_miss_false_alarms"] <= 0.05, semantic["false_alarms"]
    assert semantic["negation_alarms"].startswith("0/")


# -- a note's answers, written in the past, are not danger now --------------------------------

#: Answers to the note's steps that set off the 999 alarm while a person was writing a note
#: (found playing the note as a person would), and what must still fire beside them.
NOTE_ANSWERS = [
    "he was waiting by the gate",  # "what happened?": the semantic layer read it as now
    "scared. didnt go to the gym today",  # "how did it make you feel?": a fear word, not a bare one
    "she was sitting in her car outside my work for an hour",
]
STILL_DANGER = [
    "scared", "im so scared", "Scared.", "terrified help",
    "scared. hes outside", "scared. please help", "scared. cant talk",
    "he was waiting by the gate and hes still there now",
]


@pytest.mark.parametrize("message", NOTE_ANSWERS)
def test_a_notes_past_answer_gets_no_alarm(both: SafetyGuard, message: str) -> None:
    assert both.assess(message) is None


@pytest.mark.parametrize("message", STILL_DANGER)
def test_a_bare_fear_word_and_now_still_get_999(both: SafetyGuard, message: str) -> None:
    alert = both.assess(message)
    assert alert is not None and alert.route == "danger", message
