"""The privacy team's members on SQLite and PostgreSQL: roles, tokens kept only as hashes, the last
admin kept, removed members' tokens dead, and a team log that refuses edits."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from assistant.exceptions import ForbiddenError, NotAuthorisedError, RequestError
from assistant.requests.members import TOKEN_PREFIX


def test_the_first_member_is_the_admin_and_only_admins_manage_the_team(queue):
    members = queue.members
    assert members.add("ana", "viewer", actor=None).role == "admin"  # a new installation's first member
    assert members.add("bo", "handler", actor="ana").role == "handler"
    with pytest.raises(ForbiddenError, match="bo is a handler; adding a member takes the admin role"):
        members.add("cy", "viewer", actor="bo")
    with pytest.raises(ForbiddenError, match="'mallory' is not on the privacy team"):
        members.add("cy", "viewer", actor="mallory")
    with pytest.raises(RequestError, match="unknown role 'owner'"):
        members.add("cy", "owner", actor="ana")
    with pytest.raises(RequestError, match="ana is the last admin"):
        members.set_role("ana", "handler", actor="ana")
    assert [(m.name, m.role) for m in members.list()] == [("ana", "admin"), ("bo", "handler")]


def test_a_token_authenticates_its_member_until_revoked_or_they_leave(queue):
    members = queue.members
    members.add("ana", "admin", actor=None)
    members.add("bo", "handler", actor="ana")
    token_id, token = members.issue_token("bo", actor="ana", label="laptop")
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    assert members.authenticate(token).name == "bo"
    with queue.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM member_tokens")).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)
    members.revoke_token(token_id, actor="bo")  # one's own token, without being an admin
    with pytest.raises(NotAuthorisedError):
        members.authenticate(token)
    _, second = members.issue_token("bo", actor="ana")
    members.remove("bo", actor="ana")
    with pytest.raises(NotAuthorisedError):
        members.authenticate(second)
    for wrong in ("", "pat_", token[:-1], "Bearer " + token, "x" * 500):
        with pytest.raises(NotAuthorisedError):
            members.authenticate(wrong)


def test_the_team_log_refuses_edits_and_deletes(queue):
    queue.members.add("ana", "admin", actor=None)
    queue.export("json", "ana")
    newest = queue.members.log()[0]
    assert (newest.kind, newest.actor, newest.detail["rows"]) == ("export", "ana", 0)
    for statement in ("UPDATE team_log SET actor = 'someone else'", "DELETE FROM team_log"):
        with pytest.raises(Exception, match="append-only"), queue.engine.begin() as connection:
            connection.execute(text(statement))
    assert len(queue.members.log()) == 2


def test_a_slack_user_is_linked_to_one_member_by_an_admin(queue):
    members = queue.members
    members.add("ana", "admin", actor=None)
    members.add("bo", "handler", actor="ana")
    assert members.link_slack("bo", "U0BOB0001", actor="ana").slack_user == "U0BOB0001"
    assert members.by_slack("U0BOB0001").name == "bo" and members.by_slack("U0NOBODY1") is None
    with pytest.raises(RequestError, match="already linked to another member"):
        members.link_slack("ana", "U0BOB0001", actor="ana")
    with pytest.raises(RequestError, match="not a Slack user id"):
        members.link_slack("ana", "bob", actor="ana")
    with pytest.raises(ForbiddenError, match="linking a Slack user takes the admin role"):
        members.link_slack("bo", None, actor="bo")
    members.remove("bo", actor="ana")
    assert members.by_slack("U0BOB0001") is None  # a removed member acts nowhere
    assert [e.kind for e in members.log()][:2] == ["member_removed", "slack_linked"]
