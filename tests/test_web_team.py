"""The web service's rights-request side, through httpx against the real app: the team API, the
verification route and page, conversation ids, readiness of the request database, the retention purge
job, the diff pages and the submitted-requests metric. Real model, Chroma, SQLite and outbox."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.intake.draft import RequestDraft
from assistant.requests import OutboxWorker
from assistant.web import create_app
from tests.conftest import CORPUS, SEED_DOCUMENT, prometheus_sample
from tests.fixtures import HISTORY
from tests.test_requests import HOSTILE, formula_cells
from tests.test_resend import expire_codes, other_than

FORM = "application/x-www-form-urlencoded"

TOKEN = "team-token-for-tests-0123456789abcdef"
TEAM = {"Authorization": f"Bearer {TOKEN}", "X-Team-Member": "ana@numecent.com"}


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


def verification_mail(assistant: Assistant, reference: str) -> tuple[str, str]:
    """The code and the link of the latest verification mail for ``reference``, from the outbox folder.

    The app's own worker may be writing it this instant (its lease hides it from ``deliver_due``), so the
    folder is read only once nothing waits in the outbox.
    """
    deadline = time.monotonic() + 10
    while True:
        assistant.outbox.deliver_due()
        if assistant.outbox.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        for message in reversed(assistant.outbox.folder.messages()):
            if reference in message["Subject"]:
                body = message.get_content()
                code = re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE).group(1)
                link = re.search(r"(https?://\S+/verify\?\S+)", body).group(1)
                return code, link
        if time.monotonic() > deadline:
            raise AssertionError(f"no verification mail for {reference}")
        time.sleep(0.05)


def trail(assistant: Assistant, reference: str) -> list[tuple[str, str, dict]]:
    return [(e.kind, e.actor, e.detail) for e in assistant.requests.events(reference)]


# -- the team API: authorisation -----------------------------------------------------------------------
def test_team_routes_are_not_mounted_without_a_token(team_assistant):
    assert team_assistant.settings.team_token is None
    with TestClient(create_app(team_assistant)) as client:
        response = client.get("/api/team/requests", headers=TEAM)
        assert response.status_code == 404
        assert "/api/team/requests" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer"},
    ],
)
def test_team_routes_refuse_a_missing_or_wrong_token(client, team_assistant, headers):
    reference = submit(team_assistant)
    before = trail(team_assistant, reference)
    calls = [
        client.get("/api/team/requests", headers=headers),
        client.get(f"/api/team/requests/{reference}", headers=headers),
        client.get("/api/team/requests/export?format=csv", headers=headers),
        client.post(f"/api/team/requests/{reference}/assign", json={"assignee": "x"}, headers=headers),
        client.post(
            f"/api/team/requests/{reference}/transition", json={"status": "rejected"}, headers=headers
        ),
        client.post(f"/api/team/requests/{reference}/extend", json={"reason": "r"}, headers=headers),
    ]
    for response in calls:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.json()["error"]
        assert "jo@example.com" not in response.text
    assert trail(team_assistant, reference) == before


def test_wrong_tokens_count_against_the_rate_limit(team_assistant):
    settings = team_assistant.settings.model_copy(update={"team_token": TOKEN, "rate_limit": 3})
    with TestClient(create_app(team_assistant, settings)) as client:
        bad = {"Authorization": "Bearer nope"}
        statuses = [client.get("/api/team/requests", headers=bad).status_code for _ in range(4)]
        assert client.get("/api/team/requests", headers=TEAM).status_code == 200  # the right token passes
    assert statuses == [401, 401, 401, 429]


# -- the team API: the work ----------------------------------------------------------------------------
def test_list_show_assign_transition_extend_with_the_actor_in_the_trail(client, team_assistant):
    reference = submit(team_assistant, "ann.team@example.com", phone="+44 20 7946 0000")
    listed = client.get("/api/team/requests", headers=TEAM)
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    row = next(r for r in listed.json()["requests"] if r["reference"] == reference)
    assert row["email"] == "ann.team@example.com" and row["status"] == "pending_verification"
    assert row["channel"] == "api" and row["rights"] == ["erasure"]

    assigned = client.post(
        f"/api/team/requests/{reference}/assign", json={"assignee": "bo@numecent.com"}, headers=TEAM
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "bo@numecent.com"
    moved = client.post(
        f"/api/team/requests/{reference}/transition",
        json={"status": "verified", "note": "identity checked by phone"},
        headers=TEAM,
    )
    assert moved.status_code == 200 and moved.json()["status"] == "verified"
    due = moved.json()["due_at"]
    extended = client.post(
        f"/api/team/requests/{reference}/extend", json={"reason": "many systems", "months": 1}, headers=TEAM
    )
    assert extended.status_code == 200
    assert extended.json()["extension_months"] == 1 and extended.json()["due_at"] > due

    shown = client.get(f"/api/team/requests/{reference.lower()}", headers=TEAM).json()
    assert shown["reference"] == reference and shown["extension_reason"] == "many systems"
    kinds_actors = [(e["kind"], e["actor"]) for e in shown["events"]]
    assert kinds_actors == [
        ("submitted", "requester"),
        ("assigned", "ana@numecent.com"),
        ("status_changed", "ana@numecent.com"),
        ("extended", "ana@numecent.com"),
    ]
    assert shown["events"][2]["detail"] == {
        "from": "pending_verification",
        "to": "verified",
        "note": "identity checked by phone",
    }
    assert trail(team_assistant, reference)[1:] == [
        (e["kind"], e["actor"], e["detail"]) for e in shown["events"][1:]
    ]


def test_list_filters_by_status_and_due_date(client, team_assistant):
    a = submit(team_assistant)
    b = submit(team_assistant)
    client.post(f"/api/team/requests/{b}/transition", json={"status": "rejected"}, headers=TEAM)
    rejected = client.get("/api/team/requests", params={"status": "rejected"}, headers=TEAM).json()[
        "requests"
    ]
    assert b in [r["reference"] for r in rejected] and a not in [r["reference"] for r in rejected]
    assert all(r["status"] == "rejected" for r in rejected)
    both = client.get(
        "/api/team/requests",
        params=[("status", "rejected"), ("status", "pending_verification")],
        headers=TEAM,
    ).json()["requests"]
    assert {a, b} <= {r["reference"] for r in both}

    due = team_assistant.requests.get(a).due_at
    before = client.get("/api/team/requests", params={"due_before": due.isoformat()}, headers=TEAM).json()
    assert a not in [r["reference"] for r in before["requests"]]
    after = (due + timedelta(days=1)).isoformat()
    assert a in [
        r["reference"]
        for r in client.get("/api/team/requests", params={"due_before": after}, headers=TEAM).json()[
            "requests"
        ]
    ]
    # Nothing submitted today is overdue; a request due before today would be.
    overdue = client.get("/api/team/requests", params={"overdue": "true"}, headers=TEAM).json()["requests"]
    assert a not in [r["reference"] for r in overdue]


def test_export_as_csv_and_json(client, team_assistant):
    reference = submit(team_assistant, "csv.person@example.com")
    as_csv = client.get("/api/team/requests/export", params={"format": "csv"}, headers=TEAM)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="requests.csv"'
    assert as_csv.headers["cache-control"] == "no-store"
    lines = as_csv.text.splitlines()
    assert lines[0].startswith("reference,rights,status,channel")
    assert any(
        line.startswith(f"{reference},erasure,pending_verification,api") and "csv.person@example.com" in line
        for line in lines
    )
    as_json = client.get(
        "/api/team/requests/export", params={"format": "json", "status": "pending_verification"}, headers=TEAM
    )
    rows = as_json.json()
    assert reference in [r["reference"] for r in rows]
    assert {r["status"] for r in rows} == {"pending_verification"}
    assert team_assistant.requests.export("json", status="pending_verification") == as_json.text


def test_csv_export_cannot_carry_a_formula_to_the_teams_spreadsheet(client, team_assistant):
    reference = submit(team_assistant, "formula@example.com", **HOSTILE)
    client.post(f"/api/team/requests/{reference}/assign", json={"assignee": "@ana"}, headers=TEAM)
    response = client.get(
        "/api/team/requests/export", params={"format": "csv", "assignee": "@ana"}, headers=TEAM
    )
    assert response.status_code == 200
    assert formula_cells(response.text) == []
    (row,) = csv.DictReader(io.StringIO(response.text))
    assert row["reference"] == reference and row["name"] == "'" + HOSTILE["name"]
    assert row["data_concerned"] == "'" + HOSTILE["data_concerned"]
    assert row["assignee"] == "'@ana"


@pytest.mark.parametrize(
    ("call", "status", "message"),
    [
        (
            lambda c, r: c.get("/api/team/requests/DSAR-2020-999999", headers=TEAM),
            404,
            "no request has the reference",
        ),
        (lambda c, r: c.get("/api/team/requests/../../etc", headers=TEAM), 404, ""),
        (lambda c, r: c.get("/api/team/requests/not-a-reference", headers=TEAM), 404, "not a reference like"),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/transition", json={"status": "completed"}, headers=TEAM
            ),
            409,
            "cannot become completed; allowed next",
        ),
        (
            lambda c, r: c.post(f"/api/team/requests/{r}/transition", json={"status": "done"}, headers=TEAM),
            409,
            "unknown status 'done'",
        ),
        (
            lambda c, r: c.post(f"/api/team/requests/{r}/transition", json={}, headers=TEAM),
            422,
            "status: this field is required",
        ),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/assign",
                json={"assignee": "bo"},
                headers={"Authorization": TEAM["Authorization"]},
            ),
            422,
            "X-Team-Member",
        ),
        (
            lambda c, r: c.post(f"/api/team/requests/{r}/assign", json={"assignee": ""}, headers=TEAM),
            422,
            "assignee:",
        ),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/extend", json={"reason": "r", "months": 3}, headers=TEAM
            ),
            422,
            "months:",
        ),
        (
            lambda c, r: c.post(f"/api/team/requests/{r}/extend", json={"reason": "   "}, headers=TEAM),
            422,
            "needs a reason",
        ),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/assign",
                content=b"{",
                headers={**TEAM, "Content-Type": "application/json"},
            ),
            400,
            "not valid JSON",
        ),
        (
            lambda c, r: c.get("/api/team/requests", params={"status": "lost"}, headers=TEAM),
            422,
            "unknown status 'lost'",
        ),
        (
            lambda c, r: c.get("/api/team/requests", params={"due_before": "soon"}, headers=TEAM),
            422,
            "due_before:",
        ),
        (
            lambda c, r: c.get("/api/team/requests/export", params={"format": "xml"}, headers=TEAM),
            422,
            "format:",
        ),
    ],
)
def test_bad_team_calls_get_a_clear_4xx_and_change_nothing(client, team_assistant, call, status, message):
    reference = submit(team_assistant)
    before = (team_assistant.requests.get(reference), trail(team_assistant, reference))
    response = call(client, reference)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert (team_assistant.requests.get(reference), trail(team_assistant, reference)) == before


def test_a_closed_request_cannot_be_extended_or_assigned(client, team_assistant):
    reference = submit(team_assistant)
    client.post(f"/api/team/requests/{reference}/transition", json={"status": "withdrawn"}, headers=TEAM)
    for path, body in (("extend", {"reason": "late"}), ("assign", {"assignee": "bo"})):
        response = client.post(f"/api/team/requests/{reference}/{path}", json=body, headers=TEAM)
        assert response.status_code == 422 and "only open requests" in response.json()["error"]


# -- verification ----------------------------------------------------------------------------------
def test_verify_by_json_with_the_code_from_the_mail(client, team_assistant):
    reference = submit(team_assistant)
    code, _ = verification_mail(team_assistant, reference)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    before = team_assistant.requests.get(reference)
    refused = client.post("/api/requests/verify", json={"reference": reference, "code": wrong})
    assert refused.status_code == 400 and "not right; 4 tries left" in refused.json()["error"]
    assert team_assistant.requests.get(reference) == before  # still pending, nothing else changed

    done = client.post("/api/requests/verify", json={"reference": reference, "code": code})
    assert done.status_code == 200
    assert done.json()["status"] == "verified"
    assert done.json()["message"] == team_assistant.prompts.line("verification_ok", reference=reference)
    verified = team_assistant.requests.get(reference)

    replayed = client.post("/api/requests/verify", json={"reference": reference, "code": code})
    assert replayed.status_code == 400 and "there is nothing to verify" in replayed.json()["error"]
    assert team_assistant.requests.get(reference) == verified
    assert [e[0] for e in trail(team_assistant, reference)] == ["submitted", "status_changed"]


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"json": {"reference": "DSAR-2020-999999", "code": "123456"}}, 404, "no request has the reference"),
        ({"json": {"reference": "DSAR-2020-999999"}}, 422, "code: this field is required"),
        ({"json": {"code": "12ab", "reference": "DSAR-2026-000001"}}, 400, "6 digits"),
        ({"content": b"{nope", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"content": b"ref=1", "headers": {"Content-Type": "text/plain"}}, 415, "or as a form"),
        ({"json": ["DSAR-2026-000001", "123456"]}, 422, "send a JSON object"),
    ],
)
def test_verify_refuses_unusable_input(client, kwargs, status, message):
    response = client.post("/api/requests/verify", **kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


def test_the_link_opens_a_page_whose_button_verifies(client, team_assistant):
    reference = submit(team_assistant)
    _, link = verification_mail(team_assistant, reference)
    parts = urlsplit(link)
    assert parts.path == "/verify"
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    html = BeautifulSoup(page.text, "html.parser")
    assert not html.find_all("script")  # a plain form: no script, inline or not
    form = html.find("form")
    assert form["method"] == "post" and form["action"].endswith("/api/requests/verify")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    assert fields["reference"] == reference and len(fields["code"]) >= 20
    assert team_assistant.requests.get(reference).status == "pending_verification"  # opening changed nothing

    pressed = client.post(form["action"], data=fields, headers={"Accept": "text/html"})
    assert pressed.status_code == 200 and pressed.headers["content-type"].startswith("text/html")
    assert (
        team_assistant.prompts.line("verification_ok", reference=reference)
        in BeautifulSoup(pressed.text, "html.parser").get_text()
    )
    assert team_assistant.requests.get(reference).status == "verified"

    again = client.post(form["action"], data=fields, headers={"Accept": "text/html"})
    assert again.status_code == 400
    assert (
        "there is nothing to verify" in BeautifulSoup(again.text, "html.parser").find(role="alert").get_text()
    )
    assert [e[0] for e in trail(team_assistant, reference)] == ["submitted", "status_changed"]


def test_the_verify_page_escapes_what_the_link_carries(client):
    page = client.get("/verify", params={"ref": '"><script>alert(1)</script>', "code": "<b>x</b>"})
    assert page.status_code == 200
    assert "<script>" not in page.text and "<b>" not in page.text
    assert "&lt;script&gt;" in page.text or "&#34;&gt;&lt;script&gt;" in page.text


def test_verification_is_rate_limited(team_assistant):
    settings = team_assistant.settings.model_copy(update={"rate_limit": 2})
    with TestClient(create_app(team_assistant, settings)) as client:
        body = {"reference": "DSAR-2020-999999", "code": "123456"}
        statuses = [client.post("/api/requests/verify", json=body).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


# -- a new code: POST /api/requests/resend, the /verify page's button, the chat's action --------------
def latest_mail(assistant: Assistant, reference: str) -> tuple[str, str]:
    """The newest verification mail's code and link, once whatever waits in the outbox has gone."""
    assistant.outbox.deliver_due()
    return verification_mail(assistant, reference)


def test_resend_after_a_lock_voids_the_old_code_and_the_new_one_verifies(client, team_assistant):
    reference = submit(team_assistant, "locked.out@example.com")
    old, _ = latest_mail(team_assistant, reference)
    for _ in range(5):
        refused = client.post("/api/requests/verify", json={"reference": reference, "code": other_than(old)})
    assert refused.status_code == 400 and "too many wrong codes; ask for a new one" in refused.json()["error"]

    sent = client.post("/api/requests/resend", json={"reference": reference.lower()})
    assert sent.status_code == 202, sent.text
    assert sent.json() == {
        "reference": reference,
        "message": team_assistant.prompts.line(
            "verification_resent", reference=reference, email=None, minutes=60
        ),
    }
    assert "@" not in sent.text and "locked" not in sent.text  # the address stays out, even masked
    code, _ = latest_mail(team_assistant, reference)
    if code != old:
        stale = client.post("/api/requests/verify", json={"reference": reference, "code": old})
        assert stale.status_code == 400 and "not right" in stale.json()["error"]
    done = client.post("/api/requests/verify", json={"reference": reference, "code": code})
    assert done.status_code == 200 and done.json()["status"] == "verified"
    again = client.post("/api/requests/resend", json={"reference": reference})
    assert again.status_code == 400 and "there is nothing to verify" in again.json()["error"]
    assert [e[:2] for e in trail(team_assistant, reference)][:2] == [
        ("submitted", "requester"),
        ("code_resent", "requester"),
    ]


def test_resend_after_expiry_and_the_hourly_limit_with_retry_after(client, team_assistant):
    reference = submit(team_assistant, "expired.code@example.com")
    old, _ = latest_mail(team_assistant, reference)
    expire_codes(team_assistant.requests, reference)
    expired = client.post("/api/requests/verify", json={"reference": reference, "code": old})
    assert expired.status_code == 400 and "expired; ask for a new one" in expired.json()["error"]
    assert client.post("/api/requests/resend", json={"reference": reference}).status_code == 202
    code, _ = latest_mail(team_assistant, reference)
    assert client.post("/api/requests/verify", json={"reference": reference, "code": code}).status_code == 200

    reference = submit(team_assistant, "eager@example.com")  # its first mail counts
    for _ in range(2):
        assert client.post("/api/requests/resend", json={"reference": reference}).status_code == 202
    limited = client.post("/api/requests/resend", json={"reference": reference})
    assert limited.status_code == 429
    assert "try again after" in limited.json()["error"]
    assert 3000 <= int(limited.headers["retry-after"]) <= 3600


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"json": {"reference": "DSAR-2020-999999"}}, 404, "no request has the reference"),
        ({"json": {"reference": "nope"}}, 404, "is not a reference like DSAR-2026-000123"),
        ({"json": {}}, 422, "reference: this field is required"),
        ({"json": {"reference": "DSAR-2020-999999", "email": "x@example.com"}}, 422, "email: unknown field"),
        ({"content": b"{nope", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"content": b"ref=1", "headers": {"Content-Type": "text/plain"}}, 415, "send the reference as JSON"),
        ({"content": b"&".join([b"a=1"] * 20), "headers": {"Content-Type": FORM}}, 422, "too many fields"),
    ],
)
def test_resend_refuses_unusable_input(client, kwargs, status, message):
    response = client.post("/api/requests/resend", **kwargs)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


def test_resend_is_rate_limited_and_described_in_the_openapi(team_assistant):
    settings = team_assistant.settings.model_copy(update={"rate_limit": 2})
    with TestClient(create_app(team_assistant, settings)) as client:
        body = {"reference": "DSAR-2020-999999"}
        statuses = [client.post("/api/requests/resend", json=body).status_code for _ in range(3)]
        operation = client.get("/openapi.json").json()["paths"]["/api/requests/resend"]["post"]
    assert statuses == [404, 404, 429]
    assert set(operation["responses"]) == {"202", "400", "404", "415", "422", "429"}
    assert operation["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")
    assert "reference" in operation["requestBody"]["content"]["application/json"]["schema"]["properties"]


def test_the_verify_page_sends_a_new_code_when_the_old_one_expired(client, team_assistant):
    reference = submit(team_assistant, "page.visitor@example.com")
    _, link = latest_mail(team_assistant, reference)
    expire_codes(team_assistant.requests, reference)
    parts = urlsplit(link)
    html = BeautifulSoup(client.get(f"{parts.path}?{parts.query}").text, "html.parser")
    confirm, resend = html.find_all("form")
    fields = {i["name"]: i.get("value", "") for i in confirm.find_all("input")}
    refused = client.post(confirm["action"], data=fields, headers={"Accept": "text/html"})
    assert refused.status_code == 400 and "expired" in refused.text

    assert (
        resend["action"].endswith("/api/requests/resend")
        and resend.find("button").get_text() == "Send a new code"
    )
    hidden = {i["name"]: i["value"] for i in resend.find_all("input")}
    assert hidden == {"reference": reference}
    pressed = client.post(resend["action"], data=hidden, headers={"Accept": "text/html"})
    assert pressed.status_code == 202 and pressed.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(pressed.text, "html.parser")
    assert "We have sent a new code" in page.find(role="status").get_text()
    assert "page.visitor" not in pressed.text
    code, _ = latest_mail(team_assistant, reference)
    form = page.find("form")  # the page is ready for the new code
    done = client.post(
        form["action"], data={"reference": reference, "code": code}, headers={"Accept": "text/html"}
    )
    assert done.status_code == 200 and team_assistant.requests.get(reference).status == "verified"


def test_the_chat_offers_and_sends_a_new_code(client, team_assistant):
    turn = up_to_the_summary(
        client, "Please delete all my data, my email is chat.resend@example.com", "Ann Chat"
    )
    cid = turn["conversation_id"]
    turn = client.post("/api/chat", json={"conversation_id": cid, "action": "confirm"}).json()
    reference = turn["intake"]["reference"]
    assert turn["actions"] == ["resend"]
    old, _ = latest_mail(team_assistant, reference)
    turn = client.post("/api/chat", json={"conversation_id": cid, "action": "resend"}).json()
    assert "c•••@example.com" in turn["reply"] and "chat.resend@" not in turn["reply"]
    assert turn["answerable"] is None and turn["actions"] == ["resend"]
    code, _ = latest_mail(team_assistant, reference)
    if code != old:
        stale = client.post("/api/chat", json={"conversation_id": cid, "message": old}).json()
        assert "not accepted" in stale["reply"] and 'reply "new code"' in stale["reply"]
    turn = client.post("/api/chat", json={"conversation_id": cid, "message": code}).json()
    assert "confirmed" in turn["reply"] and turn["actions"] == []


# -- conversations: ids and confirmation ------------------------------------------------------------
def test_an_id_the_server_never_issued_starts_a_new_conversation(client, team_assistant):
    made_up = "A" * 22
    first = client.post("/api/chat", json={"conversation_id": made_up, "message": "Do you use cookies?"})
    assert first.status_code == 200
    issued = first.json()["conversation_id"]
    assert issued != made_up
    assert team_assistant.conversations.channel_of(made_up) is None  # nothing stored under the made-up id
    again = client.post("/api/chat", json={"conversation_id": issued, "message": "And my rights?"})
    assert again.json()["conversation_id"] == issued

    # Another channel's conversation cannot be continued from the web either.
    slack = team_assistant.conversation("slack-T01-C02-1700000000", channel="slack")
    slack.reply("Please delete my data")
    taken = client.post(
        "/api/chat", json={"conversation_id": "slack-T01-C02-1700000000", "message": "confirm"}
    )
    assert taken.json()["conversation_id"] != "slack-T01-C02-1700000000"
    assert team_assistant.conversation("slack-T01-C02-1700000000", channel="slack").stage == slack.stage


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


def test_a_conversation_never_confirmed_submits_nothing(client, team_assistant):
    before = team_assistant.requests.count()
    turn = up_to_the_summary(
        client, "Please delete all my data, my email is never.confirmed@example.com", "Ann Example"
    )
    cid = turn["conversation_id"]
    assert turn["actions"] == ["confirm", "cancel"]
    assert "never.confirmed@example.com" in turn["intake"]["summary"]
    # The visitor talks about something else, then cancels: nothing is ever filed.
    client.post("/api/chat", json={"conversation_id": cid, "message": "Do you use cookies?"})
    cancelled = client.post("/api/chat", json={"conversation_id": cid, "action": "cancel"}).json()
    assert cancelled["intake"]["stage"] == "cancelled"
    late = client.post("/api/chat", json={"conversation_id": cid, "action": "confirm"}).json()
    assert late["reply"] == team_assistant.prompts.line("nothing_to_confirm")
    assert team_assistant.requests.count() == before
    assert not [r for r in team_assistant.requests.list() if r.email == "never.confirmed@example.com"]


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


# -- policy diffs ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history_client(tmp_path_factory: pytest.TempPathFactory):
    """The three invented versions of tests/fixtures/history; pages only, so nothing is indexed."""
    a = Assistant.open(corpus_dir=HISTORY, data_dir=tmp_path_factory.mktemp("history"))
    return TestClient(create_app(a))


def test_the_policy_list_links_each_diff(history_client):
    (document,) = history_client.get("/api/policy").json()["documents"]
    assert [(d["old"], d["new"]) for d in document["diffs"]] == [
        ("2023-01-15", "2023-08-29"),
        ("2023-08-29", "2024-06-01"),
    ]
    for diff in document["diffs"]:
        assert diff["url"].endswith(f"/policy/{SEED_DOCUMENT}/diff/{diff['old']}/{diff['new']}")
        path = "/" + diff["url"].split("://", 1)[1].split("/", 1)[1]
        assert history_client.get(path).status_code == 200


def test_the_diff_page_renders_the_changes_under_a_strict_csp(history_client):
    response = history_client.get(f"/policy/{SEED_DOCUMENT}/diff/2023-08-29/2024-06-01")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", csp) and "unsafe-inline" not in csp
    page = BeautifulSoup(response.text, "html.parser")
    assert not page.find_all("script")
    changes = history_client.app.state.assistant.diff(SEED_DOCUMENT, "2023-08-29", "2024-06-01")
    assert len(page.select("section.change")) == len(changes) > 0
    assert "June 1" in [i.get_text() for i in page.find_all("ins")]
    assert "August 29" in [d.get_text() for d in page.find_all("del")]


def test_unknown_diffs_are_404(history_client):
    for path in (
        f"/policy/{SEED_DOCUMENT}/diff/2023-08-29/2030-01-01",
        f"/policy/{SEED_DOCUMENT}/diff/<script>/2024-06-01",
        "/policy/acme/diff/2023-08-29/2024-06-01",
    ):
        response = history_client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
