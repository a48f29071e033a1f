"""``Assistant``: the public face of the core. Channels (web, Slack, CLI, evals) talk to this."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from assistant.answering.compose import Answer, Answerer, clean_question, privacy_contact
from assistant.answering.model import AnswerModel
from assistant.answering.writer import LeadWriter
from assistant.bank_review import BankReview, review_bank
from assistant.conversation import Conversation, ConversationParts
from assistant.corpus.diff import Change, diff_versions
from assistant.corpus.documents import Corpus, PolicyVersion, organization_of
from assistant.corpus.importing import add_version
from assistant.corpus.lint import Finding, lint_version
from assistant.exceptions import InvalidInputError
from assistant.history import HistoryAnswerer, HistoryQuestions
from assistant.intake import Intake, RequestDraft
from assistant.intake.languages import ENGLISH
from assistant.prompts import load_prompts
from assistant.requests import RequestQueue
from assistant.requests.conversations import ConversationStore
from assistant.requests.feedback import FeedbackStore
from assistant.requests.files import private_dir
from assistant.requests.gaps import MOST_QUESTIONS, GapFinder, GapReport
from assistant.requests.outbox import OutboxWorker
from assistant.requests.retention import PurgeReport, purge
from assistant.requests.storage import utcnow
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.hybrid import PolicyRetriever
from assistant.retrieval.question_bank import QuestionBank
from assistant.retrieval.scope import ScopeClassifier
from assistant.retrieval.store import IndexReport, UnitStore
from assistant.retrieval.vector_cache import VectorCache
from assistant.settings import Settings, get_settings


class Assistant:
    """Answers questions about the policy corpus, with citations; see ARCHITECTURE.md for the API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        private_dir(settings.data_dir)  # before Chroma, the database or the outbox make it world-readable
        self.corpus = Corpus.load(settings.corpus_dir)
        self.prompts = load_prompts(settings.prompts_dir)
        self.embeddings = LocalEmbeddings(settings.embedding_device, cache=VectorCache(settings.cache_dir))
        self.question_bank = QuestionBank.load(
            self.corpus.question_banks,
            self.embeddings,
            {d: p.vocabulary for d, p in self.corpus.packs.items()},
        )
        self.answer_model = AnswerModel.load()
        self.answerer = Answerer(
            self.prompts,
            settings.public_base_url,
            threshold=settings.answer_threshold,
            min_privacy=settings.min_privacy_probability,
            max_unanswerable=settings.max_unanswerable_probability,
            max_citations=settings.max_citations,
            likeliest=lambda question, version, units: self.retriever.likeliest(question, version, units),
            quote_gap=self.answer_model.quote_gap,
        )
        self.scope = ScopeClassifier(self.embeddings)
        self.writer = LeadWriter.from_settings(
            settings, self.prompts
        )  # None unless PRIVACY_ASSISTANT_LLM is set
        self._lock = threading.RLock()
        self._retriever: PolicyRetriever | None = None
        self._history: HistoryAnswerer | None = None
        self._indexed = False
        self._warm = False
        self._requests: RequestQueue | None = None
        self._conversations: ConversationStore | None = None
        self._feedback: FeedbackStore | None = None
        self._outbox: OutboxWorker | None = None
        self.intake_engine = Intake(
            self.embeddings,
            self.own_addresses,
            self.corpus.data_categories(first=settings.default_document),
        )
        self.history_questions = HistoryQuestions(self.intake_engine.languages)
        # Questions in other languages are grouped by their English rendering, as they are answered.
        self.gap_finder = GapFinder(self.embeddings, render=self.intake_engine.languages.render)

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
                    model=self.answer_model,
                    bank=self.question_bank,
                    candidates=self.settings.retrieval_candidates,
                    k=max(5, self.settings.max_citations),
                )
            return self._retriever

    @property
    def history(self) -> HistoryAnswerer:
        """Answers questions that name a time or ask what changed; built once, over the retriever."""
        with self._lock:
            if self._history is None:
                self._history = HistoryAnswerer(
                    self.retriever,
                    self.answerer,
                    self.prompts,
                    self.settings.public_base_url,
                    self.settings.default_document,
                )
            return self._history

    def index(
        self, progress: Callable[[int, int], None] | None = None, prune: bool | None = None
    ) -> IndexReport:
        """Bring the vector store in step with the corpus; re-embeds only versions that changed. Versions
        the corpus lacks are removed, on a shared Chroma server only with ``prune`` (``UnitStore.sync``)."""
        with self._lock:
            report = self.retriever.store.sync(self.corpus.all_versions(), progress=progress, prune=prune)
            self._indexed = True
            return report

    def warm(self, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Load the model, open the index, fit the request reader and answer one question, so the first
        visitor waits for none of them.

        ``progress(document, done, total)`` follows the embedding of each question bank (a first start on
        a machine embeds thousands of examples; later starts read them from the vector cache). Once warm,
        a second call (``serve`` warms before the web app's start-up does) returns at once."""
        if self._warm:
            return
        self._ensure_indexed()
        # Loading the model is mostly imports, which hold the interpreter; fitting the bank's model and
        # the request reader from cached vectors is mostly numpy and scikit-learn, which let go of it.
        loading = threading.Thread(target=lambda: self.embeddings.model, name="model-load", daemon=True)
        loading.start()
        for document in self.question_bank.examples:
            # Embeds the examples as the retriever will ask them, and fits the answerability model.
            latest = self.corpus.versions(document)[-1:] if document in self.corpus.documents else []
            organization = organization_of(latest)
            self.question_bank.vectors(
                document, organization, None if progress is None else partial(progress, document)
            )
            self.question_bank.model(document, organization)
        self.intake_engine.prepare()
        loading.join()
        self.ask("How long do you keep my data?")
        self.intake("Please delete my data")
        self._warm = True

    def _ensure_indexed(self) -> None:
        if not self._indexed:
            self.index()

    # -- questions ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        document: str | None = None,
        as_of: date | str | None = None,
        on_lead: Callable[[str], None] | None = None,
    ) -> Answer:
        """A short answer quoting the policy with [n] markers, or ``answerable=False`` when it is silent.

        With the LLM writer on, ``on_lead`` receives its lead as it is written; the answer's ``lead`` is
        the one that stands after the check (the writer's, or the extractive one)."""
        text = clean_question(question, self.settings.max_question_chars)
        day = _as_date(as_of)
        self._ensure_indexed()
        # A question in another language is read and searched as its English rendering (the bilingual
        # privacy vocabulary): the policy is quoted as written, the assistant's own words are in the visitor's.
        languages = self.intake_engine.languages
        language = languages.detect(text)
        history = self.history_questions.read(text, language, date.today())
        if history is not None:
            # Names a time or asks about changes: answered from the versions of then, or from a diff.
            return self.history.answer(text, history, document, day, date.today())
        versions = self.retriever.versions_for(document or self.settings.default_document, day)
        found = self.retriever.retrieve(languages.render(text, language), versions)
        privacy = self.scope.probability(found.query_vector)
        answer = self.answerer.compose(text, found, versions, day, privacy, language)
        # The writer's check compares its words with the quotes', so it writes only English leads.
        if self.writer is not None and language == ENGLISH:
            names = tuple(v.organization for v in versions if v.organization)
            answer = self.writer.lead_for(answer, names, on_lead)
        return answer

    def conversation(
        self,
        conversation_id: str | None = None,
        channel: str = "web",
        requester_context: dict[str, Any] | None = None,
        on_lead: Callable[[str], None] | None = None,
    ) -> Conversation:
        """A dialogue for one visitor or employee; pass its id to continue it.

        ``requester_context={"on_behalf_of": "employee_forwarding"}`` fixes who is asking (Slack's default).
        ``on_lead``: receives the LLM writer's lead of an answer as it is written (``ask``).
        """
        parts = ConversationParts(
            ask=partial(self.ask, on_lead=on_lead) if on_lead else self.ask,
            intake=self.intake_engine,
            requests=self.requests,
            store=self.conversations,
            feedback=self.feedback,
            prompts=self.prompts,
            own_addresses=lambda: self.own_addresses,
            max_message_chars=self.settings.max_message_chars,
            max_question_chars=self.settings.max_question_chars,
        )
        return Conversation(parts, conversation_id, channel, requester_context)

    # -- rights requests ------------------------------------------------------------------------
    def intake(self, message: str, on_behalf_of: str | None = None) -> RequestDraft | None:
        """The rights request ``message`` makes, as a draft with what is still missing; None if none."""
        text = clean_question(message, self.settings.max_message_chars, noun="message", keep_lines=True)
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
    def outbox(self) -> OutboxWorker:
        """The worker that delivers the queue's mail and webhook events after commit (not started)."""
        with self._lock:
            if self._outbox is None:
                self._outbox = OutboxWorker(self.requests.storage)
            return self._outbox

    @property
    def conversations(self) -> ConversationStore:
        with self._lock:
            if self._conversations is None:
                self._conversations = ConversationStore(self.requests.storage)
            return self._conversations

    @property
    def feedback(self) -> FeedbackStore:
        """The answers given to visitors and their votes, without personal data (``requests.feedback``)."""
        with self._lock:
            if self._feedback is None:
                self._feedback = FeedbackStore(self.requests.storage)
            return self._feedback

    def gaps(self, days: int = 30, now: datetime | None = None) -> GapReport:
        """The knowledge gaps of the last ``days``: questions declined, and those whose answers
        visitors voted down, grouped by meaning, the largest group first."""
        if days < 1:
            raise InvalidInputError(f"look back at least 1 day, not {days}")
        since = (now or utcnow()) - timedelta(days=days)
        return self.gap_finder.report(self.feedback.gap_questions(since, MOST_QUESTIONS), since)

    def purge(self, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
        """Apply the retention periods (transcripts and conversation state, closed requests' identity,
        delivered outbox messages, feedback); the report says what went, or with ``dry_run`` what would."""
        return purge(self.requests, self.conversations, now, dry_run)

    # -- the corpus -----------------------------------------------------------------------------
    def versions(self, document: str) -> list[PolicyVersion]:
        """Every version of ``document``, oldest first."""
        return self.corpus.versions(document)

    # -- history: diffs ---------------------------------------------------------------------------
    def diff(self, document: str, old: str | date, new: str | date) -> list[Change]:
        """What changed in ``document`` from version ``old`` to version ``new`` (ISO dates)."""
        return diff_versions(self.corpus.get(document, old), self.corpus.get(document, new))

    def lint(self, document: str, version: str | date | None = None) -> list[Finding]:
        """The health check of one version (default: the one in force today, else the latest)."""
        return lint_version(self._version_or_current(document, version))

    def add_version(
        self,
        source: str | Path,
        document: str,
        effective: date | str,
        scheduled: bool = False,
        title: str | None = None,
        organization: str | None = None,
        source_url: str | None = None,
    ) -> PolicyVersion:
        """Add ``source`` (Markdown, text or HTML) as a version; ``index()`` then embeds only it."""
        day = _as_date(effective)
        if day is None:
            raise InvalidInputError("give the date the version takes effect, like 2024-06-01")
        with self._lock:
            version = add_version(
                self.settings.corpus_dir,
                Path(source),
                document,
                day,
                scheduled=scheduled,
                title=title,
                organization=organization,
                source_url=source_url,
            )
            self.reload()
            return version

    def reload(self) -> None:
        """Read the corpus folder again (after a version was added); the next question re-syncs the index."""
        with self._lock:
            self.corpus = Corpus.load(self.settings.corpus_dir)
            if self._retriever is not None:
                self._retriever.corpus = self.corpus
            self._indexed = False

    def review_bank(self, document: str, version: str | date) -> BankReview | None:
        """What ``version`` does to the document's question bank (``bank_review``); None without a bank."""
        examples = self.question_bank.examples.get(document)
        if not examples:
            return None
        self._ensure_indexed()
        versions = self.corpus.versions(document)
        new = self.corpus.get(document, version)
        earlier = [v for v in versions if v.effective < new.effective]

        def answers(n: int, at: PolicyVersion) -> bool:
            # Without the bank's own votes: the example asked is in the bank, and would vote for itself.
            # Its vector is the bank's own (embedded once, in one batch, and cached), not embedded again.
            vector = self.question_bank.vectors(document, organization_of([at]))[n]
            found = self.retriever.retrieve(examples[n].question, [at], precedents=False, vector=vector)
            return not self.answerer.should_abstain(found, self.scope.probability(found.query_vector))

        return review_bank(examples, new, earlier[-1] if earlier else None, answers)

    def _version_or_current(self, document: str, version: str | date | None) -> PolicyVersion:
        if version is not None:
            return self.corpus.get(document, version)
        return self.corpus.in_force(document, date.today()) or self.corpus.versions(document)[-1]


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"as_of {value!r} is not a date like 2024-06-01") from None
