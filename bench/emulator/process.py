"""The telegram-test-api emulator (node): installing it, and running it on a free loopback port.

The emulator's package and its mended start script live with the end-to-end
tests (``tests/e2e/package.json``, ``tests/e2e/emulator.js``); ``npm ci --prefix
tests/e2e`` installs it (``./test.sh`` and ``./bench.sh`` do).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Optional

E2E_DIR = Path(__file__).resolve().parents[2] / "tests" / "e2e"
EMULATOR_SCRIPT = E2E_DIR / "emulator.js"
EMULATOR_PACKAGE = E2E_DIR / "node_modules" / "telegram-test-api" / "package.json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_emulator_installed() -> Optional[str]:
    """Install the pinned emulator with ``npm ci`` if needed; a reason to skip, or None."""
    if EMULATOR_PACKAGE.exists():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the Telegram emulator (telegram-test-api)"
    result = subprocess.run(
        ["npm", "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode != 0 or not EMULATOR_PACKAGE.exists():
        return f"npm ci --prefix tests/e2e failed: {result.stderr[-500:]}"
    return None




class Emulator:
    """The node process running telegram-test-api on a free loopback port."""

    def __init__(self) -> None:
        self.process: Optional[asyncio.subprocess.Process] = None
        self.url = ""

    async def start(self, attempts: int = 3) -> str:
        last_error = ""
        for _ in range(attempts):
            port = free_port()
            self.process = await asyncio.create_subprocess_exec(
                shutil.which("node") or "node", str(EMULATOR_SCRIPT), str(port), "127.0.0.1",
                cwd=str(E2E_DIR),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            assert self.process.stdout is not None
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout=20)
            except asyncio.TimeoutError:
                line = b""
            if line:
                with contextlib.suppress(ValueError):
                    info = json.loads(line)
                    if info.get("ready"):
                        self.url = f"http://127.0.0.1:{port}"
                        return self.url
            last_error = await self._stderr()
            await self.stop()
        raise RuntimeError(f"the Telegram emulator did not start: {last_error}")

    async def _stderr(self) -> str:
        if self.process is None or self.process.stderr is None:
            return ""
        with contextlib.suppress(asyncio.TimeoutError):
            return (await asyncio.wait_for(self.process.stderr.read(4000), 2)).decode()
        return ""

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()

