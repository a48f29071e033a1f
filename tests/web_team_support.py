"""What the tests of the web service's rights-request side share (tests/test_web_team.py,
test_web_verify.py, test_web_conversations.py, test_web_operations.py): an app over a request database
of the test module's own with its team enrolled (``TEAM`` holds the admin's headers, filled in when the
``client`` fixture has enrolled them), and helpers to file a request and read its trail.

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

ADMIN = "ana@numecent.com"
TEAM: dict[str, str] = {}  # the admin's headers for the current module's database (``client`` fills it)


def enrol(assistant: Assistant, name: str = ADMIN, role: str = "admin") -> dict[str, str]:
    """Put ``name`` on the team with ``role`` (the first member, the admin, on an empty team) and
    return the headers of a new token of theirs."""
    members = assistant.requests.members
    if name not in {m.name for m in members.list()}:
        members.add(name, role, actor=None if not members.count() else ADMIN)
    _, token = members.issue_token(name, actor=ADMIN)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def team_assistant(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The session's index, with a request database of this module's own."""
    db = tmp_path_factory.mktemp("team") / "requests.db"
    a = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{db}")
    a.index()
    return a


@pytest.fixture(scope="module")
def client(team_assistant: Assistant):
    TEAM.clear()
    TEAM.update(enrol(team_assistant))
    settings = team_assistant.settings.model_copy(update={"rate_limit": 1000})
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
