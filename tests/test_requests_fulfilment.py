"""Handing requesters their data, on SQLite and PostgreSQL: the team attaches a package to an access or
portability request, encrypted at rest; on completion the requester gets a single-use, expiring link that
opens only with a code mailed to them again; a second download is refused; packages are emptied after
their retention period."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from assistant.exceptions import RequestError, VerificationError
from assistant.requests.audit import verify_audit
from assistant.requests.conversations import ConversationStore
from assistant.requests.retention import purge
from tests.requests_support import NOW, code_and_token, draft, mails

DATA = b'{"orders": [1, 2, 3], "name": "Jo Bloggs"}'


def verified_access_request(queue, key: str = "k", rights=("access",)) -> str:
    reference = queue.submit(
        draft(rights=list(rights), email=f"{key}@example.com"), key, now=NOW
    ).request.reference
    code, _ = code_and_token(mails(queue)[-1])
    queue.verify(reference, code, now=NOW)
    return reference


def link_of(queue) -> tuple[str, str]:
    body = mails(queue)[-1].get_content()
    match = re.search(r"/download\?ref=(DSAR-\d{4}-\d{6})&token=([A-Za-z0-9_-]+)", body)
    return match.group(1), match.group(2)


def code_of(queue) -> str:
    return re.search(r"^\s+(\d{6})\s*$", mails(queue)[-1].get_content(), re.MULTILINE).group(1)


def test_the_requester_downloads_their_package_once_after_proving_the_address_again(queue):
    reference = verified_access_request(queue)
    package = queue.fulfilment.attach(
        reference, "jo-data.json", DATA, actor="ana", content_type="application/json"
    )
    assert (package.size, package.created_by, package.purged) == (len(DATA), "ana", False)
    with queue.engine.connect() as connection:
        stored = connection.execute(text("SELECT content_enc FROM data_packages")).scalar_one()
    assert b"Jo Bloggs" not in stored.encode() and "orders" not in stored  # encrypted at rest

    queue.transition(reference, "in_progress", actor="ana", now=NOW)
    queue.transition(reference, "completed", actor="ana", note="your data, as held on 10 March", now=NOW)
    subjects = [m["Subject"] for m in mails(queue)][-2:]
    assert subjects == [
        f"Your privacy request {reference} is complete",
        f"Your data from privacy request {reference} is ready",
    ]
    ref, token = link_of(queue)
    assert ref == reference

    with pytest.raises(VerificationError, match="ask for a code first"):
        queue.fulfilment.download(reference, token, "123456", now=NOW)
    queue.fulfilment.send_code(reference, token, now=NOW)
    code = code_of(queue)
    with pytest.raises(VerificationError, match="not right"):
        queue.fulfilment.download(reference, token, f"{(int(code) + 1) % 10**6:06d}", now=NOW)
    got = queue.fulfilment.download(reference, token, code, now=NOW)
    assert (got.filename, got.content_type, got.content) == ("jo-data.json", "application/json", DATA)
    with pytest.raises(VerificationError, match="this link has been used; it works once"):
        queue.fulfilment.download(reference, token, code, now=NOW)
    with pytest.raises(VerificationError, match="not valid"):
        queue.fulfilment.send_code(reference, "forged-token-forged-token", now=NOW)
    kinds = [e.kind for e in queue.events(reference)]
    assert kinds[-4:] == [
        "requester_notified",
        "requester_notified",
        "download_code_sent",
        "package_downloaded",
    ]
    assert verify_audit(queue.engine, queue.vault).ok


def test_a_package_only_goes_with_a_verified_data_request(queue):
    pending = queue.submit(draft(rights=["access"], email="p@example.com"), "p", now=NOW).request.reference
    with pytest.raises(RequestError, match="goes with a verified, open request"):
        queue.fulfilment.attach(pending, "data.zip", DATA, actor="ana")
    erasure = verified_access_request(queue, "e", rights=["erasure"])
    with pytest.raises(RequestError, match="asks for no data to hand over"):
        queue.fulfilment.attach(erasure, "data.zip", DATA, actor="ana")
    access = verified_access_request(queue, "a")
    with pytest.raises(RequestError, match="the package is empty"):
        queue.fulfilment.attach(access, "data.zip", b"", actor="ana")
    with pytest.raises(RequestError, match="file name"):
        queue.fulfilment.attach(access, "../", DATA, actor="ana")
    assert queue.fulfilment.attach(access, "../../etc/passwd", DATA, actor="ana").filename == "passwd"


def test_links_expire_and_packages_are_emptied_after_their_period(queue):
    reference = verified_access_request(queue)
    queue.fulfilment.attach(reference, "data.zip", DATA, actor="ana", now=NOW)
    queue.transition(reference, "in_progress", actor="ana", now=NOW)
    queue.transition(reference, "completed", actor="ana", now=NOW)
    _, token = link_of(queue)
    hours = queue.settings.package_link_hours
    with pytest.raises(VerificationError, match="expired"):
        queue.fulfilment.send_code(reference, token, now=NOW + timedelta(hours=hours))
    days = queue.settings.package_retention_days
    report = purge(queue, ConversationStore(queue.storage), now=NOW + timedelta(days=days, minutes=1))
    assert report.data_packages == 1 and queue.fulfilment.package(reference).purged
    with queue.engine.connect() as connection:
        assert connection.execute(text("SELECT content_enc FROM data_packages")).scalar_one() is None
    assert queue.events(reference)[-1].kind == "package_purged"
