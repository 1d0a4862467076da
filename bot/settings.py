"""Settings from the environment (or a ``.env`` file), in one typed place.

pydantic 1.10's ``BaseSettings`` (the version Rasa 3.6 pins) reads each field
from the upper-case environment variable of the same name.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import BaseSettings

ROOT = Path(__file__).resolve().parent.parent
#: Seconds to wait for the dialogue engine (``ENGINE_TIMEOUT``); see docs/reliability.md.
DEFAULT_ENGINE_TIMEOUT = 2.5


class Settings(BaseSettings):
    telegram_bot_token: Optional[str] = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: Optional[str] = None
    telegram_webhook_url: Optional[str] = None
    telegram_webhook_secret: Optional[str] = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    model_dir: Path = ROOT / "models"
    endpoints_path: Path = ROOT / "endpoints.yml"
    rasa_url: Optional[str] = None  # set: use remote Rasa server(s), comma-separated
    rasa_token: Optional[str] = None
    rasa_timeout: float = 2.0  # inside ENGINE_TIMEOUT, so a slow Rasa still gets the help line in time
    rasa_retries: int = 2
    rasa_start_timeout: float = 60.0
    # Seconds the core waits for the dialogue engine before it answers with the help
    # line: replies take 20-200 ms, a failing engine must cost the user under 3 s.
    engine_timeout: float = DEFAULT_ENGINE_TIMEOUT
    database_url: str = f"sqlite:///{ROOT / 'var' / 'diary.db'}"
    diary_key: Optional[str] = None
    diary_key_file: Path = ROOT / ".state" / "diary.key"
    export_dir: Optional[Path] = None
    log_level: str = "WARNING"
    # Retention (bot/retention.py); unset or 0: kept until the user deletes them.
    note_retention_days: Optional[float] = None  # notes deleted N days after they were written
    # Idle conversations (Rasa's dialogue state) are forgotten after 24 h; 0 keeps them.
    conversation_retention_hours: Optional[float] = 24.0
    # The embedded engine's conversations (bot/engine.py): an SQLAlchemy URL (default: a
    # SQLite file tracker.db beside a SQLite diary, else var/tracker.db), and the Fernet
    # key(s) that encrypt them (default: a key file tracker.key beside the diary key file).
    tracker_db_url: Optional[str] = None
    tracker_key: Optional[str] = None

    class Config:
        env_file = ".env"
        env_file_encoding = "utf-8"


def get_settings() -> Settings:
    return Settings()
