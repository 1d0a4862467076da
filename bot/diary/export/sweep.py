"""Export folders older versions left on disk: found and removed at start-up.

Before exports were made as bytes, each was written into a folder of its own
(``export-*``, ``plan-*``, made by ``tempfile.mkdtemp`` in ``EXPORT_DIR`` or the
system temp folder) that the channel sending it deleted; a crash between writing
and sending left it behind, holding what the user wrote in clear.  Nothing writes
such folders any more, so only an older version can have left one:
``sweep_export_folders`` removes them at start-up.  It can go once no deployment
has run a version that wrote them (a version from before exports became bytes).
It never touches the console's saved exports: those are files the person asked
for, directly in their folder, not ``export-*`` folders.
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
#: The files older versions wrote into them (the neutral ``notes-<date>``/``plan-<date>`` names,
#: and the first versions' ``incident-log-<date>``/``safety-plan``); a folder holding anything
#: else is not the bot's.
_EXPORT_FILE = re.compile(
    r"^((incident-log|notes)-[0-9-]+\.(pdf|csv)|plan-[0-9-]+\.pdf|safety-plan\.pdf)$"
)
#: A folder younger than this may be an export an older replica is sending right now (an upgrade).
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
    """Delete the export folders older versions left in ``root`` (default: the system temp folder).

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
