"""Privacy assistant: answers questions about a privacy policy with verbatim citations.

The public API (stable; see ARCHITECTURE.md)::

    from assistant import Assistant
    a = Assistant.open()
    a.index()
    answer = a.ask("How long do you keep my data?")
"""

import assistant.settings  # noqa: F401  (first: its environment defaults must precede numpy and torch)
from assistant.answering.compose import Answer, Citation
from assistant.conversation import Conversation, Turn
from assistant.core import Assistant
from assistant.corpus.diff import Change
from assistant.corpus.documents import Corpus, PolicyVersion
from assistant.exceptions import (
    ConfigurationError,
    CorpusError,
    InvalidInputError,
    InvalidTransitionError,
    PrivacyAssistantError,
    RequestError,
    ResendLimitError,
    StoreError,
    UnknownDocumentError,
    UnknownRequestError,
    VerificationError,
)
from assistant.intake import RequestDraft
from assistant.requests import AuditEvent, PurgeReport, RequestQueue, RightsRequest
from assistant.retrieval.store import IndexReport
from assistant.settings import Settings

# The architecture calls a version a ``Version``; it is the same object.
Version = PolicyVersion

__all__ = [
    "Answer",
    "Assistant",
    "AuditEvent",
    "Change",
    "Citation",
    "ConfigurationError",
    "Conversation",
    "Corpus",
    "CorpusError",
    "IndexReport",
    "InvalidInputError",
    "InvalidTransitionError",
    "PolicyVersion",
    "PrivacyAssistantError",
    "PurgeReport",
    "RequestDraft",
    "RequestError",
    "RequestQueue",
    "ResendLimitError",
    "RightsRequest",
    "Settings",
    "StoreError",
    "Turn",
    "UnknownDocumentError",
    "UnknownRequestError",
    "VerificationError",
    "Version",
]
