"""Export folders a crash left on disk: found and removed at start-up.

An export used to be written into a folder of its own (``export-*``, ``plan-*``,
made by ``tempfile.mkdtemp``) that the channel sending it deleted.
``sweep_export_folders`` removes those a crash left behind; the bot runs it at
start-up.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger("bot.diary.export")

#: Folders the bot makes for one export (``tempfile.mkdtemp(prefix=...)``: 8 random characters).
_EXPORT_FOLDER = re.compile(r"^(export|plan)-[a-z0-9_]{8}$")
#: The files the bot writes into them; a folder holding anything else is not the bot's.
_EXPORT_FILE = re.compile(r"^(incident-log-[0-9-]+\.(pdf|csv)|safety-plan\.pdf)$")
#: A folder younger than this may be an export another process is sending right now.
SWEEP_GRACE_SECONDS = 600.0


def _is_leftover_export(folder: Path, now: float, grace: float) -> bool:
    try:
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        newest = info.st_mtime
        for entry in folder.iterdir():
            entry_info = entry.lstat()
            if not stat.S_ISREG(entry_info.st_mode) or not _EXPORT_FILE.match(entry.name):
                return False
            newest = max(newest, entry_info.st_mtime)
    except OSError:
        return False
    return now - newest >= grace


def sweep_export_folders(root: str | Path | None = None, grace: float = SWEEP_GRACE_SECONDS) -> int:
    """Delete the export folders a crash left in ``root`` (default: the system temp folder).

    Only folders that are certainly the bot's are removed: named as the bot names
    them, owned by this user, holding nothing but the files an export writes, and
    untouched for ``grace`` seconds.  Returns how many were removed; never raises.
    """
    folder_root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = 0
    now = time.time()
    try:
        candidates = [p for p in folder_root.iterdir() if _EXPORT_FOLDER.match(p.name)]
    except OSError:
        return 0
    for folder in candidates:
        if not _is_leftover_export(folder, now, grace):
            continue
        try:
            shutil.rmtree(folder)
            removed += 1
        except OSError as error:
            log.warning("could not remove a leftover export folder: %s", type(error).__name__)
    if removed:
        log.warning("removed %d export folder(s) left behind by an earlier run", removed)
    return removed
