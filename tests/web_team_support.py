"""What the tests of the web service's rights-request side share (tests/test_web_team.py,
test_web_verify.py, test_web_conversations.py, test_web_operations.py): an app with a team token over
a request database of the test module's own, and helpers to file a request and read its trail.

A test module imports the fixtures by name, ``from tests.web_team_support import client as client``:
pytest then finds them there, and a module-scoped one is made once for each test module."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.intake.draft import RequestDraft
from assistant.web import create_app
from tests.conftest import CORPUS

TOKEN = "team-token-for-tests-0123456789abcdef"
TEAM = {"Authorization": f"Bearer {TOKEN}", "X-Team-Member": "ana@numecent.com"}  # a team member's headers


@pytest.fixture(scope="module")
def team_assistant(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The session's index, with a request database of this module's own."""
    db = tmp_path_factory.mktemp("team") / "requests.db"
    a = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{db}")
    a.index()
    return a


@pytest.fixture(scope="module")
def client(team_assistant: Assistant):
    settings = team_assistant.settings.model_copy(update={"team_token": TOKEN, "rate_limit": 1000})
    with TestClient(create_app(team_assistant, settings)) as c:
        yield c


def submit(assistant: Assistant, email_address: str = "jo@example.com", **changes) -> str:
    values = {"rights": ["erasure"], "name": "Jo Bloggs", "email": email_address, **changes}
    draft = RequestDraft(**values).refresh_missing()
    key = f"test:{time.time_ns()}"
    return assistant.requests.submit(draft, idempotency_key=key, channel="api").request.reference


def trail(assistant: Assistant, reference: str) -> list[tuple[str, str, dict]]:
    return [(e.kind, e.actor, e.detail) for e in assistant.requests.events(reference)]


def up_to_the_summary(client: TestClient, message: str, name: str) -> dict:
    """File a request through the chat, answering the one question it asks (the name), up to the
    confirmation; returns the turn that shows the summary."""
    turn = client.post("/api/chat", json={"message": message}).json()
    if turn["intake"]["stage"] == "collecting":
        assert turn["intake"]["missing"] == ["name"], turn
        turn = client.post(
            "/api/chat", json={"conversation_id": turn["conversation_id"], "message": name}
        ).json()
    assert turn["intake"]["stage"] == "confirming", turn
    return turn
