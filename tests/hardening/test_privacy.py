"""Privacy: what a user writes is nowhere but in the encrypted store and the export they were sent.

A unique marker goes into a message, a guided note, a quick note, an edit, a
forged payload, a made-up command and a danger message; then it is searched
for in every log the bot writes (Python logging at DEBUG in-process, structlog,
and the stderr of a console run with LOG_LEVEL=DEBUG), in the raw database
files, and in every file written to the temporary folder and the export folder
while the test ran.  In process (as on Telegram) the exports are bytes in the
replies and the marker is in no file at all; the console saves the exports the
user asked for in their export folder, and the marker may be found there only.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.replies import Reply
from tests.conftest import JsonlChat, require_model
from tests.hardening.conftest import RealBot, child_env

# (text, {button title: payload}, [documents]) for each message the bot sent: a document is its
# bytes in process, the path the console saved it to in a console run
Shown = list[tuple[str, dict[str, str], list[Any]]]
Ask = Callable[[str], Shown]


def shown_from_replies(replies: list[Reply]) -> Shown:
    return [(r.text, {b.title: b.payload for b in r.buttons}, [r.document.content] if r.document else [])
            for r in replies]


def shown_from_console(answer: dict[str, Any]) -> Shown:
    return [(o["text"], {b["title"]: b["payload"] for b in o["buttons"]},
             [o["document"]["path"]] if o.get("document") else []) for o in answer["out"]]


def everything_a_user_does(ask: Ask, marker: str) -> list[str]:
    """Talk, write notes, edit, forge, export; the exports sent back (bytes, or the console's paths)."""
    welcome = ask("/start")
    assert welcome[0][0].startswith("Hello. I'm a chatbot"), welcome  # the welcome, not the apology
    ask(f"hello, my name is {marker}")
    ask(f"/{marker}")
    ask(f'/affirm{{"{marker}": "x", "behaviour": "{marker}"}}')
    ask(f"/affirm{{not json {marker}")
    assert "call 999" in ask(f"he's outside my house right now {marker}")[0][0]
    # a guided note
    ask("I want to record what happened")
    ask("yesterday at 5pm")
    ask(f"outside the gym {marker}")
    ask(f"he followed me to the bus stop {marker}")
    ask('/affirm{"behaviour": "following"}')
    ask(f"grey hoodie {marker}")
    for _ in range(4):
        confirm = ask("skip")
    assert "Save it?" in confirm[-1][0]
    assert "Saved" in ask("/affirm")[0][0]
    # a quick note, then browse, open and edit it
    assert "Saved" in ask(f"/note he left flowers {marker}")[0][0]
    listing = ask("/notes")
    opened = ask(next(p for t, p in listing[0][1].items() if "flowers" in t))
    edit = ask(opened[0][1]["✏️ Edit"])
    ask(edit[0][1]["Witnesses"])
    assert "Updated" in ask(f"my neighbour {marker}")[0][0]
    exported = ask("/export")
    confirm = [payload for _, buttons, _ in exported for payload in buttons.values()
               if payload == "diary:export_yes"]
    if confirm:  # the export is confirmed first, with the bot's own button
        exported = ask(confirm[0])
    exports = [doc for _, _, docs in exported for doc in docs]
    assert len(exports) == 2
    return exports


def files_holding(marker: bytes, roots: list[Path], since: float, skip: set[Path]) -> list[Path]:
    """Regular files under ``roots`` changed since ``since`` (not in ``skip``) that hold ``marker``."""
    own = {os.fstat(fd).st_ino for fd in (1, 2)}  # this process's own output, if it is a file
    found = []
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    info = path.lstat()
                    if (not path.is_file() or path.is_symlink() or info.st_mtime < since
                            or info.st_size > 200 * 1024 * 1024 or info.st_ino in own
                            or path.resolve() in skip):
                        continue
                    if marker in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {self.format(record)} {record.exc_text or ''}")


@pytest.fixture
def debug_logs() -> Iterator[Records]:
    """Every Python log record at DEBUG and every structlog event, while the test runs."""
    handler = Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    old_config = structlog.get_config()

    class Capture:
        def msg(self, message: str) -> None:
            handler.lines.append(f"structlog {message}")

        log = debug = info = warning = warn = error = err = critical = exception = fatal = msg

    structlog.configure(logger_factory=lambda *_args: Capture())
    try:
        yield handler
    finally:
        structlog.configure(**old_config)
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_in_process_logs_db_and_temp_files_never_hold_what_users_wrote(
        real: RealBot, debug_logs: Records) -> None:
    marker = f"privacy-{uuid.uuid4().hex}"
    since = time.time() - 1
    user = f"private-{uuid.uuid4().hex[:8]}"
    exports = everything_a_user_does(lambda text: shown_from_replies(real.ask(user, text)), marker)
    # failures log too: a save while the database is down, and its retry
    with real.database_down():
        failed = real.ask(user, f"/note while the database is down {marker}")
    assert real.texts(user, failed[0].buttons[0].payload)[0].startswith("✅ Saved")
    # the bot logged (the guard fired, failures were logged), at DEBUG, and Rasa stayed quiet
    assert any("safety guard fired" in line for line in debug_logs.lines)
    assert not any(line.startswith("rasa") and "DEBUG" in line for line in debug_logs.lines)
    leaks = [line for line in debug_logs.lines if marker in line]
    assert leaks == []
    raw = b"".join(p.read_bytes() for p in real.db_folder.glob("diary.db*"))
    assert marker.encode() not in raw
    csvs = [doc for doc in exports if not doc.startswith(b"%PDF")]
    assert csvs and all(marker.encode() in doc for doc in csvs)  # the export the user asked for
    # sent as bytes: not even the exports are files, anywhere
    roots = [Path(tempfile.gettempdir()), real.export_dir, real.folder]
    assert files_holding(marker.encode(), roots, since, skip=set()) == []


def test_rasa_never_logs_below_warning_whatever_the_bots_level(real: RealBot) -> None:
    for name in ("rasa", "rasa.core.processor", "rasa.core.agent", "rasa_sdk", "sqlalchemy.engine"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    wrapper = structlog.get_config()["wrapper_class"]
    assert wrapper.debug.__name__ == wrapper.info.__name__ == "_nop"  # filtered below WARNING
    from bot.app import keep_user_text_out_of_logs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keep_user_text_out_of_logs()
        warnings.warn_explicit("Failed to parse arguments in line '/affirm{secret'", UserWarning,
                               "io.py", 100, module="rasa.shared.utils.io")
    assert caught == []


def test_a_console_at_debug_logs_nothing_users_wrote(tmp_path: Path) -> None:
    require_model()
    marker = f"console-{uuid.uuid4().hex}"
    since = time.time() - 1
    chat = JsonlChat(tmp_path / "stderr.log", user="private-console",
                     env=child_env(tmp_path, LOG_LEVEL="DEBUG"))
    try:
        exports = everything_a_user_does(lambda text: shown_from_console(chat.send(text)), marker)
    finally:
        code, log = chat.close()
    assert code == 0
    assert "DEBUG" in log  # the bot did log at DEBUG
    assert marker not in log
    raw = b"".join(p.read_bytes() for p in (tmp_path / "db").glob("diary.db*"))
    assert marker.encode() not in raw
    # console exports are saved where the console said, in the user's export folder (EXPORT_DIR)
    sent = {Path(p).resolve() for p in exports}
    assert {p.parent for p in sent} == {(tmp_path / "exports").resolve()}
    assert any(marker.encode() in p.read_bytes() for p in sent)
    roots = [Path(tempfile.gettempdir()), tmp_path]
    assert files_holding(marker.encode(), roots, since, skip=sent) == []


def conversations_holding(real: RealBot, marker: str) -> int:
    """How many conversations in Rasa's tracker store hold ``marker`` (read through the store,
    so whatever id or encryption the engine stores them under)."""
    engine = real.core.engine
    while not hasattr(engine, "_agent"):
        engine = engine.inner  # an engine wrapping the in-process one (pseudonymous ids)
    tracker_store = engine._agent.tracker_store
    found = 0
    for sender in real.run(tracker_store.keys()):
        tracker = real.run(tracker_store.retrieve(sender))
        if tracker is not None and marker in json.dumps([e.as_dict() for e in tracker.events]):
            found += 1
    return found


def test_forget_deletes_the_conversation_from_the_dialogue_engine(real: RealBot) -> None:
    user, marker = f"forget-{uuid.uuid4().hex[:8]}", f"forget-marker-{uuid.uuid4().hex}"
    real.ask(user, "/start")
    real.ask(user, f"hello, my name is {marker}")
    assert conversations_holding(real, marker) == 1  # what "forget" must delete
    assert "Delete everything?" in real.texts(user, "/forget")[0]
    assert real.texts(user, "diary:forget_yes")[0] == (
        "Deleted everything: 0 notes, 0 attachments, 0 saved answers and our conversation history. "
        "Nothing of yours is left with me.")
    assert conversations_holding(real, marker) == 0
