"""Encryption at rest and the pseudonymous user key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.diary.crypto import Cipher
from bot.diary.errors import DiaryKeyError


def test_round_trips_text_and_bytes() -> None:
    cipher = Cipher.generate()
    token = cipher.encrypt("He said “I’m watching you” 👀 مرحبا")
    assert isinstance(token, bytes) and b"watching" not in token
    assert cipher.decrypt_text(token) == "He said “I’m watching you” 👀 مرحبا"
    blob = bytes(range(256))
    assert cipher.decrypt_bytes(cipher.encrypt(blob)) == blob
    assert cipher.encrypt("same") != cipher.encrypt("same")  # random IV per value


def test_key_from_setting_wins_over_the_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    key_file = tmp_path / "keys" / "diary.key"
    cipher = Cipher.from_settings(key, key_file)
    assert not key_file.exists()
    assert Cipher(key).decrypt_text(cipher.encrypt("x")) == "x"


def test_key_file_is_created_0600_on_first_run_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "state" / "secrets" / "diary.key"
    old_umask = os.umask(0)  # even a permissive umask must not widen the file's mode
    try:
        first = Cipher.from_settings(None, key_file)
    finally:
        os.umask(old_umask)
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) & 0o077 == 0
    token = first.encrypt("kept")
    second = Cipher.from_settings("", key_file)  # an empty setting counts as unset
    assert second.decrypt_text(token) == "kept"
    assert second.user_key("42") == first.user_key("42")


def test_user_key_is_a_keyed_hmac(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    cipher = Cipher(key)
    user_key = cipher.user_key("123456789")
    assert len(user_key) == 64 and int(user_key, 16) >= 0
    assert "123456789" not in user_key
    assert cipher.user_key(123456789) == user_key  # ints and strings name the same user
    assert Cipher(key).user_key("123456789") == user_key  # stable across restarts
    assert cipher.user_key("123456780") != user_key
    assert Cipher.generate().user_key("123456789") != user_key  # depends on the secret
    with pytest.raises(ValueError):
        cipher.user_key("")


def test_a_wrong_or_malformed_key_is_a_clear_error() -> None:
    token = Cipher.generate().encrypt("secret")
    with pytest.raises(DiaryKeyError, match="another key"):
        Cipher.generate().decrypt_text(token)
    for bad in ("", "not-a-key", "c2hvcnQ=", Fernet.generate_key().decode()[:-4]):
        with pytest.raises(DiaryKeyError, match="urlsafe base64") as info:
            Cipher(bad)
        assert bad == "" or bad not in str(info.value)


def test_repr_does_not_show_the_key() -> None:
    key = Fernet.generate_key().decode()
    assert key not in repr(Cipher(key))
