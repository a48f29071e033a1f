"""``RequestQueue``: the DSAR queue the privacy team works, over SQLite or PostgreSQL.

Submitting, reading and the team's work on a request live here; the rooms it is built from are
``storage.py`` (the database, the vault and the unit of work every change goes through),
``verification.py`` (codes and links), ``audit.py`` (the hash chain), ``outbox.py`` (the worker that
delivers mail and webhook events after commit) and ``export.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.exceptions import InvalidTransitionError, RequestError
from assistant.intake.draft import ON_BEHALF_OF, RequestDraft
from assistant.intake.fields import valid_email
from assistant.intake.rights import BY_NAME, RIGHTS
from assistant.prompts import Prompts
from assistant.requests import states
from assistant.requests.export import export_requests
from assistant.requests.fulfilment import Fulfilment
from assistant.requests.laws import Jurisdiction, Jurisdictions, Period
from assistant.requests.lookup import BlindIndex, email_term, name_terms, query_terms
from assistant.requests.members import Members
from assistant.requests.models import IdentityTerm, ReferenceCounter, RequestRecord
from assistant.requests.notices import RequesterMessages
from assistant.requests.reporting import QueueReport, queue_report
from assistant.requests.storage import (
    CHANNELS,
    REFERENCE,
    TEAM_CHANNELS,
    AuditEvent,
    Listener,
    RequestStorage,
    RightsRequest,
    actor_name,
    utcnow,
)
from assistant.requests.verification import Verification
from assistant.settings import Settings

# How the team checked, for a request it logged, that the requester is who they say.
VERIFICATION_METHODS = (
    "id_document",
    "account_details",
    "signed_letter",
    "phone_callback",
    "in_person",
    "agent_authorisation",
)
US_STATE_LAW = "ccpa"  # a request for US state rights alone is answered under California's clock


@dataclass(frozen=True)
class Submission:
    request: RightsRequest
    created: bool  # False when the idempotency key had already made this request


def check_rights(rights: list[str], allow_none: bool = False) -> list[str]:
    """``rights`` in the taxonomy's order, each known; none only for a request that awaits triage."""
    unknown = [r for r in rights if r not in RIGHTS]
    if unknown:
        raise RequestError(f"unknown right {unknown[0]!r}; use one of: {', '.join(RIGHTS)}")
    if not rights and not allow_none:
        raise RequestError(f"name at least one right: {', '.join(RIGHTS)}")
    return [r for r in RIGHTS if r in rights]


def extensions_in(trail: list[AuditEvent]) -> list[dict[str, Any]]:
    """The extensions in a request's trail, oldest first, each with who made it, when and why: the
    trail keeps them all, where the request itself holds only the latest reason."""
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "length": e.detail.get("length") or f"{e.detail.get('months')} months",
            "reason": e.detail.get("reason"),
            "due_at": e.detail.get("due_at"),
        }
        for e in trail
        if e.kind == "extended"
    ]


class RequestQueue:
    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        self.settings = settings
        self.prompts = prompts
        self.laws = Jurisdictions.load(settings.jurisdictions_file)
        self.laws[settings.jurisdiction]  # a clear error at start-up for an unknown default
        self.storage = RequestStorage(settings)
        self.messages = RequesterMessages(self.storage, prompts, self.laws)
        self.verification = Verification(self.storage, prompts, self.messages)
        self.engine, self.vault = self.storage.engine, self.storage.vault
        self.members = Members(self.storage)
        self.index = BlindIndex(self.vault)
        self.fulfilment = Fulfilment(self.storage, prompts)

    def law_for(self, rights: list[str], jurisdiction: str | None = None) -> Jurisdiction:
        """The law a request is answered under: the one named, else the configured default, except that
        a request only for rights no GDPR article grants goes under the US state law."""
        if jurisdiction:
            return self.laws[jurisdiction]
        if rights and not any(BY_NAME[r].gdpr for r in rights if r in BY_NAME):
            return self.laws[US_STATE_LAW]
        return self.laws[self.settings.jurisdiction]

    @property
    def dialect(self) -> str:
        return self.storage.dialect

    def close(self) -> None:
        self.storage.close()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every audit event after its transaction commits; returns unsubscribe."""
        return self.storage.subscribe(listener)

    # -- submitting -----------------------------------------------------------------------------
    def submit(
        self,
        draft: RequestDraft,
        idempotency_key: str,
        channel: str = "web",
        now: datetime | None = None,
        jurisdiction: str | None = None,
    ) -> Submission:
        """Put ``draft`` on the queue once: the same ``idempotency_key`` again returns the first request.

        The request starts in pending_verification and a verification mail is queued in the same
        transaction.
        """
        self._check_draft(draft, idempotency_key, channel)
        law = self.law_for(draft.rights, jurisdiction)
        now = now or utcnow()

        def make(session: Session, events: list[AuditEvent]) -> RequestRecord:
            record = self._record(session, draft, idempotency_key, channel, now, law, now)
            self.storage.audit(session, events, record, "submitted", "requester", now, channel=channel)
            self._index(session, events, record, draft, "requester", now)
            self.verification.challenge(session, record, now)
            return record

        return self._once(idempotency_key, make)

    def log_received(
        self,
        draft: RequestDraft,
        channel: str,
        received_at: datetime | date,
        actor: str,
        verified_by: str | None = None,
        jurisdiction: str | None = None,
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """A request the team received by post, phone, e-mail, in person or a web form, put on the
        queue by ``actor``. The clock starts at ``received_at``; an e-mail address is optional (a
        letter may have none). ``verified_by`` says how the team already checked who the requester is,
        and starts the request verified; otherwise the team verifies it later (``verify_identity``).
        The requester is told it was received, when there is an address to tell."""
        actor = actor_name(actor)
        now = now or utcnow()
        if channel not in TEAM_CHANNELS:
            raise RequestError(
                f"unknown channel {channel!r}; a logged request came by: {', '.join(TEAM_CHANNELS)}"
            )
        received = (
            received_at if isinstance(received_at, datetime) else datetime.combine(received_at, now.timetz())
        )
        if received.tzinfo is None:
            raise RequestError("give the time received with its time zone, or just the date")
        if received > now or received < now - timedelta(days=366):
            raise RequestError("the date received must be within the last year, and not in the future")
        if verified_by is not None and verified_by not in VERIFICATION_METHODS:
            raise RequestError(
                f"unknown verification method {verified_by!r}; use one of: {', '.join(VERIFICATION_METHODS)}"
            )
        check_rights(draft.rights, allow_none=True)
        if draft.email and not valid_email(draft.email):
            raise RequestError(
                f"{draft.email!r} is not an e-mail address; give one like name@example.com, or none"
            )
        if draft.on_behalf_of not in ON_BEHALF_OF:
            raise RequestError(f"on_behalf_of must be one of: {', '.join(ON_BEHALF_OF)}")
        missing = [f for f in draft.refresh_missing().missing if f not in ("email", "rights")]
        if missing:
            raise RequestError(f"the request is missing: {', '.join(missing)}")
        key = idempotency_key or f"team:{secrets.token_hex(16)}"
        if len(key) > 128:
            raise RequestError("an idempotency key is at most 128 characters")
        law = self.law_for(draft.rights, jurisdiction)

        def make(session: Session, events: list[AuditEvent]) -> RequestRecord:
            record = self._record(session, draft, key, channel, received, law, now)
            self.storage.audit(
                session, events, record, "submitted", actor, now,
                channel=channel, received_at=received.isoformat(),
            )  # fmt: skip
            self._index(session, events, record, draft, actor, now)
            if verified_by:
                self.storage.set_status(
                    session, events, record, states.VERIFIED, actor, now, method=verified_by
                )
            self.messages.send(
                session, events, record, "received", actor, now,
                channel=channel, received_on=received.date().isoformat(), verified=bool(verified_by),
            )  # fmt: skip
            return record

        return self._once(key, make)

    def _once(self, key: str, make: Callable[[Session, list[AuditEvent]], RequestRecord]) -> Submission:
        """The request ``make`` creates in one transaction, unless ``key`` already made one: then that."""
        existing = self.find(key)
        if existing is not None:
            return Submission(existing, created=False)
        try:
            with self.storage.transaction() as (session, events):
                view = self.storage.view(make(session, events))
        except IntegrityError:
            # Another worker committed the same key between our check and our insert.
            existing = self.find(key)
            if existing is None:
                raise
            return Submission(existing, created=False)
        return Submission(view, created=True)

    def verify_identity(
        self, reference: str, method: str, actor: str, note: str | None = None, now: datetime | None = None
    ) -> RightsRequest:
        """The team has checked who the requester is (``method``): the request is verified, any code
        still out stops working, and the requester is told."""
        actor = actor_name(actor)
        if method not in VERIFICATION_METHODS:
            raise RequestError(
                f"unknown verification method {method!r}; use one of: {', '.join(VERIFICATION_METHODS)}"
            )
        now = now or utcnow()
        with self.storage.transaction() as (session, events):
            record = self.storage.record(session, reference, lock=True)
            if record.status != states.PENDING_VERIFICATION:
                raise InvalidTransitionError(
                    f"{record.reference} is {record.status}; there is nothing to verify"
                )
            self.verification.void_codes(session, record)
            self.storage.set_status(
                session, events, record, states.VERIFIED, actor, now, method=method, note=note or None
            )
            self.messages.on_status(session, events, record, actor, now)
            view = self.storage.view(record)
        return view

    def _record(
        self,
        session: Session,
        draft: RequestDraft,
        key: str,
        channel: str,
        received: datetime,
        law: Jurisdiction,
        now: datetime,
    ) -> RequestRecord:
        """A new request row, numbered, added to ``session``."""
        record = RequestRecord(
            reference=self._next_reference(session, received.year),
            idempotency_key=key,
            rights=list(draft.rights),
            categories=list(draft.categories),
            on_behalf_of=draft.on_behalf_of,
            channel=channel,
            status=states.PENDING_VERIFICATION,
            received_at=received,
            jurisdiction=law.code,
            due_at=law.due(received.date()),
            extension_months=0,
            extension_days=0,
            name_enc=self.vault.encrypt(draft.name),
            email_enc=self.vault.encrypt((draft.email or "").strip().lower()),
            phone_enc=self.vault.encrypt(draft.phone),
            subject_name_enc=self.vault.encrypt(draft.subject_name),
            subject_email_enc=self.vault.encrypt(draft.subject_email),
            language=draft.language,
            data_concerned_enc=self.vault.encrypt(draft.data_concerned),
            updated_at=now,
        )
        session.add(record)
        session.flush()
        return record

    def _index(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        draft: RequestDraft,
        actor: str,
        now: datetime,
    ) -> None:
        """Index who made ``record`` (lookup.py), and link it to an open request the same person made
        before: the same e-mail address, or, without one, the same whole name."""
        self.index.write(
            session,
            record,
            self.index.terms_of(draft.name, draft.email, draft.subject_name, draft.subject_email),
        )
        if draft.email:
            same = self.index.digest(email_term(draft.email))
        elif draft.name:
            same = self.index.digest(name_terms(draft.name)[0])
        else:
            return
        earlier = session.scalar(
            select(RequestRecord.reference)
            .join(IdentityTerm, IdentityTerm.request_id == RequestRecord.id)
            .where(
                IdentityTerm.digest == same,
                RequestRecord.id != record.id,
                RequestRecord.status.in_(states.OPEN_STATUSES),
            )
            .order_by(RequestRecord.id)
            .limit(1)
        )
        if earlier:
            record.duplicate_of = earlier
            self.storage.audit(session, events, record, "possible_duplicate", actor, now, of=earlier)

    def _check_draft(self, draft: RequestDraft, idempotency_key: str, channel: str) -> None:
        check_rights(draft.rights, allow_none=draft.triage)
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
        with self.storage.sessions() as session:
            return self.storage.view(self.storage.record(session, reference))

    def find(self, idempotency_key: str) -> RightsRequest | None:
        """The request an idempotency key made, if it made one."""
        with self.storage.sessions() as session:
            record = session.scalar(
                select(RequestRecord).where(RequestRecord.idempotency_key == idempotency_key)
            )
            return self.storage.view(record) if record else None

    def list(
        self,
        status: str | list[str] | None = None,
        due_before: date | None = None,
        overdue: bool = False,
        assignee: str | None = None,
        today: date | None = None,
        identity: bool = True,
    ) -> list[RightsRequest]:
        """Requests, soonest due first; filters combine. ``identity=False``: without who made them
        (nothing decrypted), for counts, charts and Slack's cards."""
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
        with self.storage.sessions() as session:
            return [self.storage.view(r, identity) for r in session.scalars(query)]

    def search(self, text: str) -> list[RightsRequest]:
        """Requests by reference, by an e-mail address (the requester's or the data subject's), or by
        name (every word given must match a word of the name), soonest due first; through the blind
        index, so identity is never searched in clear."""
        text = " ".join((text or "").split())
        if not text or len(text) > 254:
            raise RequestError("search for a reference, an e-mail address or a name (at most 254 characters)")
        if REFERENCE.fullmatch(text.upper()):
            with self.storage.sessions() as session:
                found = session.scalar(select(RequestRecord).where(RequestRecord.reference == text.upper()))
                return [self.storage.view(found)] if found else []
        terms = query_terms(text)
        if not terms:
            raise RequestError(f"{text!r} has no name or address to search for")
        digests = [self.index.digest(t) for t in terms]
        with self.storage.sessions() as session:
            query = (
                select(RequestRecord)
                .where(RequestRecord.id.in_(self.index.matching(digests)))
                .order_by(RequestRecord.due_at, RequestRecord.id)
            )
            return [self.storage.view(r) for r in session.scalars(query)]

    def closing_days(self) -> dict[str, date]:
        """The day each closed request closed, by reference: a closed request never changes again, so
        its last update is its closing (reporting.py and retention.py count on the same)."""
        with self.storage.sessions() as session:
            rows = session.execute(
                select(RequestRecord.reference, RequestRecord.updated_at).where(
                    RequestRecord.status.not_in(states.OPEN_STATUSES)
                )
            )
            return {reference: updated.date() for reference, updated in rows}

    def report(self, since: date | None = None, now: datetime | None = None) -> QueueReport:
        """Median days to close and the share closed on time, overall and by right, channel and law."""
        return queue_report(self.storage, since, now)

    def events(self, reference: str) -> list[AuditEvent]:
        """The audit trail of one request, oldest first."""
        with self.storage.sessions() as session:
            record = self.storage.record(session, reference)
            return [AuditEvent.of(record.reference, e) for e in record.events]

    def count(self) -> int:
        with self.storage.sessions() as session:
            return session.scalar(select(func.count()).select_from(RequestRecord)) or 0

    def export(self, fmt: str, actor: str, **filters: Any) -> str:
        """The listed requests as JSON or CSV, identity included: for the privacy team only. The team
        log records who exported how many rows (``members.py``)."""
        fields = [*list(RightsRequest.__dataclass_fields__), "overdue", "needs_triage", "authority_to_check"]
        rows = [r.to_dict() for r in self.list(**filters)]
        text = export_requests(rows, fields, fmt)
        self.members.record_export(actor_name(actor), fmt, len(rows), filters)
        return text

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
        actor = actor_name(actor)
        now = now or utcnow()
        with self.storage.transaction() as (session, events):
            record = self.storage.record(session, reference, lock=True)
            if only_from is not None and record.status != only_from:
                raise InvalidTransitionError(f"{record.reference} is {record.status}, no longer {only_from}")
            states.check_transition(record.status, status)
            if (
                status == states.REJECTED
                and not (note or "").strip()
                and self.messages.address_verified(record)
            ):
                raise RequestError("a rejection needs a reason in the note: the requester is told it")
            self.storage.set_status(session, events, record, status, actor, now, note=note)
            link = None
            if status == states.COMPLETED and self.messages.address_verified(record):
                link = self.fulfilment.issue_link(session, record, now)
            self.messages.on_status(session, events, record, actor, now, note=note, delivers_data=bool(link))
            if link:
                hours = self.settings.package_link_hours
                self.messages.send(
                    session, events, record, "package_ready", actor, now,
                    link=self.fulfilment.link_url(record.reference, link), hours=hours,
                )  # fmt: skip
            view = self.storage.view(record)
        return view

    @contextmanager
    def _open(self, reference: str, doing: str) -> Iterator[tuple[Session, list[AuditEvent], RequestRecord]]:
        """The open request ``reference``, locked in a transaction, for the team to change."""
        with self.storage.transaction() as (session, events):
            record = self.storage.record(session, reference, lock=True)
            if record.status not in states.OPEN_STATUSES:
                raise RequestError(f"{reference} is {record.status}; only open requests can be {doing}")
            yield session, events, record

    def assign(self, reference: str, assignee: str, actor: str, now: datetime | None = None) -> RightsRequest:
        actor, assignee = actor_name(actor), actor_name(assignee, "assignee")
        now = now or utcnow()
        with self._open(reference, "assigned") as (session, events, record):
            previous = record.assignee
            record.assignee = assignee
            record.updated_at = now
            self.storage.audit(
                session, events, record, "assigned", actor, now, assignee=assignee, previous=previous
            )
            view = self.storage.view(record)
        return view

    def extend(
        self,
        reference: str,
        reason: str,
        actor: str,
        length: Period | str | None = None,
        now: datetime | None = None,
    ) -> RightsRequest:
        """Push the due date out by ``length`` ("2 months", "45 days"; default: all its law allows),
        recording why. Each law says how far, and by when: never after the first deadline."""
        actor = actor_name(actor)
        reason = " ".join((reason or "").split())
        if not reason:
            raise RequestError("an extension needs a reason (the requester is told why)")
        if len(reason) > 1000:
            raise RequestError("the reason is too long; keep it under 1000 characters")
        now = now or utcnow()
        with self._open(reference, "extended") as (session, events, record):
            law = self.laws[record.jurisdiction]
            if law.extension is None:
                raise RequestError(f"{law.name} allows no extension ({law.citation})")
            extended = law.used(record.extension_months, record.extension_days)
            if isinstance(length, str):
                period = Period.parse(length)
            else:
                period = length or Period(max(law.extension.count - extended, 1), law.extension.unit)
            law.check_extension(period, extended, record.received_at.date(), now.date())
            if period.unit == "months":
                record.extension_months += period.count
            else:
                record.extension_days += period.count
            record.extension_reason = reason
            record.due_at = law.due(record.received_at.date(), extended + period.count)
            record.updated_at = now
            self.storage.audit(
                session, events, record, "extended", actor, now,
                length=str(period), reason=reason, due_at=record.due_at.isoformat(),
            )  # fmt: skip
            self.messages.send(
                session, events, record, "extended", actor, now, length=str(period), reason=reason
            )
            view = self.storage.view(record)
        return view

    def set_jurisdiction(
        self, reference: str, jurisdiction: str, actor: str, now: datetime | None = None
    ) -> RightsRequest:
        """Answer an open request under another law; its due date is worked out again from receipt."""
        actor = actor_name(actor)
        law = self.laws[jurisdiction]
        now = now or utcnow()
        with self._open(reference, "moved to another law") as (session, events, record):
            if record.extension_months or record.extension_days:
                raise RequestError(f"{reference} is already extended under its law; it cannot change law now")
            previous = record.jurisdiction
            record.jurisdiction = law.code
            record.due_at = law.due(record.received_at.date())
            record.updated_at = now
            self.storage.audit(
                session, events, record, "jurisdiction_set", actor, now,
                jurisdiction=law.code, previous=previous, due_at=record.due_at.isoformat(),
            )  # fmt: skip
            view = self.storage.view(record)
        return view

    def extensions(self, reference: str) -> list[dict[str, Any]]:
        """Every extension of a request, oldest first (``extensions_in`` its trail)."""
        return extensions_in(self.events(reference))

    def classify(
        self, reference: str, rights: list[str], actor: str, now: datetime | None = None
    ) -> RightsRequest:
        """Say which rights an open request asks for: the triage of one nobody could classify, or a
        correction of what was read."""
        actor = actor_name(actor)
        rights = check_rights(rights)
        now = now or utcnow()
        with self._open(reference, "classified") as (session, events, record):
            previous = list(record.rights)
            record.rights = rights
            record.updated_at = now
            self.storage.audit(
                session, events, record, "classified", actor, now, rights=rights, previous=previous
            )
            view = self.storage.view(record)
        return view

    def claim_next(self, worker: str, now: datetime | None = None) -> RightsRequest | None:
        """Take the verified request due soonest and start it; concurrent workers never get the same one.

        PostgreSQL skips rows another worker holds (FOR UPDATE SKIP LOCKED); SQLite has one writer.
        """
        worker = actor_name(worker, "worker")
        now = now or utcnow()
        with self.storage.transaction() as (session, events):
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
            self.storage.set_status(session, events, record, states.IN_PROGRESS, worker, now, claimed=True)
            view = self.storage.view(record)
        return view

    # -- verification (verification.py) ---------------------------------------------------------
    def verify(self, reference: str, code: str, now: datetime | None = None) -> RightsRequest:
        """Prove control of the e-mail address with the code (or the link's token) from the mail."""
        return self.verification.verify(reference, code, now)

    def resend_verification(
        self, reference: str, actor: str = "requester", now: datetime | None = None
    ) -> RightsRequest:
        """A new code and link, at most ``verification_max_sends`` an hour (else ResendLimitError)."""
        return self.verification.resend(reference, actor, now)
