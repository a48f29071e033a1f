"""What the suites ask: an Assistant in this process, or a running service over its HTTP API.

Both answer the same two calls, ``ask`` and ``intake``, with the same observations, so every suite
scores any deployment on the same data. Over HTTP, questions go through ``POST /api/ask`` and intake
messages through ``POST /api/chat``: each message opens a new conversation, and the reply's ``intake``
field says whether a request was started and for which rights. The chat API does not show the
e-mail address, the name or on whose behalf the request is made, so those fields are only scored
in-process (``INTAKE_FIELDS`` versus ``HttpTarget.observes``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from assistant.core import Assistant
from assistant.exceptions import InvalidInputError
from assistant.intake.languages import Languages
from assistant.requests.gaps import GapFinder
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.vector_cache import VectorCache
from assistant.settings import PROJECT_ROOT, Settings, get_settings

INTAKE_FIELDS = ("email", "name", "on_behalf_of", "subject_name", "subject_email")


@dataclass(frozen=True)
class Cited:
    document: str
    version: str
    quote: str
    section: str = ""


@dataclass(frozen=True)
class Observed:
    """One answer as the harness sees it, whatever the target."""

    answerable: bool
    text: str
    citations: list[Cited]
    seconds: float
    reasons: list[str] = field(default_factory=list)  # why the assistant answered or declined
    lead: str = ""  # the line shown first


@dataclass(frozen=True)
class IntakeObserved:
    is_request: bool
    rights: set[str]
    fields: dict[str, str | None] = field(default_factory=dict)  # only the fields the target observes
    seconds: float = 0.0


class Target(Protocol):
    name: str
    observes: tuple[str, ...]  # which of INTAKE_FIELDS ``intake`` reports

    def ask(self, question: str, document: str | None = None, as_of: str | None = None) -> Observed: ...

    def intake(self, message: str) -> IntakeObserved: ...

    def warm(self) -> None: ...


class InProcessTarget:
    """The Assistant itself, called directly."""

    observes = INTAKE_FIELDS

    def __init__(self, assistant: Assistant, name: str = "in-process") -> None:
        self.assistant = assistant
        self.name = name

    def warm(self) -> None:
        self.assistant.index()
        self.assistant.ask("warm-up question about the policy")  # the first call loads the model
        self.assistant.intake("warm-up: please delete my data")  # and trains the intake classifier

    def ask(self, question: str, document: str | None = None, as_of: str | None = None) -> Observed:
        start = time.perf_counter()
        answer = self.assistant.ask(question, document=document, as_of=as_of)
        seconds = time.perf_counter() - start
        cited = [Cited(c.document, c.version, c.quote, c.section) for c in answer.citations]
        return Observed(answer.answerable, answer.text, cited, seconds, answer.reasons, answer.lead)

    def intake(self, message: str) -> IntakeObserved:
        start = time.perf_counter()
        try:
            draft = self.assistant.intake(message)
        except InvalidInputError:  # refused with a clear error (an emoji-only message): nothing started
            draft = None
        seconds = time.perf_counter() - start
        if draft is None:
            return IntakeObserved(False, set(), {f: None for f in INTAKE_FIELDS}, seconds)
        # The first sets' "name" is the data subject's: the child's or client's when a parent or agent
        # writes and names them, else the writer's ("named_person"); later sets label both apart.
        speaks_for_another = draft.on_behalf_of in ("parent_guardian", "authorised_agent")
        named = (draft.subject_name or draft.name) if speaks_for_another else draft.name
        fields = {
            "email": draft.email,
            "name": draft.name,
            "on_behalf_of": draft.on_behalf_of,
            "subject_name": draft.subject_name,
            "subject_email": draft.subject_email,
            "named_person": named,
        }
        return IntakeObserved(True, set(draft.rights), fields, seconds)


class HttpTarget:
    """A running ``privacy-assistant serve`` at ``base_url``; waits out its rate limit when it answers 429."""

    observes: tuple[str, ...] = ()

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInputError(f"--target {base_url!r} must be a URL like http://127.0.0.1:8000")
        self.name = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.name, timeout=timeout)

    def _post(self, path: str, body: dict[str, object], refused: dict | None = None) -> tuple[dict, float]:
        """The JSON reply; ``refused`` stands for it when the service rejects the input (422), if given."""
        for _ in range(20):
            start = time.perf_counter()
            try:
                response = self.client.post(path, json=body)
            except httpx.TransportError as exc:
                raise InvalidInputError(
                    f"cannot reach {self.name}{path} ({exc}); is the server running?"
                ) from None
            seconds = time.perf_counter() - start
            if response.status_code == 429:
                time.sleep(float(response.headers.get("retry-after", "1")))
                continue
            if response.status_code == 422 and refused is not None:
                return refused, seconds
            if response.status_code != 200:
                raise InvalidInputError(
                    f"{self.name}{path} answered {response.status_code}: {response.text[:200]}"
                )
            return response.json(), seconds
        raise InvalidInputError(
            f"{self.name}{path} kept answering 429; raise its PRIVACY_ASSISTANT_RATE_LIMIT"
        )

    def warm(self) -> None:
        self.ask("warm-up question about the policy")

    def versions(self) -> dict[str, list[str]]:
        """The versions the server holds, by document (``GET /api/policy``)."""
        try:
            listing = self.client.get("/api/policy").json()
        except (httpx.TransportError, ValueError) as exc:
            raise InvalidInputError(
                f"cannot read {self.name}/api/policy ({exc}); is the server running?"
            ) from None
        return {d["document"]: sorted(v["version"] for v in d["versions"]) for d in listing["documents"]}

    def ask(self, question: str, document: str | None = None, as_of: str | None = None) -> Observed:
        body = {"question": question, "document": document, "as_of": as_of}
        data, seconds = self._post("/api/ask", {k: v for k, v in body.items() if v is not None})
        cited = [
            Cited(c["document"], c["version"], c["quote"], c.get("section", "")) for c in data["citations"]
        ]
        return Observed(
            data["answerable"], data["text"], cited, seconds, data.get("reasons", []), data.get("lead", "")
        )

    def intake(self, message: str) -> IntakeObserved:
        data, seconds = self._post("/api/chat", {"message": message}, refused={})
        intake = data.get("intake") or {}
        started = intake.get("stage") in ("collecting", "confirming")
        return IntakeObserved(started, set(intake.get("rights") or []) if started else set(), {}, seconds)


class Targets:
    """The target for each corpus a suite asks about: the default one, or a fixture corpus (history)."""

    def __init__(
        self,
        default: Target | None = None,
        url: str | None = None,
        history_url: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.url, self.history_url = url, history_url or url
        self._default = default
        self._by_corpus: dict[Path, Target] = {}
        self._gap_finder: GapFinder | None = None

    @property
    def name(self) -> str:
        return self.url or "in-process"

    def gap_finder(self) -> GapFinder:
        """Groups questions as the team's knowledge-gap report does: the in-process assistant's, or one
        over this machine's MiniLM for a target over HTTP."""
        if self._gap_finder is None:
            target = self.default()
            self._gap_finder = (
                target.assistant.gap_finder
                if isinstance(target, InProcessTarget)
                else GapFinder(
                    LocalEmbeddings(
                        self.settings.embedding_device, cache=VectorCache(self.settings.cache_dir)
                    ),
                    render=Languages.load().render,
                )
            )
        return self._gap_finder

    def default(self) -> Target:
        if self._default is None:
            self._default = (
                HttpTarget(self.url) if self.url else InProcessTarget(Assistant.open(settings=self.settings))
            )
            self._default.warm()
        return self._default

    def for_corpus(self, corpus: str, document: str, versions: list[str]) -> Target:
        """A target serving ``corpus`` (relative to the project root), holding ``versions`` of ``document``."""
        folder = (PROJECT_ROOT / corpus).resolve()
        if folder not in self._by_corpus:
            if self.history_url:
                target = HttpTarget(self.history_url)
                held = target.versions().get(document, [])
                if not set(versions) <= set(held):
                    raise InvalidInputError(
                        f"{self.history_url} holds versions {held or 'none'} of {document}; these questions "
                        f"need {sorted(versions)}: serve {corpus} (PRIVACY_ASSISTANT_CORPUS_DIR={corpus}) "
                        "and pass its address as --history-target"
                    )
            else:
                data = self.settings.data_dir / "evals" / folder.name
                target = InProcessTarget(
                    Assistant.open(corpus_dir=folder, data_dir=data, settings=self.settings)
                )
            target.warm()
            self._by_corpus[folder] = target
        return self._by_corpus[folder]
