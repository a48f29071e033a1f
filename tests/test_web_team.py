"""The web service's team API through httpx against the real app: members' own tokens and roles that
guard it (a viewer changes nothing, a forged actor header changes nothing), listing, showing, assigning, moving and extending requests with the member in the trail, the export,
and clear 4xx answers that change nothing. Real model, Chroma, SQLite and outbox."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from assistant.web import create_app
from tests.requests_support import HOSTILE, formula_cells
from tests.web_team_support import ADMIN, TEAM, enrol, submit, trail
from tests.web_team_support import client as client
from tests.web_team_support import team_assistant as team_assistant


# -- the team API: authorisation -----------------------------------------------------------------------
def test_with_nobody_on_the_team_every_team_route_says_how_to_get_a_token(data_dir, tmp_path):
    from assistant import Assistant
    from tests.conftest import CORPUS

    empty = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{tmp_path}/r.db")
    with TestClient(create_app(empty)) as client:
        response = client.get("/api/team/requests", headers={"Authorization": "Bearer pat_nothing"})
    assert response.status_code == 401
    assert "privacy-assistant team token issue" in response.json()["error"]


def _revoked(assistant) -> dict[str, str]:
    headers = enrol(assistant, "old.laptop@numecent.com", "handler")
    (token,) = [
        t for t in assistant.requests.members.tokens("old.laptop@numecent.com") if not t["revoked_at"]
    ]
    assistant.requests.members.revoke_token(token["id"], actor=ADMIN)
    return headers


def _removed(assistant) -> dict[str, str]:
    headers = enrol(assistant, "left@numecent.com", "handler")
    assistant.requests.members.remove("left@numecent.com", actor=ADMIN)
    return headers


@pytest.mark.parametrize(
    "headers",
    [
        lambda a: {},
        lambda a: {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
        lambda a: {"Authorization": "Basic " + TEAM["Authorization"].split()[1]},
        lambda a: {"Authorization": TEAM["Authorization"][:-1]},
        lambda a: {"Authorization": "Bearer"},
        _revoked,
        _removed,
    ],
    ids=["none", "wrong", "basic", "truncated", "empty", "revoked", "removed-member"],
)
def test_team_routes_refuse_a_missing_or_wrong_token(client, team_assistant, headers):
    headers = headers(team_assistant)
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
    settings = team_assistant.settings.model_copy(update={"rate_limit": 3})
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
        ("requester_notified", "ana@numecent.com"),  # verified: told so
        ("extended", "ana@numecent.com"),
        ("requester_notified", "ana@numecent.com"),  # told the new date and why
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
    assert team_assistant.requests.export("json", ADMIN, status="pending_verification") == as_json.text
    exports = [e for e in team_assistant.requests.members.log() if e.kind == "export"]
    assert exports[1].actor == ADMIN and exports[1].detail == {
        "format": "json",
        "rows": len(as_json.json()),
        "filters": {"status": ["pending_verification"]},
    }


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
            lambda c, r: c.post(f"/api/team/requests/{r}/assign", json={"assignee": ""}, headers=TEAM),
            422,
            "assignee:",
        ),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/extend", json={"reason": "r", "months": 3}, headers=TEAM
            ),
            422,
            "GDPR allows 2 months in all",
        ),
        (
            lambda c, r: c.post(
                f"/api/team/requests/{r}/extend", json={"reason": "r", "length": "soon"}, headers=TEAM
            ),
            422,
            "write it like '2 months' or '45 days'",
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


def test_laws_a_requests_law_and_every_extension_through_the_api(client, team_assistant):
    laws = client.get("/api/team/laws", headers=TEAM).json()
    assert {"code": "ccpa", "name": "CCPA/CPRA", "citation": "Cal. Civ. Code §1798.130(a)(2)",
            "answer_within": "45 days", "extension": "45 days"} in laws  # fmt: skip
    reference = submit(team_assistant, "law.team@example.com")
    moved = client.post(
        f"/api/team/requests/{reference}/jurisdiction", json={"jurisdiction": "ccpa"}, headers=TEAM
    )
    assert moved.status_code == 200 and moved.json()["jurisdiction"] == "ccpa"
    for length, reason in (("20 days", "five accounts"), ("25 days", "a processor is slow")):
        extended = client.post(
            f"/api/team/requests/{reference}/extend", json={"reason": reason, "length": length}, headers=TEAM
        )
        assert extended.status_code == 200, extended.text
    assert extended.json()["extension_days"] == 45
    shown = client.get(f"/api/team/requests/{reference}", headers=TEAM).json()
    assert [(e["length"], e["reason"], e["actor"]) for e in shown["extensions"]] == [
        ("20 days", "five accounts", "ana@numecent.com"),
        ("25 days", "a processor is slow", "ana@numecent.com"),
    ]
    refused = client.post(
        f"/api/team/requests/{reference}/jurisdiction", json={"jurisdiction": "gdpr"}, headers=TEAM
    )
    assert refused.status_code == 422 and "already extended" in refused.json()["error"]


# -- roles ---------------------------------------------------------------------------------------------
CHANGES = [
    ("post", "/api/team/requests", {"channel": "post", "received_at": "2026-12-01", "name": "Vi Ewer"}),
    ("post", "/api/team/requests/{r}/verify-identity", {"method": "id_document"}),
    ("post", "/api/team/requests/{r}/assign", {"assignee": "vic@numecent.com"}),
    ("post", "/api/team/requests/{r}/classify", {"rights": ["access"]}),
    ("post", "/api/team/requests/{r}/transition", {"status": "rejected", "note": "n"}),
    ("post", "/api/team/requests/{r}/extend", {"reason": "busy"}),
    ("post", "/api/team/requests/{r}/jurisdiction", {"jurisdiction": "ccpa"}),
    ("get", "/api/team/requests/export?format=csv", None),
    ("get", "/api/team/members", None),
]


def test_every_team_route_is_in_the_role_table(client):
    paths = {p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/api/team/")}
    covered = {path.replace("{r}", "{reference}").split("?")[0] for _, path, _ in CHANGES}
    covered.add("/api/team/requests")  # GET reads the queue, POST logs a request
    covered.add("/api/team/requests/{reference}/package")  # multipart: test_a_package_through_the_api...
    read_only = {"/api/team/requests", "/api/team/requests/{reference}", "/api/team/laws", "/api/team/me",
                 "/api/team/report", "/api/team/gaps"}  # fmt: skip
    assert paths == covered | read_only


@pytest.mark.parametrize(("method", "path", "body"), CHANGES, ids=[p.split("/")[-1] for _, p, _ in CHANGES])
def test_a_viewer_reads_but_changes_nothing(client, team_assistant, method, path, body):
    viewer = enrol(team_assistant, "vic@numecent.com", "viewer")
    reference = submit(team_assistant, "viewer.case@example.com")
    before = (trail(team_assistant, reference), team_assistant.requests.members.log())
    call = getattr(client, method)
    response = call(path.format(r=reference), **({"json": body} if body else {}), headers=viewer)
    assert response.status_code == 403, response.text
    assert "vic@numecent.com is a viewer" in response.json()["error"]
    assert (trail(team_assistant, reference), team_assistant.requests.members.log()) == before
    assert client.get(f"/api/team/requests/{reference}", headers=viewer).status_code == 200
    assert client.get("/api/team/me", headers=viewer).json()["role"] == "viewer"


def test_a_forged_actor_header_changes_nothing_in_the_trail(client, team_assistant):
    handler = enrol(team_assistant, "hal@numecent.com", "handler")
    reference = submit(team_assistant, "forged.case@example.com")
    forged = {**handler, "X-Team-Member": "the-ceo@numecent.com"}
    response = client.post(f"/api/team/requests/{reference}/assign", json={"assignee": "bo"}, headers=forged)
    assert response.status_code == 200
    assert trail(team_assistant, reference)[-1][:2] == ("assigned", "hal@numecent.com")
    assert "the-ceo" not in str(trail(team_assistant, reference))
    members = client.get("/api/team/members", headers=TEAM).json()
    assert {m["name"]: m["role"] for m in members}["hal@numecent.com"] == "handler"


# -- requests received by post, phone, e-mail, in person ------------------------------------------------
def test_a_request_received_by_post_is_logged_verified_and_told(client, team_assistant):
    from datetime import date

    body = {
        "channel": "post",
        "received_at": (date.today() - timedelta(days=3)).isoformat(),
        "rights": ["access"],
        "name": "Pat Post",
        "email": "pat.post@example.com",
        "details": "letter asking for a copy of everything",
    }
    headers = {**TEAM, "Idempotency-Key": "letter-2026-17"}
    logged = client.post("/api/team/requests", json=body, headers=headers)
    assert logged.status_code == 201, logged.text
    request = logged.json()
    assert (request["channel"], request["status"], request["received_at"][:10]) == (
        "post", "pending_verification", body["received_at"],
    )  # fmt: skip
    again = client.post("/api/team/requests", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["reference"] == request["reference"]

    reference = request["reference"]
    verified = client.post(
        f"/api/team/requests/{reference}/verify-identity",
        json={"method": "signed_letter", "note": "signature matches the account"},
        headers=TEAM,
    )
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    kinds = [(e[0], e[1]) for e in trail(team_assistant, reference)]
    assert kinds == [
        ("submitted", ADMIN),
        ("requester_notified", ADMIN),
        ("status_changed", ADMIN),
        ("requester_notified", ADMIN),
    ]
    for bad, problem in [
        ({**body, "channel": "fax"}, "channel"),
        ({**body, "received_at": "2026-13-01"}, "received_at"),
        ({**body, "received_at": "2026-03-02T10:00:00"}, "time zone"),
        ({**body, "verified_by": "vibes"}, "unknown verification method"),
    ]:
        refused = client.post("/api/team/requests", json=bad, headers=TEAM)
        assert refused.status_code == 422 and problem in refused.json()["error"], refused.text


def test_search_finds_a_persons_requests_and_shows_a_possible_duplicate(client, team_assistant):
    first = submit(team_assistant, "searched.person@example.com", name="Searched Person")
    second = submit(team_assistant, "Searched.Person@example.com", rights=["access"])
    found = client.get("/api/team/requests", params={"search": "searched.person@example.com"}, headers=TEAM)
    rows = {r["reference"]: r for r in found.json()["requests"]}
    assert set(rows) == {first, second} and rows[second]["duplicate_of"] == first
    by_name = client.get("/api/team/requests", params={"search": "searched", "status": "pending_verification"},
                         headers=TEAM)  # fmt: skip
    assert {r["reference"] for r in by_name.json()["requests"]} == {first}
    empty = client.get("/api/team/requests", params={"search": "12345"}, headers=TEAM)
    assert empty.status_code == 422 and "no name or address" in empty.json()["error"]


def test_the_deadline_figures_in_the_api_and_in_metrics(client, team_assistant):
    from tests.conftest import prometheus_sample

    reference = submit(team_assistant, "report.case@example.com", rights=["portability"])
    client.post(f"/api/team/requests/{reference}/transition", json={"status": "withdrawn"}, headers=TEAM)
    report = client.get("/api/team/report", headers=TEAM).json()
    portability = report["by_right"]["portability"]
    assert portability["closed"] >= 1 and portability["on_time_share"] == 1.0
    assert report["overall"]["open"] == len(client.get("/api/team/requests", params={"status": [
        "pending_verification", "verified", "in_progress"]}, headers=TEAM).json()["requests"])  # fmt: skip
    metrics = client.get("/metrics").text
    closed = prometheus_sample(
        metrics, "privacy_assistant_requests_closed", group="right", value="portability"
    )
    assert closed == portability["closed"]
    on_time = "privacy_assistant_requests_closed_on_time_ratio"
    assert prometheus_sample(metrics, on_time, group="right", value="portability") == 1.0
    assert client.get("/api/team/report", params={"since": "someday"}, headers=TEAM).status_code == 422


def test_a_package_through_the_api_and_the_requesters_download_pages(client, team_assistant):
    import re

    from tests.requests_support import mails

    reference = submit(team_assistant, "package.case@example.com", rights=["portability"])
    team_assistant.requests.transition(reference, "verified", actor=ADMIN)
    upload = {"file": ("export.json", b'{"playlists": 3}', "application/json")}
    viewer = enrol(team_assistant, "vic@numecent.com", "viewer")
    assert (
        client.post(f"/api/team/requests/{reference}/package", files=upload, headers=viewer).status_code
        == 403
    )
    attached = client.post(f"/api/team/requests/{reference}/package", files=upload, headers=TEAM)
    assert attached.status_code == 201 and attached.json()["size"] == 16, attached.text
    client.post(f"/api/team/requests/{reference}/transition", json={"status": "in_progress"}, headers=TEAM)
    client.post(f"/api/team/requests/{reference}/transition", json={"status": "completed"}, headers=TEAM)

    def mail(subject: str) -> str:
        """The mail with ``subject``, once delivered (the app's own outbox worker may be sending it)."""
        deadline = time.monotonic() + 30
        while True:
            found = [m for m in mails(team_assistant.requests) if m["Subject"] == subject]
            if found or time.monotonic() > deadline:
                return found[0].get_content()
            time.sleep(0.1)

    ready = mail(f"Your data from privacy request {reference} is ready")
    path = re.search(r"http://[^/]+(/download\?ref=\S+)", ready).group(1)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    token = re.search(r"token=([A-Za-z0-9_-]+)", path).group(1)
    form = {"reference": reference, "token": token}
    assert "e-mailed you a code" in client.post("/download/code", data=form).text
    code = re.search(
        r"^\s+(\d{6})\s*$", mail(f"Your download code for privacy request {reference}"), re.M
    ).group(1)
    got = client.post("/download", data={**form, "code": code})
    assert got.status_code == 200 and got.content == b'{"playlists": 3}'
    assert got.headers["content-disposition"] == 'attachment; filename="export.json"'
    again = client.post("/download", data={**form, "code": code})
    assert again.status_code == 400 and "it works once" in again.text
