"""Keep what users write out of the logs that python-telegram-bot and httpx write.

PTB logs whole updates at DEBUG ("Processing update ...") and, when it cannot
parse one, at CRITICAL ("Received data was ..."); httpx logs every request URL,
which holds the bot token, at INFO.  We raise those loggers to WARNING and
withhold every non-numeric argument of their records, so that no log line can
carry a user's words (or the token) whatever level the operator chooses.
"""
from __future__ import annotations

import logging

WITHHELD = "<withheld>"
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "tornado")


class WithholdArguments(logging.Filter):
    """Replace a record's non-numeric arguments: they may hold user content."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {k: _keep_number(v) for k, v in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_keep_number(a) for a in args)
        return True


def _keep_number(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return WITHHELD


_FILTER = WithholdArguments()


def protect_library_logs(level: int = logging.WARNING) -> None:
    """Apply the filter to every library logger that exists now, and raise their level.

    Filters on a logger apply only to records created on that logger, so each
    one is covered by name; PTB creates its loggers when its modules load,
    which has happened by the time this runs.
    """
    import telegram.ext  # noqa: F401 - make sure all of PTB's loggers exist

    names = {n for n in logging.root.manager.loggerDict if n.split(".")[0] in LIBRARY_LOGGERS}
    for name in sorted(names | set(LIBRARY_LOGGERS)):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)
