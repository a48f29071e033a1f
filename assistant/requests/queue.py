"""``RequestQueue``: the DSAR queue the privacy team works, over SQLite or PostgreSQL.

Every change is one transaction that also appends its audit event and, when a webhook is configured,
its outbox row; listeners run only after that transaction commits, and the outbox worker
(``outbox.py``), woken then, delivers mail and events outside any request.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.exceptions import (
    InvalidTransitionError,
    RequestError,
    ResendLimitError,
    UnknownRequestError,
    VerificationError,
)
from assistant.intake.draft import ON_BEHALF_OF, RIGHT_LABELS, RIGHTS, RequestDraft
from assistant.intake.fields import valid_email
from assistant.prompts import Prompts
from assistant.requests import audit, states
from assistant.requests.crypto import Vault
from assistant.requests.database import database_url, migrate, open_engine, session_factory
from assistant.requests.dates import due_date
from assistant.requests.export import export_requests
from assistant.requests.models import (
    AuditRecord,
    OutboxMessage,
    ReferenceCounter,
    RequestRecord,
    VerificationCode,
)
from assistant.settings import Settings

log = logging.getLogger(__name__)

CHANNELS = ("web", "slack", "cli", "api")  # where a request (and a conversation) can come from
REFERENCE = re.compile(r"DSAR-\d{4}-\d{6}")
MAX_EXTENSION_MONTHS = 2  # GDPR Art. 12(3): "by two further months where necessary"
_CODE = re.compile(r"\d{6}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
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
    data_concerned: str | None
    categories: list[str]
    assignee: str | None
    received_at: datetime
    due_at: date
    extension_months: int
    extension_reason: str | None

    def overdue(self, today: date | None = None) -> bool:
        return self.status in states.OPEN_STATUSES and self.due_at < (today or utcnow().date())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["due_at"] = self.due_at.isoformat()
        data["overdue"] = self.overdue()
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


@dataclass(frozen=True)
class Submission:
    request: RightsRequest
    created: bool  # False when the idempotency key had already made this request


Listener = Callable[[AuditEvent], None]


class RequestQueue:
    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        self.settings = settings
        self.prompts = prompts
        self.engine = open_engine(database_url(settings.database_url, settings.data_dir))
        self.vault = Vault.open(settings.encryption_key, settings.encryption_key_path)
        migrate(self.engine, self.vault)
        self._sessions = session_factory(self.engine)
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
    def _transaction(self) -> Iterator[tuple[Session, list[AuditEvent]]]:
        """A session in one transaction; the audit events it appends reach listeners after commit."""
        events: list[AuditEvent] = []
        with self._sessions() as session, session.begin():
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

    # -- submitting -----------------------------------------------------------------------------
    def submit(
        self,
        draft: RequestDraft,
        idempotency_key: str,
        channel: str = "web",
        now: datetime | None = None,
    ) -> Submission:
        """Put ``draft`` on the queue once: the same ``idempotency_key`` again returns the first request.

        The request starts in pending_verification and a verification mail is queued in the same
        transaction.
        """
        self._check_draft(draft, idempotency_key, channel)
        now = now or utcnow()
        existing = self.find(idempotency_key)
        if existing is not None:
            return Submission(existing, created=False)
        try:
            with self._transaction() as (session, events):
                record = RequestRecord(
                    reference=self._next_reference(session, now.year),
                    idempotency_key=idempotency_key,
                    rights=list(draft.rights),
                    categories=list(draft.categories),
                    on_behalf_of=draft.on_behalf_of,
                    channel=channel,
                    status=states.PENDING_VERIFICATION,
                    received_at=now,
                    due_at=due_date(now),
                    extension_months=0,
                    name_enc=self.vault.encrypt(draft.name),
                    email_enc=self.vault.encrypt(draft.email.strip().lower()),  # type: ignore[union-attr]
                    phone_enc=self.vault.encrypt(draft.phone),
                    subject_name_enc=self.vault.encrypt(draft.subject_name),
                    data_concerned_enc=self.vault.encrypt(draft.data_concerned),
                    updated_at=now,
                )
                session.add(record)
                session.flush()
                self._audit(session, events, record, "submitted", "requester", now, channel=channel)
                self._challenge(session, record, now)
                view = self._view(record)
        except IntegrityError:
            # Another worker committed the same idempotency key between our check and our insert.
            existing = self.find(idempotency_key)
            if existing is None:
                raise
            return Submission(existing, created=False)
        return Submission(view, created=True)

    def _check_draft(self, draft: RequestDraft, idempotency_key: str, channel: str) -> None:
        unknown = [r for r in draft.rights if r not in RIGHTS]
        if unknown:
            raise RequestError(f"unknown right {unknown[0]!r}; use one of: {', '.join(RIGHTS)}")
        if not draft.rights:
            raise RequestError(f"the request names no right; name one of: {', '.join(RIGHTS)}")
        if not draft.email:
            raise RequestError("the request needs the requester's e-mail address, to verify it is theirs")
        if not valid_email(draft.email):
            raise RequestError(f"{draft.email!r} is not an e-mail address; give one like name@example.com")
        if draft.on_behalf_of not in ON_BEHALF_OF:
            raise RequestError(f"on_behalf_of must be one of: {', '.join(ON_BEHALF_OF)}")
        missing = draft.refresh_missing().missing
        if missing:
            raise RequestError(f"the request is missing: {', '.join(missing)}")
        if channel not in CHANNELS:
            raise RequestError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
        if not idempotency_key or len(idempotency_key) > 128:
            raise RequestError("an idempotency key of 1 to 128 characters is required")

    def _next_reference(self, session: Session, year: int) -> str:
        """DSAR-YYYY-NNNNNN: an atomic upsert of the year's counter, safe under concurrent submits."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = (
            insert(ReferenceCounter)
            .values(year=year, last=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last": ReferenceCounter.last + 1})
            .returning(ReferenceCounter.last)
        )
        number = session.execute(statement).scalar_one()
        return f"DSAR-{year}-{number:06d}"

    # -- reading --------------------------------------------------------------------------------
    def get(self, reference: str) -> RightsRequest:
        with self._sessions() as session:
            return self._view(self._record(session, reference))

    def find(self, idempotency_key: str) -> RightsRequest | None:
        """The request an idempotency key made, if it made one."""
        with self._sessions() as session:
            record = session.scalar(
                select(RequestRecord).where(RequestRecord.idempotency_key == idempotency_key)
            )
            return self._view(record) if record else None

    def list(
        self,
        status: str | list[str] | None = None,
        due_before: date | None = None,
        overdue: bool = False,
        assignee: str | None = None,
        today: date | None = None,
    ) -> list[RightsRequest]:
        """Requests, soonest due first; filters combine."""
        query = select(RequestRecord).order_by(RequestRecord.due_at, RequestRecord.id)
        if status:
            wanted = [status] if isinstance(status, str) else list(status)
            for s in wanted:
                if s not in states.STATUSES:
                    raise RequestError(f"unknown status {s!r}; use one of: {', '.join(states.STATUSES)}")
            query = query.where(RequestRecord.status.in_(wanted))
        if due_before:
            query = query.where(RequestRecord.due_at < due_before)
        if overdue:
            query = query.where(
                RequestRecord.status.in_(states.OPEN_STATUSES),
                RequestRecord.due_at < (today or utcnow().date()),
            )
        if assignee:
            query = query.where(RequestRecord.assignee == assignee)
        with self._sessions() as session:
            return [self._view(r) for r in session.scalars(query)]

    def events(self, reference: str) -> list[AuditEvent]:
        """The audit trail of one request, oldest first."""
        with self._sessions() as session:
            record = self._record(session, reference)
            return [self._event(record.reference, e) for e in record.events]

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(RequestRecord)) or 0

    def export(self, fmt: str = "json", **filters: Any) -> str:
        """The listed requests as JSON or CSV, identity included: for the privacy team only."""
        fields = [*list(RightsRequest.__dataclass_fields__), "overdue"]
        return export_requests([r.to_dict() for r in self.list(**filters)], fields, fmt)

    # -- the team's work ------------------------------------------------------------------------
    def transition(
        self,
        reference: str,
        status: str,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
        only_from: str | None = None,
    ) -> RightsRequest:
        """Move a request along its life cycle; forbidden moves raise and change nothing.

        ``only_from``: move only a request still in that status (checked under the row's lock), so a
        sweep never overtakes a change made since it looked.
        """
        actor = _actor(actor)
        now = now or utcnow()
        with self._transaction() as (session, events):
            record = self._record(session, reference, lock=True)
            if only_from is not None and record.status != only_from:
                raise InvalidTransitionError(f"{record.reference} is {record.status}, no longer {only_from}")
            self._set_status(session, events, record, status, actor, now, note=note)
            view = self._view(record)
        return view

    def assign(self, reference: str, assignee: str, actor: str, now: datetime | None = None) -> RightsRequest:
        actor, assignee = _actor(actor), _actor(assignee, "assignee")
        now = now or utcnow()
        with self._transaction() as (session, events):
            record = self._record(session, reference, lock=True)
            if record.status not in states.OPEN_STATUSES:
                raise RequestError(f"{reference} is {record.status}; only open requests can be assigned")
            previous = record.assignee
            record.assignee = assignee
            record.updated_at = now
            self._audit(session, events, record, "assigned", actor, now, assignee=assignee, previous=previous)
            view = self._view(record)
        return view

    def extend(
        self, reference: str, reason: str, actor: str, months: int = 2, now: datetime | None = None
    ) -> RightsRequest:
        """Push the due date out by ``months`` (at most two in all), recording why."""
        actor = _actor(actor)
        reason = " ".join((reason or "").split())
        if not reason:
            raise RequestError("an extension needs a reason (the requester is told why)")
        if len(reason) > 1000:
            raise RequestError("the reason is too long; keep it under 1000 characters")
        if months not in (1, 2):
            raise RequestError("an extension is 1 or 2 months")
        now = now or utcnow()
        with self._transaction() as (session, events):
            record = self._record(session, reference, lock=True)
            if record.status not in states.OPEN_STATUSES:
                raise RequestError(f"{reference} is {record.status}; only open requests can be extended")
            total = record.extension_months + months
            if total > MAX_EXTENSION_MONTHS:
                raise RequestError(
                    f"{reference} is already extended by {record.extension_months} month(s); "
                    f"the law allows {MAX_EXTENSION_MONTHS} in all"
                )
            record.extension_months = total
            record.extension_reason = reason
            record.due_at = due_date(record.received_at, total)
            record.updated_at = now
            self._audit(
                session, events, record, "extended", actor, now,
                months=months, reason=reason, due_at=record.due_at.isoformat(),
            )  # fmt: skip
            view = self._view(record)
        return view

    def claim_next(self, worker: str, now: datetime | None = None) -> RightsRequest | None:
        """Take the verified request due soonest and start it; concurrent workers never get the same one.

        PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED); SQLite has one writer.
        """
        worker = _actor(worker, "worker")
        now = now or utcnow()
        with self._transaction() as (session, events):
            query = (
                select(RequestRecord)
                .where(RequestRecord.status == states.VERIFIED)
                .order_by(RequestRecord.due_at, RequestRecord.id)
                .limit(1)
            )
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            record = session.scalar(query)
            if record is None:
                return None
            record.assignee = worker
            record.claimed_by = worker
            self._set_status(session, events, record, states.IN_PROGRESS, worker, now, claimed=True)
            view = self._view(record)
        return view

    # -- verification ---------------------------------------------------------------------------
    def verify(self, reference: str, code: str, now: datetime | None = None) -> RightsRequest:
        """Prove control of the e-mail address with the code (or the link's token) from the mail."""
        now = now or utcnow()
        code = (code or "").strip().replace(" ", "")
        if not (_CODE.fullmatch(code) or _TOKEN.fullmatch(code)):
            raise VerificationError("the code is the 6 digits from the verification e-mail")
        failure: str | None = None
        with self._transaction() as (session, events):
            record = self._record(session, reference, lock=True)
            challenge = self._active_challenge(session, record, lock=True)
            if record.status != states.PENDING_VERIFICATION or challenge is None:
                raise VerificationError(f"{record.reference} is {record.status}; there is nothing to verify")
            if challenge.used_at is not None:
                raise VerificationError("this code has already been used")
            if challenge.expires_at <= now:
                raise VerificationError("this code has expired; ask for a new one")
            if challenge.attempts >= self.settings.verification_max_attempts:
                raise VerificationError("too many wrong codes; ask for a new one")
            digest = self.vault.digest(code)
            # Both comparisons always run, in constant time, whichever one matches.
            matches = hmac.compare_digest(digest, challenge.code_hash) | hmac.compare_digest(
                digest, challenge.token_hash
            )
            if matches:
                challenge.used_at = now
                self._set_status(session, events, record, states.VERIFIED, "requester", now, method="email")
                view = self._view(record)
            else:
                challenge.attempts += 1  # the rate limit is the only thing a wrong code changes
                left = self.settings.verification_max_attempts - challenge.attempts
                failure = (
                    f"that code is not right; {left} tries left"
                    if left
                    else "too many wrong codes; ask for a new one"
                )
        if failure:
            raise VerificationError(failure)
        return view

    def resend_verification(
        self, reference: str, actor: str = "requester", now: datetime | None = None
    ) -> RightsRequest:
        """A new code and link (the old ones stop working), at most ``verification_max_sends`` an hour.

        Raises ResendLimitError, saying when the next one may go, once the hour's mails are spent.
        """
        actor = _actor(actor)
        now = now or utcnow()
        with self._transaction() as (session, events):
            record = self._record(session, reference, lock=True)
            if record.status != states.PENDING_VERIFICATION:
                raise VerificationError(f"{record.reference} is {record.status}; there is nothing to verify")
            sent = session.scalars(
                select(VerificationCode.created_at)
                .where(
                    VerificationCode.request_id == record.id,
                    VerificationCode.created_at > now - timedelta(hours=1),
                )
                .order_by(VerificationCode.created_at)
            ).all()
            if len(sent) >= self.settings.verification_max_sends:
                retry_at = sent[-self.settings.verification_max_sends] + timedelta(hours=1)
                wait = max(1, math.ceil((retry_at - now).total_seconds()))
                raise ResendLimitError(
                    f"too many codes sent in the last hour; try again after {retry_at:%H:%M} UTC "
                    f"(in {math.ceil(wait / 60)} minute(s))",
                    retry_at,
                    wait,
                )
            self._challenge(session, record, now)
            self._audit(session, events, record, "code_resent", actor, now)
            view = self._view(record)
        return view

    def _active_challenge(
        self, session: Session, record: RequestRecord, lock: bool = False
    ) -> VerificationCode | None:
        query = (
            select(VerificationCode)
            .where(VerificationCode.request_id == record.id, VerificationCode.superseded.is_(False))
            .order_by(VerificationCode.id.desc())
            .limit(1)
        )
        if lock and self.dialect == "postgresql":
            query = query.with_for_update()
        return session.scalar(query)

    def _challenge(self, session: Session, record: RequestRecord, now: datetime) -> None:
        """A fresh code and link token, stored hashed, and their mail queued in the same transaction."""
        for old in session.scalars(
            select(VerificationCode).where(
                VerificationCode.request_id == record.id, VerificationCode.superseded.is_(False)
            )
        ):
            old.superseded = True
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(24)
        ttl = self.settings.verification_ttl_minutes
        session.add(
            VerificationCode(
                request_id=record.id,
                code_hash=self.vault.digest(code),
                token_hash=self.vault.digest(token),
                created_at=now,
                expires_at=now + timedelta(minutes=ttl),
                attempts=0,
                superseded=False,
            )
        )
        base = self.settings.public_base_url.rstrip("/")
        text = self.prompts.render(
            "verification_email",
            reference=record.reference,
            code=code,
            link=f"{base}/verify?ref={record.reference}&code={token}",
            minutes=ttl,
            rights=[RIGHT_LABELS[r] for r in record.rights],
            due_at=record.due_at.isoformat(),
        )
        subject, _, body = text.partition("\n")
        email = self.vault.decrypt(record.email_enc)
        self._enqueue(
            session,
            "email",
            {"to": email, "subject": subject.removeprefix("Subject:").strip(), "body": body.strip()},
            now,
        )

    # -- the outbox -----------------------------------------------------------------------------
    def _enqueue(self, session: Session, kind: str, payload: dict[str, Any], now: datetime) -> None:
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

    # -- the one place status changes, and the audit trail --------------------------------------
    def _set_status(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        status: str,
        actor: str,
        now: datetime,
        **detail: Any,
    ) -> None:
        states.check_transition(record.status, status)
        previous = record.status
        record.status = status
        record.updated_at = now
        self._audit(
            session, events, record, "status_changed", actor, now,
            **{"from": previous, "to": status, **{k: v for k, v in detail.items() if v is not None}},
        )  # fmt: skip

    def _audit(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        kind: str,
        actor: str,
        now: datetime,
        **detail: Any,
    ) -> None:
        # Sealed into the request's hash chain (audit.py), after the change it records.
        sealed = audit.append(self.vault, record, now, kind, actor, detail)
        session.add(sealed)
        event = AuditEvent(record.reference, kind, actor, now, sealed.detail)
        events.append(event)
        if self.settings.webhook_url:
            self._enqueue(
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

    def _record(self, session: Session, reference: str, lock: bool = False) -> RequestRecord:
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

    def _view(self, record: RequestRecord) -> RightsRequest:
        decrypt = self.vault.decrypt
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
            data_concerned=decrypt(record.data_concerned_enc),
            categories=list(record.categories or []),
            assignee=record.assignee,
            received_at=record.received_at,
            due_at=record.due_at,
            extension_months=record.extension_months,
            extension_reason=record.extension_reason,
        )

    @staticmethod
    def _event(reference: str, record: AuditRecord) -> AuditEvent:
        return AuditEvent(reference, record.kind, record.actor, record.at, dict(record.detail or {}))


def _actor(value: str, what: str = "actor") -> str:
    value = " ".join((value or "").split())
    if not value:
        raise RequestError(f"the {what} is required (who does this)")
    if len(value) > 200:
        raise RequestError(f"the {what} is too long; at most 200 characters")
    return value
