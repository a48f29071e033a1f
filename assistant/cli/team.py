"""The privacy team itself (`team ...`): members, roles, tokens and the team log. No model is loaded."""

from __future__ import annotations

import json

import click

from assistant.cli.common import acting, as_member
from assistant.cli.outbox import open_queue
from assistant.requests.members import ADMIN, ROLES


@click.group("team")
def team_group() -> None:
    """Members of the privacy team, their roles and API tokens."""


@team_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="handler", show_default=True)
@as_member
def team_add(name: str, role: str, member: str | None) -> None:
    """Put NAME (an e-mail, say: the audit trail shows it) on the team. The first member added to a new
    installation becomes its admin; after that, only an admin adds members."""
    queue = open_queue()
    actor = None if not queue.members.count() else acting(queue, member, ADMIN, "adding a member")
    added = queue.members.add(name, role, actor=actor)
    click.echo(f"{added.name} is on the team as {added.role}")


@team_group.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Removed members too.")
@click.option(
    "--tokens", "with_tokens", is_flag=True, help="Each member's tokens (ids and labels, never the token)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def team_list(include_removed: bool, with_tokens: bool, as_json: bool) -> None:
    """Who is on the team, with their roles."""
    members = open_queue().members
    found = members.list(include_removed=include_removed)
    rows = [{**m.to_dict(), **({"token_list": members.tokens(m.name)} if with_tokens else {})} for m in found]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        removed = f"  removed {row['removed_at'][:10]}" if row["removed_at"] else ""
        click.echo(f"{row['name']}  {row['role']}  {row['tokens']} live token(s){removed}")
        for token in row.get("token_list", []):
            state = f"revoked {token['revoked_at'][:10]}" if token["revoked_at"] else "live"
            click.echo(
                f"    token {token['id']}  {token['label'] or '-'}  issued {token['created_at'][:10]}  {state}"
            )
    click.echo(f"{len(rows)} member(s)", err=True)


@team_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@as_member
def team_role(name: str, role: str, member: str | None) -> None:
    """Give NAME another ROLE (an admin does this)."""
    queue = open_queue()
    changed = queue.members.set_role(name, role, actor=acting(queue, member, ADMIN, "changing a role"))
    click.echo(f"{changed.name} is now {changed.role}")


@team_group.command("slack")
@click.argument("name")
@click.argument("slack_user", required=False)
@as_member
def team_slack(name: str, slack_user: str | None, member: str | None) -> None:
    """Make the Slack user SLACK_USER (an id like U0123ABCD) act in Slack as NAME, with NAME's role and
    under NAME in the trail; without SLACK_USER, unlink NAME."""
    queue = open_queue()
    linked = queue.members.link_slack(
        name, slack_user, actor=acting(queue, member, ADMIN, "linking a Slack user")
    )
    click.echo(
        f"{linked.name} is {'Slack user ' + linked.slack_user if linked.slack_user else 'not linked to Slack'}"
    )


@team_group.command("remove")
@click.argument("name")
@as_member
def team_remove(name: str, member: str | None) -> None:
    """Take NAME off the team and revoke their tokens; their name stays in the trails."""
    queue = open_queue()
    removed = queue.members.remove(name, actor=acting(queue, member, ADMIN, "removing a member"))
    click.echo(f"{removed.name} is off the team; their tokens are revoked")


@team_group.group("token")
def token_group() -> None:
    """API tokens: issued to one member, shown once, kept hashed."""


@token_group.command("issue")
@click.argument("name")
@click.option("--label", help="What the token is for, e.g. 'laptop' (shown in `team list --tokens`).")
@as_member
def token_issue(name: str, label: str | None, member: str | None) -> None:
    """A new API token for NAME, printed once: the service keeps only its hash."""
    queue = open_queue()
    token_id, token = queue.members.issue_token(
        name, actor=acting(queue, member, ADMIN, "issuing a token"), label=label
    )
    click.echo(token)
    click.echo(f"token {token_id} for {name}: store it now, it is not shown again", err=True)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@as_member
def token_revoke(token_id: int, member: str | None) -> None:
    """Revoke token TOKEN_ID (your own, or anyone's if you are an admin)."""
    queue = open_queue()
    queue.members.revoke_token(token_id, actor=acting(queue, member, "viewer"))
    click.echo(f"token {token_id} is revoked")


@team_group.command("log")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def team_log(limit: int, as_json: bool) -> None:
    """What the team did outside any one request, newest first: exports, members, tokens."""
    entries = open_queue().members.log(limit)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    for entry in entries:
        detail = ", ".join(f"{k}={v}" for k, v in entry.detail.items())
        click.echo(f"{entry.at.isoformat(timespec='seconds')}  {entry.kind}  by {entry.actor}  {detail}")
