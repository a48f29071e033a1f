"""Errors that tell the truth, the same on every route that reads a JSON body: 415 for another format,
400 for a body that is not JSON (naming the route's own fields), 422 for JSON the route cannot use; and
the README's limits are the service's. Real model, Chroma and SQLite, through Starlette's TestClient."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import CORPUS
from tests.web_team_support import TEAM, enrol

REFERENCE = "DSAR-2026-000001"

# Every route that reads a JSON body, with a body it accepts and the field its example must name.
JSON_ROUTES = [
    ("/api/ask", {"question": "Do you use cookies?"}, "question"),
    ("/api/chat", {"message": "Do you use cookies?"}, "message"),
    ("/api/requests/verify", {"reference": REFERENCE, "code": "123456"}, "reference"),
    (f"/api/team/requests/{REFERENCE}/assign", {"assignee": "ana"}, "assignee"),
    (f"/api/team/requests/{REFERENCE}/transition", {"status": "verified"}, "status"),
    (f"/api/team/requests/{REFERENCE}/extend", {"reason": "many systems"}, "reason"),
]
ROUTE_IDS = [path.split("/")[-1] for path, _, _ in JSON_ROUTES]


@pytest.fixture(scope="module")
def client(data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from assistant.web import create_app

    db = tmp_path_factory.mktemp("errors") / "requests.db"
    assistant = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{db}")
    assistant.index()
    TEAM.clear()
    TEAM.update(enrol(assistant))
    settings = assistant.settings.model_copy(update={"rate_limit": 0})
    with TestClient(create_app(assistant, settings)) as c:
        yield c


def post(client: TestClient, path: str, body: bytes, content_type: str | None):
    headers = dict(TEAM)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(path, content=body, headers=headers)


@pytest.mark.parametrize(("path", "good", "field"), JSON_ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/xml"])
def test_another_format_is_415_saying_to_send_json(client, path, good, field, content_type):
    response = post(client, path, json.dumps(good).encode(), content_type)
    assert response.status_code == 415, response.text
    problem = response.json()["error"]
    assert "Content-Type: application/json" in problem
    assert f'"{field}"' in problem  # an example of this route's own body


@pytest.mark.parametrize(("path", "good", "field"), JSON_ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"oops": "coo', "Unterminated string"),
        (b"", "it is empty"),
        (b'"\xff\xfe"', "not UTF-8"),
        (b"[" * 5000, "nests too deep"),
    ],
    ids=["truncated", "empty", "not-utf8", "nested"],
)
def test_a_body_that_is_not_json_is_400_naming_the_routes_fields(client, path, good, field, body, why):
    response = post(client, path, body, "application/json")
    assert response.status_code == 400, response.text
    problem = response.json()["error"]
    assert problem.startswith("the body is not valid JSON") and why in problem
    assert f'"{field}"' in problem
    assert '"message"' not in problem or field == "message"


@pytest.mark.parametrize(("path", "good", "field"), JSON_ROUTES, ids=ROUTE_IDS)
def test_json_the_route_cannot_use_is_422_naming_the_field(client, path, good, field):
    unknown = post(client, path, json.dumps({**good, "colour": "red"}).encode(), "application/json")
    assert unknown.status_code == 422 and unknown.json()["error"] == "colour: unknown field; remove it"
    missing = {key: value for key, value in good.items() if key != field}
    if path != "/api/chat":  # chat needs a message or an action, said as such
        response = post(client, path, json.dumps(missing).encode(), "application/json")
        assert response.status_code == 422 and f"{field}: this field is required" in response.json()["error"]
    wrong_type = post(client, path, json.dumps({**good, field: [1]}).encode(), "application/json")
    assert wrong_type.status_code == 422 and wrong_type.json()["error"].startswith(f"{field}: ")
    not_an_object = post(client, path, b"[1, 2]", "application/json")
    assert not_an_object.status_code == 422
    assert not_an_object.json()["error"].startswith("body: send a JSON object such as {")


def test_json_with_a_charset_or_a_json_suffix_is_read(client):
    for content_type in ("application/json; charset=utf-8", "application/problem+json"):
        response = post(client, "/api/ask", b'{"question": "Do you use cookies?"}', content_type)
        assert response.status_code == 200, response.text


def test_verify_still_takes_a_form_and_refuses_a_crowded_one(client):
    form = "application/x-www-form-urlencoded"
    unknown = post(client, "/api/requests/verify", f"reference={REFERENCE}&code=123456".encode(), form)
    assert unknown.status_code == 404 and REFERENCE in unknown.json()["error"]
    crowded = post(client, "/api/requests/verify", b"&".join([b"a=1"] * 11), form)
    assert crowded.status_code == 422 and "too many fields" in crowded.json()["error"]


# -- the README's limits are the service's ---------------------------------------------------------
def readme_default(variable: str) -> int:
    row = re.search(rf"^\| `{variable}` \| `(\d+)` \|", (PROJECT_ROOT / "README.md").read_text(), re.M)
    assert row, f"{variable} has no row in the README's configuration table"
    return int(row.group(1))


def test_the_readme_states_the_defaults_of_every_limit():
    defaults = Settings()
    for variable in ("MAX_QUESTION_CHARS", "MAX_MESSAGE_CHARS", "MAX_BODY_BYTES", "RATE_LIMIT"):
        assert readme_default(variable) == getattr(defaults, variable.lower()), variable


def test_the_web_chat_takes_messages_up_to_the_documented_limit(client):
    limit = readme_default("MAX_MESSAGE_CHARS")
    assert client.get("/api/widget").json()["max_message_chars"] == limit
    # Every letter escaped (as json.dumps sends it) is the largest body a message of the limit makes.
    longest = "Can I see my data? " + "é" * (limit - 19)
    accepted = client.post(
        "/api/chat", content=json.dumps({"message": longest}), headers={"Content-Type": "application/json"}
    )
    assert accepted.status_code == 200, accepted.text
    refused = client.post("/api/chat", json={"message": longest + "é"})
    assert refused.status_code == 422
    assert f"write at most {limit:,} characters" in refused.json()["error"]


def test_the_ask_route_takes_questions_up_to_the_documented_limit(client):
    limit = readme_default("MAX_QUESTION_CHARS")
    question = "Do you use cookies? " + "a" * (limit - 20)
    assert client.post("/api/ask", json={"question": question}).status_code == 200
    refused = client.post("/api/ask", json={"question": question + "a"})
    assert refused.status_code == 422 and f"at most {limit:,} characters" in refused.json()["error"]
