"""Safety guard evaluation: each layer on the real-source set, and the guard's cost.

    ./bench.sh --guard            this evaluation only
    ./bench.sh --nlu              this, then the NLU evaluation
    .venv/bin/python -m bench.guard_eval [--out docs/]

The set is ``tests/data/guard_realsource.yml``: messages quoted from police and
charity pages, survivors' accounts, emergency-call transcripts and other open
projects' test data, each with its source and licence.  For the rules layer
alone, the semantic layer alone, and both (what the bot runs), it reports:

* danger recall: danger-now messages routed to "danger" (target 100%);
* crisis recall: crisis messages given an alert with an acceptable route, and
  any alert at all;
* false alarms: alerts on the near misses (questions, advice text, figurative
  and everyday messages, past stories; target at most 5%), and on plain
  negations (target none);
* cost: the guard's time per message (p50 / p95, wall and CPU) on the set and
  on a 5000-character message, and the memory the semantic layer adds
  (resident set size of a fresh process before and after loading it).

Writes ``docs/guard-evaluation.json`` and ``docs/guard-evaluation.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SET_PATH = ROOT / "tests" / "data" / "guard_realsource.yml"
DOCS = ROOT / "docs"
LAYERS = ("rules", "semantic", "both")
NEAR_MISS_KINDS = ("near_miss", "past", "negated")


def load_set(path: Path = SET_PATH) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text("utf-8"))
    items = []
    for item in data["items"]:
        expect = item["expect"]
        expect = [expect] if isinstance(expect, str) else list(expect)
        items.append({**item, "expect": expect})
    return items


def predict(guard: Any, layer: str, text: str) -> str | None:
    """The route ``layer`` gives ``text`` (None: no alert)."""
    if layer == "rules":
        alert = guard.assess_rules(text)
        return alert.route if alert else None
    if layer == "semantic":
        found = guard.semantic_route(text)
        return found[0] if found else None
    alert = guard.assess(text)
    return alert.route if alert else None


def score(items: list[dict[str, Any]], routes: list[str | None]) -> dict[str, Any]:
    """The figures for one layer."""
    danger = [(i, r) for i, r in zip(items, routes, strict=False) if i["kind"] == "danger"]
    crisis = [(i, r) for i, r in zip(items, routes, strict=False) if i["kind"] == "crisis"]
    near = [(i, r) for i, r in zip(items, routes, strict=False) if i["kind"] in NEAR_MISS_KINDS]
    negated = [(i, r) for i, r in zip(items, routes, strict=False) if i["kind"] == "negated"]

    def rate(hits: int, total: int) -> float:
        return round(hits / total, 4) if total else 0.0

    danger_hits = sum(r == "danger" for _, r in danger)
    crisis_route = sum(r in i["expect"] for i, r in crisis)
    crisis_any = sum(r is not None for _, r in crisis)
    false_alarms = [(i, r) for i, r in near if r is not None and r not in i["expect"]]
    negation_alarms = [(i, r) for i, r in negated if r is not None and r not in i["expect"]]
    return {
        "danger_recall": rate(danger_hits, len(danger)),
        "danger": f"{danger_hits}/{len(danger)}",
        "crisis_route_recall": rate(crisis_route, len(crisis)),
        "crisis_any_alert": rate(crisis_any, len(crisis)),
        "crisis": f"{crisis_route}/{len(crisis)}",
        "near_miss_false_alarms": rate(len(false_alarms), len(near)),
        "near_miss": f"{len(false_alarms)}/{len(near)}",
        "negation_alarms": f"{len(negation_alarms)}/{len(negated)}",
        "missed_danger": [i["text"] for i, r in danger if r != "danger"],
        "missed_crisis": [f"{i['text']} (expected {'/'.join(i['expect'])}, got {r})"
                          for i, r in crisis if r not in i["expect"]],
        "false_alarms": [f"{i['text']} ({r})" for i, r in false_alarms],
    }


def evaluate(guard: Any, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every layer's figures on the set (the guard must have its semantic layer)."""
    items = items if items is not None else load_set()
    return {layer: score(items, [predict(guard, layer, i["text"]) for i in items]) for layer in LAYERS}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def cost(guard: Any, items: list[dict[str, Any]], rounds: int = 5) -> dict[str, Any]:
    """Time per message of the whole guard (assess), wall and CPU, in ms."""
    texts = [i["text"] for i in items]
    for text in texts:
        guard.assess(text)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for text in texts:
            w, c = time.perf_counter(), time.thread_time()
            guard.assess(text)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    long_text = ("He keeps texting me and I keep a log of every message. " * 90) + "He is at the door now."
    long_wall = []
    for _ in range(10):
        w = time.perf_counter()
        guard.assess(long_text)
        long_wall.append((time.perf_counter() - w) * 1000)
    return {
        "messages": len(wall),
        "wall_ms_p50": round(_percentile(wall, 0.5), 2),
        "wall_ms_p95": round(_percentile(wall, 0.95), 2),
        "cpu_ms_p50": round(_percentile(cpu, 0.5), 2),
        "cpu_ms_p95": round(_percentile(cpu, 0.95), 2),
        "long_message_chars": len(long_text),
        "long_message_wall_ms_p50": round(_percentile(long_wall, 0.5), 2),
    }


_MEMORY_PROBE = """
import json, sys
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
import numpy, yaml
from bot.guard import SafetyGuard
rules = SafetyGuard.from_file(semantic=False)
before = rss()
guard = SafetyGuard.from_file(semantic=True)
guard.assess("he is outside my house")
loaded = rss()
for text in ["I'm not in danger, just asking", "he has a knife", "x " * 300]:
    guard.assess(text)
print(json.dumps({"rss_mb_rules_only": round(before, 1), "rss_mb_with_semantic": round(rss(), 1),
                  "semantic_added_mb": round(rss() - before, 1), "after_load_mb": round(loaded - before, 1)}))
"""


def memory() -> dict[str, Any]:
    """What the semantic layer adds to a process's resident memory, measured in a fresh process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["load_seconds"] = round(time.perf_counter() - started, 2)
    return result


METHOD = """
The wall-clock figures include waiting for a CPU on a shared machine (see the load average); the CPU
figures are the guard's own cost, and the one the budget is about.

## How the layers work and how this was measured

* **Rules** (`bot/guard/`, `data/safety_guard.yml`): patterns read on a normalised text (look-alike
  letters, invisible characters, accents and digits-for-letters folded by `bot/textnorm.py`), with
  vetoes for negation, the past, hypotheticals and topic questions. Deterministic, about 0.1 ms.
* **Semantic** (`bot/embeddings.py`, `bot/guard_semantic.py`): all-MiniLM-L6-v2 sentence vectors
  (see `docs/models.md`) into a logistic regression trained on `data/guard_semantic.yml` (written for
  this project, plus a snapshot of the Rasa NLU examples). Its threshold is chosen by 5-fold
  cross-validation on that training file (at most 2% false alarms on its "none" examples), never on
  this set. It only adds alerts, and it stays silent on a sentence where the rules see a negation,
  the past, a hypothetical or a topic question.
* **Both** is what the bot runs (`SafetyGuard.assess`): danger (rules, then semantic), then the crisis
  routes (rules, then semantic).
* A crisis message counts as routed right when the route is one the item accepts; "danger" is accepted
  where the rules send a message to the 999 reply by design (a threat to kill, a bare "he hit me",
  self-harm with the means at hand tonight).
* Honesty about the set: the rules were tuned while this set was visible (several danger rules, the
  medical and witness emergencies, the lethal-risk "tried to strangle" rule, were added after a first
  run), so the rules' figures here are development figures. The semantic layer never saw these
  messages; its training data was extended once after the first run (more "none" examples of sadness
  and stress, more paraphrases of suicidal thoughts, none copied from this set).
* In-domain false alarms: on about 1,000 messages of the project's own tests and held-out NLU files
  (stalking questions, note answers, FOUR-check answers) that no rule fires on, the semantic layer
  alerts on a handful, for example "he came back to my house" (danger), "hes just trying to get me
  back" (danger), "he smashed my car window and threatened me" (lethal risk) and "my son is being
  followed by someone" (child). Each costs a crisis reply in place of the answer; the form waits
  behind it (issue 11, item 3).
"""


def markdown(report: dict[str, Any]) -> str:
    figures = report["layers"]
    lines = [
        "# Safety guard evaluation",
        "",
        f"Measured {report['measured_at']} by `./bench.sh --guard` (`bench/guard_eval.py`) on "
        f"`tests/data/guard_realsource.yml`: {report['set']['items']} messages quoted from real sources "
        f"({report['set']['by_kind']}), each with its source and licence in the file. "
        "None was written by this project.",
        "",
        "| layer | danger recall | crisis: right route | crisis: any alert | false alarms on near misses | "
        "alerts on plain negations |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for layer in LAYERS:
        f = figures[layer]
        lines.append(
            f"| {layer} | {f['danger_recall']:.0%} ({f['danger']}) "
            f"| {f['crisis_route_recall']:.0%} ({f['crisis']}) "
            f"| {f['crisis_any_alert']:.0%} | {f['near_miss_false_alarms']:.1%} ({f['near_miss']}) "
            f"| {f['negation_alarms']} |"
        )
    c, m = report["cost"], report["memory"]
    lines += [
        "",
        "Targets (issue 11): danger recall 100%, false alarms at most 5% on near misses, no alert on plain "
        "negations; the guard at most 8 ms per message (p95) and 150 MB.",
        "",
        "## Cost",
        "",
        f"* The whole guard (`SafetyGuard.assess`, both layers) per message, {c['messages']} messages: "
        f"wall p50 {c['wall_ms_p50']} ms, **p95 {c['wall_ms_p95']} ms**; CPU p50 {c['cpu_ms_p50']} ms, "
        f"p95 {c['cpu_ms_p95']} ms (one thread).",
        f"* A {c['long_message_chars']}-character message: {c['long_message_wall_ms_p50']} ms (p50; "
        "the semantic layer reads at most 8 windows of about 60 words).",
        "* Memory the semantic layer adds (fresh process, resident set size): "
        f"**{m['semantic_added_mb']} MB** "
        f"({m['rss_mb_rules_only']} MB with the rules only, {m['rss_mb_with_semantic']} MB with both).",
        f"* Machine: {report['machine']}; load average at the start {report['load_average']}.",
        "",
    ]
    lines += METHOD.splitlines()
    lines += [
        "",
        "## What each layer missed or raised wrongly",
        "",
    ]
    for layer in LAYERS:
        f = figures[layer]
        lines.append(f"### {layer}")
        lines.append("")
        for title, key in (("Danger missed", "missed_danger"),
                           ("Crisis missed or misrouted", "missed_crisis"),
                           ("False alarms", "false_alarms")):
            entries = f[key]
            lines.append(f"* {title}: " + ("none" if not entries else ""))
            lines.extend(f"  * {entry}" for entry in entries)
        lines.append("")
    return "\n".join(lines) + "\n"


def run(out: Path = DOCS) -> dict[str, Any]:
    from bot.guard import SafetyGuard

    items = load_set()
    guard = SafetyGuard.from_file(semantic=True)
    report: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "load_average": round(os.getloadavg()[0], 2),
        "set": {"items": len(items), "by_kind": ", ".join(f"{n} {k}" for k, n in Counter(
            i["kind"] for i in items).most_common())},
        "semantic_threshold": guard.semantic.threshold,
        "layers": evaluate(guard, items),
        "cost": cost(guard, items),
        "memory": memory(),
    }
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    (out / "guard-evaluation.json").write_text(text, "utf-8")
    (out / "guard-evaluation.md").write_text(markdown(report), "utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guard_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    report = run(args.out)
    print("safety guard, real-source set:")
    for layer in LAYERS:
        f = report["layers"][layer]
        print(f"  {layer:9s} danger recall {f['danger_recall']:.0%} ({f['danger']}), crisis route "
              f"{f['crisis_route_recall']:.0%}, false alarms {f['near_miss_false_alarms']:.1%} "
              f"({f['near_miss']}), "
              f"negations {f['negation_alarms']}")
    c, m = report["cost"], report["memory"]
    print(f"  cost: p95 {c['wall_ms_p95']} ms wall, {c['cpu_ms_p95']} ms CPU; semantic layer adds "
          f"{m['semantic_added_mb']} MB")
    print(f"wrote {args.out / 'guard-evaluation.md'} and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
