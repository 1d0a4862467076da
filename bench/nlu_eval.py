"""NLU evaluation: the held-out test files and 5-fold cross-validation, with Rasa's own tools.

* held out: ``rasa test nlu --nlu tests/nlu --model models/stalking-bot.tar.gz``
  (every file in ``tests/nlu``: messages not in the training data);
* cross-validation: ``rasa test nlu --nlu data/nlu --cross-validation --folds 5
  --config config.yml``.

Reported: intent accuracy, F1 (macro and weighted), the most confused pairs,
every held-out error, and how many held-out messages the bot would answer with
its "I'm not sure" fallback (top confidence below the FallbackClassifier's
threshold, which Rasa's evaluation scores as the top intent).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import yaml

from bench.common import MODEL, RASA, ROOT, child_env, log, temp_dir
from bench.training import timed

FOLDS = 5


def fallback_threshold() -> Optional[float]:
    config = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def scores(report: dict[str, Any]) -> dict[str, Any]:
    macro, weighted = report.get("macro avg", {}), report.get("weighted avg", {})
    return {
        "accuracy": round(float(report.get("accuracy", 0.0)), 4),
        "f1_macro": round(float(macro.get("f1-score", 0.0)), 4),
        "f1_weighted": round(float(weighted.get("f1-score", 0.0)), 4),
        "precision_macro": round(float(macro.get("precision", 0.0)), 4),
        "recall_macro": round(float(macro.get("recall", 0.0)), 4),
        "support": int(weighted.get("support", 0) or 0),
        "intents": sum(1 for k, v in report.items() if isinstance(v, dict) and "support" in v
                       and k not in ("macro avg", "weighted avg", "micro avg")),
    }


def per_intent(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, value in report.items():
        if not isinstance(value, dict) or name in ("macro avg", "weighted avg", "micro avg"):
            continue
        rows.append({"intent": name, "precision": round(value.get("precision", 0.0), 3),
                     "recall": round(value.get("recall", 0.0), 3),
                     "f1": round(value.get("f1-score", 0.0), 3), "support": value.get("support", 0)})
    return sorted(rows, key=lambda r: (r["f1"], r["intent"]))


def confused_pairs(report: dict[str, Any], top: int = 10) -> list[dict[str, Any]]:
    """(true intent, predicted intent, count), most frequent first, from Rasa's confused_with."""
    counts: Counter[tuple[str, str]] = Counter()
    for name, value in report.items():
        if isinstance(value, dict):
            for other, count in (value.get("confused_with") or {}).items():
                counts[(name, other)] += int(count)
    return [{"intent": a, "predicted": b, "count": n} for (a, b), n in counts.most_common(top)]


def _guard() -> Any:
    """The bot's safety guard, which runs before NLU on every message (None if it cannot load)."""
    try:
        from bot.guard import SafetyGuard

        return SafetyGuard.from_file()
    except Exception:  # noqa: BLE001 - the report goes on without this column
        return None


def errors(items: Optional[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    guard = _guard()
    rows = []
    for item in items or []:
        prediction = item.get("intent_prediction") or {}
        text = str(item.get("text") or "")
        rows.append({"text": text, "intent": item.get("intent"),
                     "predicted": prediction.get("name"),
                     "confidence": round(float(prediction.get("confidence") or 0.0), 3),
                     "guard_fires": bool(guard.match(text)) if guard is not None else None})
    return sorted(rows, key=lambda r: (r["intent"] or "", -r["confidence"]))


def below_threshold(items: Optional[list[dict[str, Any]]], threshold: Optional[float]) -> int:
    if threshold is None:
        return 0
    return sum(1 for item in items or []
               if float((item.get("intent_prediction") or {}).get("confidence") or 0.0) < threshold)


_ANNOTATION = re.compile(r"\[([^\]]*)\]\s*(\([^)]*\)|\{[^}]*\})")


def normalise(text: str) -> str:
    text = _ANNOTATION.sub(r"\1", text)
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def examples(folder: Path) -> dict[str, str]:
    """Every NLU example in the folder's YAML files: normalised text -> intent."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        for item in data.get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found[normalise(line[2:])] = str(item["intent"])
    return found


def overlap() -> dict[str, Any]:
    """Held-out messages that are also training examples (after lower-casing and dropping punctuation)."""
    train = examples(ROOT / "data" / "nlu")
    test = examples(ROOT / "tests" / "nlu")
    shared = sorted(t for t in test if t in train)
    return {"held_out_examples": len(test), "training_examples": len(train),
            "also_in_training": len(shared), "examples": shared[:20]}


def held_out(folder: Path, timeout: float) -> dict[str, Any]:
    out = folder / "held-out"
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "nlu").glob("*.yml"))
    command = [RASA, "test", "nlu", "--nlu", "tests/nlu", "--model", str(MODEL), "--out", str(out),
               "--successes", "--no-plot"]
    log("nlu: held-out test files (rasa test nlu --nlu tests/nlu)")
    run = timed(command, child_env(RASA_TELEMETRY_ENABLED="false"), timeout, folder / "held-out.log")
    run.pop("log")
    report = _read_json(out / "intent_report.json")
    result: dict[str, Any] = {"command": "rasa test nlu --nlu tests/nlu --model models/stalking-bot.tar.gz",
                              "files": files, "seconds": run["seconds"], "exit_code": run["exit_code"]}
    if not isinstance(report, dict):
        result["error"] = run.get("output_tail") or "no intent_report.json"
        return result
    wrong = _read_json(out / "intent_errors.json") or []
    right = _read_json(out / "intent_successes.json") or []
    threshold = fallback_threshold()
    result.update(scores(report))
    result["confused_pairs"] = confused_pairs(report)
    result["errors"] = errors(wrong)
    result["per_intent_lowest_f1"] = per_intent(report)[:10]
    result["fallback_threshold"] = threshold
    result["overlap_with_training"] = overlap()
    result["would_fall_back"] = {"correct_but_below_threshold": below_threshold(right, threshold),
                                 "wrong_and_below_threshold": below_threshold(wrong, threshold)}
    return result


def cross_validation(folder: Path, timeout: float, folds: int = FOLDS) -> dict[str, Any]:
    out = folder / "cross-validation"
    command = [RASA, "test", "nlu", "--nlu", "data/nlu", "--cross-validation", "--folds", str(folds),
               "--config", "config.yml", "--out", str(out), "--no-plot"]
    log(f"nlu: {folds}-fold cross-validation (trains {folds} models)")
    # A cache of its own: nothing from earlier trainings is reused, nothing is left in .rasa/.
    env = child_env(RASA_TELEMETRY_ENABLED="false", RASA_CACHE_DIRECTORY=str(folder / "cache"))
    run = timed(command, env, timeout, folder / "cv.log")
    text = run.pop("log")
    result: dict[str, Any] = {
        "command": f"rasa test nlu --nlu data/nlu --cross-validation --folds {folds} --config config.yml",
        "folds": folds, "seconds": run["seconds"], "exit_code": run["exit_code"],
    }
    # Rasa logs the mean and standard deviation over the folds' test parts.
    summary: dict[str, dict[str, float]] = {}
    section = None
    for line in text.splitlines():
        if "Intent evaluation results" in line:
            section = "intent"
        elif "Entity evaluation results" in line or "Response Selection evaluation" in line:
            section = None
        match = re.search(r"(train|test) (Accuracy|F1-score|Precision): ([0-9.]+) \(([0-9.]+)\)", line)
        if section == "intent" and match:
            summary.setdefault(match.group(1), {})[match.group(2).lower()] = float(match.group(3))
            summary[match.group(1)][f"{match.group(2).lower()}_std"] = float(match.group(4))
    result["fold_mean"] = summary
    report = _read_json(out / "intent_report.json")
    if isinstance(report, dict):
        result.update(scores(report))
        result["confused_pairs"] = confused_pairs(report)
        result["errors"] = errors(_read_json(out / "intent_errors.json"))
        result["per_intent_lowest_f1"] = per_intent(report)[:10]
    elif run["exit_code"] != 0:
        result["error"] = run.get("output_tail")
    return result


def run(timeout: float = 1500.0) -> dict[str, Any]:
    with temp_dir("nlu") as folder:
        return {"held_out": held_out(folder, timeout), "cross_validation": cross_validation(folder, timeout),
                "reproduce": "./bench.sh --nlu"}
