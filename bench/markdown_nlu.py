"""docs/nlu-evaluation.md and the NLU line of docs/benchmarks.md: tables here, prose in
``bench/templates/nlu-evaluation.md``."""
from __future__ import annotations

from typing import Any, Optional

from bench.prose import Prose
from bench.report import md_table

prose = Prose("nlu-evaluation.md")
ERROR_COLUMNS = ["text", "intent", "predicted", "confidence", "guard"]


def _error_row(e: dict[str, Any]) -> list[Any]:
    return [e["text"], e["intent"], e["predicted"], e["confidence"], _fires(e.get("guard_fires"))]


def _fires(value: Optional[bool]) -> str:
    return "-" if value is None else ("fires" if value else "")


def _scores(x: dict[str, Any]) -> dict[str, str]:
    return {key: f"{x[key]:.3f}" for key in ("accuracy", "f1_macro", "f1_weighted")}


def nlu_headline(n: dict[str, Any]) -> str:
    h, cv = n.get("held_out") or {}, n.get("cross_validation") or {}
    parts = []
    if "accuracy" in h:
        parts.append(prose("headline_held_out", support=h.get("support"), errors=len(h.get("errors", [])),
                           **_scores(h)))
    if "accuracy" in cv:
        parts.append(prose("headline_cross_validation", folds=cv["folds"], support=cv.get("support"),
                           **_scores(cv)))
    if n.get("external"):
        from bench import faq_eval

        parts.append(faq_eval.headline(n["external"]))
    if n.get("follow_ups"):
        from bench import follow_up_eval

        parts.append(follow_up_eval.headline(n["follow_ups"]))
    return prose("headline", parts="; ".join(parts)) if parts else prose("headline_none")


def nlu_summary(n: dict[str, Any]) -> str:
    """The table printed on stdout."""
    from bench.report import text_table

    rows = []
    for key, label in (("held_out", "held-out tests/nlu"), ("cross_validation", "5-fold cross-validation")):
        x = n.get(key) or {}
        if "accuracy" in x:
            rows.append((label, f"acc {x['accuracy']:.3f}  F1 macro {x['f1_macro']:.3f}  "
                                f"F1 weighted {x['f1_weighted']:.3f}", f"{x.get('support')} msgs",
                         f"{x['seconds']} s"))
        else:
            rows.append((label, "failed: " + str(x.get("error", ""))[:80], "", ""))
    return text_table(rows, ("evaluation", "scores", "messages", "time"))


def _scores_table(h: dict[str, Any], cv: dict[str, Any]) -> str:
    rows = []
    for label, x in (("held-out (tests/nlu)", h), ("5-fold cross-validation (data/nlu)", cv)):
        if "accuracy" in x:
            rows.append([label, x["support"], x["intents"], f"{x['accuracy']:.3f}", f"{x['f1_macro']:.3f}",
                         f"{x['f1_weighted']:.3f}", f"{x['precision_macro']:.3f}", f"{x['recall_macro']:.3f}",
                         len(x.get("errors") or []), x["seconds"]])
        else:
            rows.append([label, "-", "-", "failed", str(x.get("error", ""))[:200], "", "", "", "",
                         x.get("seconds")])
    return "\n".join(md_table(["evaluation", "messages", "intents", "accuracy", "F1 macro", "F1 weighted",
                               "precision macro", "recall macro", "errors", "seconds"], rows))


def _about_the_data(h: dict[str, Any], cv: dict[str, Any]) -> list[str]:
    blocks = []
    t = (cv.get("fold_mean") or {}).get("test")
    if t:
        blocks.append(prose("per_fold", accuracy=t.get("accuracy"), accuracy_std=t.get("accuracy_std"),
                            f1=t.get("f1-score"), f1_std=t.get("f1-score_std"), precision=t.get("precision"),
                            precision_std=t.get("precision_std")))
    shared = h.get("overlap_with_training") or {}
    if shared:
        count = shared.get("also_in_training") or 0
        sizes = {"held_out": shared.get("held_out_examples"), "training": shared.get("training_examples")}
        overlap = prose("overlap_some", count=count, **sizes) if count else prose("overlap_none", **sizes)
        blocks.append(overlap + " " + prose("overlap_why"))
    fallback = h.get("would_fall_back") or {}
    if h.get("fallback_threshold") is not None:
        correct = fallback.get("correct_but_below_threshold")
        blocks.append(prose("fallback", threshold=h["fallback_threshold"], correct=correct,
                            plural="" if correct == 1 else "s",
                            wrong=fallback.get("wrong_and_below_threshold")))
    return blocks


def _confusions(h: dict[str, Any], cv: dict[str, Any]) -> list[str]:
    blocks = []
    for label, x in (("held-out", h), ("cross-validation", cv)):
        if x.get("confused_pairs"):
            blocks.append(prose("confused", label=label))
            blocks.append("\n".join(md_table(["intent", "predicted as", "times"],
                                             [[p["intent"], p["predicted"], p["count"]]
                                              for p in x["confused_pairs"]])))
        if x.get("per_intent_lowest_f1"):
            blocks.append(prose("lowest_f1", label=label, intents=", ".join(
                f"{p['intent']} {p['f1']:.2f} (n={p['support']})" for p in x["per_intent_lowest_f1"][:8])))
    return blocks


def _errors(h: dict[str, Any], cv: dict[str, Any]) -> list[str]:
    blocks = []
    if "errors" in h:
        blocks.append(prose("held_out_errors", count=len(h["errors"])))
        blocks.append("\n".join(md_table(ERROR_COLUMNS, [_error_row(e) for e in h["errors"]])))
        missed = [e for e in h["errors"] if e["intent"] == "emergency" and e.get("guard_fires") is False]
        if missed:
            blocks.append(prose("emergency_missed", messages="; ".join(f"\"{e['text']}\"" for e in missed)))
    if cv.get("errors"):
        blocks.append(prose("cv_errors", count=len(cv["errors"])))
        blocks.append("\n".join(md_table(ERROR_COLUMNS, [_error_row(e) for e in cv["errors"]])))
        blocks.append("</details>")
    return blocks


def nlu(n: dict[str, Any]) -> str:
    h, cv = n.get("held_out") or {}, n.get("cross_validation") or {}
    blocks = [prose("header", measured_at=n.get("measured_at"), held_out_command=h.get("command"),
                    files=", ".join(h.get("files") or []), cv_command=cv.get("command")),
              _scores_table(h, cv), prose("folds_unseeded"),
              *_about_the_data(h, cv), *_confusions(h, cv), *_errors(h, cv)]
    if n.get("external"):  # the external set (bench/faq_eval.py)
        from bench import faq_eval

        blocks.append("\n".join(faq_eval.markdown(n["external"])).strip("\n"))
    if n.get("follow_ups"):  # follow-up questions from real pages (bench/follow_up_eval.py)
        from bench import follow_up_eval

        blocks.append("\n".join(follow_up_eval.markdown(n["follow_ups"])).strip("\n"))
    return "\n\n".join(blocks).rstrip() + "\n"
