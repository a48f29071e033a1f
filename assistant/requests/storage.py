"""The storage layer every room of the queue works over: the database (engine, models, migrations),
the vault that encrypts identity, and the one unit of work.

A change is one transaction (``RequestStorage.transaction``) that appends its audit event (``audit``),
changes status only through the life cycle's table (``set_status``) and queues its outbox messages
(``enqueue``) in the same commit. Listeners hear the events only after that commit, and the outbox
worker is woken then.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.exceptions import RequestError, UnknownRequestError
from assistant.intake.draft import FOR_ANOTHER
from assistant.requests import audit, states
from assistant.requests.crypto import Vault
from assistant.requests.database import database_url, migrate, open_engine, session_factory
from assistant.requests.models import AuditRecord, OutboxMessage, RequestRecord
from assistant.settings import Settings

log = logging.getLogger(__name__)

CHANNELS = ("web", "slack", "cli", "api")  # where a conversation, and the request it makes, come from
# Where a request the team logs by hand came in (``RequestQueue.log_received``).
TEAM_CHANNELS = ("post", "phone", "email", "in_person", "web_form")
REQUEST_CHANNELS = CHANNELS + TEAM_CHANNELS
REFERENCE = re.compile(r"DSAR-\d{4}-\d{6}")
_OUTBOX_QUEUED = "outbox_queued"  # a Session.info flag: this transaction queued outbox messages


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RightsRequest:
    """A request as the team sees it: identity decrypted, for authorised team tools only."""

    reference: str
    rights: list[str]
    status: str
    channel: str
    on_behalf_of: str
    name: str | None
    email: str
    phone: str | None
    subject_name: str | None
    subject_email: str | None
    language: str
    data_concerned: str | None
    categories: list[str]
    assignee: str | None
    received_at: datetime
    due_at: date
    jurisdiction: str
    extension_months: int
    extension_days: int
    extension_reason: str | None
    duplicate_of: str | None  # an open request the same person made before: possibly the same one

    @property
    def authority_to_check(self) -> bool:
        """A parent or an agent asks for someone else: the team checks they may before acting."""
        return self.on_behalf_of in FOR_ANOTHER

    @property
    def needs_triage(self) -> bool:
        """No right could be read from the request: a person must say which it is (``classify``)."""
        return not self.rights

    def overdue(self, today: date | None = None) -> bool:
        return self.status in states.OPEN_STATUSES and self.due_at < (today or utcnow().date())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["due_at"] = self.due_at.isoformat()
        data["overdue"] = self.overdue()
        data["needs_triage"] = self.needs_triage
        data["authority_to_check"] = self.authority_to_check
        return data


@dataclass(frozen=True)
class AuditEvent:
    """One entry of a request's append-only audit trail; ``detail`` never holds identity."""

    reference: str
    kind: str
    actor: str
    at: datetime
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}

    @classmethod
    def of(cls, reference: str, record: AuditRecord) -> AuditEvent:
        return cls(reference, record.kind, record.actor, record.at, dict(record.detail or {}))


Listener = Callable[[AuditEvent], None]


class RequestStorage:
    """The request database, opened and migrated, with the vault its identity columns are sealed by."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = open_engine(database_url(settings.database_url, settings.data_dir))
        self.vault = Vault.open(settings.encryption_key, settings.encryption_key_path)
        migrate(self.engine, self.vault)
        self.sessions = session_factory(self.engine)
        # Set after every commit that queued outbox messages: the outbox worker (outbox.py) waits on it.
        self.outbox_queued = threading.Event()
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[tuple[Session, list[AuditEvent]]]:
        """A session in one transaction; the audit events it appends reach listeners after commit."""
        events: list[AuditEvent] = []
        with self.sessions() as session, session.begin():
            yield session, events
            queued = session.info.pop(_OUTBOX_QUEUED, False)
        self._notify(events)
        if queued:
            self.outbox_queued.set()

    # -- listeners ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every audit event after its transaction commits; returns unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, events: list[AuditEvent]) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:  # one broken subscriber must not break the queue or the others
                    log.exception("request listener failed on %s %s", event.kind, event.reference)

    # -- rows -----------------------------------------------------------------------------------
    def record(self, session: Session, reference: str, lock: bool = False) -> RequestRecord:
        """The request with ``reference`` (locked for update on PostgreSQL when ``lock``)."""
        reference = (reference or "").strip().upper()
        if not REFERENCE.fullmatch(reference):
            raise UnknownRequestError(f"{reference or '(empty)'!r} is not a reference like DSAR-2026-000123")
        query = select(RequestRecord).where(RequestRecord.reference == reference)
        if lock and self.dialect == "postgresql":
            query = query.with_for_update()
        record = session.scalar(query)
        if record is None:
            raise UnknownRequestError(f"no request has the reference {reference}")
        return record

    def view(self, record: RequestRecord, identity: bool = True) -> RightsRequest:
        """The request as the team sees it; ``identity=False`` leaves who made it out (None, and an
        empty e-mail) and decrypts nothing, for views that only count or show references."""
        decrypt = self.vault.decrypt if identity else _withheld
        return RightsRequest(
            reference=record.reference,
            rights=list(record.rights),
            status=record.status,
            channel=record.channel,
            on_behalf_of=record.on_behalf_of,
            name=decrypt(record.name_enc),
            email=decrypt(record.email_enc) or "",
            phone=decrypt(record.phone_enc),
            subject_name=decrypt(record.subject_name_enc),
            subject_email=decrypt(record.subject_email_enc),
            language=record.language or "en",
            data_concerned=decrypt(record.data_concerned_enc),
            categories=list(record.categories or []),
            assignee=record.assignee,
            received_at=record.received_at,
            due_at=record.due_at,
            jurisdiction=record.jurisdiction or "gdpr",
            extension_months=record.extension_months,
            extension_days=record.extension_days or 0,
            extension_reason=record.extension_reason,
            duplicate_of=record.duplicate_of,
        )

    # -- what every change does in its transaction ----------------------------------------------
    def enqueue(self, session: Session, kind: str, payload: dict[str, Any], now: datetime) -> None:
        """Queue a message in the caller's transaction; the outbox worker delivers it after commit."""
        session.info[_OUTBOX_QUEUED] = True
        session.add(
            OutboxMessage(
                kind=kind,
                payload_enc=self.vault.encrypt(json.dumps(payload)),
                created_at=now,
                next_attempt_at=now,
                attempts=0,
            )
        )

    def set_status(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        status: str,
        actor: str,
        now: datetime,
        **detail: Any,
    ) -> None:
        """The one place a status changes: only along the life cycle (``states.py``), always audited."""
        states.check_transition(record.status, status)
        previous = record.status
        record.status = status
        record.updated_at = now
        self.audit(
            session, events, record, "status_changed", actor, now,
            **{"from": previous, "to": status, **{k: v for k, v in detail.items() if v is not None}},
        )  # fmt: skip

    def audit(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        kind: str,
        actor: str,
        now: datetime,
        **detail: Any,
    ) -> None:
        """Append ``kind`` to the request's trail, and its webhook event to the outbox when one is set."""
        # Sealed into the request's hash chain (audit.py), after the change it records.
        sealed = audit.append(self.vault, record, now, kind, actor, detail)
        session.add(sealed)
        events.append(AuditEvent(record.reference, kind, actor, now, sealed.detail))
        if self.settings.webhook_url:
            self.enqueue(
                session,
                "webhook",
                {
                    "event": kind,
                    "reference": record.reference,
                    "status": record.status,
                    "due_at": record.due_at.isoformat(),
                    "at": now.isoformat(),
                    "id": secrets.token_hex(8),
                },
                now,
            )


def _withheld(_: str | None) -> None:
    return None


def actor_name(value: str, what: str = "actor") -> str:
    """Who does something, as the audit trail records it: required, one line, at most 200 characters."""
    value = " ".join((value or "").split())
    if not value:
        raise RequestError(f"the {what} is required (who does this)")
    if len(value) > 200:
        raise RequestError(f"the {what} is too long; at most 200 characters")
    return value
