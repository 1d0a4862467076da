"""The key check, and key rotation.

A lost key file or a changed ``DIARY_KEY`` used to start an empty log in silence:
the user read "your log is empty" while their notes sat in the database, and
"forget me" then said nothing was left.  Now the database holds a **key check**:
row ``key_check`` of ``diary_meta``, a Fernet token (under the diary key) of

    {"check": "stalking-bot diary key check v1", "pseudonym": "<base64 secret>"}

``verify_key`` opens it at start-up: a key that cannot is refused
(``DiaryKeyMismatchError``) and the bot runs with the log switched off (see
``bot/desk_unavailable.py``).  The first start on a database without a check
writes one, after making sure the key opens the data already there (a database
made before the check existed).

The check also carries the **pseudonym secret**: the HMAC secret of the user keys
by which every row is found.  It is derived once from the key of the first start,
then never changes, so rotating the encryption key keeps every user's rows theirs
(the user ids are not stored, so rows could not be re-keyed).  Rotation protects
what people wrote; a user key stays the same HMAC of the same id.

**Rotation** (``rotate_keys``, ``python -m bot rotate-key``): with the new key listed
first and the old one after it, every ``*_enc`` value of every table is re-encrypted
under the new key, one value per transaction, and only if it did not change in
between (compare-and-set), so bots may keep running; the check is rotated last.
Running it again skips what is already done.  A value no listed key opens is left
as it is and counted: remove an old key only when that count is 0.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError, DiaryKeyMismatchError
from bot.diary.models import MetaRow, metadata, utcnow

log = logging.getLogger(__name__)

KEY_CHECK = "key_check"
CHECK_TEXT = "stalking-bot diary key check v1"
_META = MetaRow.__table__
#: How many existing values are tried before a database without a check is said not to match.
_SAMPLE = 20


@dataclass(frozen=True)
class KeyStatus:
    """What ``verify_key`` found."""

    created: bool  # the check was written now (first start, or a database from before checks)
    rotation_pending: bool  # the check is not under the newest key: run rotate-key


@dataclass
class RotationResult:
    rotated: int = 0  # values re-encrypted under the newest key
    already: int = 0  # values that were under it already
    unreadable: int = 0  # values no listed key opens (damaged, or a key not listed): left as they are
    by_table: dict[str, int] = field(default_factory=dict)


def encrypted_columns() -> Iterator[tuple[Table, Column]]:
    """Every encrypted column of the diary (``*_enc``), bulky content last, the check excluded."""
    for table in metadata.sorted_tables:
        if table.name == _META.name:
            continue
        columns = [c for c in table.columns if c.name.endswith("_enc")]
        for column in sorted(columns, key=lambda c: c.name == "content_enc"):
            yield table, column


def _read_check(connection: Connection) -> bytes | None:
    token = connection.scalar(select(_META.c.value_enc).where(_META.c.name == KEY_CHECK))
    return None if token is None else bytes(token)


def _open_check(cipher: Cipher, token: bytes) -> bytes:
    """The pseudonym secret in the check, or DiaryKeyMismatchError."""
    try:
        data = json.loads(cipher.decrypt_bytes(token))
        if data.get("check") != CHECK_TEXT:
            raise ValueError("not a key check")
        return base64.b64decode(data["pseudonym"])
    except (DiaryKeyError, ValueError, KeyError, TypeError):
        raise DiaryKeyMismatchError(
            "the diary key does not match the diary database: the database holds an incident log "
            "encrypted with another key (its key check cannot be opened with the key given)"
        ) from None


def has_log(engine: Engine) -> bool:
    """Whether the database already holds a key check or any encrypted value."""
    with engine.connect() as connection:
        if _read_check(connection) is not None:
            return True
        for _table, column in encrypted_columns():
            if connection.scalar(select(column).where(column.isnot(None)).limit(1)) is not None:
                return True
    return False


def _sample_tokens(connection: Connection) -> Iterator[bytes]:
    left = _SAMPLE
    for _table, column in encrypted_columns():
        limit = 1 if column.name == "content_enc" else left
        for token in connection.scalars(select(column).where(column.isnot(None)).limit(limit)):
            yield bytes(token)
            left -= 1
            if left <= 0:
                return


def _bootstrap_secret(connection: Connection, cipher: Cipher) -> bytes:
    """The pseudonym secret for a database without a check: that of the key its data is under."""
    tried = 0
    for token in _sample_tokens(connection):
        tried += 1
        index = cipher.key_index(token)
        if index is not None:
            return cipher.pseudonym_secret_of_key(index)
    if tried:
        raise DiaryKeyMismatchError(
            "the diary key does not match the diary database: none of the "
            f"{tried} encrypted values tried opens with the key given"
        )
    return cipher.pseudonym_secret_of_key(0)  # a new, empty database


def verify_key(engine: Engine, cipher: Cipher) -> KeyStatus:
    """Check ``cipher`` against the database, write the check on first start, and give the
    cipher the database's pseudonym secret.  ``DiaryKeyMismatchError`` when the key does not
    open the log already there."""
    created = False
    with engine.begin() as connection:
        token = _read_check(connection)
        if token is None:
            secret = _bootstrap_secret(connection, cipher)
            payload = {"check": CHECK_TEXT, "pseudonym": base64.b64encode(secret).decode("ascii")}
            token = cipher.encrypt(json.dumps(payload))
            try:
                with connection.begin_nested():
                    connection.execute(insert(_META).values(name=KEY_CHECK, value_enc=token,
                                                            updated_at=utcnow()))
                created = True
            except IntegrityError:  # another process wrote it first: check theirs
                token = _read_check(connection)
                assert token is not None
    cipher.use_pseudonym_secret(_open_check(cipher, token))
    status = KeyStatus(created=created, rotation_pending=not cipher.under_newest_key(token))
    if created:
        log.warning("wrote the diary's key check: from now on a different key is refused")
    if status.rotation_pending:
        log.warning("the diary's data is not yet under the first key listed: run `python -m bot rotate-key`")
    return status


def _rotate_value(engine: Engine, cipher: Cipher, table: Table, column: Column,
                  key: tuple[object, ...], result: RotationResult) -> None:
    pk = list(table.primary_key.columns)
    where = [c == v for c, v in zip(pk, key, strict=True)]
    for _attempt in range(5):
        with engine.connect() as connection:
            token = connection.scalar(select(column).where(*where))
        if token is None:
            return  # deleted, or emptied, meanwhile
        token = bytes(token)
        if cipher.under_newest_key(token):
            result.already += 1
            return
        try:
            new = cipher.rotate(token)
        except DiaryKeyError:
            result.unreadable += 1
            return
        with engine.begin() as connection:
            changed = connection.execute(
                update(table).where(*where, column == token).values({column.name: new})
            ).rowcount
        if changed:
            result.rotated += 1
            result.by_table[table.name] = result.by_table.get(table.name, 0) + 1
            return
        # it changed between the read and the write (a bot is running): read it again
    raise RuntimeError(f"a value of {table.name}.{column.name} kept changing during rotation")


def rotate_keys(engine: Engine, cipher: Cipher) -> RotationResult:
    """Re-encrypt every encrypted value under the newest key, then the key check (see the module)."""
    verify_key(engine, cipher)
    result = RotationResult()
    for table, column in encrypted_columns():
        pk = list(table.primary_key.columns)
        with engine.connect() as connection:
            keys = [tuple(row) for row in connection.execute(
                select(*pk).where(column.isnot(None)).order_by(*pk))]
        for key in keys:
            _rotate_value(engine, cipher, table, column, key, result)
    with engine.begin() as connection:
        token = _read_check(connection)
        assert token is not None
        if not cipher.under_newest_key(token):
            connection.execute(update(_META).where(_META.c.name == KEY_CHECK, _META.c.value_enc == token)
                               .values(value_enc=cipher.rotate(token), updated_at=utcnow()))
    return result
