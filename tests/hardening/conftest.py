"""Fixtures of the hardening tests: one real core (guard + Rasa + diary) per session.

Loading the Rasa model takes tens of seconds, so :func:`real` builds the core
once, through ``bot.app.build_core`` exactly as the bot does, on an event loop
of its own; the tests that use it are plain functions that call ``real.ask``.
Its diary is a throwaway SQLite database (and key, and export folder) in a tmp
folder, never the repository's.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.replies import Reply
from bot.settings import Settings
from tests.conftest import MODEL, require_model

T = TypeVar("T")


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Rasa warns with the whole message when forged entities do not parse (the bot ignores
    those warnings, see ``bot.app.keep_user_text_out_of_logs``): keep them out of the summary."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::UserWarning"))


@dataclass
class RealBot:
    """The session's real core, and the loop it lives on."""

    core: Any
    loop: asyncio.AbstractEventLoop
    folder: Path  # holds db/ (the database), the key file and exports/

    @property
    def db_folder(self) -> Path:
        return self.folder / "db"

    @property
    def export_dir(self) -> Path:
        return self.folder / "exports"

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def ask(self, user: str, text: str) -> list[Reply]:
        return self.run(self.core.handle(user, text))

    def texts(self, user: str, text: str) -> list[str]:
        return [r.text for r in self.ask(user, text)]

    @contextlib.contextmanager
    def database_down(self) -> Iterator[None]:
        """The database is unavailable (as when its disk is gone): every store call fails.

        The database's folder is moved away and a plain file put in its place, so
        SQLite cannot open (or create) the database; the pooled connections are
        dropped first, so none of them keeps the old file open.  On leaving, all
        is put back as it was.
        """
        store = self.core.desk.store
        moved = self.folder / "db-away"
        store.engine.dispose()
        self.db_folder.rename(moved)
        self.db_folder.write_text("not a folder")
        try:
            yield
        finally:
            store.engine.dispose()
            self.db_folder.unlink()
            moved.rename(self.db_folder)


def settings_for(folder: Path, **more: Any) -> Settings:
    """Settings of a core whose diary lives in ``folder`` (database in ``folder/db``)."""
    (folder / "db").mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "exports").mkdir(exist_ok=True, mode=0o700)
    return Settings(database_url=f"sqlite:///{folder / 'db' / 'diary.db'}",
                    diary_key_file=folder / "diary.key", export_dir=folder / "exports",
                    model_dir=MODEL.parent,
                    # the conversations outside db/, so that database_down() takes the diary only
                    tracker_db_url=f"sqlite:///{folder / 'tracker.db'}", **more)


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBot]:
    yield from real_bot(tmp_path_factory, "hardening")


def real_bot(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[RealBot]:
    """A real core (guard, embedded Rasa with the trained model, diary) on its own loop, in a
    fresh folder; for a module-scoped fixture to ``yield from``, which closes it afterwards."""
    require_model()
    from bot.app import build_core

    folder = tmp_path_factory.mktemp(name)
    settings = settings_for(folder)
    policy = asyncio.get_event_loop_policy()  # loading Rasa may switch it (uvloop)
    loop = asyncio.new_event_loop()
    try:
        core = loop.run_until_complete(build_core(settings))
    finally:
        asyncio.set_event_loop_policy(policy)
    bot = RealBot(core, loop, folder)
    yield bot
    with contextlib.suppress(Exception):
        loop.run_until_complete(core.close())
    core.desk.store.close()
    loop.close()


def child_env(folder: Path, **more: str) -> dict[str, str]:
    """The environment of a console process whose diary lives in ``folder``."""
    (folder / "db").mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**os.environ,
           "DATABASE_URL": f"sqlite:///{folder / 'db' / 'diary.db'}",
           "DIARY_KEY_FILE": str(folder / "diary.key"),
           "EXPORT_DIR": str(folder / "exports"),
           "LOG_LEVEL": "WARNING"}
    for name in ("NOTE_RETENTION_DAYS", "CONVERSATION_RETENTION_HOURS", "TELEGRAM_BOT_TOKEN", "RASA_URL"):
        env.pop(name, None)
    env.update(more)
    (folder / "exports").mkdir(exist_ok=True, mode=0o700)
    return env


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
