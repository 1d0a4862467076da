"""Copy and data files, and the one placeholder style: ``[[name]]``.

Copy lives in YAML files, never in Python.  A part filled in when the text is shown is
written ``[[name]]``, whether it is a contact from ``data/facts.yml`` (``[[non_emergency]]``)
or a value the code supplies (``[[count]]``).  One style, and this one, because Rasa reads
``{name}`` in a domain response as a slot to fill, and button payloads are JSON (braces).

:func:`fill` fills the names it is given and leaves the others as written: an action fills
its own values, and the bot fills the contacts (:meth:`guidance.facts.Facts.render`) before
anything is shown.  ``tests/test_copy_placeholders.py`` checks that every placeholder in
every copy file is one of those.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Optional

import yaml

# "Save what I wrote as a note": the button of "did you mean" after an account of what happened
# (nlu/actions/faq.py); the bot core keeps the words until the next message (bot/core.py).
SAVE_AS_NOTE = "diary:note_last"

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
PLACEHOLDER = re.compile(r"\[\[([a-z0-9_]+)\]\]")


def fill(text: str, values: Optional[Mapping[str, Any]] = None, /, **more: Any) -> str:
    """``text`` with each ``[[name]]`` of ``values`` (and ``more``) replaced; others stay.

    One pass: a value that itself contains ``[[...]]`` is not filled again.
    """
    names = {**(values or {}), **more}
    return PLACEHOLDER.sub(lambda m: str(names[m.group(1)]) if m.group(1) in names else m.group(0),
                           str(text))


def counted(count: int, units: Any) -> str:
    """``count`` with its unit, singular or plural: "1 note", "3 notes" (``units``: [one, many])."""
    one, many = units
    return f"{count} {one if count == 1 else many}"


def placeholders(text: str) -> set[str]:
    """The names of the ``[[name]]`` placeholders in ``text``."""
    return set(PLACEHOLDER.findall(str(text)))


@cache
def data_file(name: str) -> dict[str, Any]:
    """``data/<name>.yml``, read once per process."""
    return dict(yaml.safe_load((DATA_DIR / f"{name}.yml").read_text("utf-8")))


# -- data/copy.yml: what only custom actions show, written as Rasa responses -------------------
def entry(name: str) -> dict[str, Any]:
    """Text and buttons of copy entry ``name`` in data/copy.yml (its first variation)."""
    return dict(data_file("copy")["responses"][name][0])


def text(name: str, **values: Any) -> str:
    """The text of copy entry ``name``, its ``[[name]]`` placeholders of ``values`` filled."""
    return fill(str(entry(name).get("text", "")), values)


def buttons(name: str) -> list[dict[str, Any]]:
    return [dict(b) for b in entry(name).get("buttons", [])]
