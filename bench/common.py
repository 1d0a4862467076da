"""What every benchmark part shares: paths, percentiles, the machine's state, quiet imports."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
RASA = str(VENV_BIN / "rasa")
MODEL = ROOT / "models" / "stalking-bot.tar.gz"

#: Environment every child process gets: no TensorFlow chatter, no SQLAlchemy 2.0 warnings.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
             "LOG_LEVEL_LIBRARIES": "ERROR", "PYTHONWARNINGS": "ignore"}


def log(message: str) -> None:
    """Progress goes to stderr; stdout is the table."""
    print(f"[bench] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def quiet() -> None:
    """Quiet this process before Rasa and TensorFlow are imported."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    warnings.simplefilter("ignore")
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("telegram", "httpx", "aiohttp", "bot", "rasa", "rasa_sdk", "apscheduler"):
        logging.getLogger(name).setLevel(logging.ERROR)


def child_env(**more: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUIET_ENV)
    env.update(more)
    return env


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """Count, mean and p50/p95/p99/max of durations given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


def load_average() -> list[float]:
    with contextlib.suppress(OSError):
        return [round(x, 2) for x in os.getloadavg()]
    return []


def machine() -> dict[str, Any]:
    """What the figures were measured on (they depend on it, and on what else ran)."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": load_average(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        info["rasa"] = version("rasa")
        info["python_telegram_bot"] = version("python-telegram-bot")
    return info


@dataclass
class Diary:
    """An isolated incident-log database and key in a temporary folder."""

    folder: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'diary.db'}"

    @property
    def key_file(self) -> Path:
        return self.folder / "diary.key"

    @property
    def export_dir(self) -> Path:
        return self.folder / "exports"

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "DIARY_KEY_FILE": str(self.key_file),
                "EXPORT_DIR": str(self.export_dir)}

    def settings(self, **more: Any) -> Any:
        from bot.settings import Settings

        self.export_dir.mkdir(mode=0o700, exist_ok=True)
        return Settings(database_url=self.database_url, diary_key_file=self.key_file,
                        export_dir=self.export_dir, model_dir=MODEL.parent, **more)


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as name:
        yield Path(name)


async def build_real_core(diary: Diary) -> Any:
    """The real core (guard + Rasa + diary) over an isolated database, as ``bot.app`` builds it."""
    from bot.app import build_core

    policy = asyncio.get_event_loop_policy()
    try:
        return await build_core(diary.settings())
    finally:
        # Loading Rasa switches the event-loop policy to uvloop's; later loops keep ours.
        asyncio.set_event_loop_policy(policy)


async def close_core(core: Any) -> None:
    close = getattr(core, "close", None)
    with contextlib.suppress(Exception):
        if close is not None:
            await close()
        else:
            await core.engine.close()
    desk = getattr(core, "desk", None)
    if desk is not None:
        with contextlib.suppress(Exception):
            desk.store.close()


def status(ok: Optional[bool]) -> str:
    if ok is None:
        return "not run"
    return "met" if ok else "NOT met"
