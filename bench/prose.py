"""The reports' prose, kept out of the code: Markdown templates under ``bench/templates/``.

A template is Markdown in named sections; a line ``<!-- name -->`` starts one, and
text before the first is a note for whoever edits the file.  A section's
``$placeholders`` (``string.Template``; ``$$`` for a dollar sign) are filled from
the measured figures by ``bench/markdown*.py``, which compute values and tables
and choose which sections apply; a placeholder left unfilled is an error.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SECTION = re.compile(r"^<!-- ([a-z0-9_]+) -->$", re.MULTILINE)


@cache
def sections(name: str) -> dict[str, Template]:
    """The sections of ``bench/templates/<name>``, by name."""
    text = (TEMPLATES / name).read_text("utf-8")
    parts = _SECTION.split(text)
    found: dict[str, Template] = {}
    for key, body in zip(parts[1::2], parts[2::2], strict=True):
        if key in found:
            raise ValueError(f"{name}: section {key!r} twice")
        found[key] = Template(body.strip("\n"))
    return found


class Prose:
    """One template file: ``prose("section", value=...)`` is that section, filled."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, section: str, **values: Any) -> str:
        try:
            template = sections(self.name)[section]
        except KeyError:
            raise KeyError(f"bench/templates/{self.name} has no section {section!r}") from None
        return template.substitute({key: "-" if value is None else value for key, value in values.items()})
