"""The bot killed (SIGKILL) while it saves notes: nothing confirmed is lost, nothing is half-written.

A console process (``python -m bot chat --jsonl``) on a SQLite file gets a
stream of ``/note ...`` lines and is killed without warning part-way through.
After that, every note whose "Saved" reply had come back is in the database
whole; any other note in it is one that was sent, whole (its reply was lost
with the process, not its data); the database passes SQLite's integrity check;
and a restarted bot on the same database carries on.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore
from tests.conftest import ROOT, JsonlChat, require_model
from tests.hardening.conftest import child_env

USER = "kill-test"
NOTES = 60
KILL_AFTER = 12  # replies read before the kill


def start_console(folder: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--user", USER],
        cwd=ROOT, env=child_env(folder), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=log.open("w"), text=True, encoding="utf-8", bufsize=1,
    )


def test_sigkill_while_saving_loses_no_confirmed_note(tmp_path: Path) -> None:
    require_model()
    run = uuid.uuid4().hex[:8]
    # long notes, so the kill is likely to land inside a write
    sent = [(f"note {n} of run {run}: " + f"he was outside again ({n}) " * 60).strip() for n in range(NOTES)]
    proc = start_console(tmp_path, tmp_path / "first.log")
    assert proc.stdin and proc.stdout
    proc.stdin.write("".join(f"/note {text}\n" for text in sent))
    proc.stdin.flush()
    confirmed = []
    for text in sent[:KILL_AFTER]:
        answer = json.loads(proc.stdout.readline())
        assert answer["in"] == f"/note {text}"
        if answer["out"][0]["text"].startswith("✅ Saved"):
            confirmed.append(text)
    time.sleep(0.05)  # mid-stream: it is saving the next notes now
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert len(confirmed) == KILL_AFTER

    db = tmp_path / "db" / "diary.db"
    with sqlite3.connect(db) as connection:  # recovers the write-ahead log, as the bot does
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    store = DiaryStore(f"sqlite:///{db}", Cipher.from_settings(None, tmp_path / "diary.key"))
    try:
        kept = [note.what_happened for note in store.all_notes(USER)]  # each decrypts whole
    finally:
        store.close()
    assert set(confirmed) <= set(kept)  # every confirmed note is there
    assert set(kept) <= set(sent)  # and every note there is one sent, whole
    assert len(kept) == len(set(kept))  # none twice
    assert len(kept) < NOTES  # the kill did land before the end

    # restarted on the same database, the bot carries on
    chat = JsonlChat(tmp_path / "second.log", user=USER, env=child_env(tmp_path))
    try:
        counted = f"{len(kept)} incident{'' if len(kept) == 1 else 's'} (newest first)"
        assert counted in chat.texts("/notes")[0]
        assert chat.texts("hello")[0]
        assert chat.texts(f"/note after the restart {run}")[0].startswith("✅ Saved")
    finally:
        code, _ = chat.close()
    assert code == 0
