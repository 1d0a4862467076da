"""Measure messages per second through N Rasa replicas sharing PostgreSQL and Redis.

    .venv/bin/python -m tests.scale.measure --replicas 2 --users 20 --walks 3

Starts the same throw-away deployment as the scale tests (``cluster.py``), then
``--users`` simulated users at once each walk through the FOUR check ``--walks``
times (6 messages a walk, each sent when the previous reply has arrived, so the
concurrency is the number of users), spread round-robin over the replicas.
Prints one JSON line per run: messages, seconds, messages/s in all and per
replica, latency percentiles, and the CPU seconds the Rasa servers and the
action server spent per message (read from /proc: unlike the wall-clock
figures, it hardly depends on what else the machine is doing).  A warm-up walk
per user is not counted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.remote_engine import RemoteEngine  # noqa: E402
from tests.scale.cluster import running_cluster  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


WALK = ["/start_check", "/affirm", "/deny", "/affirm", "/unsure", "/deny"]


async def load(urls: list[str], token: str, users: int, walks: int,
               rasa_pids: list[int], action_pid: int) -> dict[str, float]:
    engines = [RemoteEngine(u, token=token, start_timeout=10) for u in urls]
    await asyncio.gather(*(e.start() for e in engines))
    latencies: list[float] = []

    async def user(n: int, count: bool) -> None:
        sender = f"load-{uuid.uuid4().hex[:8]}"
        for walk in range(walks if count else 1):
            for index, message in enumerate(WALK):
                engine = engines[(n + walk * len(WALK) + index) % len(engines)]
                started = time.perf_counter()
                replies = await engine.handle(sender, message)
                if count:
                    latencies.append(time.perf_counter() - started)
                assert replies, "an empty answer"

    await asyncio.gather(*(user(n, count=False) for n in range(users)))  # warm-up
    rasa_cpu = sum(cpu_seconds(p) for p in rasa_pids)
    action_cpu = cpu_seconds(action_pid)
    started = time.perf_counter()
    await asyncio.gather(*(user(n, count=True) for n in range(users)))
    elapsed = time.perf_counter() - started
    rasa_cpu = sum(cpu_seconds(p) for p in rasa_pids) - rasa_cpu
    action_cpu = cpu_seconds(action_pid) - action_cpu
    await asyncio.gather(*(e.close() for e in engines))
    latencies.sort()
    return {
        "replicas": len(urls), "concurrent_users": users, "messages": len(latencies),
        "seconds": round(elapsed, 2), "msg_per_s": round(len(latencies) / elapsed, 1),
        "msg_per_s_per_replica": round(len(latencies) / elapsed / len(urls), 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000),
        "latency_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000),
        "rasa_cpu_ms_per_msg": round(rasa_cpu / len(latencies) * 1000, 1),
        "action_server_cpu_ms_per_msg": round(action_cpu / len(latencies) * 1000, 1),
        "load_average_1m": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--walks", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as logs, running_cluster(Path(logs), args.replicas) as cluster:
        for users in args.users:
            for replicas in range(1, args.replicas + 1):
                pids = [p.pid for p in cluster.procs]
                result = asyncio.run(load(cluster.urls[:replicas], cluster.token, users, args.walks,
                                          pids[1:replicas + 1], pids[0]))
                print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
