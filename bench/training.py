"""Training time: from scratch, and again with nothing changed.

* from scratch: ``rasa train ... --force`` into a temporary out dir, with an
  empty Rasa cache of its own (``RASA_CACHE_DIRECTORY``), so nothing is reused;
* nothing changed, Rasa: ``rasa train`` again into the same out dir, same cache,
  without ``--force``;
* nothing changed, the project: ``scripts/setup.sh`` when ``models/.fingerprint``
  matches the data (no training at all).

The repository's ``models/`` is never written by the Rasa runs.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

from bench.common import RASA, ROOT, child_env, log, temp_dir

TRAIN_ARGS = ["train", "--domain", "domain", "--data", "data/nlu", "data/rules", "data/stories",
              "--config", "config.yml", "--fixed-model-name", "stalking-bot"]


def data_fingerprint() -> str:
    """The fingerprint scripts/setup.sh computes (config, domain and training data)."""
    files = [ROOT / "config.yml"]
    for pattern in ("domain/*.yml", "data/nlu/*.yml", "data/rules/*.yml", "data/stories/*.yml"):
        files.extend(sorted(ROOT.glob(pattern)))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def timed(command: list[str], env: dict[str, str], timeout: float, log_file: Path) -> dict[str, Any]:
    """Run a command; wall time, CPU time and peak memory of it and its children."""
    before = os.times()
    started = time.perf_counter()
    with log_file.open("wb") as out:
        process = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            timed_out = True
    seconds = time.perf_counter() - started
    after = os.times()
    text = log_file.read_text(errors="replace")
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round((after.children_user - before.children_user)
                             + (after.children_system - before.children_system), 2),
        "exit_code": process.returncode,
        "timed_out": timed_out,
        "output_tail": text[-600:] if process.returncode else "",
        "log": text,
    }


def rasa_train(out: Path, cache: Path, force: bool, timeout: float, log_file: Path) -> dict[str, Any]:
    env = child_env(RASA_CACHE_DIRECTORY=str(cache), RASA_TELEMETRY_ENABLED="false")
    command = [RASA, *TRAIN_ARGS, "--out", str(out)] + (["--force"] if force else [])
    model = out / "stalking-bot.tar.gz"
    before = model.stat().st_mtime if model.exists() else None
    result = timed(command, env, timeout, log_file)
    text = result.pop("log")
    after = model.stat().st_mtime if model.exists() else None
    result["model_written"] = after is not None and after != before
    result["model_mib"] = round(model.stat().st_size / 1024 / 1024, 2) if model.exists() else None
    result["components_trained"] = text.count("Starting to train component")
    result["components_restored_from_cache"] = text.count("Restored component")
    result["nothing_changed_message"] = "Nothing changed" in text
    result["command"] = " ".join(["rasa", *TRAIN_ARGS, "--out", "<tmp>"] + (["--force"] if force else []))
    return result


def _setup_once(timeout: float, log_file: Path) -> dict[str, Any]:
    fingerprint = data_fingerprint()
    stored = (ROOT / "models" / ".fingerprint")
    matched = stored.exists() and stored.read_text().strip() == fingerprint
    result = timed(["bash", "scripts/setup.sh"], child_env(), timeout, log_file)
    text = result.pop("log")
    result["fingerprint_matched_before"] = matched
    result["trained"] = "training the Rasa model" in text
    result["reinstalled_dependencies"] = "installing pinned dependencies" in text
    result["command"] = "scripts/setup.sh"
    return result


def setup_no_change(timeout: float, log_file: Path) -> dict[str, Any]:
    """scripts/setup.sh with nothing changed.  If the data changed under us (others edit it while
    this runs), the first call trains; the second then has nothing to do, and is the one reported."""
    result = _setup_once(timeout, log_file)
    if result["trained"] or result["reinstalled_dependencies"]:
        first = dict(result)
        result = _setup_once(timeout, log_file)
        keys = ("seconds", "trained", "reinstalled_dependencies")
        result["first_call_had_work"] = {k: first[k] for k in keys}
    return result


def run(from_scratch: bool, timeout: float = 420.0) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with temp_dir("training") as folder:
        out, cache = folder / "models", folder / "cache"
        out.mkdir()
        if from_scratch:
            log("training: rasa train --force from scratch (empty cache)")
            result["from_scratch"] = rasa_train(out, cache, True, timeout, folder / "scratch.log")
            log(f"training: from scratch took {result['from_scratch']['seconds']} s")
            log("training: rasa train again, nothing changed (same out dir and cache)")
            result["rasa_no_change"] = rasa_train(out, cache, False, timeout, folder / "again.log")
        log("training: scripts/setup.sh with nothing changed")
        result["setup_no_change"] = setup_no_change(timeout, folder / "setup.log")
    return result


def from_scratch_seconds(result: dict[str, Any]) -> Optional[float]:
    scratch = result.get("from_scratch") or {}
    if scratch.get("exit_code") == 0 and not scratch.get("timed_out"):
        return scratch.get("seconds")
    return None
