"""Message in, ``RequestDraft`` out (or None when the message is not a rights request)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.intake.classifier import Classification, get_classifier
from assistant.intake.cues import right_cues
from assistant.intake.draft import RequestDraft
from assistant.intake.fields import (
    find_categories,
    find_data_concerned,
    find_email,
    find_forwarded_name,
    find_name,
    find_on_behalf_of,
    find_phone,
    find_subject_email,
    find_subject_name,
    redact,
)
from assistant.intake.languages import Languages
from assistant.retrieval.embeddings import LocalEmbeddings

# How much of an unclassified request's message the team gets to read (a long letter, whole).
TRIAGE_CHARS = 10_000


class Intake:
    def __init__(
        self,
        embeddings: LocalEmbeddings,
        own_addresses: tuple[str, ...] = (),
        data_categories: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.own_addresses = own_addresses  # the company's addresses are never the requester's
        # The policy's data categories (its pack, corpus/<document>/policy.yaml): name -> words.
        self.data_categories = dict(data_categories or {})

    @property
    def classifier(self):
        return get_classifier(self.embeddings)

    def prepare(self) -> None:
        """Train the request reader now (it trains at first use), not in a visitor's turn."""
        get_classifier(self.embeddings)

    def classify(self, text: str) -> Classification:
        return self.classifier.classify(text)

    @property
    def languages(self) -> Languages:
        return Languages.load()

    def cues(self, text: str) -> list[str]:
        """The rights ``text`` names unmistakably, in whatever language it is written."""
        return right_cues(self.languages.render(text))

    def label(self, right: str, language: str | None = None) -> str:
        """What the chat calls ``right`` in ``language``."""
        return self.languages.label(right, language)

    def read(self, text: str, on_behalf_of: str | None = None) -> RequestDraft | None:
        """The request ``text`` makes, or None when it makes none. ``on_behalf_of`` forces who asks.

        A message the reader is unsure of that looks like a request (``Classification.uncertain``) is
        one with no right yet: the chat asks which right is meant, and a person classifies it if the
        answer does not say. It is never answered as a question about the policy."""
        verdict = self.classify(text)
        if not verdict.taken:
            return None
        rights = verdict.rights if verdict.is_request else []
        draft = RequestDraft(rights=rights, language=self.languages.detect(text))
        self.fill(draft, text, on_behalf_of)
        if not draft.rights:
            # The team classifies it from the writer's own words (contact details taken out).
            draft.data_concerned = redact(text)[:TRIAGE_CHARS]
        return draft

    def fill(self, draft: RequestDraft, message: str, on_behalf_of: str | None = None) -> RequestDraft:
        """Add to ``draft`` what ``message`` says about the requester, without erasing what is known.

        The rules read the message's English ("mein Name ist Jonas Keller" -> "my name is Jonas Keller");
        names and addresses stay as written."""
        text = self.languages.render(message)
        behalf = on_behalf_of or find_on_behalf_of(text, default=draft.on_behalf_of)
        draft.on_behalf_of = behalf
        draft.email = find_email(text, self.own_addresses, behalf) or draft.email
        draft.subject_email = find_subject_email(text, self.own_addresses, behalf) or draft.subject_email
        draft.phone = find_phone(text) or draft.phone
        # An employee passing a request on signs it themselves: the requester is the customer they name.
        found = find_forwarded_name(text) if behalf == "employee_forwarding" else find_name(text)
        draft.name = found or draft.name
        if behalf in ("parent_guardian", "authorised_agent"):
            draft.subject_name = find_subject_name(text) or draft.subject_name
        named = find_categories(text, self.data_categories)
        draft.categories = [c for c in self.data_categories if c in draft.categories or c in named]
        concerned = find_data_concerned(message)
        if concerned and not draft.data_concerned:
            draft.data_concerned = concerned
        return draft.refresh_missing()
