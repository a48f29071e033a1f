"""A stand-in for Slack's Web API on 127.0.0.1: records every call and answers as Slack does.

Only Slack is stood in for; the Bolt app, the web service and the assistant under test are the real ones.
Also: request signing as Slack does it, and a Block Kit validator holding payloads to Slack's limits.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

BOT_USER, BOT_ID, TEAM = "UBOT0001", "BBOT0001", "T0TEAM01"


@dataclass
class Call:
    method: str  # "chat.postMessage", ..., or "response_url"
    params: dict[str, Any]
    token: str | None
    answer: dict[str, Any] = field(default_factory=dict)  # what the stand-in answered
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    def __init__(self, token: str, group_members: dict[str, list[str]] | None = None) -> None:
        self.token = token
        self.group_members = group_members or {}
        self.not_in = set()  # channels the bot is not a member of
        self.calls: list[Call] = []
        self._ts = itertools.count(1)
        self._lock = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params: dict[str, Any] = dict(parse_qsl(url.query))
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        params.update(json.loads(raw))
                    else:
                        params.update(dict(parse_qsl(raw)))
                for key in ("blocks", "view", "attachments"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") if auth else params.get("token")
                if url.path.startswith("/respond/"):
                    fake._record(Call("response_url", params, token))
                    self._send(200, b"ok", "text/plain")
                    return
                method = url.path.removeprefix("/api/")
                answer = fake.answer(method, params, token)
                fake._record(Call(method, params, token, answer))
                self._send(200, json.dumps(answer).encode(), "application/json")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = f"{self.url}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        ts = f"{1700000000 + next(self._ts)}.000100"
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "privacy-assistant",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}  # fmt: skip
        if method == "chat.postMessage":
            channel = params.get("channel")
            if channel in self.not_in:
                return {"ok": False, "error": "not_in_channel"}
            message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                       "text": params.get("text", ""), "blocks": params.get("blocks", [])}  # fmt: skip
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts"),
                "text": params.get("text"),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "usergroups.users.list":
            group = params.get("usergroup")
            if group not in self.group_members:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.group_members[group]}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V0VIEW01", **params.get("view", {})}}
        return {"ok": False, "error": "unknown_method"}

    # -- reading what the app did ----------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self, method: str, where=lambda params: True, timeout: float = 120.0, after: int = 0
    ) -> Call:
        """The first call of ``method`` (from the ``after``-th call on) whose params satisfy ``where``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self.calls[after:]:
                    if call.method == method and where(call.params):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [
                        (c.method, c.params.get("channel"), c.params.get("text", "")[:80])
                        for c in self.calls[after:]
                    ]
                    raise AssertionError(f"no {method} call in {timeout:.0f} s; calls seen: {seen}")
                self._lock.wait(left)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)


# -- Slack's request signing (v0) --------------------------------------------------------------------
def signed_headers(
    secret: str, body: str, timestamp: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps({
        "token": "unused", "team_id": TEAM, "api_app_id": "A0APP001", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    })  # fmt: skip


def command_body(command: str, text: str, user: str, channel: str, response_url: str) -> str:
    return urlencode({
        "token": "unused", "team_id": TEAM, "channel_id": channel, "channel_name": "general", "user_id": user,
        "user_name": user.lower(), "command": command, "text": text, "api_app_id": "A0APP001",
        "response_url": response_url, "trigger_id": "1.2.trigger",
    })  # fmt: skip


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


# -- Block Kit, held to Slack's documented limits ------------------------------------------------------
TEXT_TYPES = {"plain_text", "mrkdwn"}


def _text(obj: Any, where: str, limit: int = 3000, plain: bool = False) -> None:
    assert isinstance(obj, dict) and obj.get("type") in TEXT_TYPES, f"{where}: not a text object: {obj!r}"
    if plain:
        assert obj["type"] == "plain_text", f"{where}: must be plain_text"
    assert isinstance(obj.get("text"), str) and obj["text"], f"{where}: empty text"
    assert len(obj["text"]) <= limit, f"{where}: {len(obj['text'])} characters, Slack allows {limit}"


def _element(element: dict[str, Any], where: str) -> None:
    kind = element.get("type")
    if kind == "button":
        _text(element["text"], f"{where}.text", 75, plain=True)
        assert 0 < len(element["action_id"]) <= 255, f"{where}: action_id length"
        assert len(element.get("value", "")) <= 2000, f"{where}: value over 2000"
        assert element.get("style") in (None, "primary", "danger"), f"{where}: style"
    elif kind == "plain_text_input":
        assert 0 < len(element["action_id"]) <= 255
        assert element.get("max_length", 3000) <= 3000
    elif kind in ("static_select", "multi_static_select"):
        assert 0 < len(element["action_id"]) <= 255
        options = element["options"]
        assert 0 < len(options) <= 100, f"{where}: {len(options)} options; Slack allows 100"
        for j, option in enumerate(options):
            _text(option["text"], f"{where}.options[{j}]", 75, plain=True)
            assert 0 < len(option["value"]) <= 150, f"{where}.options[{j}]: value length"
    elif kind == "datepicker":
        assert 0 < len(element["action_id"]) <= 255
        if "initial_date" in element:
            date.fromisoformat(element["initial_date"])  # YYYY-MM-DD
    else:
        raise AssertionError(f"{where}: unexpected element type {kind!r}")


def validate_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    """Raise AssertionError unless ``blocks`` is Block Kit within Slack's documented limits."""
    assert isinstance(blocks, list) and 0 < len(blocks) <= limit, (
        f"{len(blocks)} blocks; Slack allows {limit}"
    )
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), "block_ids must be unique in a message"
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        assert len(block.get("block_id", "")) <= 255, f"{where}: block_id over 255"
        kind = block.get("type")
        if kind == "section":
            assert "text" in block or "fields" in block, f"{where}: section without text or fields"
            if "text" in block:
                _text(block["text"], f"{where}.text", 3000)
            fields = block.get("fields", [])
            assert len(fields) <= 10, f"{where}: {len(fields)} fields; Slack allows 10"
            for j, f in enumerate(fields):
                _text(f, f"{where}.fields[{j}]", 2000)
        elif kind == "context":
            elements = block["elements"]
            assert 0 < len(elements) <= 10, f"{where}: {len(elements)} context elements; Slack allows 10"
            for j, e in enumerate(elements):
                _text(e, f"{where}.elements[{j}]", 3000)
        elif kind == "actions":
            elements = block["elements"]
            assert 0 < len(elements) <= 25, f"{where}: {len(elements)} elements; Slack allows 25"
            for j, e in enumerate(elements):
                _element(e, f"{where}.elements[{j}]")
        elif kind == "header":
            _text(block["text"], f"{where}.text", 150, plain=True)
        elif kind == "divider":
            pass
        elif kind == "input":
            _text(block["label"], f"{where}.label", 2000, plain=True)
            _element(block["element"], f"{where}.element")
        else:
            raise AssertionError(f"{where}: unknown block type {kind!r}")


def validate_message(params: dict[str, Any]) -> None:
    """A chat.postMessage / chat.update / chat.postEphemeral / response_url payload."""
    assert isinstance(params.get("text"), str) and params["text"].strip(), "a message needs fallback text"
    assert len(params["text"]) <= 40_000
    if "blocks" in params:
        validate_blocks(params["blocks"])


def validate_modal(view: dict[str, Any]) -> None:
    assert view["type"] == "modal"
    _text(view["title"], "title", 24, plain=True)
    for key in ("submit", "close"):
        if key in view:
            _text(view[key], key, 24, plain=True)
    assert len(view.get("callback_id", "")) <= 255
    assert len(view.get("private_metadata", "")) <= 3000
    validate_blocks(view["blocks"], limit=100)
