"""The outbox on the command line: `worker`, `requests deliver`, `outbox list|show`, and the delivery a
command that changed a request makes before it exits."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta

import click

from assistant.exceptions import InvalidInputError
from assistant.prompts import load_prompts
from assistant.requests import OutboxWorker, RequestQueue
from assistant.requests.crypto import Vault
from assistant.requests.sinks import MailFolder
from assistant.settings import get_settings

# How long a command that changed a request may spend sending what it queued, before it exits.
CLI_DELIVERY_SECONDS = 30


def deliver_queued(outbox: OutboxWorker) -> None:
    """With no separate worker (OUTBOX_WORKER=inprocess), send the mail and events this command queued
    before exiting; what cannot go yet stays in the outbox for the next sender."""
    if outbox.settings.outbox_worker != "inprocess":
        return
    outbox.drain(CLI_DELIVERY_SECONDS)
    waiting = outbox.pending()
    if waiting:
        click.echo(
            f"{waiting} message(s) wait in the outbox; `privacy-assistant requests deliver` or "
            "`privacy-assistant worker` sends them",
            err=True,
        )


def open_queue() -> RequestQueue:
    """The request queue alone: working requests and delivering mail need no model or index, so the
    commands that do only that start in about a second."""
    from assistant.requests.files import private_dir

    settings = get_settings()
    private_dir(settings.data_dir)  # before the database or the outbox make it world-readable
    return RequestQueue(settings, load_prompts(settings.prompts_dir))


def deliver_once() -> None:
    outbox = OutboxWorker(open_queue().storage)
    sent = outbox.deliver_due()
    counts = outbox.counts()
    click.echo(f"delivered {sent}; {counts.waiting} waiting, {counts.dead} dead")


@click.command()
def worker() -> None:
    """Deliver the outbox (mail, webhook events) until stopped: for deployments past one machine, with
    PRIVACY_ASSISTANT_OUTBOX_WORKER=off on the web services. Several may run; each message goes once."""
    from assistant.redaction import install_redaction

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()
    outbox = OutboxWorker(open_queue().storage)
    signal.signal(signal.SIGTERM, lambda *_: outbox.stop(timeout=0))
    click.echo(
        f"outbox worker: delivering (polling every {outbox.settings.outbox_poll_seconds:g} s); "
        "Ctrl-C or SIGTERM stops it",
        err=True,
    )
    outbox.run()
    click.echo("outbox worker: stopped", err=True)


@click.group("outbox")
def outbox_group() -> None:
    """Read the mail the embedded default writes (encrypted) into DATA_DIR/outbox instead of sending it."""


def _mail_folder() -> MailFolder:
    settings = get_settings()
    if settings.smtp_url:
        click.echo("note: PRIVACY_ASSISTANT_SMTP_URL is set, so new mail goes there, not to files", err=True)
    vault = Vault.open(settings.encryption_key, settings.encryption_key_path)
    return MailFolder(
        settings.data_dir / "outbox", vault, timedelta(hours=settings.outbox_file_retention_hours)
    )


@outbox_group.command("list")
def outbox_list() -> None:
    """The mail files, oldest first: name, recipient, subject."""
    folder = _mail_folder()
    folder.purge()
    paths = folder.paths()
    for path in paths:
        message = folder.read(path)
        click.echo(f"{path.name}  {message['To']}  {message['Subject']}")
    click.echo(f"{len(paths)} mail(s) in {folder.path}", err=True)


@outbox_group.command("show")
@click.argument("name", required=False)
def outbox_show(name: str | None) -> None:
    """Print one mail, decrypted: NAME from `outbox list` (default: the newest)."""
    folder = _mail_folder()
    paths = folder.paths()
    if name:
        chosen = [p for p in paths if p.name == name]
        if not chosen:
            raise InvalidInputError(
                f"no mail {name!r} in {folder.path}; `privacy-assistant outbox list` names them"
            )
        path = chosen[0]
    elif paths:
        path = paths[-1]
    else:
        raise InvalidInputError(f"no mail in {folder.path}")
    click.echo(folder.read(path).as_string())
