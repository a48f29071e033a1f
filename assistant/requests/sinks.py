"""Where messages go after a commit: e-mail (SMTP or an outbox folder) and the signed webhook.

Both are fed from the ``outbox`` table, written in the same transaction as the change they report,
so a crash or a down endpoint delays a message but never loses it.
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
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from assistant.exceptions import ConfigurationError

SIGNATURE_HEADER = "X-Privacy-Assistant-Signature"
TIMESTAMP_HEADER = "X-Privacy-Assistant-Timestamp"


class Mailer:
    """Sends through SMTP when ``smtp_url`` is set; otherwise writes .eml files into ``outbox_dir``."""

    def __init__(self, smtp_url: str | None, outbox_dir: Path, sender: str) -> None:
        self.smtp_url = smtp_url
        self.outbox_dir = outbox_dir
        self.sender = sender
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
        message.set_content(body, cte="8bit")  # readable in the outbox folder; SMTP takes 8bit
        if self.smtp_url:
            self._smtp(message)
        else:
            self._file(message)

    def _smtp(self, message: EmailMessage) -> None:
        parts = urlsplit(self.smtp_url or "")
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        client: smtplib.SMTP
        if secure:
            client = smtplib.SMTP_SSL(parts.hostname, port, timeout=15, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=15)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)

    def _file(self, message: EmailMessage) -> None:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        now = time.time_ns()  # names sort in sending order
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now // 10**9))}.{now % 10**9:09d}-{uuid.uuid4().hex[:8]}.eml"
        temporary = self.outbox_dir / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds a code
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))
        temporary.rename(self.outbox_dir / name)  # readers never see half a mail


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
