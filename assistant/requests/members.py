"""The privacy team: members with roles and their own credentials, and the team's log.

A member is named as the audit trail names them (an e-mail, say) and holds one role:

- ``viewer`` reads the queue and the trails;
- ``handler`` also works requests: creates, verifies, assigns, classifies, moves, extends, exports;
- ``admin`` also manages members and their tokens.

Tokens are random, shown once when issued and kept only as a SHA-256 (a token is 256 bits of
randomness, so a plain hash is as good as a slow one and lets a call be looked up by it). Whatever
changes the team, and every export of identities, goes into ``team_log``, which refuses updates and
deletes like the audit trail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.exceptions import ForbiddenError, NotAuthorisedError, RequestError
from assistant.requests.models import MemberTokenRecord, TeamLogRecord, TeamMemberRecord
from assistant.requests.storage import RequestStorage, actor_name, utcnow

ROLES = ("viewer", "handler", "admin")  # each may do what the ones before it may
VIEWER, HANDLER, ADMIN = ROLES
TOKEN_PREFIX = "pat_"  # so a leaked token is recognisable in a secret scanner


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise RequestError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return role


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    created_at: datetime
    removed_at: datetime | None = None
    tokens: int = 0  # live tokens
    slack_user: str | None = None  # the Slack user who acts as this member in Slack

    def may(self, role: str) -> bool:
        """Whether this member's role includes ``role``'s rights."""
        return self.removed_at is None and ROLES.index(self.role) >= ROLES.index(role)

    def require(self, role: str, doing: str) -> Member:
        if not self.may(role):
            raise ForbiddenError(f"{self.name} is a {self.role}; {doing} takes the {role} role")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "removed_at": self.removed_at.isoformat() if self.removed_at else None,
            "tokens": self.tokens,
            "slack_user": self.slack_user,
        }


@dataclass(frozen=True)
class TeamLogEntry:
    at: datetime
    actor: str
    kind: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "actor": self.actor, "kind": self.kind, "detail": self.detail}


class Members:
    """The team's members, roles and tokens, in the request database."""

    def __init__(self, storage: RequestStorage) -> None:
        self.storage = storage

    # -- reading --------------------------------------------------------------------------------
    def list(self, include_removed: bool = False) -> list[Member]:
        with self.storage.sessions() as session:
            query = select(TeamMemberRecord).order_by(TeamMemberRecord.name)
            if not include_removed:
                query = query.where(TeamMemberRecord.removed_at.is_(None))
            return [self._view(session, r) for r in session.scalars(query)]

    def get(self, name: str) -> Member:
        """The active member ``name``; a clear error when there is none."""
        with self.storage.sessions() as session:
            return self._view(session, self._record(session, name))

    def by_slack(self, slack_user: str) -> Member | None:
        """The active member a Slack user is linked to, if any."""
        with self.storage.sessions() as session:
            record = session.scalar(
                select(TeamMemberRecord).where(
                    TeamMemberRecord.slack_user == slack_user, TeamMemberRecord.removed_at.is_(None)
                )
            )
            return self._view(session, record) if record else None

    def authenticate(self, token: str) -> Member:
        """The active member a live token belongs to, or NotAuthorisedError."""
        token = (token or "").strip()
        if token.startswith(TOKEN_PREFIX) and len(token) < 200:
            with self.storage.sessions() as session:
                found = session.execute(
                    select(TeamMemberRecord)
                    .join(MemberTokenRecord, MemberTokenRecord.member_id == TeamMemberRecord.id)
                    .where(
                        MemberTokenRecord.token_hash == _digest(token),
                        MemberTokenRecord.revoked_at.is_(None),
                        TeamMemberRecord.removed_at.is_(None),
                    )
                ).scalar_one_or_none()
                if found is not None:
                    return self._view(session, found)
        raise NotAuthorisedError(
            "the team API needs 'Authorization: Bearer <token>' with a team member's live token; an "
            "admin issues one with `privacy-assistant team token issue NAME`"
        )

    def log(self, limit: int = 100) -> list[TeamLogEntry]:
        """The team log, newest first."""
        with self.storage.sessions() as session:
            rows = session.scalars(select(TeamLogRecord).order_by(TeamLogRecord.id.desc()).limit(limit))
            return [TeamLogEntry(r.at, r.actor, r.kind, dict(r.detail or {})) for r in rows]

    def count(self) -> int:
        with self.storage.sessions() as session:
            return session.scalar(select(func.count()).select_from(TeamMemberRecord)) or 0

    # -- changing -------------------------------------------------------------------------------
    def add(self, name: str, role: str, actor: str | None, now: datetime | None = None) -> Member:
        """A new member. ``actor`` must be an admin, except for the very first member (who then is
        one): that is how a new installation gets its first admin."""
        name, role, now = actor_name(name, "member's name"), check_role(role), now or utcnow()
        with self.storage.transaction() as (session, _):
            first = not session.scalar(select(func.count()).select_from(TeamMemberRecord))
            if first:
                role = ADMIN
                actor = name
            else:
                actor = self._acting(session, actor, ADMIN, "adding a member")
            record = TeamMemberRecord(name=name, role=role, created_at=now)
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                raise RequestError(f"{name!r} is already on the team") from None
            self.write_log(session, actor, "member_added", now, member=name, role=role)
            return self._view(session, record)

    def set_role(self, name: str, role: str, actor: str, now: datetime | None = None) -> Member:
        role, now = check_role(role), now or utcnow()
        with self.storage.transaction() as (session, _):
            actor = self._acting(session, actor, ADMIN, "changing a role")
            record = self._record(session, name)
            if record.role == ADMIN and role != ADMIN:
                self._keep_an_admin(session, record)
            previous, record.role = record.role, role
            self.write_log(
                session, actor, "role_changed", now, member=record.name, role=role, previous=previous
            )
            return self._view(session, record)

    def link_slack(
        self, name: str, slack_user: str | None, actor: str, now: datetime | None = None
    ) -> Member:
        """Make ``slack_user`` (a Slack user id, U0123ABCD; None: unlink) act in Slack as ``name``, with
        their role and under their name in the trail."""
        now = now or utcnow()
        if slack_user is not None and not re.fullmatch(r"[UW][A-Z0-9]{2,30}", slack_user):
            raise RequestError(
                f"{slack_user!r} is not a Slack user id like U0123ABCD (Slack: profile, Copy member ID)"
            )
        with self.storage.transaction() as (session, _):
            actor = self._acting(session, actor, ADMIN, "linking a Slack user")
            record = self._record(session, name)
            record.slack_user = slack_user
            try:
                session.flush()
            except IntegrityError:
                raise RequestError(f"{slack_user} is already linked to another member") from None
            self.write_log(session, actor, "slack_linked", now, member=record.name, slack_user=slack_user)
            return self._view(session, record)

    def remove(self, name: str, actor: str, now: datetime | None = None) -> Member:
        """Take ``name`` off the team and revoke their tokens; their name stays in the trails."""
        now = now or utcnow()
        with self.storage.transaction() as (session, _):
            actor = self._acting(session, actor, ADMIN, "removing a member")
            record = self._record(session, name)
            if record.role == ADMIN:
                self._keep_an_admin(session, record)
            record.removed_at = now
            revoked = self._revoke_all(session, record, now)
            self.write_log(session, actor, "member_removed", now, member=record.name, tokens_revoked=revoked)
            return self._view(session, record)

    def issue_token(
        self, name: str, actor: str, label: str | None = None, now: datetime | None = None
    ) -> tuple[int, str]:
        """A new token for ``name``: its id and the token itself, which is never shown again."""
        now = now or utcnow()
        label = " ".join((label or "").split())[:100] or None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.storage.transaction() as (session, _):
            actor = self._acting(session, actor, ADMIN, "issuing a token")
            record = self._record(session, name)
            row = MemberTokenRecord(
                member_id=record.id, token_hash=_digest(token), label=label, created_at=now
            )
            session.add(row)
            session.flush()
            self.write_log(
                session, actor, "token_issued", now, member=record.name, token_id=row.id, label=label
            )
            return row.id, token

    def revoke_token(self, token_id: int, actor: str, now: datetime | None = None) -> None:
        now = now or utcnow()
        with self.storage.transaction() as (session, _):
            row = session.get(MemberTokenRecord, token_id)
            if row is None:
                raise RequestError(f"no token has the id {token_id}; `team list --tokens` shows them")
            owner = session.get(TeamMemberRecord, row.member_id)
            # Anyone may revoke their own token (one they think leaked); others' takes an admin.
            actor = self._acting(session, actor, ADMIN, "revoking a token", self_service=owner.name)
            if row.revoked_at is None:
                row.revoked_at = now
                self.write_log(session, actor, "token_revoked", now, member=owner.name, token_id=token_id)

    def tokens(self, name: str) -> list[dict[str, Any]]:
        """A member's tokens: id, label, issued, revoked (never the token)."""
        with self.storage.sessions() as session:
            record = self._record(session, name, removed_too=True)
            rows = session.scalars(
                select(MemberTokenRecord)
                .where(MemberTokenRecord.member_id == record.id)
                .order_by(MemberTokenRecord.id)
            )
            return [
                {
                    "id": r.id,
                    "label": r.label,
                    "created_at": r.created_at.isoformat(),
                    "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                }
                for r in rows
            ]

    def record_export(self, actor: str, fmt: str, rows: int, filters: dict[str, Any]) -> None:
        """An export of identities: who, in what form, how many rows, with which filters."""
        now = utcnow()
        shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v}
        with self.storage.transaction() as (session, _):
            self.write_log(session, actor, "export", now, format=fmt, rows=rows, filters=shown)

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def write_log(session: Session, actor: str, kind: str, now: datetime, **detail: Any) -> None:
        session.add(TeamLogRecord(at=now, actor=actor, kind=kind, detail=detail))

    def _acting(
        self, session: Session, actor: str | None, role: str, doing: str, self_service: str | None = None
    ) -> str:
        """The acting member's name, checked to hold ``role`` (or to act on themselves)."""
        member = self._view(session, self._record(session, actor or "", what="acting member"))
        if self_service is not None and member.name == " ".join(self_service.split()):
            return member.name
        return member.require(role, doing).name

    def _record(
        self, session: Session, name: str, removed_too: bool = False, what: str = "member"
    ) -> TeamMemberRecord:
        name = " ".join((name or "").split())
        if not name:
            raise RequestError(f"say which {what}: a name as `team list` shows it")
        query = select(TeamMemberRecord).where(TeamMemberRecord.name == name)
        if not removed_too:
            query = query.where(TeamMemberRecord.removed_at.is_(None))
        record = session.scalar(query)
        if record is None:
            raise ForbiddenError(
                f"{name!r} is not on the privacy team; `privacy-assistant team list` shows who is"
            )
        return record

    def _keep_an_admin(self, session: Session, leaving: TeamMemberRecord) -> None:
        others = session.scalar(
            select(func.count())
            .select_from(TeamMemberRecord)
            .where(
                TeamMemberRecord.role == ADMIN,
                TeamMemberRecord.removed_at.is_(None),
                TeamMemberRecord.id != leaving.id,
            )
        )
        if not others:
            raise RequestError(f"{leaving.name} is the last admin; make someone else admin first")

    @staticmethod
    def _revoke_all(session: Session, record: TeamMemberRecord, now: datetime) -> int:
        rows = session.scalars(
            select(MemberTokenRecord).where(
                MemberTokenRecord.member_id == record.id, MemberTokenRecord.revoked_at.is_(None)
            )
        ).all()
        for row in rows:
            row.revoked_at = now
        return len(rows)

    @staticmethod
    def _view(session: Session, record: TeamMemberRecord) -> Member:
        live = session.scalar(
            select(func.count())
            .select_from(MemberTokenRecord)
            .where(MemberTokenRecord.member_id == record.id, MemberTokenRecord.revoked_at.is_(None))
        )
        return Member(
            record.name, record.role, record.created_at, record.removed_at, live or 0, record.slack_user
        )
