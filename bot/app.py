"""Builds the core from settings: the one place that wires the parts together."""
from __future__ import annotations

import logging
from pathlib import Path

from bot.core import Core
from bot.engine import DialogueEngine, EngineUnavailable, InProcessEngine
from bot.facts import Facts
from bot.guard import SafetyGuard
from bot.settings import Settings

logger = logging.getLogger(__name__)


def latest_model(model_dir: Path) -> Path:
    models = sorted(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise EngineUnavailable(
            f"no trained model in {model_dir}: run the README's run command, which trains one"
        )
    return models[-1]


def build_engine(settings: Settings) -> DialogueEngine:
    return InProcessEngine(latest_model(settings.model_dir), settings.endpoints_path)


async def build_core(settings: Settings) -> Core:
    engine = build_engine(settings)
    await engine.start()
    return Core(engine, SafetyGuard.from_file(), Facts.load(), engine_timeout=settings.engine_timeout)
