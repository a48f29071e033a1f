"""Many writers at once on a real PostgreSQL: no request lost, none duplicated, none claimed twice."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from assistant import RequestDraft
from assistant.requests.outbox import OutboxWorker
from tests.conftest import fresh_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_queue(tmp_path):
    url = fresh_postgres()
    from assistant.prompts import load_prompts
    from assistant.requests import RequestQueue
    from assistant.settings import get_settings

    settings = get_settings().model_copy(update={"data_dir": tmp_path / "data", "database_url": url})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    yield queue
    queue.close()


def test_200_concurrent_submissions_each_made_twice_give_exactly_200_requests(pg_queue):
    keys = [f"conversation:{n:03d}:1" for n in range(200)]
    # Every key is submitted twice (a double click, a retried request), all 400 calls interleaved.
    calls = [k for pair in zip(keys, keys, strict=True) for k in pair]

    def submit(key: str):
        draft = RequestDraft(rights=["access"], name="Jo", email=f"{key.split(':')[1]}@example.com")
        return key, pg_queue.submit(draft, idempotency_key=key, channel="web")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(submit, calls))
    seconds = time.perf_counter() - start

    by_key: dict[str, set[str]] = {}
    created = 0
    for key, submission in results:
        by_key.setdefault(key, set()).add(submission.request.reference)
        created += submission.created
    assert created == 200
    assert all(len(refs) == 1 for refs in by_key.values())  # both calls of a key saw the same request
    references = sorted(ref for refs in by_key.values() for ref in refs)
    assert len(set(references)) == 200
    numbers = sorted(int(re.fullmatch(r"DSAR-\d{4}-(\d{6})", r).group(1)) for r in references)
    assert numbers == list(range(1, 201))  # no gaps, no repeats
    assert pg_queue.count() == 200
    with pg_queue.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 200
        mails = connection.execute(text("SELECT count(*) FROM outbox WHERE kind = 'email'")).scalar_one()
        assert mails == 200
    assert OutboxWorker(pg_queue.storage).drain(120) == 200
    assert OutboxWorker(pg_queue.storage).pending() == 0
    # Each request's e-mail is its own: nothing crossed between concurrent transactions.
    for request in pg_queue.list():
        key = next(k for k, refs in by_key.items() if request.reference in refs)
        assert request.email == f"{key.split(':')[1]}@example.com"
    print(f"\n200 requests from 400 concurrent submissions in {seconds:.2f} s")


def test_concurrent_workers_never_claim_the_same_request(pg_queue):
    references = []
    for n in range(60):
        draft = RequestDraft(rights=["erasure"], name="Jo", email=f"w{n}@example.com")
        reference = pg_queue.submit(draft, idempotency_key=f"w{n}").request.reference
        pg_queue.transition(reference, "verified", actor="team")
        references.append(reference)

    def work(worker: str) -> list[str]:
        taken = []
        while (request := pg_queue.claim_next(worker)) is not None:
            taken.append(request.reference)
        return taken

    with ThreadPoolExecutor(max_workers=8) as pool:
        claimed = list(pool.map(work, [f"worker-{i}" for i in range(8)]))
    flat = [r for taken in claimed for r in taken]
    assert sorted(flat) == sorted(references)  # every request claimed exactly once
    assert sum(1 for taken in claimed if taken) > 1  # the work really was shared
    assert all(r.status == "in_progress" for r in pg_queue.list())
