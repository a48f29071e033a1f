"""The DSAR queue's life cycle on real SQLite and a real PostgreSQL: every transition, assignment and
extension, lists and filters, the CSV and JSON export (safe for a spreadsheet), claiming the next
request."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from itertools import product

import pytest

from assistant import InvalidTransitionError, RequestError
from assistant.requests import STATUSES, TRANSITIONS, RequestQueue
from assistant.requests.export import spreadsheet_safe
from tests.requests_support import HOSTILE, NOW, draft, formula_cells, snapshot

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
        change = next(e for e in reversed(queue.events(reference)) if e.kind == "status_changed")
        assert (change.detail["from"], change.detail["to"]) == (current, new)
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
    extended = queue.extend(reference, "many systems to search", actor="ana", length="1 month", now=NOW)
    assert extended.due_at == date(2026, 5, 10)
    assert extended.extension_reason == "many systems to search"
    assert queue.extend(reference, "still complex", actor="ana", length="1 month", now=NOW).due_at == date(
        2026, 6, 10
    )
    before = snapshot(queue)
    with pytest.raises(RequestError, match="already extended by 2 month"):
        queue.extend(reference, "more", actor="ana", length="1 month")
    with pytest.raises(RequestError, match="needs a reason"):
        queue.extend(reference, "   ", actor="ana")
    with pytest.raises(RequestError, match="actor is required"):
        queue.assign(reference, "ana", actor="")
    assert snapshot(queue) == before
    kinds = [e.kind for e in queue.events(reference)]
    told = "requester_not_notified"  # not verified yet: nothing goes to an unproven address
    assert kinds == ["submitted", "assigned", "extended", told, "extended", told]


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
    exported = json.loads(queue.export("json", "lead", status="pending_verification"))
    assert {row["email"] for row in exported} == {"old@example.com", "new@example.com"}
    assert next(row for row in exported if row["email"] == "old@example.com")["overdue"] is True
    csv_text = queue.export("csv", "lead")
    assert csv_text.splitlines()[0].startswith("reference,rights,status")
    assert "access erasure" in csv_text and len(csv_text.strip().splitlines()) == 4
    with pytest.raises(RequestError, match="use csv or json"):
        queue.export("xml", "lead")


def test_csv_export_neutralises_cells_a_spreadsheet_would_evaluate(queue):
    reference = queue.submit(draft(**HOSTILE), "hostile", now=NOW).request.reference
    queue.assign(reference, "@ana", actor="lead")
    queue.extend(reference, "=1+1 systems to search", actor="lead", length="1 month", now=NOW)
    csv_text = queue.export("csv", "lead")
    assert formula_cells(csv_text) == []
    (row,) = csv.DictReader(io.StringIO(csv_text))
    assert row["name"] == "'" + HOSTILE["name"]  # kept whole, read as text
    assert row["data_concerned"] == "'" + HOSTILE["data_concerned"]
    assert row["categories"] == "'-2+3; purchases"
    assert row["assignee"] == "'@ana"
    assert row["extension_reason"] == "'=1+1 systems to search"
    assert row["email"] == "jo@example.com" and row["extension_months"] == "1"
    (exported,) = json.loads(queue.export("json", "lead"))  # JSON is data, not a sheet: unchanged
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


def test_a_list_without_identity_decrypts_nothing_and_names_nobody(queue):
    reference = queue.submit(draft(phone="+44 7700 900123"), "k", now=NOW).request.reference
    (bare,) = queue.list(identity=False)
    assert (bare.reference, bare.status, bare.due_at) == (
        reference,
        "pending_verification",
        date(2026, 4, 10),
    )
    assert (bare.name, bare.email, bare.phone, bare.data_concerned) == (None, "", None, None)
    assert queue.list()[0].email == "jo@example.com"
