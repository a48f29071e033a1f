"""Conversation state and transcripts in the request database, encrypted like requester identity."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.exceptions import ConversationBusyError
from assistant.requests.models import Base, ConversationRecord, TranscriptMessage
from assistant.requests.storage import RequestStorage, utcnow

_APPEND_TRIES = 10  # each round of a collision lets at least one writer through
# How long a turn holds its conversation at most. A holder on this machine that died is seen at once;
# one on another machine is waited out for this long. A turn running longer loses its hold.
TURN_HOLD = timedelta(seconds=30)
# A second turn of the same conversation waits this long for the first (past TURN_HOLD, so a dead
# holder's hold has lapsed) before answering "busy".
TURN_WAIT_SECONDS = 35.0
_TURN_POLL_SECONDS = 0.05


class ConversationStore:
    def __init__(self, storage: RequestStorage) -> None:
        self._sessions = storage.sessions
        self.vault = storage.vault

    def load(self, conversation_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            record = session.get(ConversationRecord, conversation_id)
            return json.loads(self.vault.decrypt(record.state_enc) or "{}") if record else None

    @contextmanager
    def turn(
        self, conversation_id: str, channel: str, wait_seconds: float = TURN_WAIT_SECONDS
    ) -> Iterator[dict[str, Any] | None]:
        """Hold the conversation for one turn, across threads and processes, and give its state as it is
        now (None for a new conversation). A second turn of it (a message sent twice, a retry landing on
        another web process) waits until this one has saved, so neither overwrites the other's state.

        The hold is a token and a time in the conversation's row, written in short transactions, so it
        works alike on SQLite and PostgreSQL and never keeps a transaction open while the turn runs."""
        token = f"{_this_process()}/{secrets.token_hex(8)}"
        deadline = time.monotonic() + wait_seconds
        while not self._hold(conversation_id, channel, token):
            if time.monotonic() >= deadline:
                raise ConversationBusyError(retry_after=5)
            time.sleep(_TURN_POLL_SECONDS)
        try:
            yield self.load(conversation_id) or None  # a new conversation's row holds no state yet
        finally:
            with self._sessions() as session, session.begin():
                session.execute(
                    update(ConversationRecord)
                    .where(ConversationRecord.id == conversation_id, ConversationRecord.turn_token == token)
                    .values(turn_token=None, turn_until=None)
                )

    def _hold(self, conversation_id: str, channel: str, token: str) -> bool:
        """Take the conversation for a turn unless another turn holds it: one whose hold has not lapsed
        and whose process, when it ran on this machine, still runs."""
        now = utcnow()
        with self._sessions() as session, session.begin():
            record = session.get(ConversationRecord, conversation_id, with_for_update=True)
            if record is not None:
                if (
                    record.turn_until is not None
                    and record.turn_until >= now
                    and not _gone(record.turn_token)
                ):
                    return False
                record.turn_token, record.turn_until = token, now + TURN_HOLD
                return True
        try:  # a new conversation: its row is made held, and of two first turns one makes it
            with self._sessions() as session, session.begin():
                session.add(
                    ConversationRecord(
                        id=conversation_id,
                        channel=channel,
                        state_enc=self.vault.encrypt("{}") or "",
                        created_at=now,
                        updated_at=now,
                        turn_token=token,
                        turn_until=now + TURN_HOLD,
                    )
                )
            return True
        except IntegrityError:
            return False

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

    def append(
        self,
        conversation_id: str,
        role: str,
        text: str,
        now: datetime | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add one message to the transcript, numbered after the last one; ``detail`` is what the
        channel showed besides the text (citations, buttons), encrypted like the text.

        Two turns of one conversation at once (a retried turn on another web process) may both read the
        same last number; on PostgreSQL the second insert then meets the unique (conversation, seq) and
        is numbered again, rather than failing the visitor's turn.
        """
        now = now or utcnow()
        text_enc = self.vault.encrypt(text) or ""
        detail_enc = self.vault.encrypt(json.dumps(detail, default=str)) if detail is not None else None
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
                            detail_enc=detail_enc,
                            at=now,
                        )
                    )
                return
            except IntegrityError:
                if attempt == _APPEND_TRIES - 1:
                    raise

    def transcript(self, conversation_id: str) -> list[tuple[datetime, str, str]]:
        """(when, role, text) for each kept message, oldest first."""
        return [(m.at, m.role, m.text) for m in self.messages(conversation_id)]

    def messages(self, conversation_id: str, since: datetime | None = None) -> list[Message]:
        """The messages kept (since ``since``), oldest first, each with what was shown besides its text."""
        query = select(TranscriptMessage).where(TranscriptMessage.conversation_id == conversation_id)
        if since is not None:
            query = query.where(TranscriptMessage.at >= since)
        with self._sessions() as session:
            return [
                Message(
                    r.at,
                    r.role,
                    self.vault.decrypt(r.text_enc) or "",
                    json.loads(self.vault.decrypt(r.detail_enc) or "null") if r.detail_enc else None,
                )
                for r in session.scalars(query.order_by(TranscriptMessage.seq))
            ]

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


def _this_process() -> str:
    """Who holds a turn: this machine (its name and process namespace) and this process's id."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:  # not Linux: the machine's name alone
        namespace = 0
    return f"{socket.gethostname()[:64]}/{namespace}/{os.getpid()}"


def _gone(token: str | None) -> bool:
    """Whether the turn holding ``token`` ran in a process of this machine that no longer runs (killed
    mid-turn): its hold need not be waited out."""
    machine, _, rest = (token or "").rpartition("/")[0].rpartition("/")
    if not rest.isdigit() or machine != _this_process().rpartition("/")[0]:
        return False  # another machine's process: its hold lapses on its own
    try:
        os.kill(int(rest), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


class Message(NamedTuple):
    at: datetime
    role: str  # "visitor" or "assistant"
    text: str
    detail: dict[str, Any] | None  # what the assistant's message showed besides its text


class ConversationPurge(NamedTuple):
    messages: int
    conversations: int


def count_rows(session: Session, table: type[Base], condition: ColumnElement[bool]) -> int:
    """How many rows of ``table`` meet ``condition``: what a purge's dry run reports."""
    return session.scalar(select(func.count()).select_from(table).where(condition)) or 0
