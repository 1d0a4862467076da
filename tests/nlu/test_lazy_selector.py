"""The knowledge base's selector runs only where a topic could matter, and that changes no answer.

``nlu.components.lazy_selector.LazyResponseSelector`` skips Rasa's ResponseSelector when
the intent classifier gives ``faq`` too little probability for any topic to be answered
or offered.  Every message of our held-out files and of the external set is parsed twice
with the trained model, lazily and with the selector forced to run: what the bot does
with the parse (the intent, the topic it answers, the "did you mean" buttons it offers)
must be the same, and the selector must actually be skipped on messages that are not
questions.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_model

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]
if "LazyResponseSelector" not in (ROOT / "config.yml").read_text("utf-8"):
    # config.yml's knowledge-base selector is nlu.components.topic_selector.TopicSelector
    # (a logistic regression, no TensorFlow to skip or to trace at load)
    pytest.skip("the pipeline does not use LazyResponseSelector", allow_module_level=True)


def _texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "nlu").glob("test_nlu*.yml")):
        for block in yaml.safe_load(path.read_text("utf-8")).get("nlu") or []:
            texts += [line[2:].strip() for line in str(block.get("examples") or "").splitlines()
                      if line.startswith("- ")]
    external = yaml.safe_load((ROOT / "tests" / "data" / "faq_external.yml").read_text("utf-8"))
    texts += [item["text"] for item in external["items"]]
    return [t for t in texts if t]


def _what_the_bot_does(parse: dict[str, Any]) -> tuple[Any, ...]:
    from nlu.actions.faq import offers

    selector = parse.get("response_selector") or {}
    chosen = ((selector.get("faq") or selector.get("default") or {}).get("response") or {})
    topic = chosen.get("intent_response_key") if parse["intent"]["name"] == "faq" else None
    return (parse["intent"]["name"], topic, tuple(offers(parse)))


def test_skipping_the_selector_changes_nothing_the_bot_does(monkeypatch: pytest.MonkeyPatch) -> None:
    model = require_model()
    from rasa.core.agent import Agent

    from nlu.components.lazy_selector import LazyResponseSelector

    texts = _texts()
    assert len(texts) > 300
    ran: list[int] = []
    process = LazyResponseSelector.process

    def counting(self: Any, messages: list[Any]) -> list[Any]:
        ran.append(sum(1 for m in messages if self._may_be_retrieval(m)))
        return process(self, messages)

    monkeypatch.setattr(LazyResponseSelector, "process", counting)
    agent = Agent.load(str(model))  # after the patch: the graph binds ``process`` when it loads

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(t) for t in texts]

    lazy = asyncio.run(parse_all())
    skipped = ran.count(0)
    monkeypatch.setattr(LazyResponseSelector, "_may_be_retrieval", lambda self, message: True)
    eager = asyncio.run(parse_all())

    differ = [(t, _what_the_bot_does(a), _what_the_bot_does(b))
              for t, a, b in zip(texts, lazy, eager, strict=True)
              if _what_the_bot_does(a) != _what_the_bot_does(b)]
    assert differ == []
    assert skipped >= len(texts) // 10, (skipped, len(texts))  # it does skip non-questions
    assert all("response_selector" in p for p in lazy if p["intent"]["name"] == "faq")


def test_the_quicker_load_gives_the_weights_and_answers_of_rasas_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built by an eager step, then predicting through a traced function: the same topics with
    the same confidences as Rasa's own load (a traced training step)."""
    model = require_model()
    from rasa.core.agent import Agent
    from rasa.nlu.selectors.response_selector import ResponseSelector

    from nlu.components.lazy_selector import LazyResponseSelector

    questions = ["what is clare's law", "how do I get a non molestation order", "what is stalking",
                 "i found an airtag in my bag", "will he find out if i report him",
                 "what happens after i report it", "can i report anonymously", "who stalks"]
    built: list[Any] = []
    load = LazyResponseSelector._load_model_class.__func__  # type: ignore[attr-defined]

    def recording(cls: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(load(cls, *args, **kwargs))
        return built[-1]

    def rankings(agent: Any) -> list[list[tuple[str, float]]]:
        async def parse_all() -> list[dict[str, Any]]:
            return [await agent.parse_message(q) for q in questions]
        out = []
        for parse in asyncio.run(parse_all()):
            selector = (parse.get("response_selector") or {}).get("faq") or {}
            out.append([(r["intent_response_key"], r["confidence"]) for r in selector.get("ranking") or []])
        return out

    monkeypatch.setattr(LazyResponseSelector, "_may_be_retrieval", lambda self, message: True)
    monkeypatch.setattr(LazyResponseSelector, "_load_model_class", classmethod(recording))
    ours = rankings(Agent.load(str(model)))
    assert built and built[-1].run_eagerly is False and built[-1]._tf_predict_step is not None
    monkeypatch.setattr(LazyResponseSelector, "_load_model_class",
                        classmethod(ResponseSelector._load_model_class.__func__))  # type: ignore[attr-defined]
    rasas = rankings(Agent.load(str(model)))
    assert len(ours) == len(rasas) == len(questions) and all(ours)
    for a, b in zip(ours, rasas, strict=True):
        assert [k for k, _ in a] == [k for k, _ in b]
        assert all(abs(x - y) < 1e-4 for (_, x), (_, y) in zip(a, b, strict=True))
