"""Keep only what is needed: the retention periods of the request database, applied by one purge.

- Conversations: transcript messages older than ``transcript_retention_days``, and the state (the
  name, e-mail and draft a visitor typed) of every conversation idle as long.
- Closed requests: ``closed_request_retention_days`` after a request is completed, rejected or
  withdrawn, the requester's identity (name, e-mail, phone, subject's name, data concerned) is erased.
  The reference, rights, dates, status and audit trail stay: they show the request was handled, and
  the erasure is itself an audit event.
- The outbox: messages delivered, or given up as dead, more than ``outbox_retention_days`` ago (a mail
  holds an address and a code). Messages still being tried stay until they go.
- Feedback: answers given, their votes and the questions declined (redacted), after
  ``feedback_retention_days``; an answered question nobody rated after a day (feedback.py).

The web service runs ``purge`` every ``purge_interval_seconds``; ``privacy-assistant requests purge``
runs it now. Every step is idempotent, so several workers may run it at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from assistant.requests.conversations import ConversationStore, count_rows
from assistant.requests.feedback import FeedbackStore
from assistant.requests.lookup import BlindIndex
from assistant.requests.models import OutboxMessage, RequestRecord
from assistant.requests.queue import RequestQueue
from assistant.requests.states import STATUSES, TRANSITIONS
from assistant.requests.storage import utcnow

CLOSED_STATUSES = tuple(status for status in STATUSES if not TRANSITIONS[status])
IDENTITY = ("name", "email", "phone", "subject_name", "subject_email", "data_concerned")
ACTOR = "retention"
BATCH = 200  # requests erased per transaction, so the queue is never locked for long


@dataclass(frozen=True)
class PurgeReport:
    """What one purge removed (or, with ``dry_run``, would remove), and the periods it applied."""

    at: datetime
    dry_run: bool
    transcript_messages: int
    conversations: int
    requests_anonymised: tuple[str, ...]  # references; the requests themselves stay
    outbox_messages: int
    periods_days: dict[str, int]
    data_packages: int = 0  # emptied after their period
    answers: int = 0  # answers given, with their votes (feedback.py)

    @property
    def nothing(self) -> bool:
        return not (
            self.transcript_messages
            or self.conversations
            or self.requests_anonymised
            or self.outbox_messages
            or self.data_packages
            or self.answers
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "at": self.at.isoformat(),
            "requests_anonymised": len(self.requests_anonymised),
            "references": list(self.requests_anonymised),
        }


def purge(
    queue: RequestQueue, conversations: ConversationStore, now: datetime | None = None, dry_run: bool = False
) -> PurgeReport:
    """Apply every retention period as of ``now``; with ``dry_run`` count what would go, change nothing."""
    settings = queue.settings
    now = now or utcnow()
    talk = conversations.purge(settings.transcript_retention_days, now, dry_run)
    return PurgeReport(
        at=now,
        dry_run=dry_run,
        transcript_messages=talk.messages,
        conversations=talk.conversations,
        requests_anonymised=anonymise_closed_requests(
            queue, settings.closed_request_retention_days, now, dry_run
        ),
        outbox_messages=purge_outbox(queue, settings.outbox_retention_days, now, dry_run),
        data_packages=queue.fulfilment.purge(now, dry_run),
        answers=FeedbackStore(queue.storage).purge(settings.feedback_retention_days, now, dry_run),
        periods_days={
            "transcripts": settings.transcript_retention_days,
            "closed_requests": settings.closed_request_retention_days,
            "outbox": settings.outbox_retention_days,
            "data_packages": settings.package_retention_days,
            "feedback": settings.feedback_retention_days,
        },
    )


def anonymise_closed_requests(
    queue: RequestQueue, retention_days: int, now: datetime, dry_run: bool = False
) -> tuple[str, ...]:
    """Erase the identity of requests closed more than ``retention_days`` ago; returns their references.

    A closed request never changes again, so its ``updated_at`` is when it closed. Each erasure is
    audited ("identity_purged", by "retention") in the same transaction.
    """
    cutoff = now - timedelta(days=retention_days)
    due = (
        select(RequestRecord)
        .where(
            RequestRecord.status.in_(CLOSED_STATUSES),
            RequestRecord.updated_at < cutoff,
            RequestRecord.identity_purged_at.is_(None),
        )
        .order_by(RequestRecord.id)
    )
    if dry_run:
        with queue.storage.sessions() as session:
            return tuple(session.scalars(due.with_only_columns(RequestRecord.reference)))
    erased: list[str] = []
    while True:
        with queue.storage.transaction() as (session, events):
            batch = due.limit(BATCH)
            if queue.dialect == "postgresql":
                batch = batch.with_for_update(skip_locked=True)  # another worker's rows are its own
            records = list(session.scalars(batch))
            for record in records:
                held = [field for field in IDENTITY if getattr(record, f"{field}_enc") is not None]
                record.name_enc = record.phone_enc = None
                record.subject_name_enc = record.subject_email_enc = record.data_concerned_enc = None
                record.email_enc = queue.vault.encrypt("") or ""  # the column is NOT NULL
                BlindIndex.forget(session, record)
                record.identity_purged_at = now
                record.updated_at = now
                queue.storage.audit(
                    session, events, record, "identity_purged", ACTOR, now,
                    fields=held, retention_days=retention_days,
                )  # fmt: skip
                erased.append(record.reference)
        if len(records) < BATCH:
            return tuple(erased)


def purge_outbox(queue: RequestQueue, retention_days: int, now: datetime, dry_run: bool = False) -> int:
    """Delete outbox messages delivered or dead more than ``retention_days`` ago; returns how many."""
    cutoff = now - timedelta(days=retention_days)
    delivered_long_ago = or_(OutboxMessage.delivered_at < cutoff, OutboxMessage.dead_at < cutoff)
    with queue.storage.sessions() as session, session.begin():
        if dry_run:
            return count_rows(session, OutboxMessage, delivered_long_ago)
        return session.execute(delete(OutboxMessage).where(delivered_long_ago)).rowcount or 0
