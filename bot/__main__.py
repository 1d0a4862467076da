"""Command line: ``python -m bot chat [--jsonl] [--user ID]`` and ``python -m bot run``."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import warnings

from bot.settings import get_settings


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="chat in the console")
    chat.add_argument("--jsonl", action="store_true", help="one JSON line out per line in")
    chat.add_argument("--user", default="console", help="user id for this chat")
    sub.add_parser("run", help="run on Telegram if TELEGRAM_BOT_TOKEN is set, else the console")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.simplefilter("ignore")  # library deprecation chatter is not for users
    # Rasa's model loader imports skops.io, which scans every loaded module: done
    # before TensorFlow and Rasa are imported it takes a fraction of the time
    # (cold start about 10 s -> 5 s, docs/benchmarks.md).  Its imports reset the
    # root log level, so logging is configured after it.
    import skops.io  # noqa: F401

    settings = get_settings()
    _configure_logging(settings.log_level)
    logging.getLogger().setLevel(getattr(logging, settings.log_level.upper(), logging.WARNING))

    from bot.app import build_core
    from bot.console import chat as console_chat

    if args.command == "run" and settings.telegram_bot_token:
        from bot.telegram import run as run_telegram

        run_telegram(settings)
        return 0
    # Bad bytes on stdin must not crash the chat: read them as U+FFFD.
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    jsonl = getattr(args, "jsonl", False)
    user = getattr(args, "user", "console")
    try:
        asyncio.run(console_chat(lambda: build_core(settings), user, jsonl))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
