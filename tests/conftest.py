"""Shared fixtures.  The console process loads the Rasa model once for all tests.

Missing prerequisites (the trained model, the Telegram emulator, PostgreSQL, Redis,
an importable package) go through :func:`require`: outside CI the test is skipped
with the reason; with ``CI=true`` it fails with the reason, so a broken set-up can
never pass as a green run.  As a backstop, with ``CI=true`` any other skip is
reported as a failure too (see :func:`pytest_runtest_makereport`).
"""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "stalking-bot.tar.gz"
#: ``CI=true`` (as CI services set it): every prerequisite is required.
IN_CI = os.environ.get("CI", "").strip().lower() == "true"
CI_SUFFIX = " (CI=true: a missing prerequisite is a failure, not a skip)"


def require(condition: object, reason: str) -> None:
    """Go on when ``condition`` holds; else skip with ``reason``, or fail under ``CI=true``."""
    if condition:
        return
    if IN_CI:
        pytest.fail(reason + CI_SUFFIX, pytrace=False)
    pytest.skip(reason)


def require_model() -> Path:
    """The trained Rasa model (see :func:`require`)."""
    require(MODEL.exists(), f"no trained model at {MODEL.relative_to(ROOT)}: run ./test.sh, which trains it")
    return MODEL


def require_module(name: str) -> Any:
    """``pytest.importorskip`` through :func:`require`: the module, or skip / fail."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        require(False, f"cannot import {name} ({type(error).__name__}: {error})")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    return require_model()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With ``CI=true`` no test may be skipped: a skip from anywhere is reported as a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {reason}{CI_SUFFIX}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """The same for a whole module skipped while it is collected (``importorskip`` at the top)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI=true: {reason}{CI_SUFFIX}"


def isolated_store(folder: Path) -> dict[str, str]:
    """Settings that give a process its own diary database and key under ``folder``."""
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'diary.db'}",
        "DIARY_KEY_FILE": str(folder / "diary.key"),
    }


class JsonlChat:
    """A ``python -m bot chat --jsonl`` process driven line by line."""

    def __init__(self, stderr_path: Path, user: str = "pytest",
                 env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "LOG_LEVEL": "INFO", **isolated_store(stderr_path.parent), **(env or {})}
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--jsonl", "--user", user],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, encoding="utf-8", bufsize=1,
        )

    def send(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the console closed its output"
        return json.loads(line)

    def texts(self, text: str) -> list[str]:
        return [m["text"] for m in self.send(text)["out"]]

    def close(self) -> tuple[int, str]:
        """End input; return the exit code and everything the process logged."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        code = self.proc.wait(timeout=60)
        self._stderr.close()
        assert rest == "", "output after the last reply"
        return code, self.stderr_path.read_text(errors="replace")


def own_chat(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[JsonlChat]:
    """A console of its own (its own diary), closed cleanly at the end: for a chat fixture."""
    require_model()
    session = JsonlChat(tmp_path_factory.mktemp(name) / "stderr.log")
    yield session
    code, _ = session.close()
    assert code == 0


@pytest.fixture(scope="session")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonlChat]:
    yield from own_chat(tmp_path_factory, "console")
