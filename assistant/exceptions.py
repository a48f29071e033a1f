"""One hierarchy for every error the assistant raises on purpose.

Each message says what was wrong and what to do; entry points (CLI, HTTP, Slack) show it as it is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


class PrivacyAssistantError(Exception):
    """Base of every error the assistant raises on purpose."""


class ConfigurationError(PrivacyAssistantError):
    """A setting is missing or wrong."""


class CorpusError(PrivacyAssistantError):
    """A corpus file is malformed; nothing was loaded or indexed."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class QuestionBankError(PrivacyAssistantError):
    """A line of a question bank file is malformed; the bank was not loaded."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}, line {line}: {problem}")


class UnknownDocumentError(PrivacyAssistantError):
    """A document id or version that the corpus does not have."""


class InvalidInputError(PrivacyAssistantError):
    """A question, message or field that cannot be used as given."""


class MalformedBodyError(InvalidInputError):
    """A request body that cannot be read at all: not JSON, or not text."""


class UnsupportedMediaTypeError(InvalidInputError):
    """A request body in a format the route does not read (it reads JSON)."""


class UnknownAnswerError(PrivacyAssistantError):
    """A vote names no answer the assistant gave on that channel (or one given too long ago to rate)."""


class UnknownConversationError(PrivacyAssistantError):
    """No conversation of this channel with this id is kept (never issued, another's, or purged)."""


class StoreError(PrivacyAssistantError):
    """The vector store could not be read or written."""


class RequestError(PrivacyAssistantError):
    """A rights request that cannot be submitted, found or changed as asked; nothing was changed."""


class UnknownRequestError(RequestError):
    """No request has the given reference."""


class InvalidTransitionError(RequestError):
    """A status change the request's life cycle does not allow."""


class VerificationError(RequestError):
    """A verification code that is wrong, expired, already used, or tried too often."""


class ResendLimitError(VerificationError):
    """Verification mail was sent for this request as often as an hour allows; ``retry_at`` says when."""

    def __init__(self, message: str, retry_at: datetime, retry_after: int) -> None:
        self.retry_at = retry_at
        self.retry_after = retry_after
        super().__init__(message)


class ConversationBusyError(PrivacyAssistantError):
    """Another turn of the same conversation is still running (a message sent twice, say) and did not
    finish in time; the client may send again."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"this conversation is still answering an earlier message; try again in {retry_after} second(s)"
        )


class NotAuthorisedError(PrivacyAssistantError):
    """A team route called without the team's bearer token, or with a wrong one."""


class ForbiddenError(PrivacyAssistantError):
    """A team member whose role does not allow what they tried (a viewer changing a request, say)."""


class RateLimitExceeded(PrivacyAssistantError):
    """A client sent more messages than the configured rate allows; it may try again later."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many messages from you; try again in {retry_after} second(s)")
