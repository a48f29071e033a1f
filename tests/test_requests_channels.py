"""Requests the team logs by hand (post, phone, e-mail, in person, web form) and what the requester is
told at every step that concerns them, on SQLite and PostgreSQL: the clock starts when the request came
in, the team's check of identity is recorded with its method, and every message goes through the outbox,
in the requester's language, with its place in the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant import RequestDraft
from assistant.exceptions import InvalidTransitionError, RequestError
from assistant.requests.audit import verify_audit
from tests.requests_support import NOW, code_and_token, draft, mails, snapshot


def letter(**changes) -> RequestDraft:
    values = {"rights": ["access"], "name": "Jo Post", "data_concerned": "letter of 2 March"}
    return RequestDraft(**{**values, **changes})


def told(queue, reference) -> list[tuple[str, str]]:
    return [(e.kind, e.detail["message"]) for e in queue.events(reference) if e.kind.startswith("requester_")]


def test_a_postal_request_without_an_address_starts_the_clock_when_it_came_in(queue):
    received = date(2026, 3, 2)
    logged = queue.log_received(letter(), "post", received, actor="ana", now=NOW).request
    assert (logged.channel, logged.status, logged.email) == ("post", "pending_verification", "")
    assert logged.received_at.date() == received and logged.due_at == date(2026, 4, 2)
    assert mails(queue) == []  # no address, no mail: the trail tells the team to write by post
    (event,) = [e for e in queue.events(logged.reference) if e.kind == "requester_not_notified"]
    assert event.detail == {
        "message": "received",
        "reason": "no e-mail address: write to the requester by post",
    }
    submitted = queue.events(logged.reference)[0]
    assert (submitted.kind, submitted.actor, submitted.detail["channel"]) == ("submitted", "ana", "post")

    verified = queue.verify_identity(logged.reference, "signed_letter", actor="ana", note="signature matches")
    assert verified.status == "verified"
    change = next(e for e in queue.events(logged.reference) if e.kind == "status_changed")
    assert (change.actor, change.detail["method"], change.detail["note"]) == (
        "ana",
        "signed_letter",
        "signature matches",
    )
    with pytest.raises(InvalidTransitionError, match="there is nothing to verify"):
        queue.verify_identity(logged.reference, "signed_letter", actor="ana")
    assert verify_audit(queue.engine, queue.vault).ok


def test_a_request_checked_at_the_desk_starts_verified_and_the_requester_hears_it_came_in(queue):
    logged = queue.log_received(
        letter(email="Jo.Desk@Example.com", language="de"), "in_person", NOW - timedelta(days=1),
        actor="ana", verified_by="id_document", now=NOW,
    ).request  # fmt: skip
    assert (logged.status, logged.email, logged.language) == ("verified", "jo.desk@example.com", "de")
    [message] = mails(queue)
    assert message["To"] == "jo.desk@example.com" and message["Subject"].startswith("Wir haben Ihre")
    assert logged.reference in message.get_content() and "2026-04-09" in message.get_content()
    assert told(queue, logged.reference) == [("requester_notified", "received")]


def test_logging_is_idempotent_and_refuses_what_it_cannot_use(queue):
    first = queue.log_received(letter(), "phone", NOW.date(), actor="ana", idempotency_key="call-17", now=NOW)
    again = queue.log_received(letter(), "phone", NOW.date(), actor="ana", idempotency_key="call-17", now=NOW)
    assert first.created and not again.created and again.request.reference == first.request.reference
    before = snapshot(queue)
    for kwargs, problem in [
        ({"channel": "fax"}, "unknown channel 'fax'; a logged request came by: post, phone"),
        ({"received_at": NOW.date() + timedelta(days=2)}, "within the last year, and not in the future"),
        ({"received_at": NOW.date() - timedelta(days=400)}, "within the last year"),
        ({"verified_by": "vibes"}, "unknown verification method 'vibes'"),
        ({"draft": letter(name=None)}, "the request is missing: name"),
        ({"draft": letter(email="not-an-address")}, "is not an e-mail address"),
        ({"draft": letter(rights=["sell"])}, "unknown right 'sell'"),
        ({"actor": " "}, "actor is required"),
    ]:
        call = {"draft": letter(), "channel": "post", "received_at": NOW.date(), "actor": "ana", **kwargs}
        with pytest.raises(RequestError, match=problem):
            queue.log_received(
                call.pop("draft"), call.pop("channel"), call.pop("received_at"), now=NOW, **call
            )
    assert snapshot(queue) == before


def test_the_requester_hears_of_every_step_that_concerns_them(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    code, _ = code_and_token(mails(queue)[0])
    queue.verify(reference, code, now=NOW)
    queue.extend(reference, "twelve systems to search", actor="ana", length="1 month", now=NOW)
    queue.transition(reference, "in_progress", actor="ana", now=NOW)
    queue.transition(reference, "completed", actor="ana", note="your copy was sent by secure link", now=NOW)
    subjects = [m["Subject"] for m in mails(queue)]
    assert subjects == [
        f"Confirm your privacy request {reference}",
        f"Your privacy request {reference} is confirmed",
        f"More time for your privacy request {reference}",
        f"Your privacy request {reference} is complete",
    ]
    extended, completed = (" ".join(m.get_content().split()) for m in mails(queue)[2:])
    assert "extended the deadline by 1 month, as GDPR allows, and will answer by 2026-05-10" in extended
    assert "The reason: twelve systems to search" in extended
    assert "What we did: your copy was sent by secure link" in completed
    assert told(queue, reference) == [
        ("requester_notified", "verified"),
        ("requester_notified", "extended"),
        ("requester_notified", "completed"),
    ]
    assert [e.actor for e in queue.events(reference) if e.kind == "requester_notified"] == [
        "requester",
        "ana",
        "ana",
    ]


def test_a_rejection_tells_the_reason_and_needs_one_once_the_address_is_proven(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    queue.transition(reference, "verified", actor="ana", now=NOW)
    with pytest.raises(RequestError, match="a rejection needs a reason in the note"):
        queue.transition(reference, "rejected", actor="ana", now=NOW)
    queue.transition(reference, "rejected", actor="ana", note="the account was closed in 2019", now=NOW)
    rejected = " ".join(mails(queue)[-1].get_content().split())
    assert "The reason: the account was closed in 2019" in rejected and "supervisory authority" in rejected


def test_nothing_goes_to_an_address_nobody_proved(queue):
    reference = queue.submit(draft(email="maybe.theirs@example.com"), "k", now=NOW).request.reference
    queue.extend(reference, "busy", actor="ana", now=NOW)
    queue.transition(reference, "withdrawn", actor="ana", now=NOW)
    assert len(mails(queue)) == 1  # the verification mail alone
    assert told(queue, reference) == [
        ("requester_not_notified", "extended"),
        ("requester_not_notified", "withdrawn"),
    ]
