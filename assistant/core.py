"""``Assistant``: the public face of the core. Channels (web, Slack, CLI, evals) talk to this."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from assistant.answering import Answer, Answerer, clean_question, privacy_contact
from assistant.conversation import Conversation
from assistant.corpus.documents import Corpus, PolicyVersion
from assistant.exceptions import InvalidInputError
from assistant.intake import Intake, RequestDraft
from assistant.prompts import load_prompts
from assistant.requests import RequestQueue
from assistant.requests.conversations import ConversationStore
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.hybrid import PolicyRetriever
from assistant.retrieval.store import IndexReport, UnitStore
from assistant.settings import Settings, get_settings


class Assistant:
    """Answers questions about the policy corpus, with citations; see ARCHITECTURE.md for the API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.corpus = Corpus.load(settings.corpus_dir)
        self.prompts = load_prompts(settings.prompts_dir)
        self.embeddings = LocalEmbeddings(settings.embedding_device)
        self.answerer = Answerer(
            self.prompts,
            settings.public_base_url,
            threshold=settings.answer_threshold,
            min_coverage=settings.min_coverage,
            max_citations=settings.max_citations,
        )
        self._lock = threading.RLock()
        self._retriever: PolicyRetriever | None = None
        self._indexed = False
        self._requests: RequestQueue | None = None
        self._conversations: ConversationStore | None = None
        self.intake_engine = Intake(self.embeddings, self.own_addresses)

    @classmethod
    def open(
        cls,
        corpus_dir: str | Path | None = None,
        data_dir: str | Path | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> Assistant:
        """An assistant over ``corpus_dir`` keeping its state in ``data_dir``; the rest from the environment."""
        base = settings or get_settings()
        changes = dict(overrides)
        if corpus_dir is not None:
            changes["corpus_dir"] = Path(corpus_dir)
        if data_dir is not None:
            changes["data_dir"] = Path(data_dir)
        return cls(base.model_copy(update=changes) if changes else base)

    # -- the index ------------------------------------------------------------------------------
    @property
    def retriever(self) -> PolicyRetriever:
        with self._lock:
            if self._retriever is None:
                self._retriever = PolicyRetriever(
                    corpus=self.corpus,
                    store=UnitStore(self.settings, self.embeddings),
                    embeddings=self.embeddings,
                    candidates=self.settings.retrieval_candidates,
                    k=max(5, self.settings.max_citations),
                )
            return self._retriever

    def index(self, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Bring the vector store in step with the corpus; re-embeds only versions that changed."""
        with self._lock:
            report = self.retriever.store.sync(self.corpus.all_versions(), progress=progress)
            self._indexed = True
            return report

    def _ensure_indexed(self) -> None:
        if not self._indexed:
            self.index()

    # -- questions ------------------------------------------------------------------------------
    def ask(self, question: str, document: str | None = None, as_of: date | str | None = None) -> Answer:
        """A short answer quoting the policy with [n] markers, or ``answerable=False`` when it is silent."""
        text = clean_question(question, self.settings.max_question_chars)
        day = _as_date(as_of)
        self._ensure_indexed()
        versions = self.retriever.versions_for(document or self.settings.default_document, day)
        results = self.retriever.search(text, versions)
        coverage = self.retriever.coverage(text, versions)
        return self.answerer.compose(text, results, versions, day, coverage)

    def conversation(
        self,
        conversation_id: str | None = None,
        channel: str = "web",
        requester_context: dict[str, Any] | None = None,
    ) -> Conversation:
        """A dialogue for one visitor or employee; pass its id to continue it.

        ``requester_context={"on_behalf_of": "employee_forwarding"}`` fixes who is asking (Slack's default).
        """
        return Conversation(self, conversation_id, channel, requester_context)

    # -- rights requests ------------------------------------------------------------------------
    def intake(self, message: str, on_behalf_of: str | None = None) -> RequestDraft | None:
        """The rights request ``message`` makes, as a draft with what is still missing; None if none."""
        text = clean_question(message, self.settings.max_message_chars, noun="message")
        return self.intake_engine.read(text, on_behalf_of=on_behalf_of)

    @property
    def own_addresses(self) -> tuple[str, ...]:
        """The company's own e-mail addresses (from the policy): never taken as a requester's."""
        found = {c[0] for v in self.corpus.all_versions() if (c := privacy_contact(v))}
        return tuple(sorted(found))

    @property
    def requests(self) -> RequestQueue:
        """The DSAR queue (opened, and migrated, at first use); one object for web, Slack and CLI."""
        with self._lock:
            if self._requests is None:
                self._requests = RequestQueue(self.settings, self.prompts)
            return self._requests

    @property
    def conversations(self) -> ConversationStore:
        with self._lock:
            if self._conversations is None:
                self._conversations = ConversationStore(self.requests)
            return self._conversations

    def purge_transcripts(self, now: datetime | None = None) -> int:
        """Delete conversation transcripts older than the retention period; returns messages deleted."""
        return self.conversations.purge(self.settings.transcript_retention_days, now)

    # -- the corpus -----------------------------------------------------------------------------
    def versions(self, document: str) -> list[PolicyVersion]:
        """Every version of ``document``, oldest first."""
        return self.corpus.versions(document)


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"as_of {value!r} is not a date like 2024-06-01") from None
