"""The benchmark command: ``./bench.sh`` (which runs ``scripts/setup.sh``, then ``python -m bench``).

    ./bench.sh           everything: latency, Telegram load, cold start, memory, training, NLU evaluation
    ./bench.sh --quick   a fast check: no training from scratch, no 200-user run, no NLU evaluation
    ./bench.sh --nlu     the NLU evaluation only (held-out files, 5-fold cross-validation, external set)
    ./bench.sh --render  rewrite the Markdown reports from docs/*.json (measures nothing)

Prints a table and writes docs/benchmarks.{json,md} (and docs/nlu-evaluation.{json,md}
when the NLU evaluation ran).  Progress goes to stderr.
"""
from __future__ import annotations

# ruff: noqa: E402 - the thread settings below must come before numpy is imported
import os

# As the bot sets it (bot/__main__.py), before numpy is imported: one BLAS thread.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import DOCS, MODEL, Diary, load_average, log, machine, quiet, temp_dir


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./bench.sh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="skip training from scratch, the 200-user run and the NLU evaluation")
    parser.add_argument("--nlu", action="store_true", help="run the NLU evaluation only")
    parser.add_argument("--out", type=Path, default=DOCS, help="where the reports go (default: docs/)")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rewrite the Markdown reports from the JSON ones in --out")
    parser.add_argument("--conversations", type=int, default=None,
                        help="measured in-process conversations (default 8, quick 4)")
    return parser.parse_args(argv)


async def performance(quick: bool, conversations: int) -> dict[str, Any]:
    from bench import coldstart, inprocess, profiling, telegram_load
    from bench.common import build_real_core, close_core

    results: dict[str, Any] = {}
    # Fresh processes first, while this one holds no model.
    results["cold_start"] = await asyncio.to_thread(coldstart.run, 2 if quick else 3)
    with temp_dir("core") as folder:
        log("loading the real core in this process (isolated diary database)")
        started = time.perf_counter()
        core = await build_real_core(Diary(folder))
        results["core_load_seconds_in_process"] = round(time.perf_counter() - started, 1)
        results["tensorflow_imported"] = "tensorflow" in sys.modules
        try:
            results["in_process"] = await inprocess.run(core, conversations)
            results["profile"] = await profiling.profile_bot_path(core, 2)
            levels = [1, 10, 50] if quick else [1, 10, 50, 200]
            telegram = await telegram_load.run(core, levels)
            if not quick and "skipped" not in telegram:
                expected = telegram.get("expected_bot_messages_per_user")
                telegram["without_rate_limiter"] = await telegram_load.diagnostic(core, 50, expected)
            results["telegram"] = telegram
            results["bench_process_peak_rss_mib"] = _own_peak_rss_mib()
        finally:
            await close_core(core)
    return results


def _own_peak_rss_mib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    quiet()
    from bench import faq_eval, follow_up_eval, markdown, nlu_eval, training
    from bench.report import summary_rows, text_table, write_json
    from bench.targets import check

    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run scripts/setup.sh (./bench.sh does)", file=sys.stderr)
        return 2
    started = time.time()
    if args.render:
        import json

        for name, render in (("benchmarks", markdown.benchmarks), ("nlu-evaluation", markdown.nlu)):
            source = args.out / f"{name}.json"
            if source.exists():
                (args.out / f"{name}.md").write_text(render(json.loads(source.read_text("utf-8"))), "utf-8")
                log(f"rewrote {args.out / name}.md")
        return 0
    if args.nlu:
        nlu = nlu_eval.run()
        nlu["external"] = faq_eval.run()  # the external set, reported apart from the two above
        nlu["follow_ups"] = follow_up_eval.run()  # follow-up questions from real pages
        nlu["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started))
        nlu["machine"] = machine()
        write_json(args.out / "nlu-evaluation.json", nlu)
        (args.out / "nlu-evaluation.md").write_text(markdown.nlu(nlu), "utf-8")
        print(markdown.nlu_summary(nlu))
        log(f"wrote {args.out / 'nlu-evaluation.md'} and .json")
        bench_json = args.out / "benchmarks.json"
        if bench_json.exists():  # keep the benchmark report's NLU line in step with this evaluation
            import json

            results = json.loads(bench_json.read_text("utf-8"))
            headline = markdown.nlu_headline(nlu).rstrip(".")
            results["nlu_summary"] = f"{headline} (`./bench.sh --nlu`, {nlu['measured_at']})."
            write_json(bench_json, results)
            (args.out / "benchmarks.md").write_text(markdown.benchmarks(results), "utf-8")
        return 0

    conversations = args.conversations or (4 if args.quick else 8)
    results: dict[str, Any] = {
        "command": "./bench.sh" + (" --quick" if args.quick else ""),
        "quick": args.quick,
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "machine": machine(),
    }
    results.update(asyncio.run(performance(args.quick, conversations)))
    results["training"] = training.run(from_scratch=not args.quick)
    if args.quick:
        results["not_run"] = ["training from scratch", "Telegram, 200 users at once",
                              "Telegram diagnostics (rate limiter off)", "NLU evaluation"]
    else:
        nlu = nlu_eval.run()
        nlu["external"] = faq_eval.run()
        nlu["follow_ups"] = follow_up_eval.run()
        nlu["measured_at"] = results["measured_at"]
        nlu["machine"] = results["machine"]
        write_json(args.out / "nlu-evaluation.json", nlu)
        (args.out / "nlu-evaluation.md").write_text(markdown.nlu(nlu), "utf-8")
        results["nlu_summary"] = markdown.nlu_headline(nlu)
    results["load_average_at_end"] = load_average()
    results["total_seconds"] = round(time.time() - started, 1)
    results["targets"] = check(results)
    write_json(args.out / "benchmarks.json", results)
    (args.out / "benchmarks.md").write_text(markdown.benchmarks(results), "utf-8")
    print(text_table(summary_rows(results)))
    if results.get("nlu_summary"):
        print()
        print(results["nlu_summary"])
    log(f"wrote {args.out / 'benchmarks.md'} and .json in {results['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
