"""Verifying the requester: a code and a link mailed to the address given, checked in constant time,
a few tries and a few mails an hour at most.

Codes and link tokens are stored only as keyed digests; the mail is queued in the same transaction
that makes the code, so a code is never made without its mail or mailed without being stored.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.exceptions import ResendLimitError, VerificationError
from assistant.intake.languages import Languages
from assistant.prompts import Prompts
from assistant.requests import states
from assistant.requests.models import RequestRecord, VerificationCode
from assistant.requests.notices import RequesterMessages
from assistant.requests.storage import RequestStorage, RightsRequest, actor_name, utcnow

_CODE = re.compile(r"\d{6}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class Verification:
    def __init__(self, storage: RequestStorage, prompts: Prompts, messages: RequesterMessages) -> None:
        self.storage = storage
        self.settings = storage.settings
        self.prompts = prompts
        self.messages = messages

    def verify(self, reference: str, code: str, now: datetime | None = None) -> RightsRequest:
        """Prove control of the e-mail address with the code (or the link's token) from the mail."""
        now = now or utcnow()
        code = (code or "").strip().replace(" ", "")
        if not (_CODE.fullmatch(code) or _TOKEN.fullmatch(code)):
            raise VerificationError("the code is the 6 digits from the verification e-mail")
        storage = self.storage
        failure: str | None = None
        with storage.transaction() as (session, events):
            record = storage.record(session, reference, lock=True)
            challenge = self._active(session, record, lock=True)
            if record.status != states.PENDING_VERIFICATION or challenge is None:
                raise VerificationError(f"{record.reference} is {record.status}; there is nothing to verify")
            if challenge.used_at is not None:
                raise VerificationError("this code has already been used")
            if challenge.expires_at <= now:
                raise VerificationError("this code has expired; ask for a new one")
            if challenge.attempts >= self.settings.verification_max_attempts:
                raise VerificationError("too many wrong codes; ask for a new one")
            digest = storage.vault.digest(code)
            # Both comparisons always run, in constant time, whichever one matches.
            matches = hmac.compare_digest(digest, challenge.code_hash) | hmac.compare_digest(
                digest, challenge.token_hash
            )
            if matches:
                challenge.used_at = now
                storage.set_status(session, events, record, states.VERIFIED, "requester", now, method="email")
                self.messages.on_status(session, events, record, "requester", now)
                view = storage.view(record)
            else:
                challenge.attempts += 1  # the rate limit is the only thing a wrong code changes
                left = self.settings.verification_max_attempts - challenge.attempts
                failure = (
                    f"that code is not right; {left} tries left"
                    if left
                    else "too many wrong codes; ask for a new one"
                )
        if failure:
            raise VerificationError(failure)
        return view

    def resend(self, reference: str, actor: str = "requester", now: datetime | None = None) -> RightsRequest:
        """A new code and link (the old ones stop working), at most ``verification_max_sends`` an hour.

        Raises ResendLimitError, saying when the next one may go, once the hour's mails are spent.
        """
        actor = actor_name(actor)
        now = now or utcnow()
        storage = self.storage
        with storage.transaction() as (session, events):
            record = storage.record(session, reference, lock=True)
            if record.status != states.PENDING_VERIFICATION:
                raise VerificationError(f"{record.reference} is {record.status}; there is nothing to verify")
            sent = session.scalars(
                select(VerificationCode.created_at)
                .where(
                    VerificationCode.request_id == record.id,
                    VerificationCode.created_at > now - timedelta(hours=1),
                )
                .order_by(VerificationCode.created_at)
            ).all()
            if len(sent) >= self.settings.verification_max_sends:
                retry_at = sent[-self.settings.verification_max_sends] + timedelta(hours=1)
                wait = max(1, math.ceil((retry_at - now).total_seconds()))
                raise ResendLimitError(
                    f"too many codes sent in the last hour; try again after {retry_at:%H:%M} UTC "
                    f"(in {math.ceil(wait / 60)} minute(s))",
                    retry_at,
                    wait,
                )
            self.challenge(session, record, now)
            storage.audit(session, events, record, "code_resent", actor, now)
            view = storage.view(record)
        return view

    @staticmethod
    def void_codes(session: Session, record: RequestRecord) -> None:
        """Every code and link still out for ``record`` stops working."""
        for old in session.scalars(
            select(VerificationCode).where(
                VerificationCode.request_id == record.id, VerificationCode.superseded.is_(False)
            )
        ):
            old.superseded = True

    def challenge(self, session: Session, record: RequestRecord, now: datetime) -> None:
        """A fresh code and link token, stored hashed, and their mail queued in the same transaction."""
        self.void_codes(session, record)
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(24)
        ttl = self.settings.verification_ttl_minutes
        vault = self.storage.vault
        session.add(
            VerificationCode(
                request_id=record.id,
                code_hash=vault.digest(code),
                token_hash=vault.digest(token),
                created_at=now,
                expires_at=now + timedelta(minutes=ttl),
                attempts=0,
                superseded=False,
            )
        )
        base = self.settings.public_base_url.rstrip("/")
        text = self.prompts.render(
            "verification_email",
            record.language,
            reference=record.reference,
            code=code,
            link=f"{base}/verify?ref={record.reference}&code={token}",
            minutes=ttl,
            rights=[Languages.load().label(r, record.language) for r in record.rights],
            due_at=record.due_at.isoformat(),
            law=self.messages.laws[record.jurisdiction].name,
        )
        subject, _, body = text.partition("\n")
        self.storage.enqueue(
            session,
            "email",
            {
                "to": vault.decrypt(record.email_enc),
                "subject": subject.partition(":")[2].strip(),  # "Subject: ...", "Betreff: ..."
                "body": body.strip(),
            },
            now,
        )

    def _active(self, session: Session, record: RequestRecord, lock: bool = False) -> VerificationCode | None:
        query = (
            select(VerificationCode)
            .where(VerificationCode.request_id == record.id, VerificationCode.superseded.is_(False))
            .order_by(VerificationCode.id.desc())
            .limit(1)
        )
        if lock and self.storage.dialect == "postgresql":
            query = query.with_for_update()
        return session.scalar(query)
