"""Messages to the requester at every step that concerns them: received (a request the team logged),
verified, extended, rejected, completed, withdrawn.

Each is a template in ``prompts/`` (``requester_<step>.txt``, per locale in ``prompts/<code>/``) written
in the requester's language, queued in the outbox in the same transaction as the change it tells of,
and recorded in the request's audit trail (``requester_notified``). Nothing about a request goes to an
address nobody has proven is the requester's: a step after submission is mailed only once the address
was verified (by the requester's code or by the team); otherwise, and when there is no address (a
request by post), the trail says why the requester was not written to (``requester_not_notified``),
so the team can write by post.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from assistant.intake.languages import Languages
from assistant.intake.rights import BY_NAME
from assistant.prompts import Prompts
from assistant.requests import states
from assistant.requests.laws import Jurisdictions
from assistant.requests.models import RequestRecord
from assistant.requests.storage import AuditEvent, RequestStorage

# The status changes the requester hears of, and the message each sends.
ON_STATUS = {
    states.VERIFIED: "verified",
    states.REJECTED: "rejected",
    states.COMPLETED: "completed",
    states.WITHDRAWN: "withdrawn",
}


class RequesterMessages:
    def __init__(self, storage: RequestStorage, prompts: Prompts, laws: Jurisdictions) -> None:
        self.storage = storage
        self.prompts = prompts
        self.laws = laws

    def on_status(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        actor: str,
        now: datetime,
        note: str | None = None,
        **values: Any,
    ) -> None:
        """Tell the requester of the status ``record`` has just moved to, if it concerns them; the trail
        records the message under ``actor``, who made the change."""
        message = ON_STATUS.get(record.status)
        if message is not None:
            self.send(session, events, record, message, actor, now, reason=note, note=note, **values)

    def send(
        self,
        session: Session,
        events: list[AuditEvent],
        record: RequestRecord,
        message: str,
        actor: str,
        now: datetime,
        **values: Any,
    ) -> None:
        """Queue ``message`` to the requester in this transaction, and record it in the trail."""
        address = self.storage.vault.decrypt(record.email_enc)
        why_not = None
        if not address:
            why_not = "no e-mail address: write to the requester by post"
        elif message != "received" and not self.address_verified(record):
            why_not = "the e-mail address was never verified"
        if why_not:
            self.storage.audit(
                session, events, record, "requester_not_notified", actor, now, message=message, reason=why_not
            )
            return
        law = self.laws[record.jurisdiction]
        languages = Languages.load()
        text = self.prompts.render(
            f"requester_{message}",
            record.language,
            reference=record.reference,
            rights=[languages.label(r, record.language) for r in record.rights if r in BY_NAME],
            due_at=record.due_at.isoformat(),
            law=law.name,
            **{"delivers_data": False, **values},
        )
        subject, _, body = text.partition("\n")
        self.storage.enqueue(
            session,
            "email",
            {"to": address, "subject": subject.partition(":")[2].strip(), "body": body.strip()},
            now,
        )
        self.storage.audit(session, events, record, "requester_notified", actor, now, message=message)

    @staticmethod
    def address_verified(record: RequestRecord) -> bool:
        """Whether the requester's address was ever proven theirs: the request was verified once."""
        if record.status in (states.VERIFIED, states.IN_PROGRESS, states.COMPLETED):
            return True
        return any(
            e.kind == "status_changed" and (e.detail or {}).get("to") == states.VERIFIED
            for e in record.events
        )
