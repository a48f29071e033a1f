"""Asking: `index`, `ask`, `chat` and `serve`, the commands that need the model and the index."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import click

from assistant.cli.common import (
    door,
    index_with_progress,
    open_assistant,
    parse_date,
    render_answer,
    warm_with_progress,
)
from assistant.cli.outbox import deliver_queued
from assistant.exceptions import PrivacyAssistantError
from assistant.running import ask_server
from assistant.settings import get_settings

if TYPE_CHECKING:
    from assistant.conversation import Conversation


@click.command()
@click.option(
    "--prune",
    is_flag=True,
    help="On a shared Chroma server (CHROMA_URL), also remove the versions this corpus lacks; every "
    "process using the server must have stopped serving them. (An index on disk is always pruned.)",
)
def index(prune: bool) -> None:
    """Embed the corpus into the vector store (only versions that changed)."""
    index_with_progress(open_assistant(), prune=prune or None)


@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@click.option(
    "--as-of", callback=parse_date, help="Answer from the version in force on this date (YYYY-MM-DD)."
)
@click.option("--document", help="Ask this document only (its id, e.g. acme-privacy-policy).")
@click.option(
    "--local",
    is_flag=True,
    help="Load the model here even when `serve` runs on the same data folder (by default it answers).",
)
def ask(question: str, as_json: bool, as_of: date | None, document: str | None, local: bool) -> None:
    """Answer QUESTION from the policy, quoting it.

    When `privacy-assistant serve` runs on the same data folder, it answers (in well under a second);
    otherwise the model is loaded here (some seconds).
    """
    settings = get_settings()
    answer = None if local else ask_server(settings, question, document, as_of)
    if answer is None:
        assistant = open_assistant()
        index_with_progress(assistant, quiet=True)
        answer = assistant.ask(question, document=document, as_of=as_of).to_dict()
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(answer))


@click.command()
def chat() -> None:
    """Chat in the terminal (questions and rights requests); an empty line or Ctrl-D ends it."""
    assistant = open_assistant()
    index_with_progress(assistant)
    conversation = assistant.conversation(channel="cli")
    click.echo(
        "Ask about the privacy policy, or tell me what you want done with your data. An empty line ends the chat."
    )
    if assistant.settings.outbox_worker == "inprocess":
        assistant.outbox.start()  # the verification mail goes while the chat goes on
    try:
        _chat_loop(conversation)
    finally:
        assistant.outbox.stop()
        deliver_queued(assistant.outbox)


def _chat_loop(conversation: Conversation) -> None:
    from assistant.conversation import ACTIONS

    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            break
        if not line:
            break
        try:
            action = line.lower() if line.lower() in ACTIONS else None
            turn = conversation.act(action) if action else conversation.reply(line)
            click.echo(render_answer(turn.answer.to_dict(), turn.reply) if turn.answer else turn.reply)
            if turn.actions:
                click.echo(f"({' or '.join(turn.actions)})")
        except PrivacyAssistantError as exc:
            click.echo(f"error: {exc}")
        click.echo()


@click.command()
def serve() -> None:
    """Serve the website chat, its API and the demo page on PRIVACY_ASSISTANT_HOST:PORT."""
    server = door("assistant.web.server", "web")
    from assistant.web.memory import limit_arenas

    limit_arenas()  # before any thread allocates: request threads must not each keep an arena's worth
    settings = get_settings()
    if "public_base_url" not in settings.model_fields_set and settings.host not in ("0.0.0.0", "::"):
        # Citation links point at this server unless a public address is configured.
        settings = settings.model_copy(update={"public_base_url": f"http://{settings.host}:{settings.port}"})
    from assistant.core import Assistant

    assistant = Assistant.open(settings=settings)
    index_with_progress(assistant)
    click.echo("Loading the model, the question banks and the request reader ...", err=True)
    warm_with_progress(assistant)  # on every core: a first start embeds thousands of bank examples
    # Requests run side by side, each a short forward pass: one intra-op thread apiece. More makes
    # torch's threads spin against each other (measured: 10x slower on a busy 2-core machine).
    import torch

    torch.set_num_threads(1)
    click.echo(f"Serving on http://{settings.host}:{settings.port}", err=True)
    server.serve(assistant, settings)


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True, help="Look back this far.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def gaps(days: int, as_json: bool) -> None:
    """Knowledge gaps: questions the assistant declined and answers visitors voted down (web chat,
    Slack), grouped by meaning, the largest group first. Questions are kept redacted."""
    report = open_assistant().gaps(days)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"since {report.since.date().isoformat()}: {report.declined} declined, {report.unhelpful} voted "
        f"down, in {len(report.groups)} group(s)"
    )
    for n, gap in enumerate(report.groups, 1):
        click.echo(
            f"{n:>3}. {gap.question}  ({gap.count}: {gap.declined} declined, {gap.unhelpful} voted down; "
            f"last {gap.last_at.date().isoformat()})"
        )
        for label, values in (("also", gap.examples), ("reasons", gap.reasons), ("cited", gap.sections)):
            if values:
                click.echo(f"       {label}: " + " | ".join(values))
