"""The steps of taking a rights request in a conversation, and the moves allowed between them (as
``requests/states.py`` is for a request's life cycle)."""

from __future__ import annotations

from enum import StrEnum

ACTIONS = ("confirm", "cancel", "resend")


class Stage(StrEnum):
    """Where a conversation is in taking a rights request (stored as its value)."""

    IDLE = "idle"  # questions only, no request begun
    COLLECTING = "collecting"  # asking for what the request still misses
    CONFIRMING = "confirming"  # the summary shown, waiting for "yes"
    SUBMITTING = "submitting"  # confirmed, being written (a crash here is recovered on the next turn)
    SUBMITTED = "submitted"  # in the queue; a code typed in the chat verifies it
    CANCELLED = "cancelled"


# The one place the dialogue's steps are defined, as states.py does for a request's life cycle.
STAGE_MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.IDLE: frozenset({Stage.COLLECTING}),
    Stage.COLLECTING: frozenset({Stage.COLLECTING, Stage.CONFIRMING, Stage.CANCELLED}),
    Stage.CONFIRMING: frozenset({Stage.COLLECTING, Stage.CONFIRMING, Stage.SUBMITTING, Stage.CANCELLED}),
    Stage.SUBMITTING: frozenset({Stage.COLLECTING, Stage.CONFIRMING, Stage.SUBMITTING, Stage.SUBMITTED}),
    Stage.SUBMITTED: frozenset({Stage.COLLECTING}),
    Stage.CANCELLED: frozenset({Stage.COLLECTING}),
}
TAKING = (Stage.COLLECTING, Stage.CONFIRMING)  # a request being taken: "cancel" applies
