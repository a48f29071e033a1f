"""The optional LLM writer: the lead line in plain words, through LangChain, checked before it is shown.

Off unless ``PRIVACY_ASSISTANT_LLM`` names an OpenAI-compatible endpoint or an Ollama model. The writer
sees only the question and the quotes the answer already selected, and writes only the lead; the
quotes are still shown verbatim beneath it. Its lead is shown when ``grounding.problems`` finds nothing
wrong with it; otherwise, and when the endpoint is slow (``LLM_TIMEOUT``) or fails, the extractive
lead stands. A failure never reaches the visitor, and is logged once until the endpoint works again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from assistant.answering import grounding
from assistant.answering.compose import Answer
from assistant.exceptions import ConfigurationError
from assistant.prompts import Prompts

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import Settings

log = logging.getLogger(__name__)

MAX_LEAD_TOKENS = 160  # a lead is one or two sentences; a model that rambles is cut short
_END = object()


@dataclass(frozen=True)
class Endpoint:
    """Where the writer is: ``openai:<base URL>#<model>`` or ``ollama:<model>``."""

    provider: Literal["openai", "ollama"]
    model: str
    base_url: str

    @classmethod
    def parse(cls, value: str, ollama_url: str) -> Endpoint:
        """``value`` as the settings checked it: ``openai:<base URL>#<model>`` or ``ollama:<model>``."""
        provider, _, rest = value.strip().partition(":")
        if provider == "openai":
            url, _, model = rest.partition("#")
            return cls("openai", model, url)
        return cls("ollama", rest, ollama_url)

    def __str__(self) -> str:
        # Only where the writer is: the base URL may carry credentials, the model name does not.
        return f"{self.provider} model {self.model}"


class LeadWriter:
    """Writes a lead for an answer within a time budget; ``lead_for`` keeps only a supported one."""

    def __init__(self, model: BaseChatModel, prompts: Prompts, timeout: float, name: str = "the LLM") -> None:
        self.model = model
        self.prompts = prompts
        self.timeout = timeout
        self.name = name
        self._failing = False  # so a failing endpoint is logged once, not on every question
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, prompts: Prompts) -> LeadWriter | None:
        """The writer ``settings.llm`` names, or None when it is unset."""
        if not settings.llm:
            return None
        endpoint = Endpoint.parse(settings.llm, settings.llm_base_url)
        # The client gives up a little after the budget, so an abandoned call ends on its own.
        client_timeout = settings.llm_timeout + 1
        try:
            if endpoint.provider == "openai":
                from langchain_openai import ChatOpenAI

                model: BaseChatModel = ChatOpenAI(
                    model=endpoint.model,
                    base_url=endpoint.base_url,
                    api_key=settings.llm_api_key or "unused",  # local servers take any key
                    timeout=client_timeout,
                    max_retries=0,  # a retry would only spend the budget: the extractive lead is ready
                    temperature=0,
                    max_completion_tokens=MAX_LEAD_TOKENS,
                )
            else:
                from langchain_ollama import ChatOllama

                model = ChatOllama(
                    model=endpoint.model,
                    base_url=endpoint.base_url,
                    temperature=0,
                    num_predict=MAX_LEAD_TOKENS,
                    client_kwargs={"timeout": client_timeout},
                )
        except ImportError as exc:
            raise ConfigurationError(
                f"PRIVACY_ASSISTANT_LLM needs the [llm] extra ({exc.name} is not installed): "
                "pip install 'privacy-assistant[llm]'"
            ) from None
        return cls(model, prompts, settings.llm_timeout, str(endpoint))

    def lead_for(
        self, answer: Answer, allowed: tuple[str, ...] = (), on_token: Callable[[str], None] | None = None
    ) -> Answer:
        """``answer`` with the writer's lead when the quotes support it, else as it is (its extractive
        lead). ``on_token`` receives the lead as it is written; the answer returned says which lead
        stands. ``allowed``: names the lead may use beyond the quotes' words (the organization's)."""
        if not answer.answerable or not answer.lead:
            return answer
        quotes = [c.quote for c in answer.citations]
        written = self.write(answer.question, quotes, on_token)
        if written is None:
            return answer
        if found := grounding.problems(written, quotes, allowed):
            log.info("the LLM's lead was not shown: %s", "; ".join(found)[:300])
            return answer
        return replace(answer, lead=" ".join(written.split()), lead_source="writer")

    def write(
        self, question: str, quotes: list[str], on_token: Callable[[str], None] | None = None
    ) -> str | None:
        """The model's lead, or None when it fails, says nothing, or is not done within the budget.

        Streams when ``on_token`` is given. The call runs on a thread of its own, so a slow model costs
        the visitor the budget and no more; its thread ends when the client's own timeout does."""
        messages = [("human", self.prompts.render("writer_lead", question=question, quotes=quotes))]
        deadline = time.monotonic() + self.timeout
        parts: queue.Queue[object] = queue.Queue()

        def run() -> None:
            try:
                if on_token is None:
                    parts.put(_text(self.model.invoke(messages).content))
                else:
                    for chunk in self.model.stream(messages):
                        parts.put(_text(chunk.content))
                parts.put(_END)
            except Exception as exc:  # whatever the endpoint does, the visitor gets an answer
                parts.put(exc)

        threading.Thread(target=run, name="lead-writer", daemon=True).start()
        written: list[str] = []
        while True:
            try:
                part = parts.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._failed(f"no answer within {self.timeout:g} s")
                return None
            if part is _END:
                break
            if isinstance(part, Exception):
                status = getattr(part, "status_code", None)
                self._failed(type(part).__name__ + (f" (HTTP {status})" if status else ""))
                return None
            if isinstance(part, str) and part:
                written.append(part)
                if on_token is not None:
                    on_token(part)
        self._works()
        return "".join(written).strip() or None

    def _failed(self, reason: str) -> None:
        # The reason is the error's kind, never its message: that may echo the question back.
        with self._lock:
            if self._failing:
                return
            self._failing = True
        log.warning(
            "the LLM writer (%s) failed: %s; leads are extractive until it answers", self.name, reason
        )

    def _works(self) -> None:
        with self._lock:
            if not self._failing:
                return
            self._failing = False
        log.warning("the LLM writer (%s) answers again", self.name)


def _text(content: object) -> str:
    """A message's text: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content if b)
    return ""
