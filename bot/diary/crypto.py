"""Encryption at rest for the diary, and the pseudonymous key that stands in for a user id.

Every free-text field, file and answer is encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from the ``cryptography`` package) before it reaches the database, so a
copy of the database alone shows neither what people wrote nor who wrote it: rows
are keyed by ``user_key(user_id)``, an HMAC of the Telegram user id.

Keys come from the ``DIARY_KEY`` setting (urlsafe-base64 Fernet keys, as made by
``Fernet.generate_key()``) or, when that is not set, from a key file that is created
on first run, readable by its owner only.  Either may list **several keys, newest
first** (separated by commas, spaces or new lines): data is written under the
first and read under any of them (``MultiFernet``), which is how a key is rotated
(``python -m bot rotate-key`` re-encrypts every row under the first key; see
``keyring.py``).  Losing every key loses the diary; keep them apart from the
database backups.

The HMAC secret of the user keys (the "pseudonym secret") must not change when the
encryption key does: rows are found by it, and the user ids it was computed from
are not stored anywhere, so they could not be re-keyed.  It is derived once from
the key of the first start and then kept in the database, encrypted, next to the
key check (``keyring.py``), which hands it to the cipher at start-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.diary.errors import DiaryKeyError, DiaryKeyMissingError

log = logging.getLogger(__name__)

_USER_KEY_INFO = b"stalking-bot diary: user key v1"
_KEY_SEPARATORS = re.compile(rb"[\s,]+")
_HOW_TO_MAKE_ONE = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _decode_key(key: bytes, position: int, count: int) -> bytes:
    """The 32 raw bytes of one urlsafe-base64 Fernet key, or DiaryKeyError (without the key)."""
    try:
        raw = base64.urlsafe_b64decode(key)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        which = f"key {position} of {count}" if count > 1 else "the diary key"
        raise DiaryKeyError(
            f"{which} is malformed: a diary key must be 32 bytes in urlsafe base64 (44 characters), "
            f"as made by: {_HOW_TO_MAKE_ONE}"
        )
    return raw


def parse_keys(value: str | bytes) -> list[bytes]:
    """The raw keys listed in ``value`` (newest first), or DiaryKeyError saying which is malformed."""
    data = value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)
    parts = [p for p in _KEY_SEPARATORS.split(data.strip()) if p]
    if not parts:
        raise DiaryKeyError(
            "the diary key is empty: a diary key is 32 bytes in urlsafe base64 (44 characters), "
            f"as made by: {_HOW_TO_MAKE_ONE}"
        )
    return [_decode_key(part, n, len(parts)) for n, part in enumerate(parts, start=1)]


def derive_pseudonym_secret(raw_key: bytes) -> bytes:
    """The user-key HMAC secret that a diary first started with ``raw_key`` uses for ever."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_USER_KEY_INFO).derive(raw_key)


class Cipher:
    """Encrypts and decrypts diary data, and derives pseudonymous user keys."""

    def __init__(self, key: str | bytes, *, pseudonym_secret: bytes | None = None) -> None:
        self._raw_keys = parse_keys(key)
        self._fernets = [Fernet(base64.urlsafe_b64encode(raw)) for raw in self._raw_keys]
        self._multi = MultiFernet(self._fernets)
        self._user_key_secret = pseudonym_secret or derive_pseudonym_secret(self._raw_keys[0])

    @classmethod
    def generate(cls) -> Cipher:
        """A cipher with a fresh random key (for tests and throwaway stores)."""
        return cls(Fernet.generate_key())

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path, create: bool = True) -> Cipher:
        """The cipher for ``key`` when given, else for the key(s) in ``key_file``.

        A missing key file is created (with its parent folders) holding a new random
        key, with mode 0600, when ``create`` is true; two processes starting at once
        agree on one key (the file is created exclusively and the loser reads the
        winner's key).  With ``create`` false (the database already holds a log) a
        missing key file is ``DiaryKeyMissingError``: a new key could not open it.
        """
        if key is not None and key.strip():
            return cls(key)
        key_file = Path(key_file)
        if not key_file.exists():
            if not create:
                raise DiaryKeyMissingError(
                    f"DIARY_KEY is not set and the key file {key_file} is missing, but the diary "
                    "database already holds an encrypted log: restore the key file from your backup "
                    "(or set DIARY_KEY to the key); a new key could not open the log"
                )
            cls._create_key_file(key_file)
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            log.warning("the diary key file %s can be read by others (mode %o); chmod 600 it", key_file, mode)
        return cls(key_file.read_bytes())

    @staticmethod
    def _create_key_file(key_file: Path) -> None:
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process made it first: use theirs
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, Fernet.generate_key() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        log.warning("created a new diary key file at %s: back it up apart from the database", key_file)

    # ------------------------------------------------------------------ keys

    @property
    def key_count(self) -> int:
        return len(self._raw_keys)

    def key_index(self, token: bytes) -> int | None:
        """Which listed key (0: the newest) opens ``token``; None when none does."""
        for index, fernet in enumerate(self._fernets):
            try:
                fernet.decrypt(bytes(token))
            except InvalidToken:
                continue
            return index
        return None

    def pseudonym_secret_of_key(self, index: int) -> bytes:
        """The pseudonym secret a diary first started with key ``index`` has."""
        return derive_pseudonym_secret(self._raw_keys[index])

    @property
    def pseudonym_secret(self) -> bytes:
        return self._user_key_secret

    def use_pseudonym_secret(self, secret: bytes) -> None:
        """Compute user keys with ``secret`` (the one kept in the database) from now on."""
        if len(secret) != 32:
            raise DiaryKeyError("the stored pseudonym secret is damaged")
        self._user_key_secret = bytes(secret)

    def under_newest_key(self, token: bytes) -> bool:
        try:
            self._fernets[0].decrypt(bytes(token))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """``token`` re-encrypted under the newest key (DiaryKeyError when no key opens it)."""
        try:
            return self._multi.rotate(bytes(token))
        except InvalidToken:
            raise DiaryKeyError(
                "could not decrypt diary data: it was written with another key, or was altered"
            ) from None

    # ------------------------------------------------------------------ data

    def encrypt(self, data: str | bytes) -> bytes:
        """The Fernet token for ``data`` under the newest key (text is encoded as UTF-8)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._multi.encrypt(bytes(data))

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(bytes(token))
        except InvalidToken:
            raise DiaryKeyError(
                "could not decrypt diary data: it was written with another key, or was altered"
            ) from None

    def decrypt_text(self, token: bytes) -> str:
        try:
            return self.decrypt_bytes(token).decode("utf-8")
        except UnicodeDecodeError:
            raise DiaryKeyError("could not decrypt diary data: it is not text") from None

    def user_key(self, user_id: str | int) -> str:
        """Hex HMAC-SHA256 of the user id: what the database stores instead of the id."""
        text = str(user_id)
        if not text:
            raise ValueError("empty user id")
        return hmac.new(self._user_key_secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "Cipher(<secret>)"
