"""Encryption at rest for requester identity: Fernet (AES-128-CBC + HMAC-SHA256).

The key comes from ``PRIVACY_ASSISTANT_ENCRYPTION_KEY`` or from a key file
(``PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE``, default ``<data_dir>/encryption.key``), generated with mode
0600 on first use. Losing the key makes stored identities unreadable, so it is backed up; but never in
the same backup as the database, or whoever has that backup can read every identity in it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from assistant.exceptions import ConfigurationError
from assistant.requests.files import PRIVATE_FILE, keep_private, private_dir


class Vault:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                "PRIVACY_ASSISTANT_ENCRYPTION_KEY is not a Fernet key; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            ) from None
        # A separate key for keyed hashes of codes, derived so one secret is enough to configure.
        self._mac_key = hashlib.sha256(b"privacy-assistant/mac/" + key).digest()

    @classmethod
    def open(cls, configured_key: str | None, key_file: Path) -> Vault:
        if configured_key:
            return cls(configured_key.encode())
        return cls(_key_file(key_file))

    def encrypt(self, text: str | None) -> str | None:
        return None if text is None else self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "stored data cannot be decrypted with this encryption key; "
                "use the key the data was written with"
            ) from None

    def encrypt_bytes(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode()

    def decrypt_bytes(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise ConfigurationError(
                "stored data cannot be decrypted with this encryption key; use the key the data was written with"
            ) from None

    def digest(self, text: str) -> str:
        """A keyed hash (HMAC-SHA256): codes are stored as this, never as themselves."""
        return hmac.new(self._mac_key, text.encode(), hashlib.sha256).hexdigest()


def _key_file(path: Path) -> bytes:
    if not path.exists():
        private_dir(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        try:
            os.link(temporary, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    keep_private(path)
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the encryption key file {path} ({exc.strerror}); "
            "check PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE"
        ) from None
    if not key:
        raise ConfigurationError(f"{path} is empty; restore the encryption key from backup")
    return key
