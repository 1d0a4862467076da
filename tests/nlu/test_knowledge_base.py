"""The knowledge base, the dense featurizer and calibrated honesty (issue 12, items 1-3), without a model.

What a person would notice: a knowledge-base answer is short and has a "more" button;
an unsure question gets "did you mean" buttons for the likeliest topics (never an
answer); nothing likely gets "I don't know" with the helpline.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
FAQ = yaml.safe_load((ROOT / "domain" / "faq.yml").read_text("utf-8"))
TOPICS = yaml.safe_load((ROOT / "tests" / "data" / "faq_topics.yml").read_text("utf-8"))["topics"]
FACTS = yaml.safe_load((ROOT / "data" / "facts.yml").read_text("utf-8"))["contacts"]
COPY = yaml.safe_load((ROOT / "data" / "faq_copy.yml").read_text("utf-8"))


def _answers() -> dict[str, str]:
    return {k: v[0]["text"] for k, v in FAQ["responses"].items() if k.startswith("utter_faq/")}


def test_every_topic_without_an_intent_has_a_short_answer_with_a_more_button() -> None:
    answers = _answers()
    for topic, spec in TOPICS.items():
        if spec.get("answered_by"):
            continue
        name = f"utter_faq/{topic}"
        assert name in answers, topic
        assert len(answers[name]) <= 620, topic
        buttons = FAQ["responses"][name][0]["buttons"]
        # doubled braces: Rasa's response interpolation gives back single ones
        assert buttons[0]["payload"] == '/faq_topic{{"topic": "' + topic + '", "detail": "more"}}'
        assert COPY["more"][topic].strip(), topic


def test_numbers_in_answers_are_facts_placeholders() -> None:
    texts = {name: response[0]["text"] for name, response in FAQ["responses"].items()}
    texts.update({f"more.{k}": v for k, v in COPY["more"].items()})
    texts.update({k: COPY[k] for k in ("more_none", "did_you_mean", "dont_know")})
    for name, text in texts.items():
        for key in re.findall(r"\[\[(\w+)\]\]", text):
            assert key in FACTS, (name, key)
        # no phone number written out: it must come from data/facts.yml
        assert not re.search(r"\b0\d{3} ?\d{3} ?\d{3,4}\b", text), name


def test_every_knowledge_base_topic_has_training_examples() -> None:
    data = yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text("utf-8"))
    trained = {item["intent"]: item["examples"].count("\n") for item in data["nlu"]}
    for name in _answers():
        assert trained.get("faq/" + name.split("/", 1)[1], 0) >= 12, name


def test_topic_ranking_multiplies_the_retrieval_intent_by_its_keys() -> None:
    from nlu.components.topics import topic_ranking

    parse = {"intent_ranking": [{"name": "faq", "confidence": 0.6}, {"name": "ask_law", "confidence": 0.3},
                                {"name": "greet", "confidence": 0.1}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/civil_orders", "confidence": 0.75},
                 {"intent_response_key": "faq/order_breach", "confidence": 0.25}]}}}
    ranking = [(label, round(p, 3)) for label, p in topic_ranking(parse)]
    assert ranking == [("faq/civil_orders", 0.45), ("ask_law", 0.3), ("faq/order_breach", 0.15),
                       ("greet", 0.1)]


def _gate(threshold: float = 0.5, margin: float = 0.1):
    from nlu.components.topic_gate import TopicGate

    return TopicGate({"threshold": threshold, "ambiguity_threshold": margin})


def _message(parse: dict):
    from rasa.shared.nlu.training_data.message import Message

    return Message(data={"text": "q", **parse})


def test_the_gate_turns_two_close_topics_into_not_sure() -> None:
    close = {"intent": {"name": "faq", "confidence": 0.9},
             "intent_ranking": [{"name": "faq", "confidence": 0.9}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/civil_orders", "confidence": 0.48},
                 {"intent_response_key": "faq/order_breach", "confidence": 0.45}]}}}
    message = _gate().process([_message(close)])[0]
    assert message.get("intent")["name"] == "nlu_fallback"
    sure = json.loads(json.dumps(close))
    sure["response_selector"]["faq"]["ranking"] = [
        {"intent_response_key": "faq/civil_orders", "confidence": 0.9},
        {"intent_response_key": "faq/order_breach", "confidence": 0.05}]
    assert _gate().process([_message(sure)])[0].get("intent")["name"] == "faq"


def test_the_gate_leaves_answers_that_are_not_questions_alone() -> None:
    parse = {"intent": {"name": "affirm", "confidence": 0.45},
             "intent_ranking": [{"name": "affirm", "confidence": 0.45}, {"name": "deny", "confidence": 0.4}]}
    assert _gate().process([_message(parse)])[0].get("intent")["name"] == "affirm"


class _Tracker:
    def __init__(self, latest: dict) -> None:
        self.latest_message = latest
        self.events: list = []


def test_did_you_mean_offers_the_likeliest_topics_as_buttons_not_an_answer() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from nlu.actions.faq import ActionDidYouMean

    latest = {"intent": {"name": "nlu_fallback"},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5},
                                 {"name": "faq", "confidence": 0.7}, {"name": "ask_spo", "confidence": 0.2}],
              "response_selector": {"faq": {"ranking": [
                  {"intent_response_key": "faq/civil_orders", "confidence": 0.5},
                  {"intent_response_key": "faq/order_breach", "confidence": 0.4}]}}}
    dispatcher = CollectingDispatcher()
    ActionDidYouMean().run(dispatcher, _Tracker(latest), {})
    [message] = dispatcher.messages
    assert message["text"] == COPY["did_you_mean"] and "Did you mean" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        '/faq_topic{"topic": "civil_orders"}', '/faq_topic{"topic": "order_breach"}', "/ask_spo",
        "/ask_questions"]
    assert [b["title"] for b in message["buttons"]][:2] == [
        "Non-molestation and restraining orders", "When someone breaks an order"]


def test_nothing_likely_is_an_honest_i_dont_know_with_the_helpline() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from nlu.actions.faq import ActionDidYouMean

    latest = {"intent": {"name": "nlu_fallback"},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4},
                                 {"name": "greet", "confidence": 0.3}]}
    dispatcher = CollectingDispatcher()
    ActionDidYouMean().run(dispatcher, _Tracker(latest), {})
    [message] = dispatcher.messages
    assert "don't know" in message["text"] and "[[helpline_phone]]" in message["text"]
    assert "Did you mean" not in message["text"]


def test_a_button_picks_the_topic_and_more_gives_more() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from nlu.actions.faq import ActionFaq

    domain = {"responses": FAQ["responses"]}
    topic = {"entity": "topic", "value": "clares_law"}
    latest = {"intent": {"name": "faq_topic"}, "entities": [topic]}
    dispatcher = CollectingDispatcher()
    ActionFaq().run(dispatcher, _Tracker(latest), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/clares_law"]
    latest = {"intent": {"name": "faq_topic"}, "entities": [topic, {"entity": "detail", "value": "more"}]}
    dispatcher = CollectingDispatcher()
    ActionFaq().run(dispatcher, _Tracker(latest), domain)
    assert [m["text"] for m in dispatcher.messages] == [COPY["more"]["clares_law"]]
    # "tell me more" in words: the last topic answered
    tracker = _Tracker({"intent": {"name": "faq_topic"}, "entities": []})
    tracker.events = [{"event": "user", "parse_data": {
        "intent": {"name": "faq"},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/order_breach"}}}}},
        {"event": "bot", "text": "..."}, {"event": "user", "parse_data": {"intent": {"name": "faq_topic"}}}]
    dispatcher = CollectingDispatcher()
    ActionFaq().run(dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [COPY["more"]["order_breach"]]


class _FakeEmbedder:
    def embed(self, texts):
        return np.ones((len(texts), 384), dtype=np.float32) / np.sqrt(384)


def test_the_dense_featurizer_sets_sentence_and_sequence_features() -> None:
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.minilm_featurizer import MiniLMFeaturizer

    message = Message(data={"text": "he put a tracker on my car"})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    featurizer = MiniLMFeaturizer("minilm", {**MiniLMFeaturizer.get_default_config(), "scale": 2.0},
                                  embedder=_FakeEmbedder())
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    assert sentence.features.shape == (1, 384) and sequence.features.shape == (7, 384)
    assert np.isclose(np.linalg.norm(sentence.features), 2.0)


def test_the_featurizer_module_does_not_import_the_bot() -> None:
    source = (ROOT / "nlu" / "components" / "minilm_featurizer.py").read_text("utf-8")
    assert "from bot" not in source and "import bot" not in source
