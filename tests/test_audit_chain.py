"""The audit trail's tamper evidence on real SQLite and a real PostgreSQL: the attacker here has the
database's rights (drops the append-only triggers, edits rows) but not the encryption key."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from itertools import pairwise

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import JSON, Date, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError

from assistant import Assistant, ConfigurationError
from assistant.requests import RequestQueue
from assistant.requests.audit import (
    EDITED_EVENT,
    IDENTITY_COLUMNS,
    LATER_IDENTITY_COLUMNS,
    MISSING_EVENT,
    MISSING_REQUEST,
    STATE_COLUMNS,
    UNAUDITED_CHANGE,
    UNSEALED_EVENT,
    check_at_startup,
    verify_audit,
)
from assistant.requests.crypto import Vault
from assistant.requests.database import MIGRATIONS, database_url, migrate, open_engine
from assistant.requests.models import AuditRecord, RequestRecord, UTCDateTime
from tests.requests_support import NOW, code_and_token, draft, mails


def verify(queue: RequestQueue):
    return verify_audit(queue.engine, queue.vault)


def problems(queue: RequestQueue) -> list[tuple[str, str]]:
    return [(p.reference, p.kind) for p in verify(queue).problems]


def sql(queue: RequestQueue, statement: str, **params) -> None:
    with queue.engine.begin() as connection:
        connection.execute(text(statement), params)


def drop_append_only(queue: RequestQueue) -> None:
    """What an attacker with database rights does first."""
    if queue.dialect == "postgresql":
        sql(queue, "DROP TRIGGER audit_events_append_only ON audit_events")
    else:
        sql(queue, "DROP TRIGGER audit_events_no_update")
        sql(queue, "DROP TRIGGER audit_events_no_delete")


def worked_queue(queue: RequestQueue) -> list[str]:
    """Three requests with a real history: verified by code, assigned, extended, claimed, closed."""
    references = [
        queue.submit(draft(email=f"jo{i}@example.com"), f"k{i}", now=NOW).request.reference for i in range(3)
    ]
    code, _ = code_and_token(next(m for m in mails(queue) if references[0] in m.get_content()))
    queue.verify(references[0], code, now=NOW)
    queue.assign(references[0], "ana@example.com", actor="lead", now=NOW + timedelta(minutes=1))
    queue.extend(references[0], "many systems", actor="ana", length="1 month", now=NOW + timedelta(minutes=2))
    queue.claim_next("worker-1", now=NOW + timedelta(minutes=3))
    queue.transition(references[0], "completed", actor="ana", note="sent", now=NOW + timedelta(minutes=4))
    queue.transition(references[1], "rejected", actor="ana", now=NOW + timedelta(minutes=5))
    return references


def event_id(queue: RequestQueue, reference: str, seq: int) -> int:
    with queue.engine.connect() as connection:
        return connection.execute(
            select(AuditRecord.id)
            .join(RequestRecord)
            .where(RequestRecord.reference == reference, AuditRecord.seq == seq)
        ).scalar_one()


# -- an intact queue ----------------------------------------------------------------------------------
def test_an_intact_queue_verifies_and_each_trail_is_one_chain(queue):
    references = worked_queue(queue)
    report = verify(queue)
    assert report.ok, report.problems
    assert (report.requests, report.events) == (3, 13)  # with the messages to the requesters
    assert "intact" in report.summary()
    with queue.engine.connect() as connection:
        rows = connection.execute(
            select(AuditRecord.seq, AuditRecord.prev_hash, AuditRecord.hash, RequestRecord.audit_head)
            .join(RequestRecord)
            .where(RequestRecord.reference == references[0])
            .order_by(AuditRecord.id)
        ).all()
    assert [r.seq for r in rows] == list(range(1, 10))
    assert rows[0].prev_hash is None
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(rows))
    assert rows[-1].hash == rows[-1].audit_head


def test_every_column_of_a_request_is_sealed_or_is_the_chain_itself():
    sealed = {
        "id",
        "reference",
        "audit_seq",
        "audit_head",
        *STATE_COLUMNS,
        *IDENTITY_COLUMNS,
        *LATER_IDENTITY_COLUMNS,
    }
    assert sealed == set(RequestRecord.__table__.columns.keys())


# -- what an attacker with database rights can do ----------------------------------------------------
def test_a_direct_update_of_a_request_is_an_unaudited_change(queue):
    _, second, third = worked_queue(queue)
    sql(queue, "UPDATE rights_requests SET status = 'completed' WHERE reference = :r", r=third)
    sql(queue, "UPDATE rights_requests SET email_enc = 'forged' WHERE reference = :r", r=second)
    report = verify(queue)
    assert [(p.reference, p.kind) for p in report.problems] == [
        (second, UNAUDITED_CHANGE),
        (third, UNAUDITED_CHANGE),
    ]
    assert '"pending_verification" -> "completed"' in report.problems[1].message
    assert "identity columns" in report.problems[0].message and "forged" not in str(report.to_dict())


def test_an_edited_audit_event_is_reported(queue):
    first, second, _ = worked_queue(queue)
    drop_append_only(queue)
    sql(queue, "UPDATE audit_events SET actor = 'someone else' WHERE id = :id", id=event_id(queue, first, 4))
    # Editing the sealed state too, to match a forged row, does not help without the key.
    sql(queue, "UPDATE rights_requests SET status = 'verified' WHERE reference = :r", r=second)
    sql(
        queue,
        "UPDATE audit_events SET state = :state WHERE id = :id",
        id=event_id(queue, second, 2),
        state=None,
    )
    found = verify(queue).problems
    assert [(p.reference, p.kind) for p in found] == [
        (first, EDITED_EVENT),
        (second, EDITED_EVENT),
        (second, UNAUDITED_CHANGE),
    ]
    assert "event #4" in found[0].message and "edited" in found[0].message


def test_a_deleted_audit_event_is_reported(queue):
    first, second, _ = worked_queue(queue)
    drop_append_only(queue)
    sql(queue, "DELETE FROM audit_events WHERE id = :id", id=event_id(queue, first, 3))
    for seq in (3, 2):  # the newest two: the rejection and its word to the requester
        sql(queue, "DELETE FROM audit_events WHERE id = :id", id=event_id(queue, second, seq))
    found = verify(queue).problems
    assert [(p.reference, p.kind) for p in found] == [
        (first, MISSING_EVENT),
        (second, MISSING_EVENT),
        (second, UNAUDITED_CHANGE),
    ]
    assert "event #3 is missing" in found[0].message
    assert "events #2 to #3 are missing" in found[1].message


def test_a_deleted_request_is_reported(queue):
    _, second, third = worked_queue(queue)
    drop_append_only(queue)
    for reference in (second, third):  # a gap, and the newest: the counter still counts it
        for table in ("audit_events", "verification_codes", "identity_terms"):
            sql(
                queue,
                f"DELETE FROM {table} WHERE request_id = "
                "(SELECT id FROM rights_requests WHERE reference = :r)",
                r=reference,
            )
        sql(queue, "DELETE FROM rights_requests WHERE reference = :r", r=reference)
    assert problems(queue) == [(second, MISSING_REQUEST), (third, MISSING_REQUEST)]


def test_an_event_written_around_the_queue_is_reported(queue):
    first, *_ = worked_queue(queue)
    with queue.engine.begin() as connection:
        request_id = connection.execute(
            select(RequestRecord.id).where(RequestRecord.reference == first)
        ).scalar_one()
        connection.execute(
            insert(AuditRecord).values(
                request_id=request_id, at=NOW, kind="status_changed", actor="nobody", detail={}
            )
        )
    assert problems(queue) == [(first, UNSEALED_EVENT)]


# -- concurrency ----------------------------------------------------------------------------------------
def test_concurrent_changes_to_one_request_never_fork_its_chain(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        start.wait()
        for round_ in range(3):
            try:
                queue.assign(reference, f"member-{worker}-{round_}", actor=f"lead-{worker}")
            except BaseException as exc:  # any failure is a finding: collected, asserted below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify(queue).ok
    assert [e.kind for e in queue.events(reference)].count("assigned") == 24


def test_the_database_refuses_a_second_event_at_the_same_place_in_a_trail(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    with pytest.raises(IntegrityError), queue.engine.begin() as connection:
        request_id = connection.execute(
            select(RequestRecord.id).where(RequestRecord.reference == reference)
        ).scalar_one()
        connection.execute(
            insert(AuditRecord).values(
                request_id=request_id, at=NOW, kind="assigned", actor="x", detail={}, seq=1, hash="0" * 64
            )
        )


def test_the_verifier_reads_everything_in_a_fixed_number_of_queries(queue):
    statements: list[str] = []
    event.listen(queue.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    worked_queue(queue)
    statements.clear()
    verify(queue)
    few = len(statements)
    for i in range(20):
        queue.assign(queue.submit(draft(), f"more-{i}", now=NOW).request.reference, "ana", actor="lead")
    statements.clear()
    assert verify(queue).ok
    assert len(statements) == few


# -- the upgrade from a trail written before the chain ------------------------------------------------
def legacy_database(queue_settings):
    """A request database at revision 0001, with one request and its trail as 0001 wrote them."""
    engine = open_engine(database_url(queue_settings.database_url, queue_settings.data_dir))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        vault = Vault.open(queue_settings.encryption_key, queue_settings.encryption_key_path)
        moments = [bindparam(name, type_=UTCDateTime()) for name in ("at", "later")]
        connection.execute(
            text(
                "INSERT INTO rights_requests (id, reference, idempotency_key, rights, categories, "
                "on_behalf_of, channel, status, received_at, due_at, extension_months, email_enc, "
                "updated_at) VALUES (1, 'DSAR-2026-000001', 'old', '[\"erasure\"]', '[]', 'self', 'web', "
                "'verified', :at, :due, 0, :email, :later)"
            ).bindparams(*moments, bindparam("due", type_=Date())),
            {"at": NOW, "due": NOW.date() + timedelta(days=31), "email": vault.encrypt("jo@example.com"),
             "later": NOW + timedelta(hours=1)},
        )  # fmt: skip
        connection.execute(text("INSERT INTO reference_counters (year, last) VALUES (2026, 1)"))
        for at, kind, detail in [
            (NOW, "submitted", {"channel": "web"}),
            (NOW + timedelta(hours=1), "status_changed", {"from": "pending_verification", "to": "verified"}),
        ]:
            connection.execute(
                text(
                    "INSERT INTO audit_events (request_id, at, kind, actor, detail) "
                    "VALUES (1, :at, :kind, 'requester', :detail)"
                ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("detail", type_=JSON())),
                {"at": at, "kind": kind, "detail": detail},
            )
    return engine


def test_the_upgrade_seals_the_trail_written_before_the_chain(queue_settings, prompts):
    legacy_database(queue_settings).dispose()
    queue = RequestQueue(queue_settings, prompts)
    try:
        report = verify(queue)
        assert report.ok and (report.requests, report.events) == (1, 2), report.problems
        queue.transition("DSAR-2026-000001", "in_progress", actor="ana")  # the chain goes on
        assert verify(queue).ok
        # Migration 0010 indexed who made the requests already there.
        assert [r.reference for r in queue.search("JO@example.com")] == ["DSAR-2026-000001"]
        drop_append_only(queue)
        sql(queue, "UPDATE audit_events SET actor = 'someone else' WHERE seq = 1")
        assert problems(queue) == [("DSAR-2026-000001", EDITED_EVENT)]
    finally:
        queue.close()


def test_the_upgrade_without_the_key_refuses_rather_than_leave_the_trail_unsealed(queue_settings):
    engine = legacy_database(queue_settings)
    with pytest.raises(ConfigurationError, match="needs the encryption key"):
        migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
    engine.dispose()


@pytest.fixture
def prompts(queue_settings):
    from assistant.prompts import load_prompts

    return load_prompts(queue_settings.prompts_dir)


# -- at start-up ---------------------------------------------------------------------------------------
def test_the_start_up_check_logs_each_problem_and_never_raises(queue, caplog):
    _, second, _ = worked_queue(queue)
    with caplog.at_level(logging.INFO, logger="assistant.requests.audit"):
        assert check_at_startup(queue.engine, queue.vault).ok
    assert "audit trail intact" in caplog.text
    sql(queue, "UPDATE rights_requests SET status = 'completed' WHERE reference = :r", r=second)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="assistant.requests.audit"):
        report = check_at_startup(queue.engine, queue.vault)
    assert not report.ok
    assert f"{second}  unaudited_change" in caplog.text and "verify-audit" in caplog.text
    queue.engine.dispose()
    sql(queue, "DROP TABLE audit_events" + (" CASCADE" if queue.dialect == "postgresql" else ""))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="assistant.requests.audit"):
        assert check_at_startup(queue.engine, queue.vault) is None
    assert "could not be verified" in caplog.text


@pytest.mark.slow
def test_the_web_service_starts_on_a_damaged_trail_and_says_so(fresh_assistant: Assistant, caplog):
    from assistant.web import create_app

    queue = fresh_assistant.requests
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    sql(queue, "UPDATE rights_requests SET status = 'completed' WHERE reference = :r", r=reference)
    with caplog.at_level(logging.ERROR), TestClient(create_app(fresh_assistant)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["audit"].startswith("1 problem(s) at start-up")
    assert f"{reference}  unaudited_change" in caplog.text
