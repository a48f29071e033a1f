"""Tamper evidence for the audit trail: every request's events form a keyed hash chain.

Each event stores its place in its request's trail (``seq``), the hash of the event before it
(``prev_hash``), the request's audited columns as they stood after the change (``state``), and
``hash``: an HMAC-SHA256 over all of that, with a key derived from the encryption key, so someone with
only database access can neither edit an event nor forge a consistent replacement. The request row
keeps the chain's head (``audit_seq``, ``audit_head``). ``verify_audit`` then finds, in one pass:

- an edited event (its hash no longer matches), a deleted one (a gap in ``seq``, or a head that
  points past the last event), an event written around the queue (no seal);
- an unaudited change: the row differs from the state sealed in its newest event;
- a deleted request: a gap in the DSAR-YYYY-NNNNNN numbers, which the reference counter hands out in
  the same transaction as the insert, so a missing number was once a request.

What it cannot see from inside the database: a request rolled back as a whole (row, head and newest
events) to an exact earlier copy of itself, or the newest request deleted together with a rewind of
the counter. Backups kept apart from the database are the evidence there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Engine, select

from assistant.requests.crypto import Vault
from assistant.requests.models import AuditRecord, ReferenceCounter, RequestRecord

log = logging.getLogger(__name__)

# In every seal. Changing the encoding or what ``state`` covers makes every existing seal fail: it takes
# a new version and a migration that re-seals the trail, as 0002 sealed the trail before the chain.
CHAIN_VERSION = 1
_DOMAIN = f"privacy-assistant/audit-chain/v{CHAIN_VERSION}\n"  # never the text of a code or token
_REFERENCE = re.compile(r"DSAR-(\d{4})-(\d{6})")
STATE_COLUMNS = (
    "status",
    "rights",
    "categories",
    "on_behalf_of",
    "channel",
    "assignee",
    "claimed_by",
    "received_at",
    "due_at",
    "extension_months",
    "extension_reason",
    "updated_at",
    "identity_purged_at",
    "language",
    "jurisdiction",
    "extension_days",
    "duplicate_of",
)
# Sealed as one digest: ciphertext says nothing to a reader, and a digest keeps each event small.
IDENTITY_COLUMNS = (
    "idempotency_key",
    "name_enc",
    "email_enc",
    "phone_enc",
    "subject_name_enc",
    "data_concerned_enc",
)
# Sealed with the identity once set (``request_state``); rows sealed before migration 0006 lack it.
LATER_IDENTITY_COLUMNS = ("subject_email_enc",)

# The kinds of problem the verifier reports, for scripts reading ``--json``.
UNAUDITED_CHANGE = "unaudited_change"
EDITED_EVENT = "edited_event"
MISSING_EVENT = "missing_event"
UNSEALED_EVENT = "unsealed_event"
MISSING_REQUEST = "missing_request"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def request_state(row: Any) -> dict[str, Any]:
    """The audited columns of a request (an ORM record or a row), as sealed in its events.

    Every column but the chain's own (and the key); ``STATE_COLUMNS`` and ``IDENTITY_COLUMNS`` name them.
    """
    identity = [getattr(row, column) for column in IDENTITY_COLUMNS]
    # Added by migration 0006: sealed only once set, so the identities sealed before it still verify.
    identity += [value for c in LATER_IDENTITY_COLUMNS if (value := getattr(row, c, None)) is not None]
    state = {
        "status": row.status,
        "rights": list(row.rights or []),
        "categories": list(row.categories or []),
        "on_behalf_of": row.on_behalf_of,
        "channel": row.channel,
        "assignee": row.assignee,
        "claimed_by": row.claimed_by,
        "received_at": _instant(row.received_at),
        "due_at": row.due_at.isoformat(),
        "extension_months": row.extension_months,
        "extension_reason": row.extension_reason,
        "updated_at": _instant(row.updated_at),
        "identity": hashlib.sha256(_canonical(identity).encode()).hexdigest(),
    }
    # Added by migration 0004 (absent from the rows migration 0002 seals): sealed only once set, so the
    # states sealed before it still verify.
    purged_at = getattr(row, "identity_purged_at", None)
    if purged_at is not None:
        state["identity_purged_at"] = _instant(purged_at)
    # Added by migration 0007: sealed only when not English, the language of every earlier request.
    if getattr(row, "language", None) not in (None, "en"):
        state["language"] = row.language
    # Added by migration 0008: sealed only when not the GDPR's, under which every earlier request was.
    if getattr(row, "jurisdiction", None) not in (None, "gdpr"):
        state["jurisdiction"] = row.jurisdiction
    if getattr(row, "extension_days", None):
        state["extension_days"] = row.extension_days
    # Added by migration 0010: sealed once set.
    if getattr(row, "duplicate_of", None):
        state["duplicate_of"] = row.duplicate_of
    return state


def event_hash(
    vault: Vault,
    *,
    reference: str,
    seq: int,
    at: datetime,
    kind: str,
    actor: str,
    detail: dict[str, Any],
    state: dict[str, Any] | None,
    prev_hash: str | None,
) -> str:
    """The seal of one event: it covers the event, its place in the trail and the row it left."""
    sealed = {
        "reference": reference,
        "seq": seq,
        "at": _instant(at),
        "kind": kind,
        "actor": actor,
        "detail": detail,
        "state": state,
        "prev": prev_hash,
    }
    return vault.digest(_DOMAIN + _canonical(sealed))


def append(
    vault: Vault, record: RequestRecord, at: datetime, kind: str, actor: str, detail: dict[str, Any]
) -> AuditRecord:
    """The next event of ``record``'s trail, sealing the row as it is now; the head moves to it.

    Call it after the change it records, with the row locked (FOR UPDATE on PostgreSQL; SQLite's
    transactions write one at a time), so two changes cannot both extend the same head. The unique
    index on (request_id, seq) refuses a fork should a caller forget.
    """
    detail = json.loads(json.dumps(detail))  # exactly what the JSON column will give back
    seq, prev_hash, state = (record.audit_seq or 0) + 1, record.audit_head, request_state(record)
    digest = event_hash(
        vault, reference=record.reference, seq=seq, at=at, kind=kind, actor=actor,
        detail=detail, state=state, prev_hash=prev_hash,
    )  # fmt: skip
    record.audit_seq, record.audit_head = seq, digest
    return AuditRecord(
        request_id=record.id, at=at, kind=kind, actor=actor, detail=detail,
        seq=seq, prev_hash=prev_hash, hash=digest, state=state,
    )  # fmt: skip


def seal_trail(vault: Vault, request: Any, events: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Seals for a trail written before the chain existed (migration 0002), oldest event first.

    Only the newest event can seal the row's state: what the row held after the older ones is gone.
    """
    events = list(events)
    prev_hash: str | None = None
    for seq, event in enumerate(events, start=1):
        state = request_state(request) if seq == len(events) else None
        digest = event_hash(
            vault, reference=request.reference, seq=seq, at=event.at, kind=event.kind,
            actor=event.actor, detail=event.detail, state=state, prev_hash=prev_hash,
        )  # fmt: skip
        yield {"id": event.id, "seq": seq, "prev_hash": prev_hash, "hash": digest, "state": state}
        prev_hash = digest


# -- verifying ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditProblem:
    reference: str
    kind: str  # one of the constants above
    message: str

    def __str__(self) -> str:
        return f"{self.reference}  {self.kind}  {self.message}"


@dataclass(frozen=True)
class AuditReport:
    requests: int
    events: int
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        checked = f"{self.requests} request(s), {self.events} event(s)"
        if self.ok:
            return f"audit trail intact: {checked}, every chain verified"
        return f"audit trail NOT intact: {len(self.problems)} problem(s) in {checked}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "requests": self.requests,
            "events": self.events,
            "problems": [asdict(p) for p in self.problems],
        }


def verify_audit(engine: Engine, vault: Vault) -> AuditReport:
    """Check every request's trail, its row and the reference numbers, in one pass over three queries.

    One transaction, so the rows and events it reads are one snapshot even while the queue works
    (REPEATABLE READ on PostgreSQL; on SQLite the transaction holds the write lock while it reads).
    """
    columns = ("id", "reference", "audit_seq", "audit_head", *STATE_COLUMNS, *IDENTITY_COLUMNS)
    requests_query = select(*(RequestRecord.__table__.c[c] for c in columns)).order_by(RequestRecord.id)
    events_query = select(AuditRecord.__table__).order_by(AuditRecord.request_id, AuditRecord.id)
    problems: list[AuditProblem] = []
    numbers: dict[int, set[int]] = {}
    counted_requests = counted_events = 0
    options = {"yield_per": 1000}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as connection, connection.begin():
        counters = {row.year: row.last for row in connection.execute(select(ReferenceCounter))}
        trails = groupby(connection.execute(events_query), key=lambda e: e.request_id)
        pending = next(trails, None)
        for request in connection.execute(requests_query):
            counted_requests += 1
            while pending is not None and pending[0] < request.id:
                problems.append(_orphans(pending[0], list(pending[1])))
                pending = next(trails, None)
            events: list[Any] = []
            if pending is not None and pending[0] == request.id:
                events = list(pending[1])
                pending = next(trails, None)
            counted_events += len(events)
            problems.extend(_check_trail(vault, request, events))
            if match := _REFERENCE.fullmatch(request.reference):
                numbers.setdefault(int(match[1]), set()).add(int(match[2]))
            else:
                problems.append(AuditProblem(request.reference, MISSING_REQUEST, "not a DSAR reference"))
        while pending is not None:
            problems.append(_orphans(pending[0], list(pending[1])))
            pending = next(trails, None)
    problems.extend(_missing_references(numbers, counters))
    return AuditReport(counted_requests, counted_events, sorted(problems, key=lambda p: p.reference))


def _check_trail(vault: Vault, request: Any, events: list[Any]) -> list[AuditProblem]:
    reference = request.reference
    problems: list[AuditProblem] = []

    def problem(kind: str, message: str) -> None:
        problems.append(AuditProblem(reference, kind, message))

    expected, prev_hash, newest = 1, None, None
    for event in events:
        when = f"{event.kind} at {event.at.isoformat(timespec='seconds')}"
        if event.hash is None or event.seq is None:
            problem(UNSEALED_EVENT, f"event {when} carries no seal: it was written around the queue")
            continue
        if event.seq > expected:
            problem(MISSING_EVENT, f"{_events(expected, event.seq - 1)} missing (deleted)")
        elif event.seq < expected or event.prev_hash != prev_hash:
            problem(EDITED_EVENT, f"event #{event.seq} ({when}) does not follow event #{expected - 1}")
        recomputed = event_hash(
            vault, reference=reference, seq=event.seq, at=event.at, kind=event.kind, actor=event.actor,
            detail=event.detail, state=event.state, prev_hash=event.prev_hash,
        )  # fmt: skip
        if recomputed != event.hash:
            problem(EDITED_EVENT, f"event #{event.seq} ({when}) no longer matches its seal: edited")
        expected, prev_hash, newest = event.seq + 1, event.hash, event
    if newest is None:
        problem(MISSING_EVENT, "the request has no sealed audit event")
        return problems
    head_seq = request.audit_seq or 0
    if head_seq > newest.seq:
        problem(MISSING_EVENT, f"{_events(newest.seq + 1, head_seq)} missing (deleted)")
    elif (head_seq, request.audit_head) != (newest.seq, newest.hash):
        problem(EDITED_EVENT, f"the request's chain head does not point at its newest event #{newest.seq}")
    changed = _differences(newest.state or {}, request_state(request))
    if changed:
        problem(UNAUDITED_CHANGE, f"changed without an audit event after #{newest.seq}: {changed}")
    return problems


def _differences(sealed: dict[str, Any], now: dict[str, Any]) -> str:
    parts = []
    for name in now:
        if sealed.get(name) != now[name]:
            if name == "identity":
                parts.append("identity columns")  # ciphertext: nothing to show
            else:
                parts.append(f"{name} {_short(sealed.get(name))} -> {_short(now[name])}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _events(first: int, last: int) -> str:
    return f"event #{first} is" if first == last else f"events #{first} to #{last} are"


def _orphans(request_id: int, events: list[Any]) -> AuditProblem:
    return AuditProblem(
        f"(row {request_id})",
        MISSING_REQUEST,
        f"{len(events)} audit event(s) belong to a request that no longer exists (deleted)",
    )


def _missing_references(numbers: dict[int, set[int]], counters: dict[int, int]) -> list[AuditProblem]:
    problems = []
    for year in sorted(set(numbers) | set(counters)):
        present, last = numbers.get(year, set()), counters.get(year, 0)
        for number in sorted(set(range(1, last + 1)) - present):
            problems.append(
                AuditProblem(
                    f"DSAR-{year}-{number:06d}",
                    MISSING_REQUEST,
                    "this reference was handed out but no request has it (deleted)",
                )
            )
        beyond = sorted(n for n in present if n > last)
        if beyond:
            problems.append(
                AuditProblem(
                    f"DSAR-{year}-{beyond[0]:06d}",
                    MISSING_REQUEST,
                    f"{year}'s reference counter stands at {last}, below references in use (it was rewound)",
                )
            )
    return problems


def check_at_startup(engine: Engine, vault: Vault, shown: int = 20) -> AuditReport | None:
    """Verify the trail and log the outcome; never raises, so a damaged trail does not stop the service."""
    try:
        report = verify_audit(engine, vault)
    except Exception:
        log.exception("the audit trail could not be verified at start-up")
        return None
    if report.ok:
        log.info(report.summary())
        return report
    log.error("%s; run `privacy-assistant requests verify-audit` for the full report", report.summary())
    for problem in report.problems[:shown]:
        log.error("audit trail: %s", problem)
    if len(report.problems) > shown:
        log.error("audit trail: ... and %d more problem(s)", len(report.problems) - shown)
    return report
