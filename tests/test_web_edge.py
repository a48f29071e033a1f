"""The web API's edge, against the real app and a real server process: rate limits and the proxies
trusted for X-Forwarded-For, CORS, security headers, body limits, a real socket, and the CLI's `ask`
finding the server of its data folder. Real model, real Chroma."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from assistant.web import create_app
from assistant.web.edge import BodyLimit, RateLimiter
from tests.conftest import SEED_DOCUMENT, free_port, serving
from tests.web_api_support import SITE, VERSION
from tests.web_api_support import client as client


# -- the edge --------------------------------------------------------------------------------------
def test_each_client_is_rate_limited_with_retry_after(assistant):
    settings = assistant.settings.model_copy(update={"rate_limit": 3})
    with TestClient(create_app(assistant, settings)) as client:
        statuses = [client.post("/api/ask", json={"question": "cookies?"}).status_code for _ in range(3)]
        limited = client.post("/api/chat", json={"message": "cookies?"})
        assert client.get("/healthz").status_code == 200  # pages and probes are not limited
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "try again in" in limited.json()["error"]


def test_rate_limiter_refills_over_time_and_forgets_idle_clients():
    limiter = RateLimiter(per_minute=2, max_clients=2)
    limiter.hit("a", now=0.0)
    limiter.hit("a", now=0.0)
    with pytest.raises(Exception, match="try again in 30 second"):
        limiter.hit("a", now=0.0)
    limiter.hit("a", now=30.0)  # one token back after half a minute
    limiter.hit("b", now=30.0)
    limiter.hit("c", now=30.0)
    assert list(limiter._buckets) == ["b", "c"]


@pytest.mark.slow
def test_forwarded_for_counts_only_from_a_listed_proxy(data_dir, tmp_path):
    """``serve`` believes X-Forwarded-For only from TRUSTED_PROXIES: here 127.0.0.2, not 127.0.0.1."""
    assert Settings().trusted_proxies == []  # the default trusts no one, loopback included
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),  # indexed by the session's assistant
        "PRIVACY_ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'requests.db'}",
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_RATE_LIMIT": "3",
        "PRIVACY_ASSISTANT_TRUSTED_PROXIES": "127.0.0.2",
    }
    url = f"http://127.0.0.1:{port}/api/ask"

    def statuses(source: str, forwarded_for: list[str]) -> list[int]:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, timeout=60) as client:
            return [
                client.post(
                    url, json={"question": "cookies?"}, headers={"X-Forwarded-For": value}
                ).status_code
                for value in forwarded_for
            ]

    rotating = [f"198.51.100.{n}" for n in range(6)]
    with serving(env, tmp_path / "server.log", f"http://127.0.0.1:{port}"):
        untrusted = statuses("127.0.0.1", rotating)
        trusted = statuses("127.0.0.2", [f"203.0.113.{n}" for n in range(6)])
        # A client may prepend anything; the proxy appends the address it saw, and that one counts.
        spoofing = statuses("127.0.0.2", [f"{spoof}, 192.0.2.7" for spoof in rotating])
    assert untrusted == [200, 200, 200, 429, 429, 429]
    assert trusted == [200] * 6
    assert spoofing == [200, 200, 200, 429, 429, 429]


def test_trusted_proxies_must_be_addresses_or_networks():
    assert Settings(trusted_proxies="10.0.0.5, 10.1.0.0/16,::1").trusted_proxies == [
        "10.0.0.5",
        "10.1.0.0/16",
        "::1",
    ]
    with pytest.raises(ValueError, match="not appear to be an IPv4 or IPv6 network"):
        Settings(trusted_proxies="lb.internal")


def test_cors_answers_only_configured_origins(client):
    allowed = client.post("/api/ask", json={"question": "cookies?"}, headers={"Origin": SITE})
    assert allowed.headers["access-control-allow-origin"] == SITE
    other = client.post("/api/ask", json={"question": "cookies?"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    assert client.options("/api/chat", headers={"Origin": SITE, **preflight}).status_code == 200
    assert (
        client.options("/api/chat", headers={"Origin": "https://evil.example", **preflight}).status_code
        == 400
    )


@pytest.mark.parametrize("path", ["/", "/api/widget", f"/policy/{SEED_DOCUMENT}/{VERSION}", "/nope"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_bodies_over_the_limit_are_refused_announced_or_streamed(live_server):
    url = f"{live_server.api_origin}/api/chat"
    json_type = {"Content-Type": "application/json"}
    big = httpx.post(url, content=b"x" * 1_000_000, headers=json_type, timeout=30)
    assert big.status_code == 413 and "65,536 bytes" in big.json()["error"]

    def chunks():  # no Content-Length: the limit is counted as the body streams in
        for _ in range(80):
            yield b"x" * 1024

    streamed = httpx.post(url, content=chunks(), headers=json_type, timeout=30)
    assert streamed.status_code == 413
    under = httpx.post(url, content=b'{"message": "' + b"a" * 1000 + b'"}', headers=json_type, timeout=30)
    assert under.status_code == 200


def test_a_body_whose_last_chunk_crosses_the_limit_is_refused_at_once():
    """Nothing is left to drain after the last chunk: reading on would wait for a disconnect that never
    comes while the client waits for the answer."""
    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": more} for more in (True, False)]
    sent: list[dict] = []

    async def receive() -> dict:
        assert chunks, "read past the end of the body"
        return chunks.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    async def never_called(scope, receive, send) -> None:
        raise AssertionError("the body is over the limit")

    scope = {"type": "http", "method": "POST", "headers": [], "path": "/api/chat"}
    asyncio.run(BodyLimit(never_called, max_bytes=1024)(scope, receive, send))
    assert sent[0]["status"] == 413 and b"over 1,024 bytes" in sent[1]["body"]


def test_the_api_answers_over_a_real_socket(live_server):
    response = httpx.post(f"{live_server.url}/api/ask", json={"question": "Do you sell my data?"}, timeout=30)
    assert response.status_code == 200 and response.json()["citations"]


def _cli(*args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    env.update({f"PRIVACY_ASSISTANT_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, timeout=240
    )


@pytest.mark.slow
def test_the_cli_asks_the_server_of_its_data_folder(live_server, data_dir, tmp_path):
    """`ask` talks to the server announced in its data folder: with no corpus to load here, only the
    server can have answered (its citation links are the server's)."""
    announced = json.loads((data_dir / "servers" / f"{live_server.process.pid}.json").read_text())
    assert announced["url"] == live_server.url
    nowhere = str(tmp_path / "no-corpus")
    answered = _cli("ask", "Do you sell my data?", "--json", data_dir=str(data_dir), corpus_dir=nowhere)
    assert answered.returncode == 0, answered.stderr
    payload = json.loads(answered.stdout)
    assert payload["citations"] and payload["citations"][0]["url"].startswith(live_server.api_origin)
    refused = _cli("ask", "cookies?", "--document", "nope", data_dir=str(data_dir), corpus_dir=nowhere)
    assert refused.returncode == 2 and refused.stderr.startswith("error: no document 'nope'")
    # --local loads the corpus here, and there is none.
    local = _cli("ask", "Do you sell my data?", "--local", data_dir=str(data_dir), corpus_dir=nowhere)
    assert local.returncode == 2 and "no-corpus" in local.stderr


@pytest.mark.slow
def test_a_stale_announcement_falls_back_to_answering_here(tmp_path):
    (tmp_path / "servers").mkdir()
    # A live process (this one) announced at a port nobody listens on: the connection is refused.
    gone = {"url": f"http://127.0.0.1:{free_port()}", "pid": os.getpid()}
    (tmp_path / "servers" / f"{os.getpid()}.json").write_text(json.dumps(gone))
    stale = _cli(
        "ask", "Do you sell my data?", data_dir=str(tmp_path), corpus_dir=str(tmp_path / "no-corpus")
    )
    assert stale.returncode == 2 and "no-corpus" in stale.stderr  # it went on to load the corpus here
