"""The Slack app from the command line: Socket Mode and the daily digest (``slack_app`` imported late)."""

from __future__ import annotations

import click

from assistant.cli.common import door, open_assistant


@click.group("slack", invoke_without_command=True)
@click.option("--socket", is_flag=True, help="Serve the Slack app over Socket Mode (needs SLACK_APP_TOKEN).")
@click.pass_context
def slack_group(ctx: click.Context, socket: bool) -> None:
    """The Slack app: `slack --socket` serves it; HTTP mode is part of `serve` when Slack is configured."""
    if ctx.invoked_subcommand is not None:
        return
    if not socket:
        raise click.UsageError("say how to run it: `privacy-assistant slack --socket`, or `slack digest`")
    door("slack_app.socket_mode", "slack").run_socket_mode(open_assistant())


@slack_group.command("digest")
def slack_digest() -> None:
    """Post the due-soon and overdue requests to the privacy channel; run it daily from cron."""
    late, soon = door("slack_app.socket_mode", "slack").run_digest(open_assistant())
    click.echo(f"posted the digest: {late} overdue, {soon} due soon")
