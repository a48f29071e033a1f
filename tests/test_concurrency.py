"""Correctness under concurrency (issue 20): many visitors at once get answers, never a 500.

Timing is the benchmarks' business (bench/load_ask.py); these tests only count failures.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from assistant import Assistant
from tests.conftest import free_port, serving

pytestmark = pytest.mark.slow  # each test starts processes or servers, or drives them hard

QUESTIONS = [
    "How long do you keep my data?",
    "Do you sell my personal information?",
    "Is my data HIPAA-compliant on Kubernetes?",
    "I'm a teacher: can I get a copy of what you hold on my pupils?",
    "Do you use cookies for advertising?",
    "Who is the data controller?",
    "What is the capital of France?",
    "Do you collect information from children under 13?",
]
CHAT_MESSAGES = [
    "How long do you keep my CV?",
    "Do you share my data with recruiters?",
    "Please delete my data",
    "hello",
    "Can I object to direct marketing?",
]


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads switch every microsecond, so a race that load would hit once in minutes shows in seconds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_encoding_a_batch_leaves_the_models_tokenizer_as_it_was_set(assistant: Assistant):
    """A tokenizer that keeps padding as state each call sets let one request thread unpad the batch
    another thread was encoding (issue 20's "expected sequence of length 15 at dim 1 (got 8)"). The
    model's tokenizer is configured once and only read; a batch pads itself."""
    tokenizer = assistant.embeddings.model.tokenizer
    before = (tokenizer.padding, tokenizer.truncation)
    assistant.embeddings.encode(["Is my data HIPAA-compliant?", "a longer question than the first one"])
    assert (tokenizer.padding, tokenizer.truncation) == before


def test_retrieval_while_batches_are_in_the_model_breaks_neither(assistant: Assistant, busy_switching):
    """Both at once, as on a web server at load: every batch is encoded and every question retrieved."""
    retriever = assistant.retriever
    versions = retriever.versions_for(None)
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def run(work) -> None:
        start.wait()
        try:
            work()
        except BaseException as exc:  # every failure counts, whatever its kind
            failures.append(exc)

    def retrieve(offset: int) -> None:
        for i in range(20):
            found = retriever.retrieve(QUESTIONS[(offset + i) % len(QUESTIONS)], versions)
            assert found.results

    def search(offset: int) -> None:
        for i in range(40):
            assistant.embeddings.encode_query(QUESTIONS[(offset + i) % len(QUESTIONS)] * (1 + i % 3))

    threads = [threading.Thread(target=run, args=(lambda n=n: retrieve(n),)) for n in range(2)]
    threads += [threading.Thread(target=run, args=(lambda n=n: search(n),)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, f"{len(failures)} threads failed, first: {failures[0]!r}"


@pytest.fixture(scope="module")
def unlimited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``privacy-assistant serve`` on a data folder of its own, with no per-client rate limit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path_factory.mktemp("busy-data")
    log = tmp_path_factory.mktemp("busy-server") / "server.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_RATE_LIMIT": "0",
    }
    with serving(env, log, url, ready_seconds=300):
        yield url
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line or " 500 " in line]
    assert not errors, "the server logged errors:\n" + "\n".join(errors[:20])


async def _storm(url: str, path: str, bodies: list[dict], concurrency: int) -> Counter:
    """Sends every body with ``concurrency`` in flight; counts the responses' status codes."""
    statuses: Counter = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=300) as client:

        async def send(body: dict) -> None:
            async with gate:
                try:
                    response = await client.post(path, json=body)
                    statuses[response.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1

        await asyncio.gather(*(send(body) for body in bodies))
    return statuses


def test_ask_at_concurrency_64_answers_every_request(unlimited_server: str):
    bodies = [{"question": QUESTIONS[i % len(QUESTIONS)] + " " * (i % 3)} for i in range(256)]
    statuses = asyncio.run(_storm(unlimited_server, "/api/ask", bodies, concurrency=64))
    assert statuses == Counter({200: 256}), statuses


def test_chat_at_concurrency_64_answers_every_turn(unlimited_server: str):
    bodies = [{"message": CHAT_MESSAGES[i % len(CHAT_MESSAGES)]} for i in range(256)]
    statuses = asyncio.run(_storm(unlimited_server, "/api/chat", bodies, concurrency=64))
    assert statuses == Counter({200: 256}), statuses


def test_one_conversation_hit_by_many_turns_at_once_keeps_answering(unlimited_server: str):
    """Turns of one conversation racing each other: each is answered, none is a 500."""
    first = httpx.post(f"{unlimited_server}/api/chat", json={"message": "hello"}, timeout=60).json()
    conversation_id = first["conversation_id"]
    bodies = [
        {"conversation_id": conversation_id, "message": CHAT_MESSAGES[i % len(CHAT_MESSAGES)]}
        for i in range(64)
    ]
    statuses = asyncio.run(_storm(unlimited_server, "/api/chat", bodies, concurrency=64))
    assert statuses == Counter({200: 64}), statuses
