"""Builds the core from settings: the one place that wires the parts together."""
from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path

from bot.core import Core
from bot.desk import DiaryDesk
from bot.diary.crypto import Cipher
from bot.diary.store import DiaryStore, migrate
from bot.engine import DialogueEngine, EngineUnavailable, InProcessEngine, PseudonymousEngine, sqlite_path
from bot.facts import Facts
from bot.guard import SafetyGuard
from bot.retention import RetentionSweeper
from bot.settings import Settings

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
    """The incident log's store, migrated to the newest schema."""
    migrate(settings.database_url)
    cipher = Cipher.from_settings(settings.diary_key, settings.diary_key_file)
    return DiaryStore(settings.database_url, cipher)


async def build_core(settings: Settings) -> Core:
    keep_user_text_out_of_logs()
    engine = build_engine(settings)
    await engine.start()
    facts = Facts.load()
    store = await asyncio.to_thread(build_store, settings)
    # Rasa knows each user by the diary's own keyed pseudonym (the store's, which stays
    # the same across key rotation), never by the Telegram id.
    engine = PseudonymousEngine(engine, store._uk)
    desk = DiaryDesk(store, facts, engine.forget, export_dir=settings.export_dir)
    core = Core(engine, SafetyGuard.from_file(), facts, engine_timeout=settings.engine_timeout,
                desk=desk)
    sweeper = RetentionSweeper(store, engine, note_days=settings.note_retention_days,
                               conversation_hours=settings.conversation_retention_hours)
    task = sweeper.start()  # None when retention is off
    if task is not None:
        core.background.append(task)
    return core
