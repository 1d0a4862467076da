"""Command line: ``python -m bot chat [--jsonl] [--user ID]``, ``python -m bot run``,
``python -m bot check-key`` and ``python -m bot rotate-key`` (see README, "Keys")."""
from __future__ import annotations

# ruff: noqa: E402 - the thread settings below must come before numpy is imported
import os

# One thread for numpy's BLAS (before anything imports numpy).  The NLU's matrices are small;
# BLAS's extra threads gave no reply sooner here but spun a second core after every turn
# (CPU per turn 92 ms against 45 ms on this project's 2-core machine), which other people's
# messages need.  A deployment may still set these itself.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import asyncio
import io
import logging
import sys
import warnings

from bot.settings import get_settings


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level.upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _key_command(command: str) -> int:
    """``check-key`` / ``rotate-key``: a clear message and exit 2 on a key problem, never a traceback."""
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.simplefilter("ignore")
    settings = get_settings()
    _configure_logging(settings.log_level)
    from bot.app import build_store
    from bot.diary.errors import DiaryKeyError
    from bot.diary.keyring import rotate_keys, verify_key

    try:
        store = build_store(settings)  # migrates, then checks the key (or writes the check)
    except DiaryKeyError as error:
        print(f"diary key problem: {error}", file=sys.stderr)
        return 2
    try:
        if command == "check-key":
            status = verify_key(store.engine, store.cipher)
            print("ok: the diary key opens the log" +
                  ("; some data is still under an older key: run `python -m bot rotate-key`"
                   if status.rotation_pending else ""))
            return 0
        result = rotate_keys(store.engine, store.cipher)
    except DiaryKeyError as error:
        print(f"diary key problem: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"rotated: {result.rotated} values re-encrypted under the first key, "
          f"{result.already} already under it, {result.unreadable} unreadable")
    if result.unreadable:
        print(f"warning: {result.unreadable} values could not be opened with any listed key (damaged, "
              "or written with a key not listed) and were left as they are: keep the old keys until "
              "you know why", file=sys.stderr)
        return 1
    print("done: you can now remove the old key(s) from DIARY_KEY (or the key file) and restart")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    chat = sub.add_parser("chat", help="chat in the console")
    chat.add_argument("--jsonl", action="store_true", help="one JSON line out per line in")
    chat.add_argument("--user", default="console", help="user id for this chat")
    sub.add_parser("run", help="run on Telegram if TELEGRAM_BOT_TOKEN is set, else the console")
    sub.add_parser("check-key", help="check the diary key against the database (exit 0: it opens the log)")
    sub.add_parser("rotate-key", help="re-encrypt the whole diary under the first key of DIARY_KEY")
    args = parser.parse_args(argv)
    if args.command in ("check-key", "rotate-key"):
        return _key_command(args.command)

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
    from bot.console import export_folder

    if args.command == "run" and settings.telegram_bot_token:
        from bot.telegram import run as run_telegram

        run_telegram(settings)
        return 0
    # Bad bytes on stdin must not crash the chat: read them as U+FFFD.
    if isinstance(sys.stdin, io.TextIOWrapper):  # not when stdin was replaced (None, a test's stream)
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    jsonl = getattr(args, "jsonl", False)
    user = getattr(args, "user", "console")
    try:
        asyncio.run(console_chat(lambda: build_core(settings), user, jsonl, export_folder(settings)))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
