"""Alembic environment of the diary database.

Used two ways:
- by ``bot.diary.store.migrate(url)`` at start-up, which hands over an open
  connection in ``config.attributes["connection"]``;
- by the ``alembic`` command line (``alembic.ini`` at the repository root), which
  takes the URL from ``DIARY_DATABASE_URL`` or the ini file.

``logging.config.fileConfig`` is deliberately not called: the application owns its
logging configuration, and Alembic must not replace it.
"""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from bot.diary.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DIARY_DATABASE_URL")
    return url or config.get_main_option("sqlalchemy.url") or ""


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: later revisions copy-and-move
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bot.diary.store import make_engine  # the same SQLite pragmas as the application

    url = _url()
    if not url:
        raise RuntimeError("no diary database URL: set DIARY_DATABASE_URL or sqlalchemy.url in alembic.ini")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
