"""Requests nobody ever verified: closed, not left pending forever.

A request whose e-mail address was not confirmed within ``unverified_close_days`` of its last code
(a resend starts the wait again) is rejected, as the life cycle has it ("the requester cannot be
verified"), with an audit event saying why. ``requests close-unverified`` runs it, e.g. daily from cron.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from assistant.exceptions import InvalidTransitionError
from assistant.requests import states
from assistant.requests.models import RequestRecord, VerificationCode
from assistant.requests.queue import RequestQueue
from assistant.requests.storage import utcnow

SWEEPER = "privacy-assistant (unverified sweep)"


def close_unverified(queue: RequestQueue, days: int, now: datetime | None = None) -> list[str]:
    """Reject the requests still pending verification ``days`` after their last code; their references.

    ``days`` of 0 closes nothing. A request verified (or closed) while the sweep runs is left as it is.
    """
    if days <= 0:
        return []
    now = now or utcnow()
    last_code = (
        select(func.max(VerificationCode.created_at))
        .where(VerificationCode.request_id == RequestRecord.id)
        .scalar_subquery()
    )
    query = (
        select(RequestRecord.reference)
        .where(
            RequestRecord.status == states.PENDING_VERIFICATION,
            func.coalesce(last_code, RequestRecord.received_at) < now - timedelta(days=days),
        )
        .order_by(RequestRecord.id)
    )
    with queue.storage.sessions() as session:
        stale = list(session.scalars(query))
    closed = []
    for reference in stale:
        try:
            queue.transition(
                reference,
                states.REJECTED,
                actor=SWEEPER,
                note=f"not verified: no code was confirmed within {days} days of the last one sent",
                now=now,
                only_from=states.PENDING_VERIFICATION,
            )
        except InvalidTransitionError:
            continue  # verified or closed since we looked
        closed.append(reference)
    return closed
