"""The external evaluation set: questions from real pages, never written here (issue 12, item 7).

``tests/data/faq_external.yml`` holds the questions (each with its source and licence),
``tests/data/faq_topics.yml`` the topics and which predictions answer each one.  The
trained model (``models/stalking-bot.tar.gz``) reads every question in this process
through Rasa's ``Agent``, as the bot does, and each question ends one of three ways:

* **right**: the prediction answers its topic (an intent of ``answered_by``, or a
  retrieval key ``faq/<topic>`` / ``chitchat/<topic>`` from a ResponseSelector);
* **did you mean / not sure**: the prediction is ``nlu_fallback`` (confidence under the
  FallbackClassifier's threshold, or the top two too close): the bot says it is not sure
  (or, once it offers them, "did you mean...");
* **confident wrong**: any other prediction: the bot answers a different question.

Of the "not sure" ones, the report also counts those whose "did you mean" buttons (the
exact labels ``action_did_you_mean`` offers, :func:`nlu.actions.faq.offers`) include a
right answer: one tap from it.  "Right or offered" adds them to the right ones; "I don't
know" counts those offered no button at all.

Also reported: whether a right answer was among the top three (what a "did you mean"
could offer), per topic, the most frequent wrong pairs, whether the safety guard (which
runs before the NLU) fires on the question, and any question that is also a training
example (there should be none).

    .venv/bin/python -m bench.faq_eval          # measure; update docs/nlu-evaluation.{json,md}
    ./bench.sh --nlu                            # the whole NLU evaluation, this included
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import yaml

from bench.common import DOCS, MODEL, ROOT, log
from bench.faq_method import pipelines_and_calibration

SET_PATH = ROOT / "tests" / "data" / "faq_external.yml"
TOPICS_PATH = ROOT / "tests" / "data" / "faq_topics.yml"
RETRIEVAL_PREFIXES = ("faq", "chitchat")
FALLBACK = "nlu_fallback"


def load_set(path: Path = SET_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text("utf-8"))


def load_topics(path: Path = TOPICS_PATH) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text("utf-8"))["topics"]


def accepted(topic: str, topics: dict[str, dict[str, Any]]) -> set[str]:
    """Every prediction that answers ``topic``.

    A knowledge-base key that gives the answer of an intent in ``answered_by`` counts as
    that intent: ``faq/four_signs`` says what ``ask_four_signs`` says (the same response,
    nlu/components/topics.py ROUTES), so it answers what ``ask_four_signs`` answers.
    """
    from nlu.components.topics import ROUTES

    names = set(topics[topic].get("answered_by") or [])
    names |= {f"faq/{key}" for key, (intent, _) in ROUTES.items() if intent in names}
    return names | {f"{prefix}/{topic}" for prefix in RETRIEVAL_PREFIXES}


def prediction(parsed: dict[str, Any]) -> tuple[str, float, list[str]]:
    """(predicted label, its confidence, the top three labels) of one parse.

    A retrieval intent (``faq``) becomes its selected response key (``faq/clares_law``);
    the top three come from the one ranking of every topic that the "did you mean"
    buttons use (nlu.components.topics.topic_ranking).
    """
    intent = parsed.get("intent") or {}
    name, confidence = str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)
    selector = parsed.get("response_selector") or {}

    def full(label: str) -> str:
        chosen = (selector.get(label) or selector.get("default") or {}).get("response") or {}
        key = chosen.get("intent_response_key")
        return str(key) if label in RETRIEVAL_PREFIXES and key else label

    # the three likeliest answers, as "did you mean" ranks them (every knowledge-base key)
    from nlu.components.topics import topic_ranking

    ranking = [label for label, _ in topic_ranking(parsed)][:3]
    return full(name), confidence, ranking


def outcome(predicted: str, topic: str, topics: dict[str, dict[str, Any]]) -> str:
    if predicted in accepted(topic, topics):
        return "right"
    if predicted == FALLBACK:
        return "not_sure"
    return "wrong"


def _training_overlap(texts: list[str]) -> list[str]:
    from bench.nlu_eval import examples, normalise

    train = examples(ROOT / "data" / "nlu")
    return [t for t in texts if normalise(t) in train]


def _guard() -> Any:
    try:
        from bot.guard import SafetyGuard

        return SafetyGuard.from_file()
    except Exception:  # noqa: BLE001 - the report goes on without this column
        return None


async def _parse_all(texts: list[str], model: Path) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    from bot.engine import quiet_rasa_logging

    quiet_rasa_logging()
    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def evaluate(parsed: list[dict[str, Any]], items: list[dict[str, Any]],
             topics: dict[str, dict[str, Any]], guard: Any = None) -> dict[str, Any]:
    """The figures, from one parse per item (kept apart from the model so it can be tested)."""
    from nlu.actions.faq import offers

    rows = []
    for item, parse in zip(items, parsed, strict=True):
        predicted, confidence, top3 = prediction(parse)
        result = outcome(predicted, item["topic"], topics)
        offered = offers(parse) if result == "not_sure" else []
        rows.append({
            "text": item["text"], "topic": item["topic"], "source": item["source"],
            "predicted": predicted, "confidence": round(confidence, 3),
            "outcome": result,
            "right_in_top3": bool(accepted(item["topic"], topics) & set(top3)),
            "right_first": bool(accepted(item["topic"], topics) & set(top3[:1])),
            "offered": offered,
            "right_offered": bool(accepted(item["topic"], topics) & set(offered)),
            "guard_fires": bool(guard.match(item["text"])) if guard is not None else None,
        })
    total = len(rows)
    counts = Counter(r["outcome"] for r in rows)
    reached = counts["right"] + sum(r["right_offered"] for r in rows)
    dont_know = sum(r["outcome"] == "not_sure" and not r["offered"] for r in rows)
    per_topic = []
    for topic in topics:
        mine = [r for r in rows if r["topic"] == topic]
        if not mine:
            continue
        c = Counter(r["outcome"] for r in mine)
        per_topic.append({"topic": topic, "questions": len(mine), "right": c["right"],
                          "not_sure": c["not_sure"], "wrong": c["wrong"],
                          "answerable_today": bool(topics[topic].get("answered_by"))})
    wrong_pairs = Counter((r["topic"], r["predicted"]) for r in rows if r["outcome"] == "wrong")
    answerable = [r for r in rows if topics[r["topic"]].get("answered_by")]
    return {
        "questions": total,
        "topics": len(per_topic),
        "sources": len({r["source"] for r in rows}),
        "accuracy": round(counts["right"] / total, 4) if total else 0.0,
        "not_sure_rate": round(counts["not_sure"] / total, 4) if total else 0.0,
        "confident_wrong_rate": round(counts["wrong"] / total, 4) if total else 0.0,
        "right_in_top3_rate": round(sum(r["right_in_top3"] for r in rows) / total, 4) if total else 0.0,
        "right_first_rate": round(sum(r["right_first"] for r in rows) / total, 4) if total else 0.0,
        "right_or_offered_rate": round(reached / total, 4) if total else 0.0,
        "dont_know_rate": round(dont_know / total, 4) if total else 0.0,
        "answerable_today": {
            "questions": len(answerable),
            "accuracy": round(sum(r["outcome"] == "right" for r in answerable) / len(answerable), 4)
            if answerable else 0.0,
        },
        "guard_fires": sum(1 for r in rows if r["guard_fires"]),
        "per_topic": per_topic,
        "wrong_pairs": [{"topic": t, "predicted": p, "count": n}
                        for (t, p), n in wrong_pairs.most_common(12)],
        "rows": rows,
    }


def held_out_questions(folder: Path = ROOT / "tests" / "nlu") -> list[tuple[str, str]]:
    """Our own held-out questions with a knowledge-base label: (text, "faq/<topic>")."""
    out = []
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            if str(item.get("intent", "")).startswith("faq/"):
                out += [(line.strip()[2:], str(item["intent"])) for line in str(item["examples"]).splitlines()
                        if line.strip().startswith("- ")]
    return out


def topic_scores(parsed: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """How often the top topic of the ranking (and the top three) is the label."""
    from nlu.components.topics import topic_ranking

    ranked = [[label for label, _ in topic_ranking(p)] for p in parsed]
    pairs = list(zip(ranked, labels, strict=True))
    n = max(len(pairs), 1)
    return {"questions": len(pairs),
            "right": round(sum(r[:1] == [lab] for r, lab in pairs) / n, 4),
            "top3": round(sum(lab in r[:3] for r, lab in pairs) / n, 4)}


def run(model: Path = MODEL) -> dict[str, Any]:
    data, topics = load_set(), load_topics()
    items = data["items"]
    texts = [i["text"] for i in items]
    held = held_out_questions()
    log(f"nlu: external set ({len(items)} questions from {len(data['sources'])} sources)")
    started = time.perf_counter()
    parsed = asyncio.run(_parse_all(texts + [t for t, _ in held], model))
    result = evaluate(parsed[:len(texts)], items, topics, _guard())
    result["held_out_topics"] = topic_scores(parsed[len(texts):], [label for _, label in held])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["also_in_training"] = _training_overlap(texts)
    result["set"] = SET_PATH.relative_to(ROOT).as_posix()
    result["command"] = ".venv/bin/python -m bench.faq_eval (part of ./bench.sh --nlu)"
    return result


def headline(x: dict[str, Any]) -> str:
    return (f"external set ({x['questions']} real questions, {x['topics']} topics): right topic "
            f"{x['accuracy']:.3f}, not sure {x['not_sure_rate']:.3f}, confident wrong "
            f"{x['confident_wrong_rate']:.3f}; right or offered in \"did you mean\" "
            f"{x.get('right_or_offered_rate', 0):.3f}")


def markdown(x: dict[str, Any]) -> list[str]:
    """The "External set" section of docs/nlu-evaluation.md."""
    from bench.report import md_table

    out = ["## External set", ""]
    add = out.append
    add(f"`{x['set']}`: {x['questions']} questions people ask, taken word for word from {x['sources']} "
        "real pages (police and charity FAQs, university report-and-support pages, solicitors' and "
        "advice sites, news and blog headings, a reader's letter), each with its source and licence; "
        "none written here and none in the training data "
        f"({len(x.get('also_in_training') or [])} found in it). Topics and what answers each: "
        "`tests/data/faq_topics.yml`. Measured with the trained model in this process "
        f"(`{x['command']}`, {x.get('seconds')} s).")
    add("")
    add("- **right topic**: the prediction answers the question's topic;")
    add("- **not sure**: `nlu_fallback` (low confidence, or the top two too close): the bot says it is "
        "not sure (a \"did you mean\" when it offers one);")
    add("- **confident wrong**: any other prediction: an answer to a different question;")
    add("- **right or offered**: right, or not sure with a right answer among the \"did you mean\" "
        "buttons the bot shows (one tap from it); **I don't know**: not sure and no button offered "
        "(the bot says so and gives the helpline).")
    add("")
    rows = [["all questions", x["questions"], f"{x['accuracy']:.3f}", f"{x['not_sure_rate']:.3f}",
             f"{x['confident_wrong_rate']:.3f}", f"{x.get('right_or_offered_rate', 0):.3f}",
             f"{x.get('dont_know_rate', 0):.3f}", f"{x['right_in_top3_rate']:.3f}"]]
    a = x.get("answerable_today") or {}
    rows.append(["topics the bot has an answer for today", a.get("questions"),
                 f"{a.get('accuracy', 0):.3f}", "", "", "", "", ""])
    out.extend(md_table(["questions", "count", "right topic", "not sure", "confident wrong",
                         "right or offered", "I don't know", "right in top 3"], rows))
    add("")
    if "right_first_rate" in x:
        add(f"Before the honesty gate, the likeliest topic is the right one for {x['right_first_rate']:.3f} "
            "of these questions (the ranking's own accuracy: the gate turns the rest, and some right ones, "
            "into \"not sure\"); 90 % right needs that first.")
        add("")
    add(f"The safety guard (which runs before the NLU) fires on {x.get('guard_fires')} of these questions.")
    add("")
    h = x.get("held_out_topics")
    if h:
        add(f"Our own held-out questions (tests/nlu, the {h['questions']} labelled with a knowledge-base "
            f"topic), scored the same way before the gate: the top topic is right for {h['right']:.3f}, the "
            f"right one is in the top three for {h['top3']:.3f} (Rasa's intent scores above only see `faq`).")
        add("")
    out.extend(pipelines_and_calibration())
    add("Per topic (\"no answer today\": none of today's intents answers it, so right is impossible "
        "until the knowledge base has it):")
    add("")
    out.extend(md_table(["topic", "questions", "right", "not sure", "confident wrong", "answer today"],
                        [[t["topic"], t["questions"], t["right"], t["not_sure"], t["wrong"],
                          "yes" if t["answerable_today"] else "no answer today"] for t in x["per_topic"]]))
    add("")
    if x.get("wrong_pairs"):
        add("Most frequent confident wrong answers (topic asked → what the bot answered):")
        add("")
        out.extend(md_table(["topic", "answered as", "questions"],
                            [[p["topic"], p["predicted"], p["count"]] for p in x["wrong_pairs"]]))
        add("")
    return out


def update_docs(result: dict[str, Any], docs: Path = DOCS, key: str = "external") -> None:
    """Put ``result`` into docs/nlu-evaluation.json under ``key`` and re-render the Markdown."""
    from bench import markdown as md
    from bench.report import write_json

    target = docs / "nlu-evaluation.json"
    nlu = json.loads(target.read_text("utf-8")) if target.exists() else {}
    nlu[key] = result
    write_json(target, nlu)
    (docs / "nlu-evaluation.md").write_text(md.nlu(nlu), "utf-8")


def measure_and_report(measure: Callable[[], dict[str, Any]], key: str,
                       headline_of: Callable[[dict[str, Any]], str]) -> int:
    """One evaluation on its own: measured with the trained model, put in the docs under ``key``,
    its headline printed (this module's, and bench.follow_up_eval's)."""
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run scripts/setup.sh", file=sys.stderr)
        return 2
    result = measure()
    result["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    update_docs(result, key=key)
    print(headline_of(result))
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    return measure_and_report(run, "external", headline)


if __name__ == "__main__":
    sys.exit(main())
