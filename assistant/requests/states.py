"""The life cycle of a rights request: its states and the only transitions allowed between them."""

from __future__ import annotations

from assistant.exceptions import InvalidTransitionError

PENDING_VERIFICATION = "pending_verification"
VERIFIED = "verified"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATUSES = (PENDING_VERIFICATION, VERIFIED, IN_PROGRESS, COMPLETED, REJECTED, WITHDRAWN)
# The one place the life cycle is defined. A request is rejected when the requester cannot be
# verified or the request is unfounded, and withdrawn when the requester takes it back.
TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_VERIFICATION: frozenset({VERIFIED, REJECTED, WITHDRAWN}),
    VERIFIED: frozenset({IN_PROGRESS, REJECTED, WITHDRAWN}),
    IN_PROGRESS: frozenset({COMPLETED, REJECTED, WITHDRAWN}),
    COMPLETED: frozenset(),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
}
OPEN_STATUSES = (PENDING_VERIFICATION, VERIFIED, IN_PROGRESS)


def check_transition(current: str, new: str) -> None:
    """Raise InvalidTransitionError unless the life cycle allows ``current`` -> ``new``."""
    if new not in TRANSITIONS:
        raise InvalidTransitionError(f"unknown status {new!r}; use one of: {', '.join(STATUSES)}")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none, it is final"
        raise InvalidTransitionError(
            f"a request that is {current} cannot become {new}; allowed next: {allowed}"
        )
