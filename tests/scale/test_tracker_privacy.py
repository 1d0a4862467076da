"""The scaled deployment keeps neither what people write nor their Telegram id, on the real PostgreSQL.

The bot is built as in production (``bot.app.build_core`` with ``RASA_URL``):
safety guard, then a keyed pseudonym in place of the user id, then two real
Rasa servers whose tracker store is ``conversations.tracker_store.EncryptedSQLTrackerStore``
on PostgreSQL (deploy/endpoints.scale.yml), with the diary in the same database.
A unique marker goes through a plain message, a danger message (which carries
the words to Rasa in its metadata) and a whole guided note; then every row of
every table of the database is read as text, byte columns as hex too, and
neither the marker nor the raw user id may be anywhere.  ``/forget`` then
deletes the conversation stored under the pseudonym.
"""
from __future__ import annotations

import random
import uuid
from pathlib import Path

import redis

from bot.settings import Settings

from .cluster import PG, REDIS, Cluster


def everything_in(cluster: Cluster) -> str:
    """Every row of every table of the run's database, as PostgreSQL prints it (bytea as hex)."""
    tables = [t for (t,) in cluster.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
    assert "events" in tables and "notes" in tables, tables
    dump = []
    for table in tables:
        dump += [text for (text,) in cluster.query(f'SELECT CAST(t AS text) FROM "{table}" t')]
    return "\n".join(dump)


def holds(dump: str, secret: str) -> bool:
    return secret in dump or secret.encode().hex() in dump


async def test_no_text_and_no_user_id_reach_the_database_and_forget_uses_the_pseudonym(
        scale_cluster: Cluster, tmp_path: Path) -> None:
    from bot.app import build_core

    marker = f"scalemarker{uuid.uuid4().hex}"
    user = f"98{random.randrange(10**9, 10**10)}"  # a Telegram-like id, never a timestamp
    database = f"postgresql+psycopg2://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/" \
               f"{scale_cluster.db_name}"
    settings = Settings(rasa_url=",".join(scale_cluster.urls), rasa_token=scale_cluster.token,
                        rasa_timeout=10, rasa_start_timeout=30, engine_timeout=20,
                        database_url=database, diary_key_file=tmp_path / "diary.key",
                        export_dir=tmp_path / "exports", _env_file=None)
    core = await build_core(settings)
    try:
        async def texts(text: str) -> list[str]:
            return [r.text for r in await core.handle(user, text)]

        await texts("/start")
        await texts(f"hello, my name is {marker}")
        assert "call 999" in (await texts(f"he's outside my house right now {marker}"))[0]
        await texts("/start")
        assert "When did it happen?" in (await texts("/note"))[-1]
        await texts("yesterday at 5pm")
        await texts(f"outside the gym {marker}")
        assert (await texts(f"he followed me to the bus stop {marker}"))[-1].startswith("How did it happen?")
        await texts("/deny")
        for _ in range(5):
            shown = await texts("skip")
        assert marker in shown[-1] and "Save it?" in shown[-1]  # Rasa had the text: it echoes it
        assert (await texts("/affirm"))[0].startswith("✅ Saved")

        conversation = core.engine.conversation_id(user)
        assert conversation != user and user not in conversation
        assert scale_cluster.event_count(conversation, "user") >= 10  # stored, under the pseudonym
        assert scale_cluster.event_count(user) == 0
        data = [d for (d,) in scale_cluster.query(
            "SELECT data FROM events WHERE sender_id = %s", (conversation,))]
        assert data and all(d.startswith("fernet:") for d in data)

        dump = everything_in(scale_cluster)
        assert not holds(dump, marker)
        assert not holds(dump, user)
        assert "bus stop" not in dump
        locks = redis.Redis(**REDIS)
        assert not [k for k in locks.scan_iter(f"{scale_cluster.lock_prefix}*") if user.encode() in k]

        # forget: the desk deletes the notes, and the conversation under the same pseudonym
        confirm = (await core.handle(user, "/forget"))[0]
        await core.handle(user, confirm.buttons[0].payload)
        assert scale_cluster.event_count(conversation) == 0
        assert core.desk.store.all_notes(user) == []
    finally:
        await core.close()
        core.desk.store.close()
