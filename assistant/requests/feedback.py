"""What visitors think of the answers, and the questions the assistant declined: the raw material of the
knowledge-gaps report (gaps.py), kept without personal data.

Every answer given on a visitor's channel is logged under an opaque id that goes out with the answer. A
vote names that id, so only an answer the assistant really gave can be rated, and a second vote on it
replaces the first. A row holds the question as ``redact`` leaves it (no e-mail, phone or code), the
sections the answer cited, whether it declined, the vote, its redacted reason, the channel and the
times: never a conversation id, an address or a Slack user. Rows go after ``feedback_retention_days``;
an answered question nobody rated goes after ``VOTE_WINDOW``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select

from assistant.exceptions import InvalidInputError, UnknownAnswerError
from assistant.redaction import redact
from assistant.requests.conversations import count_rows
from assistant.requests.models import AnswerRecord
from assistant.requests.storage import RequestStorage, utcnow

if TYPE_CHECKING:
    from assistant.answering.compose import Answer

# Where visitors and employees read answers and may rate them. The CLI is the team's own, and /api/ask
# is what the eval harness and load tests drive: their questions are no visitor's gaps.
FEEDBACK_CHANNELS = ("web", "slack")
VOTES = ("up", "down")
MAX_REASON_CHARS = 500
# A visitor rates an answer while reading it (the widget keeps a conversation for the tab's life, a
# Slack thread's buttons are pressed the same day). After this, an answer nobody rated tells the team
# nothing, so its question is not kept; and a vote on it is refused as on an unknown answer.
VOTE_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Rating:
    """A visitor's vote on one answer, as it now stands."""

    answer_id: str
    vote: str
    reason: str | None
    voted_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "voted_at": self.voted_at.isoformat()}


@dataclass(frozen=True)
class GapQuestion:
    """A question the assistant declined, or whose answer a visitor marked unhelpful."""

    question: str
    declined: bool
    reason: str | None
    sections: tuple[str, ...]  # what the unhelpful answer cited, "document § section"
    channel: str
    at: datetime


class FeedbackStore:
    def __init__(self, storage: RequestStorage) -> None:
        self._sessions = storage.sessions

    def issue(self, answer: Answer, channel: str, now: datetime | None = None) -> str:
        """Log ``answer`` as given on ``channel``; returns the id a vote on it names."""
        if channel not in FEEDBACK_CHANNELS:
            raise InvalidInputError(f"answers are rated on {', '.join(FEEDBACK_CHANNELS)}, not {channel!r}")
        answer_id = secrets.token_urlsafe(16)
        with self._sessions() as session, session.begin():
            session.add(
                AnswerRecord(
                    answer_id=answer_id,
                    channel=channel,
                    question=redact(answer.question),
                    answerable=answer.answerable,
                    sections=[
                        {"document": c.document, "version": c.version, "section": c.section}
                        for c in answer.citations
                    ],
                    given_at=now or utcnow(),
                )
            )
        return answer_id

    def rate(
        self,
        answer_id: str,
        vote: str,
        reason: str | None = None,
        channels: tuple[str, ...] = FEEDBACK_CHANNELS,
        now: datetime | None = None,
    ) -> Rating:
        """Record ``vote`` ("up" or "down") on an answer given on one of ``channels``, replacing any vote
        on it before; the reason is redacted. UnknownAnswerError for an id not given there or too old."""
        if vote not in VOTES:
            raise InvalidInputError(f"the vote is 'up' or 'down', not {vote!r}")
        reason = " ".join((reason or "").split()) or None
        if reason and len(reason) > MAX_REASON_CHARS:
            raise InvalidInputError(
                f"the reason is {len(reason):,} characters long; write at most {MAX_REASON_CHARS}"
            )
        now = now or utcnow()
        with self._sessions() as session, session.begin():
            record = session.scalar(
                select(AnswerRecord).where(AnswerRecord.answer_id == answer_id).with_for_update()
            )
            if record is None or record.channel not in channels or record.given_at < now - VOTE_WINDOW:
                raise UnknownAnswerError(
                    "no answer with this id can be rated here: send the answer_id that came with an "
                    f"answer, within {VOTE_WINDOW.days} day of it"
                )
            record.vote, record.reason, record.voted_at = vote, redact(reason) if reason else None, now
            return Rating(answer_id, vote, record.reason, now)

    def gap_questions(self, since: datetime, limit: int | None = None) -> list[GapQuestion]:
        """The questions declined, or whose answer was voted down, since ``since``; newest first, at
        most ``limit``."""
        with self._sessions() as session:
            rows = session.scalars(
                select(AnswerRecord)
                .where(
                    AnswerRecord.given_at >= since,
                    or_(AnswerRecord.answerable.is_(False), AnswerRecord.vote == "down"),
                )
                .order_by(AnswerRecord.given_at.desc(), AnswerRecord.id.desc())
                .limit(limit)
            )
            return [
                GapQuestion(
                    question=r.question,
                    declined=not r.answerable,
                    reason=r.reason,
                    sections=() if not r.answerable else tuple(_section(s) for s in r.sections),
                    channel=r.channel,
                    at=r.given_at,
                )
                for r in rows
            ]

    def purge(self, retention_days: int, now: datetime | None = None, dry_run: bool = False) -> int:
        """Delete what is older than ``retention_days``, and answered questions nobody rated within
        ``VOTE_WINDOW``; returns how many rows went (with ``dry_run``: would go)."""
        now = now or utcnow()
        expired = or_(
            AnswerRecord.given_at < now - timedelta(days=retention_days),
            AnswerRecord.answerable.is_(True)
            & AnswerRecord.vote.is_(None)
            & (AnswerRecord.given_at < now - VOTE_WINDOW),
        )
        with self._sessions() as session, session.begin():
            if dry_run:
                return count_rows(session, AnswerRecord, expired)
            return session.execute(delete(AnswerRecord).where(expired)).rowcount or 0


def _section(cited: dict[str, str]) -> str:
    return f"{cited['document']} § {cited['section']}"
