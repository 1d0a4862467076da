"""Shared fixtures.  The console process loads the Rasa model once for all tests."""
from __future__ import annotations

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


@pytest.fixture(scope="session")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsonlChat]:
    if not MODEL.exists():
        pytest.skip("no trained model: run ./test.sh, which trains it")
    session = JsonlChat(tmp_path_factory.mktemp("console") / "stderr.log")
    yield session
    code, _ = session.close()
    assert code == 0
