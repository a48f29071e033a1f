"""How the team keeps its deadlines: median days to close and the share closed on time, overall and by
right, channel and jurisdiction, for the console, the Slack digest, ``requests report`` and /metrics.

A closed request never changes again, so its ``updated_at`` is when it closed (retention.py relies on
the same). Days to close count from receipt; on time means closed on or before the due date, extensions
included. A request asking for several rights counts under each; one needing triage, under "triage".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from statistics import median
from typing import Any

from sqlalchemy import select

from assistant.requests import states
from assistant.requests.models import RequestRecord
from assistant.requests.storage import RequestStorage, utcnow

CLOSED = (states.COMPLETED, states.REJECTED, states.WITHDRAWN)
GROUPS = ("right", "channel", "jurisdiction")


@dataclass
class Figures:
    """One group's figures: requests closed (in the window), how fast and how often on time; and those
    open now, and overdue."""

    closed: int = 0
    median_days_to_close: float | None = None
    on_time_share: float | None = None
    open: int = 0
    overdue: int = 0
    _days: list[float] = field(default_factory=list, repr=False)
    _on_time: int = field(default=0, repr=False)

    def add_closed(self, days: float, on_time: bool) -> None:
        self._days.append(days)
        self._on_time += on_time

    def settle(self) -> Figures:
        self.closed = len(self._days)
        if self._days:
            self.median_days_to_close = round(median(self._days), 1)
            self.on_time_share = round(self._on_time / len(self._days), 3)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


@dataclass(frozen=True)
class QueueReport:
    since: date | None
    at: datetime
    overall: Figures
    by: dict[str, dict[str, Figures]]  # "right" | "channel" | "jurisdiction" -> value -> figures

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "at": self.at.isoformat(),
            "overall": self.overall.to_dict(),
            **{
                f"by_{group}": {k: v.to_dict() for k, v in values.items()}
                for group, values in self.by.items()
            },
        }


def queue_report(
    storage: RequestStorage, since: date | None = None, now: datetime | None = None
) -> QueueReport:
    """The figures of requests closed since ``since`` (all when None), and of those open now."""
    now = now or utcnow()
    overall = Figures()
    by: dict[str, dict[str, Figures]] = {group: {} for group in GROUPS}
    columns = (
        RequestRecord.status, RequestRecord.rights, RequestRecord.channel, RequestRecord.jurisdiction,
        RequestRecord.received_at, RequestRecord.due_at, RequestRecord.updated_at,
    )  # fmt: skip
    with storage.sessions() as session:
        rows = session.execute(select(*columns)).all()
    for row in rows:
        keys = {
            "right": list(row.rights) or ["triage"],
            "channel": [row.channel],
            "jurisdiction": [row.jurisdiction or "gdpr"],
        }
        groups = [overall, *(by[g].setdefault(k, Figures()) for g in GROUPS for k in keys[g])]
        if row.status in CLOSED:
            if since and row.updated_at < datetime.combine(since, time(), now.tzinfo):
                continue
            days = (row.updated_at - row.received_at).total_seconds() / 86400
            on_time = row.updated_at.date() <= row.due_at
            for figures in groups:
                figures.add_closed(days, on_time)
        else:
            for figures in groups:
                figures.open += 1
                figures.overdue += row.due_at < now.date()
    return QueueReport(
        since=since,
        at=now,
        overall=overall.settle(),
        by={g: {k: v.settle() for k, v in sorted(values.items())} for g, values in by.items()},
    )
