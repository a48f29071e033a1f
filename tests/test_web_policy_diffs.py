"""The policy's diff pages through httpx against the real app, on the invented history of
tests/fixtures/history: the policy list links each diff, a diff page renders its changes under a strict
CSP, and unknown diffs are 404."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app
from tests.conftest import SEED_DOCUMENT
from tests.fixtures import HISTORY


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
