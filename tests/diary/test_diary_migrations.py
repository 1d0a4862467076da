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
        assert {c["name"] for c in inspector.get_columns("notes")} >= {"user_key", "occurred_at", "kind"}
        assert inspector.get_pk_constraint("note_texts")["constrained_columns"] == ["note_id", "name"]
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


def test_notes_written_before_0006_keep_every_field(database_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """0006 moves each text column of a note into note_texts, as it is: a note saved under
    0005 reads back whole (every field, decrypted with the same key) after the upgrade."""
    from datetime import datetime, timezone

    from cryptography.fernet import Fernet
    from sqlalchemy import text

    from bot.diary.crypto import Cipher
    from bot.diary.store import DiaryStore

    monkeypatch.setenv("DIARY_DATABASE_URL", database_url)
    config = Config(str(ROOT / "alembic.ini"))
    command.upgrade(config, "0005")
    cipher = Cipher(Fernet.generate_key())
    old = {"place": "outside work", "what_happened": "he waited by the barrier", "how_detail": "in person",
           "appearance": "green parka", "witnesses": "Sam", "feelings": "shaking", "evidence": "CCTV",
           "police_ref": "CRN 123"}
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            columns = ", ".join(f"{name}_enc" for name in old)
            values = ", ".join(f":{name}" for name in old)
            connection.execute(
                text(f"INSERT INTO notes (user_key, occurred_at, created_at, updated_at, kind, {columns}) "
                     f"VALUES (:uk, :at, :at, :at, 'following', {values})"),
                {"uk": cipher.user_key("alice"), "at": datetime(2024, 5, 1, 9, 0),
                 **{name: cipher.encrypt(value) for name, value in old.items()}})
            connection.execute(
                text("INSERT INTO notes (user_key, occurred_at, created_at, updated_at, what_happened_enc) "
                     "VALUES (:uk, :at, :at, :at, :w)"),
                {"uk": cipher.user_key("alice"), "at": datetime(2024, 5, 2, 9, 0),
                 "w": cipher.encrypt("only this")})
            connection.execute(
                text("INSERT INTO attachments (note_id, user_key, kind, size, content_enc, created_at) "
                     "VALUES (1, :uk, 'photo', 3, :c, :at)"),
                {"uk": cipher.user_key("alice"), "c": cipher.encrypt(b"jpg"),
                 "at": datetime(2024, 5, 1, 9, 5)})
    finally:
        engine.dispose()
    command.upgrade(config, "head")
    store = DiaryStore(database_url, cipher)
    try:
        first, second = store.all_notes("alice")
        assert {name: getattr(first, name) for name in old} == old and first.kind == "following"
        assert second.what_happened == "only this" and second.place is None and not second.unreadable
        assert first.occurred_at == datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
        assert first.attachment_count == 1  # the table was altered in place: nothing cascaded away
    finally:
        store.close()
    command.downgrade(config, "0005")  # and back: the columns are filled again
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            tokens = connection.execute(text("SELECT witnesses_enc FROM notes ORDER BY id")).scalars().all()
        assert cipher.decrypt_text(tokens[0]) == "Sam" and tokens[1] is None
    finally:
        engine.dispose()
    migrate(database_url)
