"""The diary's database: the engine (SQLite pragmas or a PostgreSQL pool) and its migrations.

The schema is owned by Alembic (``bot/diary/migrations/``): call ``migrate(url)`` once
at start-up, before the first ``DiaryStore`` call.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///var/diary.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

_PG_MIGRATION_LOCK = 0x6469617279  # "diary": one migrating replica at a time


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL mode
        cursor.execute("PRAGMA secure_delete=ON")  # deleted notes are overwritten, not left in free pages
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def make_engine(database_url: str) -> Engine:
    """A ``future=True`` engine; for SQLite also its folder, a 0600 file, WAL and foreign keys."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            if not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite opens an empty file
        # A pool of open connections (SQLAlchemy 1.4 opens and closes one per use of a file
        # database): each open costs the five pragmas, about 0.3 ms of a 2 ms read of the notes.
        # The store is called from worker threads (asyncio.to_thread); the pool gives a
        # connection to one thread at a time, so SQLite's same-thread check is not needed.
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=4, max_overflow=8,
                               connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema (``alembic upgrade head``); safe to repeat."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["database_url"] = database_url
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def checkpoint(engine: Engine) -> None:
    """Fold a SQLite write-ahead log into the database (where secure_delete zeroed deleted rows).

    Nothing to do on other databases."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # best effort: readers may hold the log; the next checkpoint folds it
        log.warning("could not checkpoint the diary's write-ahead log", exc_info=True)
