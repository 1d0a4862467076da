"""How much memory each conversation costs the embedded engine, in memory and in the SQL store.

    .venv/bin/python scripts/measure_conversation_memory.py [--conversations 300]

For each tracker store (Rasa's in-memory one, as the embedded engine had before,
and ``conversations.tracker_store.EncryptedSQLTrackerStore`` on a throwaway SQLite file,
as it has now) a fresh process loads the model, then starts that many
conversations, each a guided note begun and answered twice (``/note``,
"yesterday at 5pm", "outside the gym"), the state a person interrupted
mid-note leaves behind.  Python heap (tracemalloc, after a full collection) and
RSS are read at a quarter, half and all of the conversations; the slope between
the first and the last reading is the cost of one more conversation.  Prints
one JSON line per store.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS = ["/note", "yesterday at 5pm", "outside the gym"]


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def measure(store: str, conversations: int) -> dict[str, object]:
    from cryptography.fernet import Fernet

    from bot.app import latest_model
    from bot.engine import InProcessEngine

    folder = Path(tempfile.mkdtemp(prefix="convmem-"))
    url = f"sqlite:///{folder / 'tracker.db'}" if store == "sql" else None
    engine = InProcessEngine(latest_model(ROOT / "models"), None, tracker_url=url,
                             tracker_key=Fernet.generate_key().decode())
    await engine.start()
    for n in range(30):  # conversations first, so first-use caches are filled
        for step in STEPS:
            await engine.handle(f"warm-{n}", step)
    checkpoints = sorted({conversations // 4, conversations // 2, conversations})
    gc.collect()
    tracemalloc.start()
    readings = []
    started = time.perf_counter()
    for n in range(1, conversations + 1):
        for step in STEPS:
            await engine.handle(f"user-{n}", step)
        if n in checkpoints:
            gc.collect()
            readings.append({"conversations": n, "heap_kib": tracemalloc.get_traced_memory()[0] // 1024,
                             "rss_kib": rss_kib()})
    elapsed = time.perf_counter() - started
    tracemalloc.stop()
    first, last = readings[0], readings[-1]
    span = last["conversations"] - first["conversations"]
    await engine.close()
    return {
        "store": "in-memory (before)" if store == "memory" else "encrypted SQLite (now)",
        "conversations": conversations,
        "heap_bytes_per_conversation": round((last["heap_kib"] - first["heap_kib"]) * 1024 / span),
        "rss_bytes_per_conversation": round((last["rss_kib"] - first["rss_kib"]) * 1024 / span),
        "ms_per_message": round(elapsed * 1000 / (conversations * len(STEPS)), 1),
        "readings": readings,
        "tracker_db_bytes": (folder / "tracker.db").stat().st_size if url else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--store", choices=["memory", "sql"])
    args = parser.parse_args()
    if args.store:  # the child: one store, one process
        print(json.dumps(asyncio.run(measure(args.store, args.conversations))), flush=True)
        return
    for store in ("memory", "sql"):
        result = subprocess.run([sys.executable, __file__, "--store", store,
                                 "--conversations", str(args.conversations)],
                                cwd=ROOT, capture_output=True, text=True, check=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
