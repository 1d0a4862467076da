"""The external evaluation set (issue 12, item 7) is what it says it is.

At least 150 questions, each with a source that gives its address and licence, each
labelled with a topic of tests/data/faq_topics.yml; none is a training example (a test
set the model has learnt says nothing).  The accuracy floor on it belongs to the NLU
work; here only the set and its scoring are checked.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from bench import faq_eval
from bench.nlu_eval import examples, normalise

ROOT = Path(__file__).resolve().parent.parent
DATA = faq_eval.load_set()
TOPICS = faq_eval.load_topics()


def test_the_set_has_at_least_150_sourced_and_labelled_questions() -> None:
    items, sources = DATA["items"], DATA["sources"]
    assert len(items) >= 150
    for item in items:
        assert item["text"].strip(), item
        assert item["topic"] in TOPICS, item
        source = sources[item["source"]]
        assert source["where"].startswith(("http://", "https://")), item
        assert source["licence"].strip() and source["what"].strip(), item
    assert len({i["text"].lower() for i in items}) == len(items)  # no question twice
    assert len(sources) >= 50  # many pages, not one page's phrasing


def test_every_topic_has_a_definition_and_most_have_questions() -> None:
    for name, topic in TOPICS.items():
        assert str(topic["definition"]).strip(), name
        assert isinstance(topic.get("answered_by") or [], list), name
    asked = {i["topic"] for i in DATA["items"]}
    assert len(asked) >= 20
    # issue 12's new topics are all in the set
    for new in ("tracking_stalkerware", "clares_law", "civil_orders", "order_breach", "after_reporting",
                "reporting_anonymously", "who_stalks", "cyberstalking", "workplace_students",
                "scotland_ni", "helping_a_child"):
        assert new in asked, new


def test_no_question_is_a_training_example() -> None:
    train = examples(ROOT / "data" / "nlu")
    assert [i["text"] for i in DATA["items"] if normalise(i["text"]) in train] == []


def test_the_scoring_tells_right_from_not_sure_from_confidently_wrong() -> None:
    items = [{"text": "a", "topic": "clares_law", "source": "s"},
             {"text": "b", "topic": "clares_law", "source": "s"},
             {"text": "e", "topic": "clares_law", "source": "s"},
             {"text": "c", "topic": "civil_orders", "source": "s"},
             {"text": "d", "topic": "reporting", "source": "s"}]
    parsed = [
        # a retrieval intent counts by its response key, named after the topic
        {"intent": {"name": "faq", "confidence": 0.9}, "intent_ranking": [{"name": "faq"}],
         "response_selector": {"faq": {"response": {"intent_response_key": "faq/clares_law"}}}},
        {"intent": {"name": "nlu_fallback", "confidence": 0.4},
         "intent_ranking": [{"name": "nlu_fallback"}, {"name": "ask_law"}]},
        # not sure, and "did you mean" offers the right answer: one tap from it
        {"intent": {"name": "nlu_fallback", "confidence": 0.4},
         "intent_ranking": [{"name": "nlu_fallback"}, {"name": "faq", "confidence": 0.6}],
         "response_selector": {"faq": {"ranking": [
             {"intent_response_key": "faq/civil_orders", "confidence": 0.5},
             {"intent_response_key": "faq/clares_law", "confidence": 0.4}]}}},
        {"intent": {"name": "ask_spo", "confidence": 0.8}, "intent_ranking": [{"name": "ask_spo"}]},
        {"intent": {"name": "ask_report", "confidence": 0.7},
         "intent_ranking": [{"name": "ask_report"}, {"name": "ask_record"}]},
    ]
    result = faq_eval.evaluate(parsed, items, TOPICS)
    assert [r["outcome"] for r in result["rows"]] == ["right", "not_sure", "not_sure", "wrong", "right"]
    assert (result["accuracy"], result["not_sure_rate"], result["confident_wrong_rate"]) == (0.4, 0.4, 0.2)
    # the first "not sure" offers no button ("I don't know"); the second offers the right answer
    assert [r["offered"] for r in result["rows"][1:3]] == [[], ["faq/civil_orders", "faq/clares_law"]]
    assert (result["right_or_offered_rate"], result["dont_know_rate"]) == (0.6, 0.2)
    assert result["wrong_pairs"] == [{"topic": "civil_orders", "predicted": "ask_spo", "count": 1}]


def test_the_report_section_is_titled_external_set() -> None:
    result = faq_eval.evaluate([{"intent": {"name": "ask_report", "confidence": 0.9}}],
                               [{"text": "x", "topic": "reporting", "source": "s"}], TOPICS)
    result.update({"set": "tests/data/faq_external.yml", "command": "c", "seconds": 1.0,
                   "also_in_training": []})
    text = "\n".join(faq_eval.markdown(result))
    assert text.startswith("## External set") and "confident wrong" in text
    assert yaml.safe_load((ROOT / "tests" / "data" / "faq_topics.yml").read_text("utf-8"))
