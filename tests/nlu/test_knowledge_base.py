"""The knowledge base, the dense featurizer and calibrated honesty (issue 12, items 1-3), without a model.

What a person would notice: a knowledge-base answer is short and has a "more" button;
an unsure question gets "did you mean" buttons for the likeliest topics (never an
answer); nothing likely gets "I don't know" with the helpline.
"""
from __future__ import annotations

import asyncio
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


def _legacy_responses() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in (ROOT / "domain").glob("*.yml"):
        out.update((yaml.safe_load(path.read_text("utf-8")) or {}).get("responses") or {})
    return out


def test_every_knowledge_base_topic_has_a_short_answer_with_a_more_button() -> None:
    from nlu.components.topics import ROUTES

    answers = _answers()
    native = [name.split("/", 1)[1] for name in answers if name.split("/", 1)[1] not in ROUTES]
    assert len(native) >= 13
    for topic, spec in TOPICS.items():  # every topic of the external set has an answer
        assert f"utter_faq/{topic}" in answers or spec.get("answered_by"), topic
    for topic in native:
        name = f"utter_faq/{topic}"
        assert len(answers[name]) <= 620, topic
        buttons = FAQ["responses"][name][0]["buttons"]
        # doubled braces: Rasa's response interpolation gives back single ones
        assert buttons[0]["payload"] == '/faq_topic{{"topic": "' + topic + '", "detail": "more"}}'
        assert COPY["more"][topic].strip(), topic


def test_a_leaflet_topic_says_what_its_button_says() -> None:
    """A leaflet topic is answered by its button's response or action (the rule of its intent);
    where Rasa's selected response is read directly (inside a form) it is the same text."""
    from nlu.components.topics import ROUTES

    rules = {}
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text("utf-8"))["rules"]:
            steps = rule["steps"]
            if len(steps) == 2 and "intent" in steps[0] and "action" in steps[1]:
                rules[steps[0]["intent"]] = steps[1]["action"]
    legacy, answers = _legacy_responses(), _answers()
    for topic, (intent, answer) in ROUTES.items():
        assert rules[intent] == answer, topic  # the button's rule gives the same answer
        assert f"utter_faq/{topic}" in answers, topic
        if answer.startswith("utter_"):
            assert answers[f"utter_faq/{topic}"] == legacy[answer][0]["text"], topic


def test_numbers_in_answers_are_facts_placeholders() -> None:
    texts = {name: response[0]["text"] for name, response in FAQ["responses"].items()}
    texts.update({f"more.{k}": v for k, v in COPY["more"].items()})
    texts.update({k: COPY[k] for k in ("more_none", "did_you_mean", "dont_know")})
    for name, text in texts.items():
        for key in re.findall(r"\[\[(\w+)\]\]", text):
            assert key in FACTS, (name, key)
        # no phone number written out: it must come from data/facts.yml
        assert not re.search(r"\b0\d{3} ?\d{3} ?\d{3,4}\b", text), name


def test_every_knowledge_base_topic_has_training_examples_and_no_question_intent_is_left() -> None:
    from nlu.components.topics import ROUTES

    trained: dict[str, int] = {}
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            if "intent" in item:
                trained[item["intent"]] = trained.get(item["intent"], 0) + item["examples"].count("\n")
    for name in _answers():
        assert trained.get("faq/" + name.split("/", 1)[1], 0) >= 20, name
    # one retrieval intent ranks every topic: the buttons' intents have no examples to compete with
    assert not [intent for intent, _ in ROUTES.values() if intent in trained]


def test_topic_ranking_multiplies_the_retrieval_intent_by_its_keys() -> None:
    from nlu.components.topics import topic_ranking

    parse = {"intent_ranking": [{"name": "faq", "confidence": 0.6},
                                {"name": "ask_about_bot", "confidence": 0.3},
                                {"name": "greet", "confidence": 0.1}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/civil_orders", "confidence": 0.75},
                 {"intent_response_key": "faq/order_breach", "confidence": 0.25}]}}}
    ranking = [(label, round(p, 3)) for label, p in topic_ranking(parse)]
    assert ranking == [("faq/civil_orders", 0.45), ("ask_about_bot", 0.3), ("faq/order_breach", 0.15),
                       ("greet", 0.1)]
    # a button's intent is its topic: the two add up, never split one answer
    parse["intent_ranking"][1]["name"] = "ask_report"
    parse["response_selector"]["faq"]["ranking"][1]["intent_response_key"] = "faq/reporting"
    assert [(label, round(p, 3)) for label, p in topic_ranking(parse)][:2] == [
        ("faq/civil_orders", 0.45), ("faq/reporting", 0.45)]


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


def test_the_gate_weighs_the_topic_alone_once_the_classifier_says_a_question() -> None:
    """The classifier splits its vote (a question 0.55, "check what is happening" 0.45) and the
    topic selector is sure (0.95): answered.  Before, p(faq) x p(topic) = 0.52 was "not sure"."""
    split = {"intent": {"name": "faq", "confidence": 0.55},
             "intent_ranking": [{"name": "faq", "confidence": 0.55},
                                {"name": "start_check", "confidence": 0.45}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/clares_law", "confidence": 0.95},
                 {"intent_response_key": "faq/civil_orders", "confidence": 0.03}]}}}
    assert _gate(0.6, 0.35).process([_message(split)])[0].get("intent")["name"] == "faq"
    # another question intent still weighs every answerable topic together
    about = {"intent": {"name": "ask_about_bot", "confidence": 0.5},
             "intent_ranking": [{"name": "ask_about_bot", "confidence": 0.5},
                                {"name": "faq", "confidence": 0.45}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/helplines", "confidence": 0.99}]}}}
    assert _gate(0.6, 0.35).process([_message(about)])[0].get("intent")["name"] == "nlu_fallback"


def test_the_gate_leaves_answers_that_are_not_questions_alone() -> None:
    parse = {"intent": {"name": "affirm", "confidence": 0.45},
             "intent_ranking": [{"name": "affirm", "confidence": 0.45}, {"name": "deny", "confidence": 0.4}]}
    assert _gate().process([_message(parse)])[0].get("intent")["name"] == "affirm"


class _Tracker:
    def __init__(self, latest: dict) -> None:
        self.latest_message = latest
        self.events: list = []
        self.slots: dict = {}

    def get_slot(self, name: str):
        return self.slots.get(name)


def test_did_you_mean_offers_the_likeliest_topics_as_buttons_not_an_answer() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from nlu.actions.faq import ActionDidYouMean

    latest = {"intent": {"name": "nlu_fallback"},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5},
                                 {"name": "faq", "confidence": 0.9}],
              "response_selector": {"faq": {"ranking": [
                  {"intent_response_key": "faq/civil_orders", "confidence": 0.4},
                  {"intent_response_key": "faq/order_breach", "confidence": 0.35},
                  {"intent_response_key": "faq/stalking_protection_order", "confidence": 0.2}]}}}
    dispatcher = CollectingDispatcher()
    ActionDidYouMean().run(dispatcher, _Tracker(latest), {})
    [message] = dispatcher.messages
    assert message["text"] == COPY["did_you_mean"] and "Did you mean" in message["text"]
    # a leaflet topic's button sends its intent, as the bot's other buttons do
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


def _run(action, latest: dict, events: list | None = None, slots: dict | None = None) -> list[dict]:
    from rasa_sdk.executor import CollectingDispatcher

    tracker = _Tracker(latest)
    tracker.events = events or []
    tracker.slots = slots or {}
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {"responses": FAQ["responses"]}))
    return dispatcher.messages


def test_a_button_picks_the_topic_and_more_gives_more() -> None:
    from nlu.actions.faq import ActionFaq

    topic = {"entity": "topic", "value": "clares_law"}
    messages = _run(ActionFaq(), {"intent": {"name": "faq_topic"}, "entities": [topic]})
    # first, where the person is isn't known in this conversation: the bot's desk is asked whether
    # they told us before that they are in Scotland or Northern Ireland (an England and Wales answer)
    assert messages[0]["custom"] == {"diary": {"op": "elsewhere", "topic": "clares_law"}}
    assert [m["response"] for m in messages[1:]] == ["utter_faq/clares_law"]
    messages = _run(ActionFaq(), {"intent": {"name": "faq_topic"},
                                  "entities": [topic, {"entity": "detail", "value": "more"}]})
    assert [m["text"] for m in messages] == [COPY["more"]["clares_law"]]
    # "tell me more" in words: the last topic answered
    events = [{"event": "user", "parse_data": {
        "intent": {"name": "faq"},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/order_breach"}}}}},
        {"event": "bot", "text": "..."}, {"event": "user", "parse_data": {"intent": {"name": "faq_topic"}}}]
    messages = _run(ActionFaq(), {"intent": {"name": "faq_topic"}, "entities": []}, events)
    assert [m["text"] for m in messages] == [COPY["more"]["order_breach"]]


def _typed(topic: str) -> dict:
    return {"intent": {"name": "faq", "confidence": 0.9},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}}}


def test_a_typed_question_gets_its_topics_answer() -> None:
    from nlu.actions.faq import ActionFaq

    said = _run(ActionFaq(), _typed("clares_law"))  # after the desk's "elsewhere" op (above)
    assert [m.get("response") for m in said if not m.get("custom")] == ["utter_faq/clares_law"]
    # a leaflet topic: the response its button gives
    assert [m["response"] for m in _run(ActionFaq(), _typed("evidence_log"))] == ["utter_record"]
    assert [m["response"] for m in _run(ActionFaq(), _typed("four_signs"))] == ["utter_four_signs"]


def test_a_typed_question_about_reporting_asks_where_the_person_is_as_its_button_does() -> None:
    from nlu.actions.faq import ActionFaq

    [asked] = _run(ActionFaq(), _typed("reporting"))
    assert asked["custom"] == {"diary": {"op": "where", "topic": "report"}}
    [law] = _run(ActionFaq(), _typed("law"), slots={"where_person": "scotland"})
    assert "section 39 of the Criminal Justice and Licensing (Scotland) Act 2010" in law["text"]
    [menu] = _run(ActionFaq(), _typed("what_to_do"), slots={"behaviours": []})
    assert [b["payload"] for b in menu["buttons"]][:4] == [
        "/ask_record", "/ask_tell_someone", "/ask_routines", "/ask_report"]


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


def test_the_topic_selector_learns_ranks_and_reloads_topics(tmp_path: Path) -> None:
    """TopicSelector: trained on sentence vectors, it answers with the ResponseSelector's output
    (the topic, its responses, a ranking), and the same after it is stored and loaded again."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.topic_selector import TopicSelector

    rng = np.random.default_rng(0)
    centres = {"faq/clares_law": rng.normal(size=8), "faq/civil_orders": rng.normal(size=8)}

    def message(vector: np.ndarray, key: str | None = None) -> Message:
        data = {"text": "q"}
        if key:
            data.update({"intent": "faq", "intent_response_key": key})
        m = Message(data=data)
        m.add_features(Features(vector.reshape(1, -1) * 8.0, "sentence", "text", "minilm"))
        return m

    examples = [message(c + rng.normal(scale=0.1, size=8), key)
                for key, c in centres.items() for _ in range(10)]
    responses = {"utter_faq/clares_law": [{"text": "Clare's Law ..."}],
                 "utter_faq/civil_orders": [{"text": "Orders"}]}
    storage, resource = LocalModelStorage(tmp_path), Resource("selector")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**TopicSelector.get_default_config(), "featurizers": ["minilm"]}
    selector = TopicSelector.create(config, storage, resource, context)
    selector.train(TrainingData(examples, responses=responses))
    loaded = TopicSelector.load(config, storage, resource, context)
    [out] = loaded.process([message(centres["faq/clares_law"])])
    chosen = out.get("response_selector")["faq"]
    assert chosen["response"]["intent_response_key"] == "faq/clares_law"
    assert chosen["response"]["responses"] == [{"text": "Clare's Law ..."}]
    assert chosen["response"]["confidence"] > 0.9
    assert [r["intent_response_key"] for r in chosen["ranking"]] == ["faq/clares_law", "faq/civil_orders"]


def test_a_question_quoted_from_a_real_page_weighs_more_in_the_selector(tmp_path: Path) -> None:
    """Where questions written here and questions quoted from real pages (metadata source: real)
    disagree, the real ones win at the configured weight; at weight 1 the written ones, more
    numerous, would.  And every real-source file marks its blocks so."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.topic_selector import TopicSelector

    rng = np.random.default_rng(1)
    centres = {"faq/reporting": rng.normal(size=8), "faq/after_reporting": rng.normal(size=8)}
    between = (centres["faq/reporting"] + centres["faq/after_reporting"]) / 2

    def message(vector: np.ndarray, key: str | None = None, source: str | None = None) -> Message:
        data: dict = {"text": "q"}
        if key:
            data.update({"intent": "faq", "intent_response_key": key})
        if source:
            data["metadata"] = {"intent": {"source": source}}
        m = Message(data=data)
        m.add_features(Features(vector.reshape(1, -1), "sentence", "text", "minilm"))
        return m

    examples = [message(c + rng.normal(scale=0.1, size=8), key)
                for key, c in centres.items() for _ in range(6)]
    examples += [message(between + rng.normal(scale=0.01, size=8), "faq/reporting") for _ in range(4)]
    examples += [message(between + rng.normal(scale=0.01, size=8), "faq/after_reporting", "real")
                 for _ in range(2)]
    context = ExecutionContext(GraphSchema({}), "test")
    config_file = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    [selector_config] = [c for c in config_file["pipeline"] if c["name"].endswith("TopicSelector")]
    weight = float(selector_config["source_weights"]["real"])
    chosen = {}
    for name, weights in (("configured", {"real": weight}), ("equal", {})):
        config = {**TopicSelector.get_default_config(), "featurizers": ["minilm"], "source_weights": weights}
        (tmp_path / name).mkdir()
        selector = TopicSelector.create(config, LocalModelStorage(tmp_path / name), Resource("s"), context)
        selector.train(TrainingData(examples))
        [out] = selector.process([message(between)])
        chosen[name] = out.get("response_selector")["faq"]["response"]["intent_response_key"]
    assert chosen == {"configured": "faq/after_reporting", "equal": "faq/reporting"}
    for path in sorted((ROOT / "data" / "nlu").glob("faq_real*.yml")):
        blocks = yaml.safe_load(path.read_text("utf-8"))["nlu"]
        assert blocks and all(b.get("metadata", {}).get("source") == "real" for b in blocks), path.name


def test_a_forged_action_name_is_not_read_as_a_request() -> None:
    """bot/core.py passes an unknown command on as words ("/action_save_note" -> "action_save_note");
    the classifier may read "save note" in it, but nobody types an action's name: not sure."""
    forged = {"text": "action_save_note", "intent": {"name": "record_incident", "confidence": 0.5},
              "intent_ranking": [{"name": "record_incident", "confidence": 0.5}]}
    assert _gate().process([_message(forged)])[0].get("intent")["name"] == "nlu_fallback"
    words = dict(forged, text="save a note")
    assert _gate().process([_message(words)])[0].get("intent")["name"] == "record_incident"
    # any identifier: an unknown command passed on as words ("/made_up_command")
    for text in ("session_start", "made_up_command", "Made_Up_Command"):
        other = dict(forged, text=text)
        assert _gate().process([_message(other)])[0].get("intent")["name"] == "nlu_fallback", text
    for text in ("😀😀😀🔪🏠", "?!", "👍"):  # no words at all
        other = dict(forged, text=text)
        assert _gate().process([_message(other)])[0].get("intent")["name"] == "nlu_fallback", text
    for text in ("save_note please", "made up command", "a_", "he did it again 😡"):  # words
        other = dict(forged, text=text)
        assert _gate().process([_message(other)])[0].get("intent")["name"] == "record_incident", text


def test_a_message_in_another_alphabet_is_not_read_as_a_request() -> None:
    """The NLU reads English: a message mostly in another alphabet is "not sure", whatever the
    classifier made of it; a look-alike letter inside English words, or accents, are not."""
    read = {"intent": {"name": "explain", "confidence": 0.6},
            "intent_ranking": [{"name": "explain", "confidence": 0.6}]}
    for text in ("مرحبا، هو يتبعني كل يوم", "שלום, הוא עוקב אחריי", "он следит за мной каждый день"):
        out = _gate().process([_message(dict(read, text=text))])[0]
        assert out.get("intent")["name"] == "nlu_fallback", text
    for text in ("hes оutside my hоuse", "my café manager keeps following me", "il me suit"):
        out = _gate().process([_message(dict(read, text=text))])[0]
        assert out.get("intent")["name"] == "explain", text


def test_a_message_none_of_whose_words_were_ever_trained_on_is_not_read_as_a_request() -> None:
    """"asdfgh" was read as "yes" (0.62): with ``known_words``, a message whose word counts are
    all zero is "not sure"; one known word, a number or a payload is left to the classifier."""
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.topic_gate import TopicGate

    gate = TopicGate({"threshold": 0.5, "ambiguity_threshold": 0.1, "known_words": "words"})

    def message(text: str, known: int) -> Message:
        m = Message(data={"text": text, "intent": {"name": "affirm", "confidence": 0.62},
                          "intent_ranking": [{"name": "affirm", "confidence": 0.62}]})
        counts = scipy.sparse.coo_matrix(([1.0] * known, ([0] * known, list(range(known)))), shape=(1, 50))
        m.add_features(Features(counts, "sentence", "text", "words"))
        return m

    assert gate.process([message("asdfgh", 0)])[0].get("intent")["name"] == "nlu_fallback"
    assert gate.process([message("qwxz plorf", 0)])[0].get("intent")["name"] == "nlu_fallback"
    for text, known in (("yes", 1), ("11pm", 0), ("/affirm", 0), ("ok asdfgh", 1), ("x", 0)):
        assert gate.process([message(text, known)])[0].get("intent")["name"] == "affirm", text
    unset = TopicGate({"threshold": 0.5, "ambiguity_threshold": 0.1})
    assert unset.process([message("asdfgh", 0)])[0].get("intent")["name"] == "affirm"
