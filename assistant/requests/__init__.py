"""The DSAR queue: requests, their life cycle, verification of the requester, audit trail, sinks and
retention."""

from assistant.requests.dates import add_months, due_date
from assistant.requests.queue import AuditEvent, RequestQueue, RightsRequest, Submission
from assistant.requests.retention import PurgeReport
from assistant.requests.states import STATUSES, TRANSITIONS

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "AuditEvent",
    "PurgeReport",
    "RequestQueue",
    "RightsRequest",
    "Submission",
    "add_months",
    "due_date",
]
