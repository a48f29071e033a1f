"""What a conversation works with (``ConversationParts``, wired once by ``Assistant``) and what each of
its turns gives back (``Turn``), for any channel to render."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answering.compose import Answer
    from assistant.intake.intake import Intake
    from assistant.prompts import Prompts
    from assistant.requests import RequestQueue
    from assistant.requests.conversations import ConversationStore
    from assistant.requests.feedback import FeedbackStore


@dataclass(frozen=True)
class Turn:
    """The assistant's side of one exchange, for any channel to render."""

    conversation_id: str
    reply: str
    answer: Answer | None = None
    # The request being taken: stage, rights, missing, summary, reference, due_at; None for plain Q&A.
    intake: dict[str, Any] | None = None
    # What the channel should offer: "confirm", "cancel"; "resend" while the request waits for its code.
    actions: list[str] = field(default_factory=list)
    # The id a visitor's vote on ``answer`` names (FeedbackStore.rate); None where answers are not rated.
    answer_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def shown(self) -> dict[str, Any]:
        """What a channel shows of the turn besides its reply: kept with the transcript, so a reloaded
        widget draws the turn again (``ConversationStore.messages``)."""
        return {
            "answer": self.answer.to_dict() if self.answer else None,
            "answer_id": self.answer_id,
            "intake": self.intake,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class ConversationParts:
    """What a conversation works with, wired once by ``Assistant``: it never reaches into the Assistant."""

    ask: Callable[[str], Answer]  # a question about the policy, answered with citations
    intake: Intake  # reads rights requests out of messages
    requests: RequestQueue
    store: ConversationStore
    feedback: FeedbackStore  # logs the answers given, so visitors can rate them
    prompts: Prompts
    own_addresses: Callable[[], tuple[str, ...]]  # the company's own e-mail addresses, never a requester's
    max_message_chars: int
    max_question_chars: int


def new_conversation_id() -> str:
    """An unguessable id: 128 bits from the OS's generator, URL-safe."""
    return secrets.token_urlsafe(16)
