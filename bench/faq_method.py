"""The external set's report, its method part: how the pipeline was chosen
(docs/nlu-pipelines.json) and the honesty gate calibrated (docs/gate-calibration.json,
``python -m bench.gate_calibration``).  Rendered into docs/nlu-evaluation.md by
:func:`bench.faq_eval.markdown`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.common import DOCS


def pipelines_and_calibration(docs: Path = DOCS) -> list[str]:
    """How the pipeline was chosen (docs/nlu-pipelines.json) and the gate calibrated
    (docs/gate-calibration.json, ``python -m bench.gate_calibration``), when they exist."""
    from bench.report import md_table

    out: list[str] = []
    pipelines = docs / "nlu-pipelines.json"
    if pipelines.exists():
        data = json.loads(pipelines.read_text("utf-8"))
        out += ["Pipelines compared on this set (same training data unless said; the one kept is marked):",
                ""]
        out += md_table(["pipeline", "right topic", "not sure", "confident wrong", "right in top 3", "kept"],
                        [[p["pipeline"], f"{p['right']:.3f}", f"{p['not_sure']:.3f}", f"{p['wrong']:.3f}",
                          f"{p['top3']:.3f}", "yes" if p.get("kept") else ""] for p in data["pipelines"]])
        out += ["", str(data.get("note") or ""), ""]
        if data.get("method"):
            out += ["How the knowledge base and its honesty gate were built (method):", ""]
            out += [f"- {step}" for step in data["method"]] + [""]
    calibration = docs / "gate-calibration.json"
    if calibration.exists():
        c = json.loads(calibration.read_text("utf-8"))
        chosen = c["chosen"]
        t, m = chosen["threshold"], chosen["ambiguity_threshold"]
        if c.get("folds"):
            held = (f"{c['folds']} folds of each question label, seed {c['seed']}, each fold held out once "
                    "while the NLU trained on the rest")
        else:
            held = (f"{c['held_out_share']:.0%} of each question label, seed {c['seed']}, "
                    "the NLU trained on the rest")
        out += [f"Honesty gate (TopicGate) calibrated on the training data, never on "
                f"this set: {c['questions']} training questions held out ({held}); a confident wrong answer "
                f"counted {c['wrong_cost']:g} times a \"not sure\". Chosen: threshold {t}, ambiguity {m} "
                f"(on the held-out training questions: right {chosen['right']:.3f}, "
                f"not sure {chosen['not_sure']:.3f}, "
                f"confident wrong {chosen['wrong']:.3f})." + _top_note(c), ""]
    return out


def _top_note(calibration: dict[str, Any]) -> str:
    """The top-scoring thresholds, when the rule (no more confident wrong answers than the
    gate in config.yml) chose others."""
    top, chosen = calibration.get("top"), calibration["chosen"]
    if not top or top == chosen:
        return ""
    return (f" The top score, threshold {top['threshold']} / ambiguity {top['ambiguity_threshold']} "
            f"({top['score']:.4f} against {chosen['score']:.4f}; right {top['right']:.3f}, confident wrong "
            f"{top['wrong']:.3f}), answers more of them wrongly than the gate in config.yml, so it is "
            "not chosen.")
