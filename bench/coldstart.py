"""Cold start and peak memory: ``python -m bot chat --jsonl`` from process start to first reply.

Each run starts a fresh process (new interpreter, imports, model load, warm-up)
with one line, "hi", on its standard input, and times the first line on its
standard output.  Peak resident memory is read twice: ``VmHWM`` in
``/proc/<pid>/status`` (polled while it runs) and the child's own
``ru_maxrss`` from ``wait4`` when it exits; the larger is reported.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

from bench.common import PYTHON, ROOT, Diary, child_env, log, temp_dir

BOT_CHAT = ["-m", "bot", "chat", "--jsonl", "--user", "bench-cold-start"]

#: Timestamps of the start-up phases, in a child process (what dominates a cold start), importing
#: in the order ``python -m bot`` does (skops.io first, see bot/__main__.py).
PHASES = r"""
import asyncio, json, os, sys, time, warnings
t0 = time.perf_counter()
warnings.simplefilter("ignore")
marks = []
def mark(name):
    marks.append([name, round(time.perf_counter() - t0, 2)])
from bot.settings import Settings
mark("python and bot.settings")
import skops.io
mark("import skops.io (first, as python -m bot does: it scans sys.modules per numpy/scipy ufunc)")
import tensorflow
mark("import tensorflow")
import rasa.core.agent
mark("import rasa (the rest)")
import bot.app
mark("import bot.app (diary, dates, guard)")
import bot.engine as engine
warm = engine.InProcessEngine._warm_up
async def timed_warm_up(self):
    mark("load_agent (the rest: model archive, graph, components)")
    await warm(self)
    mark("warm-up message")
engine.InProcessEngine._warm_up = timed_warm_up
async def main():
    core = await bot.app.build_core(Settings())
    mark("diary store (migrations), facts, guard")
    await core.handle("bench-cold-start", "hi")
    mark("first reply")
asyncio.run(main())
print(json.dumps(marks))
"""


def vm_hwm_kib(pid: int) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def one_run(timeout: float) -> dict[str, Any]:
    with temp_dir("coldstart") as folder:
        diary = Diary(folder)
        diary.export_dir.mkdir(mode=0o700)
        env = child_env(**diary.env(), LOG_LEVEL="WARNING")
        env.pop("TELEGRAM_BOT_TOKEN", None)
        first_line: dict[str, Any] = {}
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, *BOT_CHAT],
            cwd=str(ROOT), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"hi\n")
        process.stdin.flush()

        def read() -> None:
            assert process.stdout is not None
            line = process.stdout.readline()
            first_line["at"] = time.perf_counter()
            first_line["line"] = line

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        peak_polled = 0
        deadline = started + timeout
        while reader.is_alive() and time.perf_counter() < deadline:
            peak_polled = max(peak_polled, vm_hwm_kib(process.pid) or 0)
            reader.join(0.02)
        peak_polled = max(peak_polled, vm_hwm_kib(process.pid) or 0)
        timed_out = reader.is_alive()
        # End of input: the console exits 0 after answering what it has read.
        try:
            process.stdin.close()
        except OSError:
            pass
        exit_deadline = time.perf_counter() + 30
        status = None
        usage = None
        while time.perf_counter() < exit_deadline:
            peak_polled = max(peak_polled, vm_hwm_kib(process.pid) or 0)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        if status is None or usage is None or not pid:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        reply_ok = False
        if "line" in first_line:
            try:
                reply_ok = bool(json.loads(first_line["line"]).get("out"))
            except ValueError:
                reply_ok = False
        seconds = (first_line["at"] - started) if "at" in first_line and not timed_out else None
        return {
            "seconds_to_first_reply": round(seconds, 2) if seconds is not None else None,
            "reply_ok": reply_ok,
            "exit_code": process.returncode,
            "peak_rss_mib": round(max(peak_polled, usage.ru_maxrss) / 1024, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "timed_out": timed_out,
        }


def phases(timeout: float) -> Any:
    with temp_dir("phases") as folder:
        diary = Diary(folder)
        diary.export_dir.mkdir(mode=0o700)
        try:
            done = subprocess.run([PYTHON, "-c", PHASES], cwd=str(ROOT), env=child_env(**diary.env()),
                                  capture_output=True, text=True, timeout=timeout, check=False)
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError) as error:
            return {"error": type(error).__name__}


def _stats(results: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(r["seconds_to_first_reply"] for r in results if r["seconds_to_first_reply"] is not None)
    cpu = sorted(r["cpu_seconds"] for r in results)
    return {
        "median_seconds": round(statistics.median(times), 2) if times else None,
        "max_seconds": times[-1] if times else None,
        "min_seconds": times[0] if times else None,
        "median_cpu_seconds": round(statistics.median(cpu), 2) if cpu else None,
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results) if results else None,
        "all_replied": all(r["reply_ok"] and r["exit_code"] == 0 for r in results),
    }


def run(runs: int = 3, timeout: float = 120.0) -> dict[str, Any]:
    """``runs`` fresh processes, then one more timing its start-up phases."""
    results: list[dict[str, Any]] = []
    for index in range(runs):
        log(f"cold start: run {index + 1} of {runs}")
        results.append(one_run(timeout))
    log("cold start: timing the start-up phases")
    return {
        "command": "python -m bot chat --jsonl  (stdin: hi)",
        "runs": results,
        **_stats(results),
        "phases": phases(timeout),
    }
