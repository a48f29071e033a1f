"""Conversation state and transcripts in the request database, encrypted like requester identity."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.requests.models import Base, ConversationRecord, TranscriptMessage
from assistant.requests.storage import RequestStorage, utcnow

_APPEND_TRIES = 10  # each round of a collision lets at least one writer through


class ConversationStore:
    def __init__(self, storage: RequestStorage) -> None:
        self._sessions = storage.sessions
        self.vault = storage.vault

    def load(self, conversation_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            record = session.get(ConversationRecord, conversation_id)
            return json.loads(self.vault.decrypt(record.state_enc) or "{}") if record else None

    def channel_of(self, conversation_id: str) -> str | None:
        """The channel a stored conversation belongs to; None when no conversation has this id."""
        with self._sessions() as session:
            return session.scalar(
                select(ConversationRecord.channel).where(ConversationRecord.id == conversation_id)
            )

    def save(
        self, conversation_id: str, channel: str, state: dict[str, Any], now: datetime | None = None
    ) -> None:
        now = now or utcnow()
        blob = self.vault.encrypt(json.dumps(state, sort_keys=True)) or ""
        with self._sessions() as session, session.begin():
            record = session.get(ConversationRecord, conversation_id, with_for_update=True)
            if record is None:
                session.add(
                    ConversationRecord(
                        id=conversation_id, channel=channel, state_enc=blob, created_at=now, updated_at=now
                    )
                )
            else:
                record.state_enc = blob
                record.updated_at = now

    def append(self, conversation_id: str, role: str, text: str, now: datetime | None = None) -> None:
        """Add one message to the transcript, numbered after the last one.

        Two turns of one conversation at once (a retried turn on another web process) may both read the
        same last number; on PostgreSQL the second insert then meets the unique (conversation, seq) and
        is numbered again, rather than failing the visitor's turn.
        """
        now = now or utcnow()
        text_enc = self.vault.encrypt(text) or ""
        for attempt in range(_APPEND_TRIES):
            try:
                with self._sessions() as session, session.begin():
                    last = session.scalar(
                        select(func.max(TranscriptMessage.seq)).where(
                            TranscriptMessage.conversation_id == conversation_id
                        )
                    )
                    session.add(
                        TranscriptMessage(
                            conversation_id=conversation_id,
                            seq=(last or 0) + 1,
                            role=role,
                            text_enc=text_enc,
                            at=now,
                        )
                    )
                return
            except IntegrityError:
                if attempt == _APPEND_TRIES - 1:
                    raise

    def transcript(self, conversation_id: str) -> list[tuple[datetime, str, str]]:
        """(when, role, text) for each kept message, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(TranscriptMessage)
                .where(TranscriptMessage.conversation_id == conversation_id)
                .order_by(TranscriptMessage.seq)
            )
            return [(r.at, r.role, self.vault.decrypt(r.text_enc) or "") for r in rows]

    def purge(
        self, retention_days: int, now: datetime | None = None, dry_run: bool = False
    ) -> ConversationPurge:
        """Delete transcript messages older than ``retention_days``, and the state (name, e-mail, the
        draft) of every conversation idle as long with no message left; with ``dry_run`` only count."""
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        old_messages = TranscriptMessage.at < cutoff
        recent_message = (
            select(TranscriptMessage.id)
            .where(TranscriptMessage.conversation_id == ConversationRecord.id, TranscriptMessage.at >= cutoff)
            .exists()
        )
        idle = (ConversationRecord.updated_at < cutoff) & ~recent_message
        with self._sessions() as session, session.begin():
            if dry_run:
                return ConversationPurge(
                    count_rows(session, TranscriptMessage, old_messages),
                    count_rows(session, ConversationRecord, idle),
                )
            messages = session.execute(delete(TranscriptMessage).where(old_messages)).rowcount or 0
            states = session.execute(delete(ConversationRecord).where(idle)).rowcount or 0
            return ConversationPurge(messages, states)


class ConversationPurge(NamedTuple):
    messages: int
    conversations: int


def count_rows(session: Session, table: type[Base], condition: ColumnElement[bool]) -> int:
    """How many rows of ``table`` meet ``condition``: what a purge's dry run reports."""
    return session.scalar(select(func.count()).select_from(table).where(condition)) or 0
