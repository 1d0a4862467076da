"""The benchmark's reports: prose from bench/templates, figures from the JSON, no test code, no gc games.

Renders docs/benchmarks.md and docs/nlu-evaluation.md from a small result
(no model, no measuring) and checks what a reader of the report would see.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from bench import markdown, prose

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def lat(p50: float, p95: float) -> dict[str, Any]:
    return {"n": 10, "mean_ms": p50, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95 + 1, "max_ms": p95 + 2}


RESULT: dict[str, Any] = {
    "command": "./bench.sh --quick", "measured_at": "2026-01-02 03:04:05 UTC", "total_seconds": 99.5,
    "machine": {"cpus": 2, "cpu_model": "Test CPU", "memory_gib": 8, "python": "3.10.13", "rasa": "3.6.21",
                "python_telegram_bot": "22.8", "load_average_at_start": [0.5, 0.4, 0.3]},
    "load_average_at_end": [0.7, 0.5, 0.3],
    "core_load_seconds_in_process": 9.9, "tensorflow_imported": True,
    "in_process": {
        "turns_per_conversation": 42, "warm_up_conversations": 1, "conversations": 4, "seconds": 12.3,
        "raw_rasa": lat(20, 40), "bot": lat(21, 43.5),
        "paired_turns": {"bot": lat(21, 43), "raw_rasa": lat(20, 40)}, "bot_turns_without_rasa": lat(5, 6),
        "bot_overhead_pct": 7.25, "bot_overhead_cpu_pct": 6.5,
        "bot_overhead_pct_by_percentile": {"p50_ms": 5.0, "p95_ms": 7.5, "p99_ms": 2.5},
        "cpu_ms_per_turn": {"raw_rasa": 19.5, "bot": 20.9}, "empty_replies": 0, "error_replies": 0,
        "garbage_collections": {"gen2": {"count": 1, "total_ms": 0.7, "max_ms": 0.7},
                                "tracked_objects": 269, "frozen_objects": 542540},
        "where_the_bot_adds": {"median_added_wall_ms": 1.25, "median_added_cpu_ms": 1.2,
                               "largest": [{"turn": 29, "text": "/notes", "added_wall_ms": 6.4,
                                            "added_cpu_ms": 6.1, "raw_wall_ms": 49.1}]},
    },
    "profile": {"pyinstrument": "4.6.2", "turns": 84, "wall_ms_per_turn_while_profiled": 68.7,
                "parts": [{"part": "Rasa: whole message (Agent.handle_message)", "share_pct": 91.9},
                          {"part": "Rasa: policies predict next action", "share_pct": 24.5}],
                "top_self_time": [{"function": "iter_errors (jsonschema/validators.py)", "share_pct": 5.3}]},
    "cold_start": {"command": "python -m bot chat --jsonl  (stdin: hi)", "median_seconds": 6.1,
                   "max_seconds": 6.4, "median_cpu_seconds": 7.0, "peak_rss_mib": 700.5, "all_replied": True,
                   "runs": [{"seconds_to_first_reply": 6.1, "peak_rss_mib": 700.5, "cpu_seconds": 7.0,
                             "reply_ok": True, "exit_code": 0}],
                   "phases": [["python and bot.settings", 0.03], ["import skops.io (first)", 1.2],
                              ["import tensorflow", 3.3], ["first reply", 6.0]]},
    "telegram": {"script": ["say /start", "press Yes"], "expected_bot_messages_per_user": [1, 1],
                 "levels": [{"users": 50, "user_messages": 100, "bot_messages_received": 100,
                             "lost_replies": 0, "seconds": 10.0, "throughput_user_msgs_per_s": 10.0,
                             "throughput_bot_msgs_per_s": 10.0, "latency": lat(4000, 5000),
                             "steps_answered": 100, "cpu_ms_per_user_message": 55.0,
                             "bot_api_calls": {"sendMessage": 100, "editMessageText": 50,
                                               "answerCallbackQuery": 50}}]},
}


def test_the_report_shows_the_figures_in_the_template_prose() -> None:
    text = markdown.benchmarks(RESULT)
    assert text.startswith("# Benchmarks\n\nMeasured 2026-01-02 03:04:05 UTC with `./bench.sh --quick`")
    assert "Machine: 2 CPUs (Test CPU), 8 GiB" in text
    assert ("Bot overhead over raw Rasa on the paired turns: 7.25 % of total wall time (6.5 % of CPU time)"
            in text)
    assert "| bot overhead <= 5 % over raw Rasa | 7.25 % | NOT met |" in text
    assert ("Garbage collection during the measured turns: 1 full collection (generation 2), 0.7 ms in all, "
            "longest 0.7 ms; 269 objects tracked, 542540 frozen.") in text
    assert "| Rasa: policies predict next action | 24.5 % |" in text
    assert "**50 users at once.**" in text and "at most 20.0 messages a second" in text
    assert "The largest phases: first reply 2.7 s; import tensorflow 2.1 s; import skops.io 1.2 s." in text
    assert "\n\n\n" not in text and "$" not in text


def test_the_report_has_no_what_if_rows_and_names_no_removed_file() -> None:
    text = markdown.benchmarks(RESULT)
    for gone in ("what if", "fixes 1-", "bench/fixes.py", "tests/e2e/harness.py", "proposed fixes"):
        assert gone not in text


def test_the_nlu_report_fills_its_template() -> None:
    n = {"measured_at": "2026-01-02", "held_out": {
        "command": "rasa test nlu", "files": ["tests/nlu/a.yml"], "support": 10, "intents": 3,
        "accuracy": 0.9, "f1_macro": 0.8, "f1_weighted": 0.85, "precision_macro": 0.8, "recall_macro": 0.8,
        "seconds": 3.0, "fallback_threshold": 0.4,
        "would_fall_back": {"correct_but_below_threshold": 1, "wrong_and_below_threshold": 0},
        "errors": [{"text": "help now", "intent": "emergency", "predicted": "greet", "confidence": 0.5,
                    "guard_fires": False}]}, "cross_validation": {"error": "boom", "seconds": 1.0}}
    text = markdown.nlu(n)
    assert "on the held-out set that happens to 1 correctly classified message and to 0 of the errors" in text
    assert 'Emergency messages that NLU missed and the guard does not catch either: "help now".' in text
    assert markdown.nlu_headline(n) == ("NLU: held-out (10 messages): accuracy 0.900, F1 macro 0.800, "
                                        "weighted 0.850, 1 errors.")
    assert "$" not in text


def test_a_placeholder_left_unfilled_is_an_error() -> None:
    with pytest.raises(KeyError, match="measured_at"):
        prose.Prose("benchmarks.md")("header", command="x", total_seconds=1)
    with pytest.raises(KeyError, match="no section 'nothing'"):
        prose.Prose("benchmarks.md")("nothing")


def test_every_template_section_is_used_by_the_code() -> None:
    code = "\n".join(p.read_text("utf-8") for p in BENCH.glob("markdown*.py"))
    for template in (BENCH / "templates").glob("*.md"):
        for name in prose.sections(template.name):
            assert re.search(rf"[\"']{name}[\"']", code), f"{template.name}: section {name} is never used"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_bench_imports_no_test_code_and_never_unfreezes_the_collector() -> None:
    for path in BENCH.rglob("*.py"):
        assert not any(name == "tests" or name.startswith("tests.") for name in _imports(path)), path
        assert "unfreeze" not in path.read_text("utf-8"), path


def test_no_bench_module_is_over_350_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in BENCH.rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > 350}
    assert long == {}
