"""Privacy assistant: answers questions about a privacy policy with verbatim citations.

The public API (stable; see ARCHITECTURE.md)::

    from assistant import Assistant
    a = Assistant.open()
    a.index()
    answer = a.ask("How long do you keep my data?")
"""

from importlib import import_module
from typing import TYPE_CHECKING

import assistant.settings  # noqa: F401  (first: its environment defaults must precede numpy and torch)

# Each public name and the module that defines it. They are imported when first used, so a command that
# only works the request queue does not import the model, the index and the classifiers (seconds).
_EXPORTS = {
    "Answer": "assistant.answering.compose",
    "Citation": "assistant.answering.compose",
    "Conversation": "assistant.conversation",
    "Turn": "assistant.conversation",
    "Assistant": "assistant.core",
    "Change": "assistant.corpus.diff",
    "Corpus": "assistant.corpus.documents",
    "PolicyVersion": "assistant.corpus.documents",
    # The architecture calls a version a ``Version``; it is the same object.
    "Version": "assistant.corpus.documents",
    "ConfigurationError": "assistant.exceptions",
    "CorpusError": "assistant.exceptions",
    "InvalidInputError": "assistant.exceptions",
    "InvalidTransitionError": "assistant.exceptions",
    "PrivacyAssistantError": "assistant.exceptions",
    "RequestError": "assistant.exceptions",
    "ResendLimitError": "assistant.exceptions",
    "StoreError": "assistant.exceptions",
    "UnknownDocumentError": "assistant.exceptions",
    "UnknownRequestError": "assistant.exceptions",
    "VerificationError": "assistant.exceptions",
    "RequestDraft": "assistant.intake",
    "Right": "assistant.intake",
    "AuditEvent": "assistant.requests",
    "PurgeReport": "assistant.requests",
    "RequestQueue": "assistant.requests",
    "RightsRequest": "assistant.requests",
    "IndexReport": "assistant.retrieval.store",
    "Settings": "assistant.settings",
}

if TYPE_CHECKING:
    from assistant.answering.compose import Answer, Citation
    from assistant.conversation import Conversation, Turn
    from assistant.core import Assistant
    from assistant.corpus.diff import Change
    from assistant.corpus.documents import Corpus, PolicyVersion
    from assistant.corpus.documents import PolicyVersion as Version
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
    from assistant.intake import RequestDraft, Right
    from assistant.requests import AuditEvent, PurgeReport, RequestQueue, RightsRequest
    from assistant.retrieval.store import IndexReport
    from assistant.settings import Settings


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), "PolicyVersion" if name == "Version" else name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


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
    "Right",
    "RightsRequest",
    "Settings",
    "StoreError",
    "Turn",
    "UnknownDocumentError",
    "UnknownRequestError",
    "VerificationError",
    "Version",
]
