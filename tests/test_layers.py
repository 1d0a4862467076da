"""The three packages depend one way: ``bot`` and ``nlu`` use ``guidance``, never each other.

* ``guidance/``: the domain (date reading, the risk and plan rules, advice routes, facts,
  copy).  No Rasa, Telegram or database code, and nothing of ``bot`` or ``nlu``;
* ``nlu/``: Rasa's custom actions and components;
* ``bot/``: Telegram, the console, the incident log.

Every import statement of every module is read from its syntax tree (those inside
functions too, and ``importlib.import_module("...")`` with a written name).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "nlu", "guidance", "conversations")
FORBIDDEN = {
    "bot": ("nlu",),
    "nlu": ("bot",),
    "guidance": ("bot", "nlu", "rasa", "rasa_sdk", "telegram", "sqlalchemy", "alembic"),
    # Rasa's tracker-store plumbing, shared by the embedded engine and the Rasa server.
    "conversations": ("bot", "nlu", "guidance", "telegram"),
}
MAX_LINES = 350  # guidance/: no module over this


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path, source: str) -> Iterator[tuple[str, str, int]]:
    """(module imported, the statement as written, line) for every import in ``source``."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, f"import {alias.name}", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x / from ..y import z
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names = ", ".join(a.name for a in node.names)
            yield base, f"from {'.' * node.level}{node.module or ''} import {names}", node.lineno
        elif isinstance(node, ast.Call) and _called(node) in ("import_module", "__import__"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield first.value, f"import_module({first.value!r})", node.lineno


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _top(module: str) -> str:
    return module.split(".")[0]


def violations(path: Path, source: str) -> list[str]:
    """The imports of ``path`` (a module of bot/, nlu/ or guidance/) that cross a layer."""
    rel = path.relative_to(ROOT).as_posix()
    forbidden = FORBIDDEN[rel.split("/")[0]]
    return [f"{rel}:{line}: {statement}" for module, statement, line in _imports(path, source)
            if _top(module) in forbidden]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_across_the_layers(package: str) -> None:
    modules = _modules(package)
    assert len(modules) >= 3
    found = [v for path in modules for v in violations(path, path.read_text("utf-8"))]
    assert not found, "imports across the layers (bot and nlu use guidance, never each other):\n" + \
        "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("from nlu.dates import read_when", ["bot/x.py:1: from nlu.dates import read_when"]),
    ("def f():\n    import nlu.channels", ["bot/x.py:2: import nlu.channels"]),
    ("from nlu import channels", ["bot/x.py:1: from nlu import channels"]),
    ("import importlib\nimportlib.import_module('nlu.tracker_store')",
     ["bot/x.py:2: import_module('nlu.tracker_store')"]),
    ("from guidance.dates import read_when\nimport nluish", []),
    ("from nlu.channels import _stores", ["bot/x.py:1: from nlu.channels import _stores"]),  # not engine.py
])
def test_the_check_sees_an_import_wherever_it_is_written(source: str, expected: list[str]) -> None:
    assert violations(ROOT / "bot" / "x.py", source) == expected


@pytest.mark.parametrize("source", ["import rasa_sdk", "from sqlalchemy import select",
                                    "from telegram import Bot", "from bot.replies import Reply",
                                    "import rasa.core.agent"])
def test_guidance_may_not_import_rasa_telegram_the_database_bot_or_nlu(source: str) -> None:
    assert violations(ROOT / "guidance" / "sub" / "x.py", source)


def test_importing_guidance_loads_no_rasa_telegram_database_bot_or_nlu() -> None:
    """At run time too: nothing guidance imports pulls them in (through a third-party module)."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in _modules("guidance"))
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted({n.split('.')[0] for n in sys.modules} & "
            + repr(set(FORBIDDEN["guidance"])) + "))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", _modules("guidance"), ids=lambda p: p.name)
def test_no_guidance_module_is_over_350_lines(path: Path) -> None:
    assert len(path.read_text("utf-8").splitlines()) <= MAX_LINES
