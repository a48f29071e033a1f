"""Keep only what is needed, on real SQLite and PostgreSQL and real files: private modes for the data
folder, the key and the database; the key's own location; the retention purges and their report."""

from __future__ import annotations

import logging
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from assistant import ConfigurationError, RequestDraft
from assistant.prompts import load_prompts
from assistant.requests import OutboxWorker, RequestQueue
from assistant.requests.conversations import ConversationStore
from assistant.requests.models import Base
from assistant.requests.retention import anonymise_closed_requests, purge
from assistant.settings import Settings, get_settings
from tests.conftest import CORPUS

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=4 * 365)  # past the default three years after closing
SECRETS = ("Jo Bloggs", "jo@example.com", "7700 900123", "Tommy Bloggs", "school reports")


def draft(**changes) -> RequestDraft:
    values = {
        "rights": ["access"],
        "name": "Jo Bloggs",
        "email": "jo@example.com",
        "phone": "+44 7700 900123",
        "on_behalf_of": "parent_guardian",
        "subject_name": "Tommy Bloggs",
        "data_concerned": "his school reports",
    }
    values.update(changes)
    return RequestDraft(**values).refresh_missing()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable(queue: RequestQueue, *tables: str) -> str:
    """Everything in the request database (or in ``tables``) anyone with the key could read: plain
    columns and every ``*_enc`` column decrypted."""
    found: list[str] = []
    with queue.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if tables and table.name not in tables:
                continue
            for row in connection.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is not None and column.name.endswith("_enc"):
                        found.append(queue.vault.decrypt(value) or "")
                    else:
                        found.append(str(value))
    return "\n".join(found)


def close(queue: RequestQueue, reference: str, status: str, at: datetime) -> None:
    """Close ``reference`` at ``at``, and deliver the messages it sent the requester then."""
    if status != "withdrawn":
        queue.transition(reference, "verified", actor="team", now=at)
        queue.transition(reference, "in_progress", actor="team", now=at)
    queue.transition(reference, status, actor="team", now=at, note="done as asked")
    OutboxWorker(queue.storage).deliver_due(at)


@pytest.fixture
def default_settings(tmp_path: Path) -> Settings:
    """The zero-configuration set-up: SQLite and the key in a data folder that does not exist yet."""
    return get_settings().model_copy(
        update={"corpus_dir": CORPUS, "data_dir": tmp_path / "data", "database_url": None}
    )


@pytest.fixture
def usual_umask():
    """Files are made under the common umask 022, which alone would leave them readable by all."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# -- private files --------------------------------------------------------------------------------
def test_the_data_folder_the_key_the_database_and_its_journals_are_private(default_settings, usual_umask):
    queue = RequestQueue(default_settings, load_prompts(default_settings.prompts_dir))
    try:
        queue.submit(draft(), "k", now=NOW)  # a write: SQLite now holds its -wal and -shm files open
        data = default_settings.data_dir
        journals = [data / "requests.db-wal", data / "requests.db-shm"]
        assert all(journal.exists() for journal in journals)
        for file in [data / "requests.db", data / "encryption.key", *journals]:
            assert mode(file) == 0o600, file.name
        assert mode(data) == 0o700
    finally:
        queue.close()


def test_files_left_open_to_others_are_tightened_once(default_settings, usual_umask, caplog):
    prompts = load_prompts(default_settings.prompts_dir)
    RequestQueue(default_settings, prompts).close()
    data = default_settings.data_dir
    for file in (data / "requests.db", data / "encryption.key"):
        os.chmod(file, 0o644)  # as an older version, or a careless copy, left them
    with caplog.at_level(logging.WARNING, logger="assistant.requests.files"):
        queue = RequestQueue(default_settings, prompts)
        queue.submit(draft(), "k", now=NOW)
        assert mode(data / "requests.db") == mode(data / "encryption.key") == 0o600
        assert mode(data / "requests.db-wal") == 0o600
        queue.close()
        RequestQueue(default_settings, prompts).close()
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and all("now 600" in message for message in warned)
    assert {Path(message.split(" was ")[0]).name for message in warned} == {"requests.db", "encryption.key"}


def test_the_assistant_makes_its_data_folder_private_before_anything_goes_in(tmp_path, usual_umask):
    from assistant import Assistant

    data = tmp_path / "new" / "data"
    Assistant.open(corpus_dir=CORPUS, data_dir=data)
    assert mode(data) == 0o700
    os.chmod(data, 0o750)  # an existing folder is the operator's: left as it is
    Assistant.open(corpus_dir=CORPUS, data_dir=data)
    assert mode(data) == 0o750


# -- the key's location -----------------------------------------------------------------------------
def test_the_key_can_live_apart_from_the_data(default_settings, tmp_path, usual_umask):
    key_file = tmp_path / "secrets" / "privacy-assistant.key"
    settings = default_settings.model_copy(update={"encryption_key_file": key_file})
    prompts = load_prompts(settings.prompts_dir)
    queue = RequestQueue(settings, prompts)
    queue.submit(draft(), "k", now=NOW)
    queue.close()
    assert mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    assert not (settings.data_dir / "encryption.key").exists()  # the data folder holds no key
    again = RequestQueue(settings, prompts)  # the same file, so the same identities
    assert again.list()[0].email == "jo@example.com"
    again.close()
    elsewhere = RequestQueue(
        settings.model_copy(update={"encryption_key_file": tmp_path / "other.key"}), prompts
    )
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        elsewhere.list()
    elsewhere.close()


def test_key_settings_from_the_environment(monkeypatch, tmp_path):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("PRIVACY_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    assert Settings().encryption_key_path == tmp_path / "data" / "encryption.key"
    monkeypatch.setenv("PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE", str(tmp_path / "k"))
    assert Settings().encryption_key_path == tmp_path / "k"
    monkeypatch.setenv("PRIVACY_ASSISTANT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(
        ValidationError, match="ENCRYPTION_KEY or PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE, not both"
    ):
        Settings()
    monkeypatch.setenv("PRIVACY_ASSISTANT_ENCRYPTION_KEY_FILE", " ")  # blank is unset
    assert Settings().encryption_key
    # The former name of the purge interval still works.
    monkeypatch.setenv("PRIVACY_ASSISTANT_TRANSCRIPT_PURGE_INTERVAL_SECONDS", "60")
    assert Settings().purge_interval_seconds == 60


def test_a_configured_key_still_needs_no_key_file(default_settings):
    from cryptography.fernet import Fernet

    settings = default_settings.model_copy(update={"encryption_key": Fernet.generate_key().decode()})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    queue.submit(draft(), "k", now=NOW)
    assert queue.list()[0].name == "Jo Bloggs"
    queue.close()
    assert not settings.encryption_key_path.exists()


def test_an_unreadable_key_file_is_a_clear_configuration_error(default_settings, tmp_path):
    settings = default_settings.model_copy(update={"encryption_key_file": tmp_path})  # a folder
    with pytest.raises(ConfigurationError, match="cannot read the encryption key file"):
        RequestQueue(settings, load_prompts(settings.prompts_dir))


# -- conversations -----------------------------------------------------------------------------------
def test_the_transcript_purge_takes_the_conversation_state_with_it(queue):
    store = ConversationStore(queue.storage)
    old = NOW - timedelta(days=31)
    told = {"name": "Jo Bloggs", "email": "jo@example.com", "subject_name": "Tommy Bloggs"}
    state = {"stage": "confirming", "draft": {**told, "data_concerned": "his school reports"}}
    store.append("idle-since-long", "visitor", "I am Jo Bloggs, jo@example.com", now=old)
    store.save("idle-since-long", "web", state, now=old)
    store.append("idle-since-long", "assistant", "Shall I send it?", now=old)
    # Begun long ago, still going: its old messages go, its state stays.
    store.save("still-talking", "web", {"stage": "collecting", "draft": {"name": "Ana"}}, now=old)
    store.append("still-talking", "visitor", "old words", now=old)
    store.append("still-talking", "visitor", "new words", now=NOW)
    store.save("still-talking", "web", {"stage": "collecting", "draft": {"name": "Ana"}}, now=NOW)

    before = readable(queue)
    counted = store.purge(30, now=NOW, dry_run=True)
    assert (counted.messages, counted.conversations) == (3, 1)
    assert readable(queue) == before  # a dry run changes nothing

    purged = store.purge(30, now=NOW)
    assert (purged.messages, purged.conversations) == (3, 1)
    assert store.load("idle-since-long") is None and store.transcript("idle-since-long") == []
    remains = readable(queue)
    for secret in SECRETS:
        assert secret not in remains
    assert store.load("still-talking") == {"stage": "collecting", "draft": {"name": "Ana"}}
    assert [message for _, _, message in store.transcript("still-talking")] == ["new words"]
    assert tuple(store.purge(30, now=NOW)) == (0, 0)


# -- closed requests and the outbox ------------------------------------------------------------------
def test_closed_requests_lose_their_identity_and_keep_their_record(queue):
    heard = []
    queue.subscribe(heard.append)
    completed = queue.submit(draft(), "completed", now=LONG_AGO).request.reference
    close(queue, completed, "completed", LONG_AGO + timedelta(days=20))
    rejected = queue.submit(draft(email="rejected@example.com"), "rejected", now=LONG_AGO).request.reference
    close(queue, rejected, "rejected", LONG_AGO + timedelta(days=1))
    lately = queue.submit(draft(email="lately@example.com"), "lately", now=LONG_AGO).request.reference
    close(queue, lately, "withdrawn", NOW - timedelta(days=30))  # closed a month ago: kept
    still_open = queue.submit(draft(email="open@example.com"), "open", now=LONG_AGO).request.reference
    queue.transition(still_open, "verified", actor="team", now=LONG_AGO)  # open, however old: kept
    OutboxWorker(queue.storage).deliver_due(LONG_AGO)  # the verification mails went then
    before = {r.reference: (r, queue.events(r.reference)) for r in queue.list()}
    snapshot = readable(queue)

    dry = purge(queue, ConversationStore(queue.storage), now=NOW, dry_run=True)
    assert dry.requests_anonymised == (completed, rejected)
    assert readable(queue) == snapshot

    heard.clear()
    report = purge(queue, ConversationStore(queue.storage), now=NOW)
    assert report.requests_anonymised == (completed, rejected)
    for reference in (completed, rejected):
        request, trail = before[reference]
        after = queue.get(reference)
        identity = (after.name, after.email, after.phone, after.subject_name, after.data_concerned)
        assert identity == (None, "", None, None, None)
        kept = ("reference", "rights", "status", "channel", "on_behalf_of", "received_at", "due_at")
        assert [getattr(after, f) for f in kept] == [getattr(request, f) for f in kept]
        events = queue.events(reference)
        assert events[:-1] == trail  # the trail is evidence: nothing of it changes
        assert (events[-1].kind, events[-1].actor, events[-1].at) == ("identity_purged", "retention", NOW)
        erased = ["name", "email", "phone", "subject_name", "data_concerned"]
        assert events[-1].detail == {"fields": erased, "retention_days": 1095}
    assert [(e.kind, e.reference) for e in heard] == [
        ("identity_purged", completed),
        ("identity_purged", rejected),
    ]
    for reference in (lately, still_open):
        assert queue.get(reference) == before[reference][0]
        assert queue.events(reference) == before[reference][1]
    remains = readable(queue)
    assert "rejected@example.com" not in remains and "lately@example.com" in remains
    # Once is enough: a second run, or a second worker, erases and audits nothing again.
    assert (
        purge(queue, ConversationStore(queue.storage), now=NOW + timedelta(days=1)).requests_anonymised == ()
    )
    assert [e.kind for e in queue.events(completed)].count("identity_purged") == 1


def test_concurrent_purges_anonymise_and_audit_each_request_once(queue):
    closed = []
    for n in range(12):
        reference = queue.submit(draft(), f"k{n}", now=LONG_AGO).request.reference
        close(queue, reference, "rejected", LONG_AGO)
        closed.append(reference)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: anonymise_closed_requests(queue, 1095, NOW), range(4)))
    erased = [reference for run in runs for reference in run]
    assert sorted(erased) == closed  # every one, by exactly one of the runs
    for reference in closed:
        assert [e.kind for e in queue.events(reference)].count("identity_purged") == 1


def test_delivered_and_dead_outbox_messages_go_after_their_period_and_waiting_ones_stay(queue, free_port):
    old = NOW - timedelta(days=8)
    queue.submit(draft(email="delivered.long.ago@example.com"), "a", now=old)
    OutboxWorker(queue.storage).deliver_due(old)
    queue.submit(draft(email="delivered.lately@example.com"), "b", now=NOW - timedelta(days=6))
    OutboxWorker(queue.storage).deliver_due(NOW - timedelta(days=6))
    unreachable = {"smtp_url": f"smtp://127.0.0.1:{free_port}"}
    for key, email, attempts in (("c", "never.delivered", 12), ("d", "given.up.long.ago", 1)):
        down = RequestQueue(
            queue.settings.model_copy(update={**unreachable, "outbox_max_attempts": attempts}), queue.prompts
        )
        try:
            down.submit(draft(email=f"{email}@example.com"), key, now=old)
            OutboxWorker(down.storage).deliver_due(old)  # fails: tried again later, or (one attempt) dead
        finally:
            down.close()
    assert OutboxWorker(queue.storage).counts().to_dict() == {"waiting": 1, "dead": 1}

    assert purge(queue, ConversationStore(queue.storage), now=NOW, dry_run=True).outbox_messages == 2
    report = purge(queue, ConversationStore(queue.storage), now=NOW)
    assert report.outbox_messages == 2
    remains = readable(queue, "outbox")
    assert "delivered.long.ago@example.com" not in remains and "given.up.long.ago" not in remains
    assert "delivered.lately@example.com" in remains and "never.delivered@example.com" in remains
    assert OutboxWorker(queue.storage).pending() == 1  # what is still being tried is never purged
    assert purge(queue, ConversationStore(queue.storage), now=NOW).outbox_messages == 0


def test_after_every_period_nothing_of_a_requester_can_be_read(queue):
    store = ConversationStore(queue.storage)
    store.append("a-conversation", "visitor", "I am Jo Bloggs, jo@example.com", now=LONG_AGO)
    told = {"name": "Jo Bloggs", "subject_name": "Tommy Bloggs"}
    store.save("a-conversation", "web", {"draft": told}, now=LONG_AGO)
    reference = queue.submit(draft(), "conversation:a-conversation:1", now=LONG_AGO).request.reference
    OutboxWorker(queue.storage).deliver_due(LONG_AGO)
    close(queue, reference, "completed", LONG_AGO + timedelta(days=25))
    assert all(secret in readable(queue) for secret in SECRETS)
    report = purge(queue, store, now=NOW)
    # The verification mail, and the mails that told of its verification and completion.
    assert (report.transcript_messages, report.conversations, report.outbox_messages) == (1, 1, 3)
    assert report.requests_anonymised == (reference,)
    remains = readable(queue)
    for secret in SECRETS:
        assert secret not in remains
    with queue.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rights_requests")).scalar_one() == 1


@pytest.fixture
def free_port() -> int:
    from tests.conftest import free_port as port

    return port()
