"""Channel-agnostic dialogue: each message in, one ``Turn`` out, whatever the channel (web, Slack, CLI).

Today a conversation answers questions about the policy. Rights-request intake (ask for what is
missing, summarise, confirm, submit) plugs in here too, with the same ``Turn`` shape, so channels
never change when the dialogue learns more.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.answering import Answer
from assistant.exceptions import InvalidInputError

if TYPE_CHECKING:
    from assistant.core import Assistant

CHANNELS = ("web", "slack", "cli", "api")
ACTIONS = ("confirm", "cancel")


@dataclass(frozen=True)
class Turn:
    """The assistant's side of one exchange, for any channel to render."""

    conversation_id: str
    reply: str
    answer: Answer | None = None
    intake: dict[str, Any] | None = None  # the request being taken: stage, rights, missing, summary, ...
    actions: list[str] = field(default_factory=list)  # what the channel should offer: "confirm", "cancel"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_conversation_id() -> str:
    """An unguessable id: 128 bits from the OS's generator, URL-safe."""
    return secrets.token_urlsafe(16)


class Conversation:
    def __init__(
        self, assistant: Assistant, conversation_id: str | None = None, channel: str = "web"
    ) -> None:
        self.assistant = assistant
        self.id = conversation_id or new_conversation_id()
        self.channel = channel

    def reply(self, message: str) -> Turn:
        """The assistant's answer to a typed message."""
        answer = self.assistant.ask(message)
        return Turn(conversation_id=self.id, reply=answer.text, answer=answer)

    def act(self, action: str) -> Turn:
        """A button pressed in the channel: ``confirm`` or ``cancel`` the request being taken."""
        if action not in ACTIONS:
            raise InvalidInputError(f"unknown action {action!r}; use one of: {', '.join(ACTIONS)}")
        return Turn(conversation_id=self.id, reply=self.assistant.prompts.line("nothing_to_confirm"))
