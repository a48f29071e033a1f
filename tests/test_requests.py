"""The DSAR queue on real SQLite and a real PostgreSQL: due dates, submission, privacy at rest,
verification, and opening the queue (its key, migrations, default database). The life cycle and the
export are in tests/test_requests_lifecycle.py; the listeners, the webhook and mail delivery in
tests/test_requests_delivery.py."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant import RequestError, UnknownRequestError, VerificationError
from assistant.requests import Jurisdictions, RequestQueue, add_months
from assistant.requests.outbox import OutboxWorker
from tests.requests_support import NOW, code_and_token, draft, mails, snapshot

GDPR = Jurisdictions.load()["gdpr"]


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
    assert GDPR.due(received) == due


def test_extension_counts_from_receipt_not_from_the_clamped_date():
    assert GDPR.due(date(2026, 1, 31), extended=2) == date(2026, 4, 30)
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
        ({"rights": []}, "name at least one right"),
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
    assert [e.kind for e in queue.events(reference)] == ["submitted", "status_changed", "requester_notified"]
    assert "We will answer by 2026-04-10, as GDPR requires." in " ".join(message.get_content().split())
    [confirmed] = mails(queue)[1:]
    assert (
        confirmed["To"] == "jo@example.com"
        and confirmed["Subject"] == f"Your privacy request {reference} is confirmed"
    )


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


# -- opening the queue: the key, the migrations, the default database ---------------------------
def test_a_bad_encryption_key_is_a_clear_configuration_error(queue_settings):
    from assistant import ConfigurationError
    from assistant.prompts import load_prompts

    settings = queue_settings.model_copy(update={"encryption_key": "not-a-key"})
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        RequestQueue(settings, load_prompts(settings.prompts_dir))


def test_migrations_run_once_and_reopen_cleanly(queue):
    from alembic.script import ScriptDirectory

    from assistant.requests.database import MIGRATIONS, current_revision, head_revision

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head_revision() == head  # read from the files without alembic, as alembic reads it
    queue.submit(draft(), "k", now=NOW)
    again = RequestQueue(queue.settings, queue.prompts)
    assert again.count() == 1
    assert current_revision(again.engine) == head
    again.close()


def test_an_up_to_date_database_opens_without_importing_alembic(queue):
    """The queue's CLI commands open the database on every call: a schema at head costs no migration
    machinery."""
    url = queue.engine.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from assistant.requests.database import migrate, open_engine\n"
        f"migrate(open_engine({url!r}))\n"
        "assert 'alembic' not in sys.modules, 'alembic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=120)


def test_sqlite_database_lives_in_the_data_dir_by_default(tmp_path):
    from assistant.prompts import load_prompts
    from assistant.settings import get_settings

    settings = get_settings().model_copy(update={"data_dir": tmp_path / "d", "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    queue.close()
    assert (tmp_path / "d" / "requests.db").exists()
    assert os.access(tmp_path / "d" / "encryption.key", os.R_OK)
    assert Path(tmp_path / "d" / "encryption.key").stat().st_mode & 0o077 == 0
