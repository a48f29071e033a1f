"""The web service's verification of rights requests, through httpx against the real app: the code by
JSON, the mailed link's page and its button, and a new code (POST /api/requests/resend, the /verify
page's button, the chat's action). Real model, Chroma, SQLite and outbox."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app
from tests.test_resend import expire_codes, other_than
from tests.web_team_support import client as client
from tests.web_team_support import submit, trail, up_to_the_summary
from tests.web_team_support import team_assistant as team_assistant

FORM = "application/x-www-form-urlencoded"


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
    assert [e[0] for e in trail(team_assistant, reference)] == [
        "submitted",
        "status_changed",
        "requester_notified",
    ]


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
    reference = submit(team_assistant, "link.page@example.com")
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
    assert [e[0] for e in trail(team_assistant, reference)] == [
        "submitted",
        "status_changed",
        "requester_notified",
    ]


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
