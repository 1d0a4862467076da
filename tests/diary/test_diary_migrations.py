"""Alembic migrations: a fresh database reaches head, repeatably, and matches models.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.diary.models import metadata
from bot.diary.store import MIGRATIONS_DIR, make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"notes", "attachments", "answers"}


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_fresh_database_upgrades_to_head_twice(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate(database_url)
        migrate(database_url)  # a second start-up finds nothing to do
        inspector = inspect(engine)
        assert TABLES <= set(inspector.get_table_names())
        assert {c["name"] for c in inspector.get_columns("notes")} >= {
            "user_key",
            "occurred_at",
            "what_happened_enc",
        }
        (fk,) = inspector.get_foreign_keys("attachments")
        assert fk["referred_table"] == "notes" and fk["options"].get("ondelete", "").upper() == "CASCADE"
        assert inspector.get_pk_constraint("answers")["constrained_columns"] == ["user_key", "name"]
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == _head()
    finally:
        engine.dispose()


def test_models_match_the_migrations(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_alembic_command_line_config_and_downgrade(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """alembic.ini at the root works for running Alembic by hand (URL from DIARY_DATABASE_URL)."""
    monkeypatch.setenv("DIARY_DATABASE_URL", database_url)
    config = Config(str(ROOT / "alembic.ini"))
    command.upgrade(config, "head")
    engine = make_engine(database_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        command.downgrade(config, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    migrate(database_url)


def test_migrate_creates_the_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'var' / 'diary.db'}"
    migrate(url)
    assert (tmp_path / "deep" / "var" / "diary.db").exists()


def test_migrate_does_not_reconfigure_logging(sqlite_url: str) -> None:
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {
        name: lg.disabled
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    migrate(sqlite_url)
    assert root.handlers == handlers and root.level == level
    for name, was in disabled.items():
        assert logging.getLogger(name).disabled == was
