"""``OutboxWorker``: delivers the outbox table (verification mail, webhook events) outside any request.

A request only queues its messages, in its own transaction, and wakes the worker after commit; a slow
or stalled SMTP server or webhook endpoint then delays the mail, never the visitor or the team.

A message is claimed by leasing it (``next_attempt_at`` pushed past the longest send) in a short
transaction of its own, with FOR UPDATE SKIP LOCKED on PostgreSQL: no lock is held while it is sent,
so writers (on SQLite, every writer) never wait for the mail server, and two workers never send the
same message. A failed attempt is retried with exponential back-off; after ``outbox_max_attempts`` the
message is marked dead, counted and logged without its content. A worker killed mid-send leaves the
lease to expire, and the message is sent again: delivery is at least once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assistant.exceptions import RequestError
from assistant.redaction import redact
from assistant.requests.models import OutboxMessage
from assistant.requests.sinks import Mailer, MailFolder, post_webhook
from assistant.requests.storage import RequestStorage

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)  # doubles with every failed attempt ...
LONGEST_RETRY = timedelta(hours=1)  # ... up to this
WEBHOOK_TIMEOUT_SECONDS = 10


def backoff(attempts: int) -> timedelta:
    """The wait before the next try, after ``attempts`` failed ones."""
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int  # not delivered yet, still to be tried
    dead: int  # given up after the last attempt

    def to_dict(self) -> dict[str, int]:
        return {"waiting": self.waiting, "dead": self.dead}


class OutboxWorker:
    """Sends what is due in the outbox: one pass (``deliver_due``), or a background thread."""

    def __init__(self, storage: RequestStorage) -> None:
        settings = storage.settings
        self.storage = storage
        self.settings = settings
        self._sessions = storage.sessions
        self.folder = MailFolder(
            settings.data_dir / "outbox", storage.vault, timedelta(hours=settings.outbox_file_retention_hours)
        )
        self.mailer = Mailer(
            settings.smtp_url, self.folder, settings.mail_from, timeout=settings.smtp_timeout_seconds
        )
        # A send makes several round trips, each bounded by the timeout; the lease outlasts them all,
        # so no second worker takes a message that is still being sent.
        self.lease = timedelta(
            seconds=max(60.0, 10 * max(settings.smtp_timeout_seconds, WEBHOOK_TIMEOUT_SECONDS))
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- one pass ---------------------------------------------------------------------------------
    def deliver_due(self, now: datetime | None = None, limit: int = 50, deadline: float | None = None) -> int:
        """Send up to ``limit`` messages due at ``now``; returns how many went.

        ``deadline`` (a ``time.monotonic()`` value) stops claiming new messages once passed.
        """
        clock: Callable[[], datetime] = (lambda: now) if now is not None else _utcnow
        self.folder.purge()
        delivered = 0
        for _ in range(limit):
            if deadline is not None and time.monotonic() >= deadline:
                break
            claimed = self._claim(clock())
            if claimed is None:
                break
            message_id, kind, payload = claimed
            try:
                self._send(kind, payload)
            except Exception as exc:  # any failure of the far end: keep the message, try again later
                self._failed(message_id, exc, clock())
                continue
            self._delivered(message_id, clock())
            delivered += 1
        return delivered

    def drain(self, seconds: float) -> int:
        """Deliver everything due, for at most about ``seconds``; returns how many went."""
        deadline = time.monotonic() + seconds
        delivered = 0
        while time.monotonic() < deadline:
            sent = self.deliver_due(deadline=deadline)
            delivered += sent
            if not sent:
                break
        return delivered

    def _claim(self, now: datetime) -> tuple[int, str, dict[str, Any]] | None:
        with self._sessions() as session, session.begin():
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.delivered_at.is_(None),
                    OutboxMessage.dead_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(1)
            )
            if self.storage.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            message = session.scalar(query)
            if message is None:
                return None
            message.next_attempt_at = now + self.lease
            payload = json.loads(self.storage.vault.decrypt(message.payload_enc) or "{}")
            return message.id, message.kind, payload

    def _send(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "email":
            self.mailer.send(payload["to"], payload["subject"], payload["body"])
        elif kind == "webhook":
            if not self.settings.webhook_url:
                return  # the webhook was switched off after the event was queued
            post_webhook(self.settings.webhook_url, self.settings.webhook_secret, payload)
        else:
            raise RequestError(f"unknown outbox message kind {kind!r}")

    def _delivered(self, message_id: int, now: datetime) -> None:
        with self._sessions() as session, session.begin():
            message = session.get_one(OutboxMessage, message_id)
            message.attempts += 1
            message.delivered_at = now

    def _failed(self, message_id: int, exc: Exception, now: datetime) -> None:
        # The far end's words may quote the address ("<jo@example.com>: mailbox unavailable").
        error = redact(f"{type(exc).__name__}: {exc}")[:500]
        with self._sessions() as session, session.begin():
            message = session.get_one(OutboxMessage, message_id)
            message.attempts += 1
            message.last_error = error
            if message.attempts >= self.settings.outbox_max_attempts:
                message.dead_at = now
                log.error(
                    "outbox %s #%s given up after %s attempts (last: %s); it stays in the table as dead",
                    message.kind, message.id, message.attempts, type(exc).__name__,
                )  # fmt: skip
            else:
                message.next_attempt_at = now + backoff(message.attempts)
                log.warning(
                    "outbox %s #%s failed (attempt %s of %s, next in %s): %s",
                    message.kind, message.id, message.attempts, self.settings.outbox_max_attempts,
                    backoff(message.attempts), type(exc).__name__,
                )  # fmt: skip

    # -- what waits ---------------------------------------------------------------------------------
    def counts(self) -> OutboxCounts:
        undelivered = OutboxMessage.delivered_at.is_(None)
        with self._sessions() as session:
            waiting = session.scalar(select(func.count()).where(undelivered, OutboxMessage.dead_at.is_(None)))
            dead = session.scalar(select(func.count()).where(undelivered, OutboxMessage.dead_at.is_not(None)))
        return OutboxCounts(waiting or 0, dead or 0)

    def pending(self) -> int:
        return self.counts().waiting

    # -- in the background ----------------------------------------------------------------------------
    def run(self) -> None:
        """Deliver until ``stop()``: at once when the queue commits a message, else every poll interval."""
        wake = self.storage.outbox_queued
        while not self._stopping.is_set():
            wake.clear()  # before the pass: a commit during it wakes the next one
            try:
                self.deliver_due()
            except Exception:  # the database may be away for a moment; the worker must outlive it
                log.exception("outbox pass failed; trying again in %s s", self.settings.outbox_poll_seconds)
            wake.wait(self.settings.outbox_poll_seconds)

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            # A daemon: a send stuck until its timeout must not keep the process from exiting.
            self._thread = threading.Thread(target=self.run, name="outbox-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Ask the loop to end and wait up to ``timeout`` s; a message mid-send keeps its lease and is
        tried again later (by this or another worker)."""
        self._stopping.set()
        self.storage.outbox_queued.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    @contextmanager
    def running(self, drain_seconds: float = 0) -> Iterator[OutboxWorker]:
        """The worker in the background while the block runs; then up to ``drain_seconds`` more to send
        what the block queued last."""
        self.start()
        try:
            yield self
        finally:
            self.stop()
            if drain_seconds:
                self.drain(drain_seconds)


def _utcnow() -> datetime:
    return datetime.now(UTC)
