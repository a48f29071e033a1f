"""The outbox worker on real SQLite and PostgreSQL with real SMTP servers (aiosmtpd): mail leaves after
commit and outside the request, retries back off, gives up and says so without personal data, goes
once with two workers, and sits on disk only encrypted and only for a while."""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant import RequestDraft
from assistant.prompts import load_prompts
from assistant.requests import RequestQueue
from assistant.requests.models import OutboxMessage
from assistant.requests.outbox import OutboxWorker, backoff
from tests.smtp_server import Inbox, RefusingInbox, StallingInbox, free_port, smtp_server

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def draft(email: str = "jo@example.com") -> RequestDraft:
    return RequestDraft(rights=["erasure"], name="Jo Bloggs", email=email).refresh_missing()


def open_queue(settings, **changes) -> RequestQueue:
    settings = settings.model_copy(update=changes)
    return RequestQueue(settings, load_prompts(settings.prompts_dir))


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def outbox_rows(queue: RequestQueue) -> list[OutboxMessage]:
    with Session(queue.engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# -- after commit, outside the request ---------------------------------------------------------------
def test_a_request_only_queues_its_mail_and_the_worker_wakes_at_commit(queue_settings):
    # Polling once an hour: only the wake after a commit can deliver in time.
    queue = open_queue(queue_settings, outbox_poll_seconds=3600)
    worker = OutboxWorker(queue.storage)
    try:
        reference = queue.submit(draft(), "k", now=NOW).request.reference
        assert worker.folder.paths() == []  # nothing was sent inside submit
        assert worker.pending() == 1
        with worker.running():
            assert wait_for(lambda: len(worker.folder.paths()) == 1)  # the first pass finds it
            queue.resend_verification(reference, now=NOW + timedelta(minutes=1))
            assert wait_for(lambda: len(worker.folder.paths()) == 2, 10)
        assert worker.pending() == 0
    finally:
        queue.close()


def test_a_stalled_smtp_server_holds_up_no_request(queue_settings):
    inbox = StallingInbox()
    with smtp_server(inbox) as url:
        queue = open_queue(queue_settings, smtp_url=url, smtp_timeout_seconds=120)
        worker = OutboxWorker(queue.storage)
        try:
            with worker.running():
                first = queue.submit(draft("first@example.com"), "k1").request.reference
                assert inbox.stalled.wait(30)  # the worker is inside the SMTP exchange, waiting
                started = time.monotonic()
                queue.submit(draft("second@example.com"), "k2")  # on SQLite, a write like any other
                queue.transition(first, "rejected", actor="team", note="a duplicate")
                assert queue.get(first).status == "rejected"
                took = time.monotonic() - started
                assert took < 5, f"the requests waited {took:.1f} s for a server stalled 60 s"
                assert inbox.messages == []  # still stalled: the requests did not wait for it
                inbox.release()
                assert wait_for(lambda: len(inbox.messages) == 2)  # delivered once it answers
            assert sorted(m["To"] for m in inbox.messages) == ["first@example.com", "second@example.com"]
            assert worker.pending() == 0
        finally:
            queue.close()


# -- retries, back-off, giving up --------------------------------------------------------------------
def test_backoff_doubles_from_thirty_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(8) == backoff(30) == timedelta(hours=1)


def test_a_down_server_is_retried_with_backoff_and_gets_the_mail_once_it_is_up(queue_settings):
    port = free_port()
    queue = open_queue(queue_settings, smtp_url=f"smtp://127.0.0.1:{port}")
    worker = OutboxWorker(queue.storage)
    try:
        queue.submit(draft(), "k", now=NOW)
        assert worker.deliver_due(NOW) == 0  # connection refused
        [row] = outbox_rows(queue)
        assert (row.attempts, row.next_attempt_at) == (1, NOW + timedelta(seconds=30))
        assert worker.deliver_due(NOW + timedelta(seconds=29)) == 0
        assert outbox_rows(queue)[0].attempts == 1  # not due: not tried
        inbox = Inbox()
        with smtp_server(inbox, port):
            assert worker.deliver_due(NOW + timedelta(seconds=30)) == 1
        [message] = inbox.messages
        assert message["To"] == "jo@example.com"
        [row] = outbox_rows(queue)
        assert row.attempts == 2 and row.delivered_at == NOW + timedelta(seconds=30)
        assert worker.counts().to_dict() == {"waiting": 0, "dead": 0}
    finally:
        queue.close()


def test_after_its_last_attempt_a_message_is_dead_counted_and_logged_without_the_address(
    queue_settings, caplog
):
    with smtp_server(RefusingInbox()) as url:
        queue = open_queue(queue_settings, smtp_url=url, outbox_max_attempts=3)
        worker = OutboxWorker(queue.storage)
        try:
            queue.submit(draft("refused.person@example.com"), "k", now=NOW)
            with caplog.at_level(logging.INFO):
                assert worker.deliver_due(NOW) == 0
                assert worker.deliver_due(NOW + timedelta(seconds=30)) == 0
                assert worker.counts().to_dict() == {"waiting": 1, "dead": 0}
                assert worker.deliver_due(NOW + timedelta(seconds=90)) == 0  # the third and last
            [row] = outbox_rows(queue)
            assert (row.attempts, row.dead_at, row.delivered_at) == (3, NOW + timedelta(seconds=90), None)
            assert worker.counts().to_dict() == {"waiting": 0, "dead": 1}
            assert worker.deliver_due(NOW + timedelta(days=1)) == 0
            assert outbox_rows(queue)[0].attempts == 3  # a dead message is not tried again
            assert row.last_error.startswith("SMTPRecipientsRefused") and "[email]" in row.last_error
            ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("assistant"))
            assert "given up after 3 attempts" in ours  # (the test server's own log names the address)
            assert "refused.person" not in ours and "refused.person" not in row.last_error
        finally:
            queue.close()


# -- two workers ---------------------------------------------------------------------------------------
def test_two_workers_deliver_each_message_exactly_once(queue_settings):
    inbox = Inbox(delay=0.02)  # each mail takes a moment, so the two workers overlap
    with smtp_server(inbox) as url:
        queue = open_queue(queue_settings, smtp_url=url)
        other = open_queue(queue_settings, smtp_url=url)  # its own engine, as another process has
        try:
            for n in range(30):
                queue.submit(draft(f"person{n}@example.com"), f"k{n}", now=NOW)
            workers = [OutboxWorker(queue.storage), OutboxWorker(other.storage)]
            delivered = [0, 0]

            def drain(i: int) -> None:
                delivered[i] = workers[i].drain(60)

            threads = [threading.Thread(target=drain, args=(i,)) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
            recipients = [m["To"] for m in inbox.messages]
            assert sorted(recipients) == sorted(f"person{n}@example.com" for n in range(30))
            assert sum(delivered) == 30 and all(delivered), delivered  # both took part, none twice
            assert workers[0].pending() == 0
        finally:
            queue.close()
            other.close()


# -- the mail folder (no SMTP server) -----------------------------------------------------------------
def test_mail_files_hold_no_address_code_or_link_in_clear_and_are_deleted_after_the_retention(queue):
    reference = queue.submit(draft("siobhan.files@example.ie"), "k", now=NOW).request.reference
    worker = OutboxWorker(queue.storage)
    assert worker.deliver_due() == 1
    [path] = worker.folder.paths()
    body = worker.folder.read(path).get_content()  # a developer can read it with the key
    code = re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE).group(1)
    token = re.search(r"code=([A-Za-z0-9_-]+)", body).group(1)
    raw = path.read_bytes()
    for secret in ("siobhan.files", "Jo Bloggs", code, token, reference):
        assert secret.encode() not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    legacy = worker.folder.path / "20260101T000000.000000000-0000abcd.eml"  # plaintext, older versions
    legacy.write_text("To: old@example.com\n\ncode 123456\n")
    assert worker.folder.purge() == 0  # both younger than the retention (24 h)
    day_ago = time.time() - 25 * 3600
    os.utime(path, (day_ago, day_ago))
    os.utime(legacy, (day_ago, day_ago))
    worker.deliver_due()  # every pass sweeps the folder
    assert list(worker.folder.path.iterdir()) == []
