"""The tables of the request database (SQLAlchemy 2). Identity columns hold ciphertext, never plain text.

The same database keeps conversation state and transcripts, so a dialogue survives a restart on any
worker; those tables are here because one Alembic history owns the whole schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores no time zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; the request database stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class RequestRecord(Base):
    """One DSAR on the queue."""

    __tablename__ = "rights_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # DSAR-2026-000123
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    rights: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    on_behalf_of: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[date] = mapped_column(Date, index=True)
    jurisdiction: Mapped[str] = mapped_column(String(16), default="gdpr")  # laws.py (migration 0008)
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)  # for laws counting days (0008)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # Ciphertext (Fernet) of the requester's identity and of their own words about the data.
    name_enc: Mapped[str | None] = mapped_column(Text)
    email_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    subject_name_enc: Mapped[str | None] = mapped_column(Text)
    subject_email_enc: Mapped[str | None] = mapped_column(Text)  # migration 0006
    language: Mapped[str] = mapped_column(String(8), default="en")  # the requester's (migration 0007)
    data_concerned_enc: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The head of the request's audit chain (assistant/requests/audit.py): its newest event.
    audit_seq: Mapped[int | None] = mapped_column(Integer)
    audit_head: Mapped[str | None] = mapped_column(String(64))
    # An open request the same person made before this one (lookup.py): a possible duplicate (0010).
    duplicate_of: Mapped[str | None] = mapped_column(String(20))
    # Set when the retention period after closing erased the identity (email_enc then holds "").
    identity_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list[AuditRecord]] = relationship(back_populates="request", order_by="AuditRecord.id")


class AuditRecord(Base):
    """One thing that happened to a request. Rows are only ever inserted (triggers refuse the rest)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_chain", "request_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))  # submitted, verified, assigned, transitioned, ...
    actor: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The chain (assistant/requests/audit.py): place in the request's trail, the seal before this one,
    # the request's audited columns after the change, and this event's seal.
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    hash: Mapped[str | None] = mapped_column(String(64))

    request: Mapped[RequestRecord] = relationship(back_populates="events")


class ReferenceCounter(Base):
    """The last reference number handed out in a year; DSAR numbers restart each year."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class VerificationCode(Base):
    """The proof-of-address challenge for one request: a short code and a link token, both hashed."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded: Mapped[bool] = mapped_column(default=False)


class OutboxMessage(Base):
    """A message to deliver after commit (verification mail, webhook event), retried with back-off until
    it goes or its attempts run out."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "email" or "webhook"
    payload_enc: Mapped[str] = mapped_column(Text)  # encrypted JSON: it may hold an address or a code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # given up after the last attempt
    last_error: Mapped[str | None] = mapped_column(Text)  # redacted: no address or code


class ConversationRecord(Base):
    """Where a dialogue stands: its stage and the draft being taken (encrypted, it holds identity)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    state_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The turn running now, if any (``ConversationStore.turn``): its token, and when its hold lapses.
    turn_token: Mapped[str | None] = mapped_column(String(128), nullable=True)
    turn_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TranscriptMessage(Base):
    """One message of a conversation, kept only for the configured retention period."""

    __tablename__ = "transcript_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # "visitor" or "assistant"
    text_enc: Mapped[str] = mapped_column(Text)
    # What the assistant's message showed besides its text (citations, the answer's id, the buttons),
    # so a reloaded widget draws the conversation again (0013); None for a visitor's message.
    detail_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class IdentityTerm(Base):
    """One keyed hash of who made a request (an address, a name, a word of it): the blind index that finds
    requests by requester without identity in clear (lookup.py). Deleted with the identity."""

    __tablename__ = "identity_terms"
    __table_args__ = (UniqueConstraint("request_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)


class TeamMemberRecord(Base):
    """Someone on the privacy team, with a role (members.py); removed members stay, for the trail."""

    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # as the audit trail names them
    role: Mapped[str] = mapped_column(String(16))  # viewer, handler, admin
    slack_user: Mapped[str | None] = mapped_column(String(32), unique=True)  # their Slack id (0012)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MemberTokenRecord(Base):
    """A member's API credential: only its SHA-256 is kept; the token is shown once, when issued."""

    __tablename__ = "member_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("team_members.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TeamLogRecord(Base):
    """What the team did outside any one request: exports, members and tokens. Append-only."""

    __tablename__ = "team_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # export, member_added, token_issued, ...
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DataPackageRecord(Base):
    """The data the team hands a requester for an access or portability request, encrypted at rest and
    emptied after the retention period (fulfilment.py)."""

    __tablename__ = "data_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_enc: Mapped[str | None] = mapped_column(Text)  # None once purged
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DownloadLinkRecord(Base):
    """The requester's single-use, expiring link to a package, and the code that re-verifies them before
    it opens; both kept only as keyed hashes."""

    __tablename__ = "download_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("data_packages.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    code_hash: Mapped[str | None] = mapped_column(String(64))
    codes_sent: Mapped[int] = mapped_column(Integer, default=0)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AnswerRecord(Base):
    """An answer given on a visitor's channel, under the opaque id that went out with it, and the
    visitor's vote on it (feedback.py). Nothing here names a person: the question is redacted and no
    conversation, address or Slack user is kept."""

    __tablename__ = "answers_given"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)  # after redaction.redact: no e-mail, phone or code
    answerable: Mapped[bool] = mapped_column(Boolean)  # False: the assistant declined
    sections: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # document, version, section cited
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    vote: Mapped[str | None] = mapped_column(String(8))  # "up" or "down"; a later vote replaces it
    reason: Mapped[str | None] = mapped_column(Text)  # redacted, at most MAX_REASON_CHARS
    voted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
