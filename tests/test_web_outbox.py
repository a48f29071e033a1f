"""Mail out of the request path, through the real app: a stalled SMTP server (aiosmtpd, answering
nothing for a minute) slows neither a visitor's chat nor the privacy team's API; the mail goes once
the server answers, and /metrics shows what waits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app
from tests.conftest import CORPUS, prometheus_sample
from tests.smtp_server import STALL_SECONDS, StallingInbox, smtp_server
from tests.web_team_support import TEAM, enrol

PROMPT = 10  # seconds: generous for two cores shared by many, and far below the server's stall


@pytest.fixture
def stalled(assistant: Assistant, data_dir: Path, tmp_path: Path):
    """The session's index with a request database of its own, mailing through a stalling server."""
    inbox = StallingInbox()
    with smtp_server(inbox) as url:
        a = Assistant.open(
            corpus_dir=CORPUS,
            data_dir=data_dir,
            database_url=f"sqlite:///{tmp_path / 'requests.db'}",
            smtp_url=url,
            smtp_timeout_seconds=STALL_SECONDS * 2,  # the worker really waits on the server
        )
        a.index()
        yield a, inbox
        a.requests.close()


def chat_to_the_summary(client: TestClient, name: str, address: str) -> str:
    turn = client.post("/api/chat", json={"message": f"Please delete all my data, my email is {address}"})
    turn = turn.json()
    if turn["intake"]["stage"] == "collecting":
        turn = client.post(
            "/api/chat", json={"conversation_id": turn["conversation_id"], "message": name}
        ).json()
    assert turn["intake"]["stage"] == "confirming", turn
    return turn["conversation_id"]


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_stalled_smtp_server_slows_neither_the_chat_nor_the_team_api(stalled):
    assistant, inbox = stalled
    TEAM.clear()
    TEAM.update(enrol(assistant))
    settings = assistant.settings.model_copy(update={"rate_limit": 1000})
    with TestClient(create_app(assistant, settings)) as client:
        first = chat_to_the_summary(client, "Jo Stalled", "jo.stalled@example.com")
        second = chat_to_the_summary(client, "Mo Waiting", "mo.waiting@example.com")

        confirmed, took = timed(
            lambda: client.post("/api/chat", json={"conversation_id": first, "action": "confirm"})
        )
        reference = confirmed.json()["intake"]["reference"]
        assert took < PROMPT, f"the confirmation took {took:.1f} s"
        assert inbox.stalled.wait(30)  # the worker has the first mail and the server answers nothing

        # While the server stalls: another visitor confirms, the team works the queue.
        confirmed, took = timed(
            lambda: client.post("/api/chat", json={"conversation_id": second, "action": "confirm"})
        )
        assert confirmed.json()["intake"]["stage"] == "submitted"
        assert took < PROMPT, f"the chat waited {took:.1f} s for a server stalled {STALL_SECONDS} s"
        for path, body in (
            ("assign", {"assignee": "bo@numecent.com"}),
            ("transition", {"status": "rejected"}),
        ):
            answer, took = timed(
                lambda path=path, body=body: client.post(
                    f"/api/team/requests/{reference}/{path}", json=body, headers=TEAM
                )
            )
            assert answer.status_code == 200, answer.text
            assert took < PROMPT, f"the team's {path} waited {took:.1f} s for a stalled mail server"
        assert inbox.messages == []  # the server is still stalled: nobody waited for it
        waiting = client.get("/metrics").text
        assert prometheus_sample(waiting, "privacy_assistant_outbox_messages", state="waiting") == 2

        inbox.release()
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sorted(m["To"] for m in inbox.messages) == ["jo.stalled@example.com", "mo.waiting@example.com"]
        done = client.get("/metrics").text
        assert prometheus_sample(done, "privacy_assistant_outbox_messages", state="waiting") == 0
        assert prometheus_sample(done, "privacy_assistant_outbox_messages", state="dead") == 0
