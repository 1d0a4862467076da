"""The words only the Telegram adapter shows, loaded from ``data/telegram.yml``.

Copy lives in data, not in Python, so it can be reworded (or translated) without
touching code.  Contacts are ``[[key]]`` placeholders filled in from the facts
file, so every number the user sees still comes from one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from guidance.copy import fill
from guidance.facts import Facts

TELEGRAM_COPY_PATH = Path(__file__).resolve().parents[2] / "data" / "telegram.yml"
UNSUPPORTED_FALLBACK = "other"


@dataclass(frozen=True)
class TelegramCopy:
    group_refusal: str
    chosen: str
    buttons_prompt: str
    stale_button: str
    edited_message: str
    attachment_received: str
    attachment_too_big: str
    unsupported: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Optional[Path] = None, facts: Optional[Facts] = None) -> TelegramCopy:
        raw: dict[str, Any] = yaml.safe_load((path or TELEGRAM_COPY_PATH).read_text("utf-8"))
        data = raw["telegram"]
        facts = facts or Facts.load()
        unsupported = {str(k): facts.render(str(v)) for k, v in data["unsupported"].items()}
        if UNSUPPORTED_FALLBACK not in unsupported:
            raise ValueError(f"telegram.unsupported needs an {UNSUPPORTED_FALLBACK!r} entry")
        return cls(
            group_refusal=facts.render(str(data["group_refusal"])),
            chosen=facts.render(str(data["chosen"])),
            buttons_prompt=facts.render(str(data["buttons_prompt"])),
            stale_button=facts.render(str(data["stale_button"])),
            edited_message=facts.render(str(data["edited_message"])),
            attachment_received=facts.render(str(data["attachment_received"])),
            attachment_too_big=facts.render(str(data["attachment_too_big"])),
            unsupported=unsupported,
        )

    def unsupported_reply(self, kind: str) -> str:
        return self.unsupported.get(kind) or self.unsupported[UNSUPPORTED_FALLBACK]

    def chosen_line(self, title: str) -> str:
        return fill(self.chosen, choice=title)
