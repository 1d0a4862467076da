"""The honesty gate's calibration rule (bench/gate_calibration.py, step 4): the best score
that does not answer more questions wrongly than the gate in config.yml does."""
from __future__ import annotations

import json

from bench.common import ROOT
from bench.gate_calibration import current_gate, outcome, pick


def row(t: float, m: float, right: float, wrong: float) -> dict[str, float]:
    return {"threshold": t, "ambiguity_threshold": m, "right": right, "not_sure": round(1 - right - wrong, 4),
            "wrong": wrong, "score": round(right - 3 * wrong, 4)}


def test_the_top_score_is_not_chosen_when_it_answers_more_questions_wrongly() -> None:
    table = [row(0.0, 0.3, 0.80, 0.08), row(0.55, 0.4, 0.70, 0.06), row(0.65, 0.4, 0.66, 0.05)]
    chosen = pick(table, (0.55, 0.4))
    assert chosen["top"] == table[0]  # 0.56 beats 0.52 ...
    assert chosen["chosen"] == table[1]  # ... but with more confident wrong answers


def test_a_better_pair_with_no_more_wrong_answers_is_chosen() -> None:
    table = [row(0.5, 0.3, 0.75, 0.06), row(0.55, 0.4, 0.70, 0.06)]
    assert pick(table, (0.55, 0.4))["chosen"] == table[0]


def test_the_gate_in_config_is_what_the_last_calibration_chose() -> None:
    data = json.loads((ROOT / "docs" / "gate-calibration.json").read_text("utf-8"))
    chosen = data["chosen"]
    assert current_gate() == (chosen["threshold"], chosen["ambiguity_threshold"])


def test_a_held_out_question_is_judged_as_the_bot_would_answer_it() -> None:
    """The calibration model's own gate is taken out; Rasa's FallbackClassifier still says "not
    sure" below its threshold; a question intent goes through the gate's reading."""
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.6},  # what the model's gate made of it
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.6},
                                {"name": "faq", "confidence": 0.55},
                                {"name": "start_check", "confidence": 0.45}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/clares_law", "confidence": 0.95},
                 {"intent_response_key": "faq/law", "confidence": 0.03}]}}}
    assert outcome(parse, "faq/clares_law", 0.6, 0.35) == "right"
    assert outcome(parse, "faq/law", 0.6, 0.35) == "wrong"
    assert outcome(parse, "faq/clares_law", 0.97, 0.35) == "not_sure"
    low = {**parse, "intent_ranking": [{"name": "faq", "confidence": 0.35},
                                       {"name": "greet", "confidence": 0.3}]}
    assert outcome(low, "faq/clares_law", 0.6, 0.35) == "not_sure"  # the FallbackClassifier's 0.4
    other = {**parse, "intent_ranking": [{"name": "start_check", "confidence": 0.9}]}
    assert outcome(other, "faq/clares_law", 0.0, 0.0) == "wrong"  # answered as the check


def test_the_folds_keep_the_source_of_each_block_and_hold_out_each_once() -> None:
    """The topic selector weighs a real question more (its metadata source: real): a fold's
    training data keeps that mark, and every question is held out in exactly one fold."""
    from bench.gate_calibration import split

    written = "".join(f"- how do i report it {i}\n" for i in range(10))
    real = "".join(f"- can i report stalking online {i}\n" for i in range(10))
    items = [{"intent": "faq/reporting", "examples": written},
             {"intent": "faq/reporting", "metadata": {"source": "real"}, "examples": real},
             {"intent": "greet", "examples": "- hi\n- hello\n"}]
    held_all = []
    for fold in range(5):
        train, held = split(items, fold=fold)
        held_all += [text for text, _ in held]
        marked = [t for t in train if t.get("metadata") == {"source": "real"}]
        assert len(marked) == 1 and "online" in marked[0]["examples"]
        assert all("online" not in t["examples"] for t in train if "metadata" not in t)
        trained = {line[2:] for t in train for line in t["examples"].splitlines()}
        assert not trained & {text for text, _ in held}
    assert sorted(held_all) == sorted(line[2:] for line in (written + real).splitlines())
