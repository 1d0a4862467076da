"""all-mpnet-base-v2, the knowledge base's second sentence model (embedding/mpnet.py):
its weights come checked from the packages, its vectors mean something, and the topic
selector reads it only for messages whose topic can matter."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedding import mpnet
from embedding.wordpiece import EmbeddingModelError


def test_the_tokenizer_puts_mpnet_s_own_markers_around_a_text() -> None:
    tokenizer = mpnet.tokenizer()
    ids = tokenizer.encode("He followed me home")
    vocab = Path(mpnet.VOCAB_PATH).read_text("utf-8").splitlines()
    assert [vocab[i] for i in ids] == ["<s>", "he", "followed", "me", "home", "</s>"]
    assert len(tokenizer.encode("word " * 500)) == 128


def test_vectors_are_unit_length_and_put_a_paraphrase_nearer_than_another_question() -> None:
    texts = ["how do I get a non molestation order",
             "can I apply to court for a non-molestation order?",
             "what is Clare's Law?",
             "I found an AirTag in my bag"]
    vectors = mpnet.default_embedder().embed(texts)
    assert vectors.shape == (4, 768)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > max(similarity[0, 2], similarity[0, 3]) + 0.3


def test_the_runtime_model_is_the_recorded_one() -> None:
    from embedding.minilm import file_sha256

    path = mpnet.runtime_model_path()
    assert file_sha256(path) == mpnet.RUNTIME_SHA256


def test_a_changed_part_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(1, 6):
        (tmp_path / f"all-mpnet-base-v2.zip.00{number}").write_bytes(b"not the model")
    monkeypatch.setenv("MPNET_PARTS_DIR", str(tmp_path))
    with pytest.raises(EmbeddingModelError, match="sha256"):
        mpnet.read_weights()


def test_a_missing_part_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPNET_PARTS_DIR", str(tmp_path))
    with pytest.raises(EmbeddingModelError, match="missing"):
        mpnet.read_weights()


def test_the_relative_position_buckets_are_mpnet_s() -> None:
    """MPNet's relative_position_bucket (32 buckets, max distance 128), row 0 and a far pair."""
    buckets = mpnet.relative_buckets(200)
    assert buckets[0, :10].tolist() == [0, 17, 18, 19, 20, 21, 22, 23, 24, 24]
    assert buckets[9, 0] == 8 and buckets[0, 199] == 31 and buckets[199, 0] == 15


class _CountingEmbedder:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        rng = np.random.default_rng(len(self.texts))
        vectors = rng.normal(size=(len(texts), 768))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_selector_reads_the_second_model_only_where_a_topic_can_matter(tmp_path: Path) -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.topic_selector import TopicSelector

    rng = np.random.default_rng(0)
    centres = {"faq/clares_law": rng.normal(size=8), "faq/civil_orders": rng.normal(size=8)}

    def message(text: str, vector: np.ndarray, key: str | None = None,
                intent: str | None = None, faq_share: float = 0.0) -> Message:
        data: dict = {"text": text}
        if key:
            data.update({"intent": "faq", "intent_response_key": key})
        m = Message(data=data)
        if intent:
            m.set("intent", {"name": intent, "confidence": 1 - faq_share})
            m.set("intent_ranking", [{"name": intent, "confidence": 1 - faq_share},
                                     {"name": "faq", "confidence": faq_share}])
        m.add_features(Features(vector.reshape(1, -1), "sentence", "text", "minilm"))
        return m

    examples = [message(f"{key} {i}", c + rng.normal(scale=0.1, size=8), key)
                for key, c in centres.items() for i in range(10)]
    storage, resource = LocalModelStorage(tmp_path), Resource("selector")
    config = {**TopicSelector.get_default_config(), "featurizers": ["minilm"], "mpnet_weight": 1.0}
    counting = _CountingEmbedder()
    selector = TopicSelector(config, storage, resource, mpnet=counting)
    selector.train(TrainingData(examples, responses={}))
    assert len(counting.texts) == 20  # every training question

    counting.texts.clear()
    asked = message("what is clare's law", centres["faq/clares_law"], intent="faq", faq_share=1.0)
    unsure = message("hmm", centres["faq/clares_law"], intent="nlu_fallback", faq_share=0.3)
    answer = message("yes", centres["faq/clares_law"], intent="affirm", faq_share=0.01)
    maybe = message("he texts me", centres["faq/clares_law"], intent="inform", faq_share=0.2)
    out = selector.process([asked, unsure, answer, maybe])
    assert counting.texts == ["what is clare's law", "hmm"]
    # every message still gets a ranking (the "yes" one without the second model's part)
    assert all(m.get("response_selector")["faq"]["ranking"] for m in out)
    assert out[0].get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/clares_law"
