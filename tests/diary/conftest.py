"""Fixtures of the diary tests: a migrated store on SQLite and on PostgreSQL.

PostgreSQL: ``DIARY_TEST_POSTGRES_URL`` (default: the local ``test`` database with
trust auth).  Each test gets a schema of its own (``diary_test_<random>``), named in
the connection's ``search_path``, and dropped afterwards, so runs never collide.
When PostgreSQL is unreachable its tests are skipped, except under ``CI=true``,
where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, migrate
from tests.conftest import require

PG_URL = os.environ.get("DIARY_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]

_pg_state: dict[str, str | None] = {}


def _pg_problem() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per run)."""
    if "problem" not in _pg_state:
        engine = create_engine(PG_URL, future=True, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            _pg_state["problem"] = None
        except Exception as exc:  # noqa: BLE001 - any failure to connect
            _pg_state["problem"] = (
                f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
            )
        finally:
            engine.dispose()
    return _pg_state["problem"]


def require_postgres() -> None:
    problem = _pg_problem()
    if problem is None:
        return
    message = (
        f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} is unreachable ({problem})"
    )
    require(False, message)


def _schema_url(schema: str) -> str:
    url = make_url(PG_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema of this test's own."""
    require_postgres()
    schema = f"diary_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'diary.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def cipher() -> Cipher:
    return Cipher.generate()


@pytest.fixture
def store(database_url: str, cipher: Cipher) -> Iterator[DiaryStore]:
    migrate(database_url)
    diary = DiaryStore(database_url, cipher)
    try:
        yield diary
    finally:
        diary.close()
