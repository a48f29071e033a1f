"""``Assistant``: the public face of the core. Channels (web, Slack, CLI, evals) talk to this."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from assistant.answering import Answer, Answerer, clean_question
from assistant.conversation import Conversation
from assistant.corpus.documents import Corpus, PolicyVersion
from assistant.exceptions import InvalidInputError
from assistant.prompts import load_prompts
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

    def warm(self) -> None:
        """Load the model, open the index and answer one question, so the first visitor is not slow."""
        self._ensure_indexed()
        self.ask("How long do you keep my data?")

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

    def conversation(self, conversation_id: str | None = None, channel: str = "web") -> Conversation:
        """A dialogue for one visitor or employee; pass its id to continue it."""
        return Conversation(self, conversation_id, channel)

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
