"""Run the Telegram bot, as ``python -m bot run`` does, in front of a slow fake core.

Used by the shutdown test: ``python tests/e2e/run_bot.py BASE_URL TOKEN DELAY``.
Logs go to stderr at DEBUG, so the test can also read everything the process logged.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.replies import Reply  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram import run  # noqa: E402
from e2e.fakes import FakeCore  # noqa: E402


class SlowCore(FakeCore):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle(self, user_id: str, text: str) -> list[Reply]:
        await asyncio.sleep(self.delay)
        return await super().handle(user_id, text)


def main() -> None:
    base_url, token, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(telegram_bot_token=token, telegram_api_base_url=base_url,
                        telegram_webhook_url=None)
    run(settings, SlowCore(delay))
    print("clean exit", file=sys.stderr)


if __name__ == "__main__":
    main()
