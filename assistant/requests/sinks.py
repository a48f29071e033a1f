"""Where messages go after a commit: e-mail (SMTP or an encrypted mail folder) and the signed webhook.

Both are fed from the ``outbox`` table by the outbox worker (``outbox.py``): rows are written in the
same transaction as the change they report, so a crash or a down endpoint delays a message but never
loses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from assistant.exceptions import ConfigurationError
from assistant.requests.crypto import Vault

SIGNATURE_HEADER = "X-Privacy-Assistant-Signature"
TIMESTAMP_HEADER = "X-Privacy-Assistant-Timestamp"


class MailFolder:
    """The embedded default's mailbox (no SMTP server): each mail a file a developer reads with
    `privacy-assistant outbox show`, encrypted with the queue's key because it holds an address and a
    live code, and deleted ``retention`` after it was written."""

    SUFFIX = ".eml.enc"

    def __init__(self, path: Path, vault: Vault, retention: timedelta) -> None:
        self.path = path
        self.vault = vault
        self.retention = retention

    def write(self, message: EmailMessage) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        now = time.time_ns()  # names sort in sending order
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
        name = f"{stamp}.{now % 10**9:09d}-{uuid.uuid4().hex[:8]}{self.SUFFIX}"
        sealed = self.vault.encrypt(bytes(message).decode("utf-8")) or ""
        temporary = self.path / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(sealed)
        target = self.path / name
        temporary.rename(target)  # readers never see half a mail
        return target

    def paths(self) -> list[Path]:
        """The mail files, oldest first."""
        return sorted(self.path.glob(f"*{self.SUFFIX}")) if self.path.is_dir() else []

    def read(self, path: Path) -> EmailMessage:
        text = self.vault.decrypt(path.read_text(encoding="ascii").strip()) or ""
        return message_from_bytes(text.encode("utf-8"), _class=EmailMessage, policy=policy.default)

    def messages(self) -> list[EmailMessage]:
        return [self.read(path) for path in self.paths()]

    def purge(self, now: float | None = None) -> int:
        """Delete mail files older than the retention (and plaintext ``*.eml`` left by older versions)."""
        if not self.path.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - self.retention.total_seconds()
        deleted = 0
        for path in [*self.path.glob(f"*{self.SUFFIX}"), *self.path.glob("*.eml")]:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:  # another worker purged it first
                pass
        return deleted


class Mailer:
    """Sends through SMTP when ``smtp_url`` is set; otherwise writes the mail into ``folder``.

    ``timeout`` bounds every step with the SMTP server, so a stalled server fails the attempt (and the
    outbox retries it later) instead of holding the worker.
    """

    def __init__(self, smtp_url: str | None, folder: MailFolder, sender: str, timeout: float = 15) -> None:
        self.smtp_url = smtp_url
        self.folder = folder
        self.sender = sender
        self.timeout = timeout
        if smtp_url:
            parts = urlsplit(smtp_url)
            if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
                raise ConfigurationError(
                    f"PRIVACY_ASSISTANT_SMTP_URL must look like smtp://user:password@host:port "
                    f"(or smtps://, smtp+starttls://), not {parts.scheme}://..."
                )

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{uuid.uuid4()}@privacy-assistant>"
        message.set_content(body, cte="8bit")  # readable once decrypted; SMTP takes 8bit
        if self.smtp_url:
            self._smtp(message)
        else:
            self.folder.write(message)

    def _smtp(self, message: EmailMessage) -> None:
        parts = urlsplit(self.smtp_url or "")
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        client: smtplib.SMTP
        if secure:
            client = smtplib.SMTP_SSL(
                parts.hostname, port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=self.timeout)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``timestamp.body``, so a receiver can reject replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def post_webhook(url: str, secret: str | None, event: dict) -> None:
    """POST one event; raises on anything but a 2xx answer, so the outbox retries it."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    response.raise_for_status()
