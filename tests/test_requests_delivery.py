"""What the DSAR queue sends, on real SQLite and a real PostgreSQL: listeners after commit, signed webhook
events through the outbox, verification mail through a real SMTP server and waiting for a down one."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from assistant import InvalidTransitionError
from assistant.requests import RequestQueue
from assistant.requests.outbox import OutboxWorker
from assistant.requests.sinks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.requests_support import NOW, code_and_token, draft


# -- listeners and the webhook outbox -----------------------------------------------------------
def test_listeners_hear_events_after_commit_and_a_failing_one_breaks_nothing(queue):
    heard = []

    def broken(event):
        raise RuntimeError("subscriber bug")

    queue.subscribe(broken)
    unsubscribe = queue.subscribe(
        lambda e: heard.append((e.kind, e.reference, queue.get(e.reference).status))
    )
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    queue.transition(reference, "verified", actor="team")
    with pytest.raises(InvalidTransitionError):
        queue.transition(reference, "completed", actor="team")  # refused: nobody hears of it
    unsubscribe()
    queue.transition(reference, "in_progress", actor="team")
    assert heard == [
        ("submitted", reference, "pending_verification"),
        ("status_changed", reference, "verified"),
        ("requester_notified", reference, "verified"),
    ]


class _Endpoint(BaseHTTPRequestHandler):
    """A webhook receiver that is down (503) until told otherwise."""

    up = False
    received: ClassVar[list[tuple[dict, bytes]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not type(self).up:
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_events_are_signed_and_survive_a_down_endpoint(queue_settings, tmp_path):
    from assistant.prompts import load_prompts

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Endpoint.up, _Endpoint.received = False, []
    settings = queue_settings.model_copy(
        update={"webhook_url": f"http://127.0.0.1:{server.server_port}/hook", "webhook_secret": "s3cret"}
    )
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    try:
        reference = queue.submit(draft(), "k", now=NOW).request.reference
        queue.transition(reference, "verified", actor="team", now=NOW)
        worker = OutboxWorker(queue.storage)
        assert worker.deliver_due(NOW) == 2  # the verification mail, and the one saying it is verified
        assert worker.pending() == 3  # the three events wait
        assert worker.deliver_due(NOW + timedelta(seconds=5)) == 0  # not due yet: back-off
        _Endpoint.up = True
        assert worker.deliver_due(NOW + timedelta(hours=2)) == 3
        assert worker.pending() == 0
        assert worker.deliver_due(NOW + timedelta(hours=3)) == 0  # nothing is sent twice
        events = [json.loads(body) for _, body in _Endpoint.received]
        assert [(e["event"], e["reference"]) for e in events] == [
            ("submitted", reference),
            ("status_changed", reference),
            ("requester_notified", reference),
        ]
        assert "jo@example.com" not in json.dumps(events)
        for headers, body in _Endpoint.received:
            expected = hmac.new(b"s3cret", headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256)
            assert headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"
    finally:
        queue.close()
        server.shutdown()


# -- real SMTP ----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_verification_mail_through_a_real_smtp_server(queue_settings):
    from aiosmtpd.controller import Controller

    from assistant.prompts import load_prompts

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
            return "250 OK"

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = queue_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    try:
        reference = queue.submit(draft(email="Mixed.Case@Example.com"), "k").request.reference
        assert OutboxWorker(queue.storage).deliver_due() == 1
        [(_sender, recipients, content)] = inbox.messages
        assert recipients == ["mixed.case@example.com"]
        message = email.message_from_bytes(content, policy=policy.default)
        code, _ = code_and_token(message)
        assert queue.verify(reference, code).status == "verified"
        assert not (settings.data_dir / "outbox").exists()
    finally:
        queue.close()
        controller.stop()


def test_mail_to_a_down_smtp_server_waits_in_the_outbox(queue_settings):
    from assistant.prompts import load_prompts

    settings = queue_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{_free_port()}"})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    try:
        submission = queue.submit(draft(), "k")
        assert submission.created  # the request is safe even though the mail could not go yet
        worker = OutboxWorker(queue.storage)
        assert worker.deliver_due() == 0
        assert worker.pending() == 1
    finally:
        queue.close()
