"""Builds the core from settings: the one place that wires the parts together."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from pathlib import Path

from bot.core import Core
from bot.desk import DiaryDesk
from bot.desk_unavailable import UnavailableDesk, UnavailableStore
from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError
from bot.diary.export import sweep_export_folders
from bot.diary.keyring import has_log, verify_key
from bot.diary.store import DiaryStore, make_engine, migrate
from bot.engine import DialogueEngine, EngineUnavailable, InProcessEngine, PseudonymousEngine, sqlite_path
from bot.guard import SafetyGuard
from bot.retention import RetentionSweeper
from bot.settings import Settings
from guidance.facts import Facts

logger = logging.getLogger(__name__)


def keep_user_text_out_of_logs() -> None:
    """Close the ways libraries could write what a user wrote to stderr, whatever LOG_LEVEL is.

    Rasa's own loggers and structlog are held at WARNING by the engine
    (``quiet_rasa_logging``); on top of that, Rasa *warns* (``warnings.warn``)
    with the whole message in the text when a payload's entities do not parse,
    and SQLAlchemy logs every statement's parameters (ciphertext and the
    pseudonymous user keys) once its logger reaches INFO.
    """
    warnings.filterwarnings("ignore", module=r"rasa(_sdk)?(\.|$)")
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def latest_model(model_dir: Path) -> Path:
    models = sorted(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise EngineUnavailable(
            f"no trained model in {model_dir}: run the README's run command, which trains one"
        )
    return models[-1]


def build_engine(settings: Settings) -> DialogueEngine:
    """The embedded Rasa by default; remote Rasa server(s) when ``RASA_URL`` is set."""
    if settings.rasa_url:
        from bot.remote_engine import RemoteEngine

        return RemoteEngine.from_settings(settings)
    return InProcessEngine(latest_model(settings.model_dir), settings.endpoints_path,
                           tracker_url=tracker_db_url(settings), tracker_key=settings.tracker_key,
                           tracker_key_file=settings.diary_key_file.parent / "tracker.key")


def tracker_db_url(settings: Settings) -> str:
    """Where the embedded engine keeps conversations: ``TRACKER_DB_URL``, else a SQLite
    file ``tracker.db`` beside a SQLite diary, else ``var/tracker.db``."""
    if settings.tracker_db_url:
        return settings.tracker_db_url
    diary = sqlite_path(settings.database_url)
    folder = diary.parent if diary is not None else Path(__file__).resolve().parent.parent / "var"
    return f"sqlite:///{folder / 'tracker.db'}"


def build_store(settings: Settings) -> DiaryStore:
    """The incident log's store, migrated to the newest schema, its key checked (``keyring.py``).

    Raises ``DiaryKeyError`` when the key is malformed, when it does not open the
    log already in the database, or when the key file is gone while the database
    holds a log (a new key file is then NOT made: it could not open the log).
    """
    migrate(settings.database_url)
    probe = make_engine(settings.database_url)
    try:
        existing = has_log(probe)
    finally:
        probe.dispose()
    cipher = Cipher.from_settings(settings.diary_key, settings.diary_key_file, create=not existing)
    store = DiaryStore(settings.database_url, cipher)
    try:
        verify_key(store.engine, cipher)
    except BaseException:
        store.close()
        raise
    return store


def key_problem_message(error: DiaryKeyError, settings: Settings) -> str:
    """What the operator reads (CRITICAL, on stderr) when the log had to be switched off."""
    source = ("DIARY_KEY" if settings.diary_key and settings.diary_key.strip()
              else f"the key file {settings.diary_key_file}")
    return (
        f"DIARY KEY PROBLEM: {error}. The bot is running with the incident log SWITCHED OFF: users are "
        "told their log can't be opened (nothing in it is read, written or deleted); danger messages "
        f"still get 999. The key now comes from {source}. Restore the key the log was written with from "
        "your backup (DIARY_KEY, or DIARY_KEY_FILE) and restart; `python -m bot check-key` tests a key "
        "without starting the bot. Do NOT delete the database or make a new key: the log would be lost."
    )


def open_store(settings: Settings) -> DiaryStore | UnavailableStore:
    """``build_store``, or, on a key problem, a stand-in that switches the log off (logged CRITICAL)."""
    try:
        return build_store(settings)
    except DiaryKeyError as error:
        logger.critical("%s", key_problem_message(error, settings))
        return UnavailableStore(str(error))


async def build_core(settings: Settings) -> Core:
    keep_user_text_out_of_logs()
    dialogue = build_engine(settings)
    # The diary store (its migrations) opens in a worker thread while Rasa loads its model.
    opening = asyncio.ensure_future(asyncio.to_thread(open_store, settings))
    try:
        await dialogue.start()
    except BaseException:
        with contextlib.suppress(Exception):
            store_or_none = await opening
            if isinstance(store_or_none, DiaryStore):
                store_or_none.close()
        raise
    facts = Facts.load()
    store = await opening
    # Rasa knows each user by the diary's own keyed pseudonym (the store's, which stays
    # the same across key rotation), never by the Telegram id.
    engine = PseudonymousEngine(dialogue, store.user_key)
    if isinstance(store, UnavailableStore):  # the key does not open the log: guard and dialogue only
        desk: DiaryDesk = UnavailableDesk(store, facts, engine.forget)
    else:
        desk = DiaryDesk(store, facts, engine.forget)
    core = Core(engine, SafetyGuard.from_file(), facts, engine_timeout=settings.engine_timeout,
                desk=desk)
    desk.background = core.background  # forget retries stop with the core
    # Export folders an older version left on disk (they hold what users wrote, in clear);
    # exports are bytes now, so nothing writes such folders any more (bot/diary/export/sweep.py).
    await asyncio.to_thread(sweep_export_folders, settings.export_dir)
    pending_forgets = await asyncio.to_thread(store.pending_forgets) if isinstance(store, DiaryStore) else []
    if pending_forgets:
        # a "forget me" whose conversation could not be deleted before the last stop
        core.background.append(asyncio.get_running_loop().create_task(
            desk.finish_pending_forgets(), name="pending-forgets"))
    sweeper = RetentionSweeper(store if isinstance(store, DiaryStore) else None, engine,
                               note_days=settings.note_retention_days,
                               conversation_hours=settings.conversation_retention_hours)
    task = sweeper.start()  # None when retention is off
    if task is not None:
        core.background.append(task)
    return core
