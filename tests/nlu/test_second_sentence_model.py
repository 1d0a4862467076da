"""all-mpnet-base-v2, the NLU's second sentence model (embedding/mpnet.py): its weights
come checked from the packages, its vectors mean something, the featurizer gives them to
the intent classifier and the topic selector (never reading a button's payload), and the
selector weighs each model's vector at unit length."""
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
        from embedding import mpnet

        self.tokenizer = mpnet.tokenizer()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        rng = np.random.default_rng(len(self.texts))
        vectors = rng.normal(size=(len(texts), 768))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _featurizer(embedder: object = None) -> object:
    from nlu.components.minilm_featurizer import MPNetFeaturizer

    return MPNetFeaturizer("mpnet", {**MPNetFeaturizer.get_default_config(), "scale": 8.0}, embedder)


def _tokenized(text: str) -> object:
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return message


def test_the_featurizer_reads_no_button_payload() -> None:
    """A button's payload ("/affirm", "/ask_record") is given its intent by Rasa's
    RegexMessageHandler; MPNet's 20 ms are not spent on it: its features are zeros (the
    intent classifier needs a vector of the same width for every message)."""
    counting = _CountingEmbedder()
    featurizer = _featurizer(counting)
    messages = [_tokenized(t) for t in ("/affirm", '/faq_topic{"topic": "law"}', "what is clare's law")]
    featurizer.process(messages)  # type: ignore[attr-defined]
    assert counting.texts == ["what is clare's law"]
    widths, norms = [], []
    for message in messages:
        _, sentence = message.get_dense_features("text", ["mpnet"])  # type: ignore[attr-defined]
        widths.append(sentence.features.shape[1])
        norms.append(round(float(np.linalg.norm(sentence.features)), 3))
    assert widths == [768, 768, 768]
    assert norms == [0.0, 0.0, 8.0]  # unit length times the scale


def test_training_reads_in_batches_and_gives_the_vectors_a_message_gets_alone() -> None:
    """Training embeds its 3,000 examples in batches of texts of about the same length (the
    padding is masked out): each vector is the one the message gets when it is read alone."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    texts = ["hi", "he keeps turning up at my work and waiting outside",
             "what is clare's law", "can i get a non molestation order without a solicitor", "/affirm"]
    together = [_tokenized(t) for t in texts]
    _featurizer().process_training_data(TrainingData(together))  # type: ignore[attr-defined]
    for text, message in zip(texts, together, strict=True):
        alone = _tokenized(text)
        _featurizer().process([alone])  # type: ignore[attr-defined]
        a = message.get_dense_features("text", ["mpnet"])[1].features.reshape(-1)  # type: ignore[attr-defined]
        b = alone.get_dense_features("text", ["mpnet"])[1].features.reshape(-1)  # type: ignore[attr-defined]
        assert np.allclose(a, b, atol=1e-3), text


def test_the_selector_weighs_each_sentence_model_at_unit_length(tmp_path: Path) -> None:
    """The topic selector reads MiniLM's and MPNet's vectors each scaled to unit length: a
    featurizer's ``scale`` (set for the intent classifier) does not change the topics."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.topic_selector import TopicSelector

    rng = np.random.default_rng(0)
    centres = {"faq/clares_law": rng.normal(size=8), "faq/civil_orders": rng.normal(size=8)}

    def message(text: str, small: np.ndarray, large: np.ndarray, key: str | None = None,
                scale: float = 1.0) -> Message:
        data: dict = {"text": text}
        if key:
            data.update({"intent": "faq", "intent_response_key": key})
        m = Message(data=data)
        m.add_features(Features((small * scale).reshape(1, -1), "sentence", "text", "minilm"))
        m.add_features(Features((large * scale).reshape(1, -1), "sentence", "text", "mpnet"))
        return m

    # MiniLM's part is noise; MPNet's tells the topics apart
    examples = [message(f"{key} {i}", rng.normal(size=4), c + rng.normal(scale=0.1, size=8), key)
                for key, c in centres.items() for i in range(10)]
    storage, resource = LocalModelStorage(tmp_path), Resource("selector")
    config = {**TopicSelector.get_default_config(), "featurizers": ["minilm", "mpnet"]}
    selector = TopicSelector(config, storage, resource)
    selector.train(TrainingData(examples, responses={}))
    noise = rng.normal(size=4)
    plain = message("what is clare's law", noise, centres["faq/clares_law"])
    scaled = message("what is clare's law", noise, centres["faq/clares_law"], scale=8.0)
    out = selector.process([plain, scaled])
    rankings = [[round(r["confidence"], 6) for r in m.get("response_selector")["faq"]["ranking"]]
                for m in out]
    assert rankings[0] == rankings[1]
    assert out[0].get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/clares_law"
