"""The facts file (`data/facts.yml`): contacts, numbers and the fixed safety copy.

Every number the bot shows comes from here, so a force or charity deploying the
bot edits one file.  Copy elsewhere (domain responses, guard replies) refers to
contacts as ``[[key]]`` placeholders that :meth:`Facts.render` fills in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from guidance.copy import DATA_DIR, fill

DEFAULT_FACTS_PATH = DATA_DIR / "facts.yml"


@dataclass(frozen=True)
class Facts:
    contacts: dict[str, str]
    emergency_reply: str
    help_line: str
    error_reply: str
    #: The first reply of each crisis route of the safety guard ("danger": emergency_reply).
    crisis_replies: dict[str, str] = field(default_factory=dict)
    #: The same replies when only the guard's semantic layer (a guess) raised them: the first
    #: paragraph says "if" (``crisis_openings_if_guessed`` in data/facts.yml).
    guessed_replies: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Facts:
        raw: dict[str, Any] = yaml.safe_load((path or DEFAULT_FACTS_PATH).read_text("utf-8"))
        contacts = {str(k): str(v) for k, v in raw["contacts"].items()}
        facts = cls(
            contacts=contacts,
            emergency_reply=str(raw["emergency_reply"]),
            help_line=str(raw["help_line"]),
            error_reply=str(raw["error_reply"]),
        )
        crisis = {str(k): str(v) for k, v in (raw.get("crisis_replies") or {}).items()}
        openings = {str(k): str(v) for k, v in (raw.get("crisis_openings_if_guessed") or {}).items()}
        guessed = {route: openings[route] + "\n\n" + crisis[route].split("\n\n", 1)[1]
                   for route in openings if route in crisis and "\n\n" in crisis[route]}
        return cls(
            contacts=contacts,
            emergency_reply=facts.render(facts.emergency_reply),
            help_line=facts.render(facts.help_line),
            error_reply=facts.render(facts.error_reply),
            crisis_replies={route: facts.render(text) for route, text in crisis.items()},
            guessed_replies={route: facts.render(text) for route, text in guessed.items()},
        )

    def alert_reply(self, route: str, layer: str = "rules") -> str:
        """The guard's first reply for ``route``: 999 for danger (and any route without its own);
        raised by the semantic ``layer`` alone, its "if" wording where it has one."""
        if layer == "semantic" and route in self.guessed_replies:
            return self.guessed_replies[route]
        return self.crisis_replies.get(route, self.emergency_reply)

    def render(self, text: str) -> str:
        """Replace ``[[key]]`` with the contact of that key (other names stay as written)."""
        return fill(text, self.contacts)
