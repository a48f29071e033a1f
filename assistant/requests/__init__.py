"""The DSAR queue: requests, their life cycle, verification of the requester, audit trail, the
outbox worker that delivers their mail and webhook events, and retention."""

from assistant.requests.dates import add_months
from assistant.requests.laws import Jurisdiction, Jurisdictions, Period
from assistant.requests.outbox import OutboxCounts, OutboxWorker
from assistant.requests.queue import RequestQueue, Submission
from assistant.requests.retention import PurgeReport
from assistant.requests.states import STATUSES, TRANSITIONS
from assistant.requests.storage import AuditEvent, RightsRequest

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "AuditEvent",
    "Jurisdiction",
    "Jurisdictions",
    "OutboxCounts",
    "OutboxWorker",
    "Period",
    "PurgeReport",
    "RequestQueue",
    "RightsRequest",
    "Submission",
    "add_months",
]
