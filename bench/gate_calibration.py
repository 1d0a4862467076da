"""Calibrating the honesty gate on a validation split of OUR training data (issue 12, item 3).

The gate (``nlu/components/topic_gate.py``) answers a question only when the best
answerable topic is likely enough (``threshold``) and clearly ahead of the second
(``ambiguity_threshold``); otherwise the bot says "did you mean ..." or "I don't know".
Here the two numbers are chosen, never on the external set:

1. every question label's training examples (``faq/<topic>``, ``ask_*``; seeded) are
   cut into five folds; for each fold the NLU is trained on the rest (``config.yml``,
   the same pipeline) into a temporary folder, so every training question is held out
   once (a single 20% split moved the choice by a step from run to run);
2. each held-out question is parsed; its topic ranking (``nlu.components.topics``)
   gives the best topic and the gap to the second;
3. every (threshold, ambiguity) on a grid is scored: right answers count +1, a
   confident wrong answer -3 (answering a different question is worse than saying
   "I'm not sure"), not sure 0;
4. the chosen pair is the best score among the pairs whose confident wrong rate is not
   above that of the gate in ``config.yml`` on the same folds (ties: the lower
   thresholds): the top score alone moved between runs by a few questions of about
   2,000, and never at the price of more confident wrong answers.

    .venv/bin/python -m bench.gate_calibration     # prints the table and the choice (about 5 minutes)
"""
from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bench.common import RASA, ROOT, child_env, log, temp_dir

HOLD_OUT = 0.2
FOLDS = 5
SEED = 12
WRONG_COST = 3.0
THRESHOLDS = [round(0.05 * i, 2) for i in range(0, 17)]
MARGINS = [round(0.05 * i, 2) for i in range(0, 9)]


def is_question(label: str) -> bool:
    return label.startswith("ask_") or label.startswith("faq/")


def read_training(folder: Path = ROOT / "data" / "nlu") -> list[dict[str, Any]]:
    """Every file's NLU items (intents with their example lists; other items kept as they are)."""
    items = []
    for path in sorted(folder.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu") or []:
            items.append(item)
    return items


def split(items: list[dict[str, Any]], seed: int = SEED, fold: int = 0, folds: int = FOLDS,
          ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Training items without fold ``fold`` of every question label, and that fold's (text, label)s."""
    rng = random.Random(seed)
    train: list[dict[str, Any]] = []
    held: list[tuple[str, str]] = []
    # (intent, the source its block's metadata names: "real" for a quoted question, or "")
    by_intent: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        if "intent" not in item:
            train.append(item)
            continue
        lines = [line.strip()[2:] for line in str(item["examples"]).splitlines()
                 if line.strip().startswith("- ")]
        source = str((item.get("metadata") or {}).get("source") or "")
        by_intent[(str(item["intent"]), source)].extend(lines)
    for (intent, source), lines in sorted(by_intent.items()):
        lines = sorted(set(lines))
        rng.shuffle(lines)
        if is_question(intent) and len(lines) >= folds:
            out = set(range(fold, len(lines), folds))
            held.extend((text, intent) for i, text in enumerate(lines) if i in out)
            lines = [text for i, text in enumerate(lines) if i not in out]
        kept: dict[str, Any] = {"intent": intent}
        if source:  # the topic selector weighs a real question more (its source_weights)
            kept["metadata"] = {"source": source}
        train.append({**kept, "examples": "".join(f"- {t}\n" for t in lines)})
    return train, held


def outcome(parse: dict[str, Any], label: str, threshold: float, margin: float,
            fallback: tuple[float, float] = (0.4, 0.05)) -> str:
    """What the bot would do with one held-out question under the gate (threshold, margin), as
    it does at run time: the classifier's own ranking (the calibration model's gate taken out),
    Rasa's FallbackClassifier (``fallback``: its threshold and ambiguity in config.yml), then
    the gate's reading (:func:`nlu.components.topics.gate_reading`) for a question intent; any
    other intent is answered as itself."""
    from nlu.components.topics import FALLBACK, gate_reading, is_question

    ranked = [e for e in parse.get("intent_ranking") or [] if e.get("name") != FALLBACK]
    if not ranked:
        return "not_sure"
    top, c1 = str(ranked[0].get("name")), float(ranked[0].get("confidence") or 0.0)
    c2 = float(ranked[1].get("confidence") or 0.0) if len(ranked) > 1 else 0.0
    if c1 < fallback[0] or c1 - c2 < fallback[1]:
        return "not_sure"
    if not is_question(top):
        return "right" if top == label else "wrong"
    reading = gate_reading({**parse, "intent": {"name": top, "confidence": c1}, "intent_ranking": ranked})
    if reading is None:
        return "not_sure"
    best, p1, p2 = reading
    if p1 < threshold or p1 - p2 < margin:
        return "not_sure"
    return "right" if best == label else "wrong"


def choose(parsed: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    table = []
    fallback = fallback_classifier()
    for t in THRESHOLDS:
        for m in MARGINS:
            outs = [outcome(p, lab, t, m, fallback) for p, lab in zip(parsed, labels, strict=True)]
            n = len(outs)
            right, wrong = outs.count("right"), outs.count("wrong")
            table.append({"threshold": t, "ambiguity_threshold": m, "right": round(right / n, 4),
                          "not_sure": round(outs.count("not_sure") / n, 4), "wrong": round(wrong / n, 4),
                          "score": round((right - WRONG_COST * wrong) / n, 4)})
    return {**pick(table, current_gate()), "table": table, "questions": len(labels)}


def _thresholds(component_name: str, config: Path) -> tuple[float, float]:
    """(threshold, ambiguity_threshold) of the pipeline component whose name ends with
    ``component_name`` in ``config``."""
    for component in yaml.safe_load(config.read_text("utf-8"))["pipeline"]:
        if str(component.get("name", "")).split(".")[-1] == component_name:
            return float(component["threshold"]), float(component["ambiguity_threshold"])
    raise LookupError(f"no {component_name} in config.yml")


def current_gate(config: Path = ROOT / "config.yml") -> tuple[float, float]:
    """The TopicGate's (threshold, ambiguity_threshold) in ``config``."""
    return _thresholds("TopicGate", config)


def fallback_classifier(config: Path = ROOT / "config.yml") -> tuple[float, float]:
    """Rasa's FallbackClassifier's (threshold, ambiguity_threshold) in ``config``."""
    return _thresholds("FallbackClassifier", config)


def pick(table: list[dict[str, Any]], current: tuple[float, float]) -> dict[str, Any]:
    """The chosen row (step 4), the top-scoring row and the current gate's row."""
    def key(r: dict[str, Any]) -> tuple[float, float, float]:
        return r["score"], -r["threshold"], -r["ambiguity_threshold"]

    now = next(r for r in table if (r["threshold"], r["ambiguity_threshold"]) == current)
    chosen = max((r for r in table if r["wrong"] <= now["wrong"]), key=key)
    return {"chosen": chosen, "top": max(table, key=key), "current": now}


async def _parse(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    from bot.engine import quiet_rasa_logging

    quiet_rasa_logging()  # Rasa's debug log would print every parsed text
    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def run() -> dict[str, Any]:
    items = read_training()
    parsed: list[dict[str, Any]] = []
    labels: list[str] = []
    with temp_dir("gate") as work:
        for fold in range(FOLDS):
            train, held = split(items, fold=fold)
            data = work / f"nlu{fold}.yml"
            text = yaml.safe_dump({"version": "3.1", "nlu": train}, sort_keys=False, allow_unicode=True)
            data.write_text(text, "utf-8")
            log(f"gate calibration, fold {fold + 1}/{FOLDS}: {len(held)} questions held out")
            subprocess.run([RASA, "train", "nlu", "--nlu", str(data), "--config", str(ROOT / "config.yml"),
                            "--out", str(work), "--fixed-model-name", f"calibration{fold}"], check=True,
                           env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            parsed += asyncio.run(_parse(work / f"calibration{fold}.tar.gz", [t for t, _ in held]))
            labels += [label for _, label in held]
    result = choose(parsed, labels)
    result.update({"held_out_share": 1 / FOLDS, "folds": FOLDS, "seed": SEED, "wrong_cost": WRONG_COST})
    return result


def main() -> int:
    result = run()
    print(json.dumps(result["chosen"]), f"({result['questions']} held-out training questions)")
    out = ROOT / "docs" / "gate-calibration.json"
    out.write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
