"""Conversation state and transcripts in the request database, encrypted like requester identity."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from assistant.requests.models import ConversationRecord, TranscriptMessage
from assistant.requests.queue import RequestQueue, utcnow


class ConversationStore:
    def __init__(self, queue: RequestQueue) -> None:
        self._sessions = queue._sessions
        self.vault = queue.vault

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
        """Add one message to the transcript, numbered after the last one."""
        now = now or utcnow()
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
                    text_enc=self.vault.encrypt(text) or "",
                    at=now,
                )
            )

    def transcript(self, conversation_id: str) -> list[tuple[datetime, str, str]]:
        """(when, role, text) for each kept message, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(TranscriptMessage)
                .where(TranscriptMessage.conversation_id == conversation_id)
                .order_by(TranscriptMessage.seq)
            )
            return [(r.at, r.role, self.vault.decrypt(r.text_enc) or "") for r in rows]

    def purge(self, retention_days: int, now: datetime | None = None) -> int:
        """Delete transcript messages older than ``retention_days``; returns how many went."""
        cutoff = (now or utcnow()) - timedelta(days=retention_days)
        with self._sessions() as session, session.begin():
            result = session.execute(delete(TranscriptMessage).where(TranscriptMessage.at < cutoff))
            return result.rowcount or 0
