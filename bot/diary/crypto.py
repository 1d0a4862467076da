"""Encryption at rest for the diary, and the pseudonymous key that stands in for a user id.

Every free-text field, file and answer is encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from the ``cryptography`` package) before it reaches the database, so a
copy of the database alone shows neither what people wrote nor who wrote it: rows
are keyed by ``user_key(user_id)``, an HMAC of the Telegram user id under a sub-key
derived from the same secret.

The secret comes from the ``DIARY_KEY`` setting (a urlsafe-base64 Fernet key, as
made by ``Fernet.generate_key()``) or, when that is not set, from a key file that is
created on first run, readable by its owner only.  Losing the key loses the diary;
keep it apart from the database backups.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.diary.errors import DiaryKeyError

log = logging.getLogger(__name__)

_USER_KEY_INFO = b"stalking-bot diary: user key v1"


def _decode_key(key: str | bytes) -> bytes:
    """The 32 raw bytes of a urlsafe-base64 Fernet key, or DiaryKeyError (without the key)."""
    raw_key = key.strip().encode("ascii", "replace") if isinstance(key, str) else key.strip()
    try:
        raw = base64.urlsafe_b64decode(raw_key)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise DiaryKeyError(
            "the diary key must be 32 bytes in urlsafe base64 (44 characters), as made by: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    return raw


class Cipher:
    """Encrypts and decrypts diary data, and derives pseudonymous user keys."""

    def __init__(self, key: str | bytes) -> None:
        raw = _decode_key(key)
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))
        self._user_key_secret = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_USER_KEY_INFO
        ).derive(raw)

    @classmethod
    def generate(cls) -> Cipher:
        """A cipher with a fresh random key (for tests and throwaway stores)."""
        return cls(Fernet.generate_key())

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path) -> Cipher:
        """The cipher for ``key`` when given, else for the key in ``key_file``.

        A missing key file is created (with its parent folders) holding a new random
        key, with mode 0600.  Two processes starting at once agree on one key: the
        file is created exclusively and the loser reads the winner's key.
        """
        if key is not None and key.strip():
            return cls(key)
        key_file = Path(key_file)
        if not key_file.exists():
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

    def encrypt(self, data: str | bytes) -> bytes:
        """The Fernet token for ``data`` (text is encoded as UTF-8)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._fernet.encrypt(bytes(data))

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise DiaryKeyError(
                "could not decrypt diary data: it was written with another key, or was altered"
            ) from None

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt_bytes(token).decode("utf-8")

    def user_key(self, user_id: str | int) -> str:
        """Hex HMAC-SHA256 of the user id: what the database stores instead of the id."""
        text = str(user_id)
        if not text:
            raise ValueError("empty user id")
        return hmac.new(self._user_key_secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "Cipher(<secret>)"
