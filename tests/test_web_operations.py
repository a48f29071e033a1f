"""The web service's operations on the rights-request side, through httpx against the real app: the
submitted-requests metric, readiness of the request database and the periodic retention purge. Real
model, Chroma and SQLite."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.intake.draft import RequestDraft
from assistant.requests import OutboxWorker
from assistant.web import create_app
from tests.conftest import CORPUS, prometheus_sample
from tests.web_team_support import client as client
from tests.web_team_support import submit, trail, up_to_the_summary
from tests.web_team_support import team_assistant as team_assistant

# -- metrics ---------------------------------------------------------------------------------------


def test_submitted_requests_are_counted_once_each(team_assistant):
    with TestClient(create_app(team_assistant)) as client:
        start = client.get("/metrics").text
        assert (
            prometheus_sample(start, "privacy_assistant_rights_requests_submitted_total", channel="web") == 0
        )
        turn = up_to_the_summary(
            client, "Please delete all my data, my email is cy@example.com", "Cy Counted"
        )
        cid = turn["conversation_id"]
        submitted = client.post("/api/chat", json={"conversation_id": cid, "action": "confirm"}).json()
        assert submitted["intake"]["reference"]
        client.post("/api/chat", json={"conversation_id": cid, "action": "confirm"})  # a double click
        client.post("/api/chat", json={"conversation_id": cid, "message": "123456"})  # a (wrong) code
        submit(team_assistant)  # another channel, same process
        text = client.get("/metrics").text
    assert prometheus_sample(text, "privacy_assistant_rights_requests_submitted_total", channel="web") == 1
    assert prometheus_sample(text, "privacy_assistant_rights_requests_submitted_total", channel="api") == 1


# -- operations ------------------------------------------------------------------------------------
def test_readiness_checks_the_request_database(client, tmp_path, data_dir):
    ready = client.get("/readyz").json()
    assert ready == {"status": "ready", "checks": {"index": "ok", "requests": "ok"}, "audit": "ok"}
    unreachable = Assistant.open(
        corpus_dir=CORPUS, data_dir=data_dir, database_url="postgresql://nobody@127.0.0.1:9/none"
    )
    response = TestClient(create_app(unreachable)).get("/readyz")  # no start-up: it would fail there
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["index"] == "ok" and body["checks"]["requests"].startswith("failed:")


def test_the_service_applies_the_retention_periods_periodically(team_assistant):
    settings = team_assistant.settings.model_copy(update={"purge_interval_seconds": 0.2})
    store = team_assistant.conversations
    queue = team_assistant.requests
    old = datetime.now(UTC) - timedelta(days=31)
    store.append("purge-at-start-0001", "visitor", "before start-up", now=old)
    store.save("purge-at-start-0001", "web", {"draft": {"name": "Jo Bloggs"}}, now=old)
    long_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    draft = RequestDraft(rights=["erasure"], name="Jo Bloggs", email="closed@example.com").refresh_missing()
    closed = queue.submit(draft, f"test:{time.time_ns()}", channel="api", now=long_ago).request.reference
    OutboxWorker(queue.storage).deliver_due(long_ago)
    queue.transition(closed, "rejected", actor="team", now=long_ago)
    with TestClient(create_app(team_assistant, settings)):
        deadline = time.monotonic() + 20
        while queue.get(closed).email and time.monotonic() < deadline:
            time.sleep(0.1)
        # The run at start-up: the old transcript, the conversation's state, the closed request's identity.
        assert store.transcript("purge-at-start-0001") == []
        assert store.load("purge-at-start-0001") is None
        assert queue.get(closed).email == ""
        assert trail(team_assistant, closed)[-1][:2] == ("identity_purged", "retention")
        # Written while the service runs: gone at a later run; a recent message stays.
        store.append("purge-while-up-0001", "visitor", "old news", now=old)
        store.append("purge-while-up-0001", "visitor", "fresh")
        deadline = time.monotonic() + 20
        while len(store.transcript("purge-while-up-0001")) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [text for _, _, text in store.transcript("purge-while-up-0001")] == ["fresh"]
        # After shutdown the job is stopped: nothing purges any more.
    store.append("purge-after-stop-01", "visitor", "old, after shutdown", now=old)
    time.sleep(0.6)
    assert len(store.transcript("purge-after-stop-01")) == 1
