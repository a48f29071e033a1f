"""The web API through httpx (Starlette's TestClient) against the real app: /api/ask, /api/chat, the
policy pages, the demo page and the docs, health, readiness and metrics. Real model, real Chroma."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.corpus.units import parse_policy
from assistant.web import create_app
from tests.conftest import CORPUS, SEED_DOCUMENT, prometheus_sample
from tests.web_api_support import VERSION
from tests.web_api_support import client as client


def policy_text(assistant: Assistant, document: str, version: str) -> str:
    return parse_policy(assistant.corpus.get(document, version)).text


# -- /api/ask --------------------------------------------------------------------------------------
def test_ask_returns_the_cores_answer_with_the_api_field_names(client, assistant):
    response = client.post("/api/ask", json={"question": "How long do you keep my data?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "question", "answerable", "lead", "lead_source", "text", "citations", "confidence", "as_of", "reasons",
        "language",
    }  # fmt: skip
    assert body == assistant.ask("How long do you keep my data?").to_dict()
    # The line that answers, first: a verbatim span of a quote.
    assert body["lead_source"] == "extractive"
    assert "retain" in body["lead"] and any(body["lead"] in c["quote"] for c in body["citations"])
    assert body["answerable"] and body["citations"]
    assert body["reasons"][0].startswith("answer model: margin +")  # why it answered
    text = policy_text(assistant, SEED_DOCUMENT, VERSION)
    for citation in body["citations"]:
        assert set(citation) == {"n", "document", "version", "section", "quote", "url"}
        assert citation["quote"] in text
        assert f"[{citation['n']}]" in body["text"]


def test_ask_by_document_and_date_and_its_errors(client):
    dated = client.post(
        "/api/ask", json={"question": "Do you use cookies?", "document": SEED_DOCUMENT, "as_of": "2025-01-01"}
    )
    assert dated.status_code == 200 and dated.json()["as_of"] == "2025-01-01"

    unknown = client.post("/api/ask", json={"question": "cookies?", "document": "acme-policy"})
    assert unknown.status_code == 404
    assert "known documents: numecent-privacy-policy" in unknown.json()["error"]

    too_early = client.post("/api/ask", json={"question": "cookies?", "as_of": "2001-01-01"})
    assert too_early.status_code == 404 and "2001-01-01" in too_early.json()["error"]

    bad_date = client.post("/api/ask", json={"question": "cookies?", "as_of": "last tuesday"})
    assert bad_date.status_code == 422 and bad_date.json()["error"].startswith("as_of:")

    impossible = client.post("/api/ask", json={"question": "cookies?", "as_of": "2024-02-31"})
    assert impossible.status_code == 422 and "not a date" in impossible.json()["error"]


def test_ask_abstains_when_the_policy_is_silent(client):
    body = client.post("/api/ask", json={"question": "What is the capital of France?"}).json()
    assert body["answerable"] is False
    assert "privacy@numecent.com" in body["text"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({}, 422, "question: this field is required"),
        ({"question": 42}, 422, "question:"),
        ({"question": "cookies?", "extra": 1}, 422, "extra: unknown field"),
        ({"question": "   "}, 422, "the question is empty"),
        ({"question": "x" * 2001}, 422, "at most 2,000 characters"),
        ([1, 2], 422, "send a JSON object"),
    ],
)
def test_ask_refuses_unusable_bodies_saying_what_is_wrong(client, payload, status, message):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_malformed_json_is_a_400_not_a_crash(client):
    response = client.post(
        "/api/ask", content=b'{"question": "coo', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


# -- /api/chat -------------------------------------------------------------------------------------
def test_chat_turns_carry_an_unguessable_conversation_id_and_citations(client, assistant):
    first = client.post("/api/chat", json={"message": "Do you sell my personal information?"})
    assert first.status_code == 200
    turn = first.json()
    assert set(turn) == {
        "conversation_id", "reply", "answerable", "lead", "lead_source", "citations", "answer_id", "intake",
        "actions",
    }  # fmt: skip
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", turn["answer_id"])  # rates this answer: POST /api/feedback
    conversation_id = turn["conversation_id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", conversation_id)  # 128 random bits
    asked = assistant.ask("Do you sell my personal information?")
    answer = asked.text
    assert turn["lead"] == asked.lead and turn["lead_source"] == "extractive"
    assert any(turn["lead"] in c["quote"] for c in turn["citations"])
    # A question about a right is answered, then the request is offered (here a US state law's opt-out).
    assert (
        turn["reply"].startswith(answer) and "(opt-out of sale and sharing)" in turn["reply"][len(answer) :]
    )
    assert turn["citations"] and turn["answerable"] is True
    assert turn["intake"] is None and turn["actions"] == []

    second = client.post("/api/chat", json={"conversation_id": conversation_id, "message": "And cookies?"})
    assert second.status_code == 200 and second.json()["conversation_id"] == conversation_id

    others = {
        client.post("/api/chat", json={"message": "cookies?"}).json()["conversation_id"] for _ in range(3)
    }
    assert len(others) == 3 and conversation_id not in others


def test_a_button_with_nothing_to_confirm_gets_a_polite_reply(client, assistant):
    response = client.post("/api/chat", json={"action": "confirm"})
    assert response.status_code == 200
    assert response.json()["reply"] == assistant.prompts.line("nothing_to_confirm")
    assert response.json()["citations"] == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"message": "hi", "action": "confirm"}, "either a message or an action"),
        ({}, "either a message or an action"),
        ({"action": "delete-everything"}, "action:"),
        ({"message": "hi", "conversation_id": "../../etc/passwd"}, "conversation_id:"),
        ({"message": "hi", "conversation_id": "short"}, "conversation_id:"),
        ({"message": "y" * 10_001}, "write at most 10,000 characters"),
    ],
)
def test_chat_refuses_unusable_turns_saying_what_is_wrong(client, payload, message):
    response = client.post("/api/chat", json=payload)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_widget_config_says_how_messages_are_kept(client, assistant):
    config = client.get("/api/widget").json()
    assert "30 days" in config["notice"]
    assert config["notice"] == assistant.prompts.line("chat_notice", retention_days=30, feedback_days=180)
    assert "Numecent" in config["greeting"]
    assert config["max_message_chars"] == 10_000  # MAX_MESSAGE_CHARS, as the README says


# -- the policy pages ------------------------------------------------------------------------------
def test_every_unit_of_the_policy_page_is_an_element_with_its_anchor(client, assistant):
    response = client.get(f"/policy/{SEED_DOCUMENT}/{VERSION}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    units = parse_policy(assistant.corpus.get(SEED_DOCUMENT, VERSION)).units
    assert len(units) > 100
    for unit in units:
        element = page.find(id=unit.anchor)
        assert element is not None, unit.anchor
        if unit.kind == "table_row":
            assert [td.get_text() for td in element.find_all("td")] == unit.text.split(" | ")
        else:
            assert element.get_text() == unit.text
    assert not page.find_all("script", src=False)  # no inline script anywhere


@pytest.mark.parametrize(
    "question",
    ["How long do you keep my data?", "What are my rights?", "Do you use cookies?", "Who is the controller?"],
)
def test_every_citation_url_lands_on_its_quote(client, question):
    for citation in client.post("/api/ask", json={"question": question}).json()["citations"]:
        url = urlsplit(citation["url"])
        page = BeautifulSoup(client.get(url.path).text, "html.parser")
        units = page.select(".unit")
        first = page.find(id=url.fragment)
        through = parse_qs(url.query).get("through", [url.fragment])[0]
        last = page.find(id=through)
        assert first in units and last in units
        span = units[units.index(first) : units.index(last) + 1]
        if first.name == "tr":
            assert " | ".join(td.get_text() for td in first.find_all("td")) == citation["quote"]
        else:
            assert " ".join(u.get_text() for u in span) == citation["quote"]


def test_unknown_policy_pages_are_404_without_echoing_markup(client):
    response = client.get("/policy/<script>alert(1)<%2Fscript>/2024-06-01")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert client.get(f"/policy/{SEED_DOCUMENT}/1999-01-01").status_code == 404
    assert client.get(f"/policy/{SEED_DOCUMENT}/not-a-date").status_code == 404


def test_api_policy_lists_documents_and_versions(client):
    body = client.get("/api/policy").json()
    (document,) = body["documents"]
    assert document["document"] == SEED_DOCUMENT and document["organization"] == "Numecent"
    assert [v["version"] for v in document["versions"]] == [VERSION]
    assert document["versions"][0]["url"].endswith(f"/policy/{SEED_DOCUMENT}/{VERSION}")


# -- the demo page and the docs --------------------------------------------------------------------
def test_demo_page_embeds_the_widget_by_one_script_tag(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")
    scripts = page.find_all("script")
    assert len(scripts) == 1 and scripts[0]["src"].endswith("/static/widget.js")
    widget = client.get(scripts[0]["src"])
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert "textContent" in widget.text and "innerHTML" not in widget.text


def test_openapi_docs_are_served_without_a_cdn(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/chat", "/api/ask", "/api/policy", "/policy/{document}/{version}"} <= set(spec["paths"])
    docs = BeautifulSoup(client.get("/docs").text, "html.parser")
    sources = [s["src"] for s in docs.find_all("script")]
    assert all(src.startswith("http://testserver/") for src in sources)
    for src in sources:
        assert client.get(src).status_code == 200


# -- operations ------------------------------------------------------------------------------------
def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {
        "status": "ready",
        "checks": {"index": "ok", "requests": "ok"},
        "audit": "ok",
    }


def test_readiness_fails_while_the_index_is_empty(tmp_path):
    empty = Assistant.open(corpus_dir=CORPUS, data_dir=tmp_path)
    client = TestClient(create_app(empty))  # no start-up: nothing indexed yet
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "index is empty" in response.json()["checks"]["index"]


def test_metrics_count_requests_by_route_and_answers_vs_abstentions(assistant):
    with TestClient(create_app(assistant)) as client:
        for question in (
            "How long do you keep my data?",
            "Do you use cookies?",
            "What is the capital of France?",
        ):
            client.post("/api/ask", json={"question": question})
        client.post("/api/chat", json={"message": "Who is the controller?"})
        client.get("/no/such/page")
        client.get(f"/policy/{SEED_DOCUMENT}/{VERSION}")
        text = client.get("/metrics").text

    def sample(name: str, **labels: str) -> float:
        return prometheus_sample(text, name, **labels)

    assert sample("privacy_assistant_answers_total", channel="api", outcome="answered") == 2
    assert sample("privacy_assistant_answers_total", channel="api", outcome="abstained") == 1
    assert sample("privacy_assistant_answers_total", channel="web", outcome="answered") == 1
    assert sample("privacy_assistant_http_requests_total", route="/api/ask", method="POST", status="200") == 3
    assert sample("privacy_assistant_http_requests_total", route="unmatched", method="GET", status="404") == 1
    assert (
        sample(
            "privacy_assistant_http_requests_total",
            route="/policy/{document}/{version}",
            method="GET",
            status="200",
        )
        == 1
    )
    assert sample("privacy_assistant_http_request_duration_seconds_count", route="/api/ask") == 3
    assert 'privacy_assistant_rights_requests_submitted_total{channel="web"} 0.0' in text
