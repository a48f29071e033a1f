"""Handing requesters their data: the package the team attaches to an access or portability request,
and the requester's download.

The package is encrypted at rest (the vault) and emptied ``package_retention_days`` after it was
attached. When the request is completed, the requester is mailed a link that works once and expires
after ``package_link_hours``; opening it only shows a page (a mail scanner fetching links downloads
nothing), where the requester asks for a code mailed to their verified address and enters it: the
download is what proves, again, that the address is still theirs. A used, expired or purged link
downloads nothing, and every step is in the request's trail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.exceptions import RequestError, VerificationError
from assistant.prompts import Prompts
from assistant.requests import states
from assistant.requests.models import DataPackageRecord, DownloadLinkRecord, RequestRecord
from assistant.requests.storage import RequestStorage, actor_name, utcnow

DELIVERS_DATA = ("access", "portability")  # rights whose answer is the requester's data
MAX_CODE_ATTEMPTS = 5
MAX_CODES = 3  # codes one link may send; a new link comes from the team
_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class DataPackage:
    reference: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str
    purged: bool


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


class Fulfilment:
    def __init__(self, storage: RequestStorage, prompts: Prompts) -> None:
        self.storage = storage
        self.settings = storage.settings
        self.prompts = prompts

    # -- the team -------------------------------------------------------------------------------
    def attach(
        self,
        reference: str,
        filename: str,
        content: bytes,
        actor: str,
        content_type: str = "application/octet-stream",
        now: datetime | None = None,
    ) -> DataPackage:
        """Attach the requester's data to an open access or portability request (a new package
        replaces an earlier one, which is purged at once)."""
        actor, now = actor_name(actor), now or utcnow()
        filename = PurePath((filename or "").replace("\\", "/")).name.strip()
        if filename in ("", ".", "..") or len(filename) > 200 or any(ord(c) < 32 for c in filename):
            raise RequestError("give the package a file name of 1 to 200 printable characters")
        limit = self.settings.package_max_mb * 1024 * 1024
        if not content:
            raise RequestError("the package is empty")
        if len(content) > limit:
            raise RequestError(
                f"the package is over {self.settings.package_max_mb} MB; split it or raise PACKAGE_MAX_MB"
            )
        with self.storage.transaction() as (session, events):
            record = self.storage.record(session, reference, lock=True)
            if record.status not in (states.VERIFIED, states.IN_PROGRESS):
                raise RequestError(
                    f"{record.reference} is {record.status}; a package goes with a verified, open request"
                )
            if not set(record.rights) & set(DELIVERS_DATA):
                raise RequestError(
                    f"{record.reference} asks for no data to hand over (access or portability)"
                )
            for old in self._packages(session, record):
                self._purge(old, now)
            package = DataPackageRecord(
                request_id=record.id, filename=filename, content_type=content_type[:100] or "application/octet-stream",
                size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                content_enc=self.storage.vault.encrypt_bytes(content), created_at=now, created_by=actor,
            )  # fmt: skip
            session.add(package)
            session.flush()
            self.storage.audit(
                session, events, record, "package_attached", actor, now,
                filename=filename, size=len(content), sha256=package.sha256,
            )  # fmt: skip
            return self._view(record, package)

    def package(self, reference: str) -> DataPackage | None:
        with self.storage.sessions() as session:
            record = self.storage.record(session, reference)
            found = self._packages(session, record)
            return self._view(record, found[-1]) if found else None

    def issue_link(self, session: Session, record: RequestRecord, now: datetime) -> str | None:
        """A new download link for ``record``'s package, if it has a live one: the token for the mail."""
        live = [p for p in self._packages(session, record) if p.content_enc is not None]
        if not live:
            return None
        token = secrets.token_urlsafe(24)
        session.add(
            DownloadLinkRecord(
                package_id=live[-1].id, token_hash=self.storage.vault.digest(token), created_at=now,
                expires_at=now + timedelta(hours=self.settings.package_link_hours),
            )
        )  # fmt: skip
        return token

    def link_url(self, reference: str, token: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/download?ref={reference}&token={token}"

    # -- the requester --------------------------------------------------------------------------
    def send_code(self, reference: str, token: str, now: datetime | None = None) -> None:
        """Mail the requester a code that opens the link (a new one voids the last)."""
        now = now or utcnow()
        with self.storage.transaction() as (session, events):
            record, link, package = self._link(session, reference, token, now)
            if link.codes_sent >= MAX_CODES:
                raise VerificationError(
                    "this link has sent all its codes; ask the privacy team for a new one"
                )
            code = f"{secrets.randbelow(10**6):06d}"
            link.code_hash, link.code_attempts = self.storage.vault.digest(code), 0
            link.codes_sent += 1
            text = self.prompts.render(
                "requester_download_code", record.language, reference=record.reference, code=code,
                filename=package.filename,
            )  # fmt: skip
            subject, _, body = text.partition("\n")
            to = self.storage.vault.decrypt(record.email_enc)
            self.storage.enqueue(
                session,
                "email",
                {"to": to, "subject": subject.partition(":")[2].strip(), "body": body.strip()},
                now,
            )
            self.storage.audit(session, events, record, "download_code_sent", "requester", now)

    def download(self, reference: str, token: str, code: str, now: datetime | None = None) -> Download:
        """The package, once: the link is used up in the same transaction that reads it."""
        now = now or utcnow()
        code = (code or "").strip().replace(" ", "")
        if not _CODE.fullmatch(code):
            raise VerificationError("the code is the 6 digits from the e-mail")
        failure = None
        with self.storage.transaction() as (session, events):
            record, link, package = self._link(session, reference, token, now)
            if link.code_hash is None:
                raise VerificationError("ask for a code first: it is e-mailed to you")
            if link.code_attempts >= MAX_CODE_ATTEMPTS:
                raise VerificationError("too many wrong codes; ask for a new one")
            if not hmac.compare_digest(self.storage.vault.digest(code), link.code_hash):
                link.code_attempts += 1
                failure = "that code is not right"
            else:
                # Used only if nobody used it in the meantime: a double click downloads once.
                used = session.execute(
                    update(DownloadLinkRecord)
                    .where(DownloadLinkRecord.id == link.id, DownloadLinkRecord.used_at.is_(None))
                    .values(used_at=now)
                )
                if used.rowcount != 1:
                    raise VerificationError("this link has been used; it works once")
                self.storage.audit(
                    session, events, record, "package_downloaded", "requester", now, filename=package.filename
                )
                content = self.storage.vault.decrypt_bytes(package.content_enc or "")
                result = Download(package.filename, package.content_type, content)
        if failure:
            raise VerificationError(failure)
        return result

    # -- retention ------------------------------------------------------------------------------
    def purge(self, now: datetime, dry_run: bool = False) -> int:
        """Empty the packages attached more than ``package_retention_days`` ago; returns how many."""
        cutoff = now - timedelta(days=self.settings.package_retention_days)
        due = select(DataPackageRecord).where(
            DataPackageRecord.created_at < cutoff, DataPackageRecord.content_enc.is_not(None)
        )
        with self.storage.transaction() as (session, events):
            packages = list(session.scalars(due))
            if dry_run:
                return len(packages)
            for package in packages:
                self._purge(package, now)
                record = session.get(RequestRecord, package.request_id)
                self.storage.audit(
                    session, events, record, "package_purged", "retention", now, filename=package.filename
                )
        return len(packages)

    # -- helpers --------------------------------------------------------------------------------
    def _link(
        self, session: Session, reference: str, token: str, now: datetime
    ) -> tuple[RequestRecord, DownloadLinkRecord, DataPackageRecord]:
        record = self.storage.record(session, reference, lock=True)
        link = session.scalar(
            select(DownloadLinkRecord)
            .join(DataPackageRecord, DataPackageRecord.id == DownloadLinkRecord.package_id)
            .where(
                DownloadLinkRecord.token_hash == self.storage.vault.digest(token or ""),
                DataPackageRecord.request_id == record.id,
            )
        )
        if link is None:
            raise VerificationError("this download link is not valid; use the one from your e-mail")
        package = session.get(DataPackageRecord, link.package_id)
        if link.used_at is not None:
            raise VerificationError("this link has been used; it works once")
        if link.expires_at <= now or package is None or package.content_enc is None:
            raise VerificationError("this link has expired; ask the privacy team for a new one")
        return record, link, package

    @staticmethod
    def _packages(session: Session, record: RequestRecord) -> list[DataPackageRecord]:
        return list(
            session.scalars(
                select(DataPackageRecord)
                .where(DataPackageRecord.request_id == record.id)
                .order_by(DataPackageRecord.id)
            )
        )

    @staticmethod
    def _purge(package: DataPackageRecord, now: datetime) -> None:
        package.content_enc = None
        package.purged_at = package.purged_at or now

    @staticmethod
    def _view(record: RequestRecord, package: DataPackageRecord) -> DataPackage:
        return DataPackage(
            record.reference, package.filename, package.content_type, package.size, package.sha256,
            package.created_at, package.created_by, package.content_enc is None,
        )  # fmt: skip
