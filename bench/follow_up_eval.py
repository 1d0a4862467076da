"""Follow-up questions from real pages, read alone and after the question they follow (issue 12).

``tests/data/follow_ups_realsource.yml`` holds pairs of consecutive questions quoted from real
FAQ pages, where the second leaves out what the first named ("What is a non-molestation
order?" then "How do I apply for one?"), each with its source and licence and the topic whose
answer fits the second.  Each pair is read as the bot reads it: the first question, then the
second with a conversation whose last message is the first (its parse as the bot made it),
so :mod:`nlu.components.follow_up` can read it in context; and the second alone, as before.
Each second question ends as the external set's do: **right** (the answer is on its topic),
**not sure**, or **confident wrong**.  Only pairs whose first question got an answer on a
topic count for the reading in context (otherwise there is no context to read with).

    .venv/bin/python -m bench.follow_up_eval     # measure; update docs/nlu-evaluation.{json,md}
    ./bench.sh --nlu                             # the whole NLU evaluation, this included
"""
from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import yaml

from bench.common import MODEL, ROOT, log

SET_PATH = ROOT / "tests" / "data" / "follow_ups_realsource.yml"


def load_pairs(path: Path = SET_PATH) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text("utf-8"))["pairs"])


def answered(parse: dict[str, Any]) -> Optional[str]:
    """The topic a parse is answered with (a knowledge-base key, or a leaflet topic's intent),
    "not sure" (None for a fallback), or the other intent's name."""
    from nlu.components.topics import FALLBACK, TOPIC_OF_INTENT, selected_topic

    name = str((parse.get("intent") or {}).get("name") or "")
    if name == FALLBACK:
        return None
    return selected_topic(parse) or TOPIC_OF_INTENT.get(name) or name


def outcome(parse: dict[str, Any], topic: str) -> str:
    got = answered(parse)
    return "not_sure" if got is None else "right" if got == topic else "wrong"


async def _read_all(pairs: list[dict[str, Any]], model: Path) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.engine import quiet_rasa_logging

    quiet_rasa_logging()
    agent = Agent.load(str(model))
    assert agent.processor is not None
    out = []
    for i, pair in enumerate(pairs):
        first = await agent.parse_message(str(pair["first"]))
        alone = await agent.parse_message(str(pair["second"]))
        before = [UserUttered(str(pair["first"]), parse_data=first)]  # type: ignore[arg-type]
        tracker = DialogueStateTracker.from_events(f"pair-{i}", before)
        in_context = await agent.processor.parse_message(UserMessage(str(pair["second"])), tracker)
        out.append({"first": first, "alone": alone, "in_context": in_context})
    return out


def evaluate(pairs: list[dict[str, Any]], read: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures, from the parses of each pair (kept apart from the model so it can be tested)."""
    rows = []
    for pair, parses in zip(pairs, read, strict=True):
        topic = str(pair["topic"])
        rows.append({"first": pair["first"], "second": pair["second"], "topic": topic,
                     "first_answered": answered(parses["first"]) is not None,
                     "alone": outcome(parses["alone"], topic),
                     "in_context": outcome(parses["in_context"], topic),
                     "alone_as": answered(parses["alone"]), "in_context_as": answered(parses["in_context"]),
                     "source": pair.get("source")})
    with_context = [r for r in rows if r["first_answered"]]

    def rates(key: str, of: list[dict[str, Any]]) -> dict[str, float]:
        counts = Counter(r[key] for r in of)
        n = max(len(of), 1)
        return {k: round(counts[k] / n, 3) for k in ("right", "not_sure", "wrong")}

    return {"pairs": len(rows), "sources": len({r["source"] for r in rows}),
            "first_answered": len(with_context),
            "alone": rates("alone", with_context), "in_context": rates("in_context", with_context),
            "alone_all": rates("alone", rows), "in_context_all": rates("in_context", rows),
            "rows": rows, "set": SET_PATH.relative_to(ROOT).as_posix(),
            "command": ".venv/bin/python -m bench.follow_up_eval (part of ./bench.sh --nlu)"}


def run(model: Path = MODEL) -> dict[str, Any]:
    pairs = load_pairs()
    log(f"nlu: follow-up questions ({len(pairs)} pairs from real pages)")
    started = time.perf_counter()
    result = evaluate(pairs, asyncio.run(_read_all(pairs, model)))
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def headline(x: dict[str, Any]) -> str:
    a, c = x["alone"], x["in_context"]
    return (f"follow-up questions ({x['first_answered']} real pairs whose first question was answered): "
            f"right {a['right']:.3f} alone -> {c['right']:.3f} after the question they follow, "
            f"confident wrong {a['wrong']:.3f} -> {c['wrong']:.3f}")


def markdown(x: dict[str, Any]) -> list[str]:
    """The "Follow-up questions" section of docs/nlu-evaluation.md."""
    from bench.report import md_table

    out = ["## Follow-up questions", ""]
    add = out.append
    add(f"`{x['set']}`: {x['pairs']} pairs of consecutive questions quoted from {x['sources']} real "
        "FAQ pages, "
        "where the second leaves out what the first named (\"What is a non-molestation order?\" then a "
        "question about \"one\"); none written here. The second question is read alone, and after the "
        "first (a conversation whose last message is the first question, parsed as the bot parses it: "
        "`nlu/components/follow_up.py` reads a short question a second time with the one it follows "
        "when it is unsure alone). Measured with the trained model "
        f"(`{x['command']}`, {x.get('seconds')} s).")
    add("")
    rows = []
    for label, key, n in (("first question answered on a topic", "", x["first_answered"]),
                          ("all pairs", "_all", x["pairs"])):
        a, c = x["alone" + key], x["in_context" + key]
        rows.append([label, n, f"{a['right']:.3f}", f"{c['right']:.3f}", f"{a['not_sure']:.3f}",
                     f"{c['not_sure']:.3f}", f"{a['wrong']:.3f}", f"{c['wrong']:.3f}"])
    out.extend(md_table(["pairs", "count", "right alone", "right after the first", "not sure alone",
                         "not sure after", "confident wrong alone", "confident wrong after"], rows))
    add("")
    changed = [r for r in x["rows"] if r["alone"] != r["in_context"]]
    if changed:
        add("Second questions whose outcome the first changed:")
        add("")
        out.extend(md_table(["first", "second", "topic", "alone", "after the first"],
                            [[r["first"], r["second"], r["topic"],
                              f"{r['alone']} ({r['alone_as'] or 'not sure'})",
                              f"{r['in_context']} ({r['in_context_as'] or 'not sure'})"] for r in changed]))
        add("")
    return out


def main(argv: Optional[list[str]] = None) -> int:
    from bench.faq_eval import measure_and_report

    return measure_and_report(run, "follow_ups", headline)


if __name__ == "__main__":
    sys.exit(main())
