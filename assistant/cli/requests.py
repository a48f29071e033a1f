"""Rights requests: the privacy team's queue (`requests ...`). None of these commands loads the model."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from assistant.cli.common import acting, as_member, open_assistant, parse_date
from assistant.cli.outbox import deliver_once, deliver_queued, open_queue
from assistant.intake.draft import ON_BEHALF_OF, RequestDraft
from assistant.intake.rights import BY_NAME, RIGHTS
from assistant.requests import OutboxWorker
from assistant.requests.queue import VERIFICATION_METHODS, extensions_in
from assistant.requests.storage import TEAM_CHANNELS


def _request_line(request, today: date) -> str:
    overdue = " OVERDUE" if request.overdue(today) else ""
    assignee = request.assignee or "-"
    rights = ",".join(request.rights) or "NEEDS-TRIAGE"
    return (
        f"{request.reference}  {request.status:20s}  due {request.due_at.isoformat()}{overdue}  "
        f"{rights}  {request.channel}  {assignee}"
    )


def _status_option(function):
    return click.option(
        "--status", "statuses", multiple=True, help="Only requests in this status (repeatable)."
    )(function)


def _filters(statuses: tuple[str, ...], due_before: date | None, overdue: bool) -> dict:
    return {"status": list(statuses) or None, "due_before": due_before, "overdue": overdue}


@click.group("requests")
def requests_group() -> None:
    """Work the rights-request (DSAR) queue."""


@requests_group.command("list")
@_status_option
@click.option("--due-before", callback=parse_date, help="Only requests due before this date (YYYY-MM-DD).")
@click.option("--overdue", is_flag=True, help="Only open requests past their due date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def requests_list(statuses: tuple[str, ...], due_before: date | None, overdue: bool, as_json: bool) -> None:
    """Requests, soonest due first; overdue ones are marked OVERDUE."""
    requests = open_queue().list(**_filters(statuses, due_before, overdue))
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in requests], ensure_ascii=False, indent=2))
        return
    today = date.today()
    for request in requests:
        line = _request_line(request, today)
        click.echo(click.style(line, fg="red", bold=True) if request.overdue(today) else line)
    click.echo(f"{len(requests)} request(s)", err=True)


@requests_group.command("create")
@click.option("--channel", required=True, type=click.Choice(TEAM_CHANNELS), help="How the request came in.")
@click.option(
    "--received", "received", required=True, callback=parse_date, help="The day it came in (YYYY-MM-DD)."
)
@click.option("--right", "rights", multiple=True, type=click.Choice(RIGHTS), help="Repeatable; none: triage.")
@click.option("--name", required=True, help="The requester's name.")
@click.option("--email", help="Their e-mail address, if they gave one (the messages to them go there).")
@click.option("--phone")
@click.option("--on-behalf-of", default="self", show_default=True, type=click.Choice(ON_BEHALF_OF))
@click.option("--subject-name", help="Whom the request is about, when not the requester.")
@click.option("--details", help="What they asked, in their words.")
@click.option("--language", default="en", show_default=True, help="Theirs (ISO 639-1): mails are in it.")
@click.option("--jurisdiction", help="The law it is answered under (default PRIVACY_ASSISTANT_JURISDICTION).")
@click.option(
    "--verified-by", type=click.Choice(VERIFICATION_METHODS), help="How you checked who they are, if you did."
)
@as_member
def requests_create(
    channel: str,
    received: date,
    rights: tuple[str, ...],
    name: str,
    email: str | None,
    phone: str | None,
    on_behalf_of: str,
    subject_name: str | None,
    details: str | None,
    language: str,
    jurisdiction: str | None,
    verified_by: str | None,
    member: str,
) -> None:
    """Log a request received by post, phone, e-mail, in person or a web form."""
    queue = open_queue()
    draft = RequestDraft(
        rights=list(rights), name=name, email=email, phone=phone, on_behalf_of=on_behalf_of,
        subject_name=subject_name, data_concerned=details, language=language, triage=not rights,
    )  # fmt: skip
    request = queue.log_received(
        draft,
        channel,
        received,
        actor=acting(queue, member),
        verified_by=verified_by,
        jurisdiction=jurisdiction,
    ).request
    click.echo(
        f"{request.reference} {request.status}, due {request.due_at.isoformat()} under {request.jurisdiction}"
    )
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("verify-identity")
@click.argument("reference")
@click.option("--method", required=True, type=click.Choice(VERIFICATION_METHODS), help="How you checked.")
@click.option("--note", help="What you saw, e.g. 'passport, name and address match'.")
@as_member
def requests_verify_identity(reference: str, method: str, note: str | None, member: str) -> None:
    """Record that you checked who the requester of REFERENCE is: the request becomes verified."""
    queue = open_queue()
    request = queue.verify_identity(reference, method, actor=acting(queue, member), note=note)
    click.echo(f"{request.reference} is now {request.status}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("search")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def requests_search(text: str, as_json: bool) -> None:
    """Requests by reference, e-mail address or name (every word must match), through the blind index."""
    found = open_queue().search(text)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in found], ensure_ascii=False, indent=2))
        return
    today = date.today()
    for request in found:
        duplicate = f"  possible duplicate of {request.duplicate_of}" if request.duplicate_of else ""
        click.echo(_request_line(request, today) + duplicate)
    click.echo(f"{len(found)} request(s)", err=True)


@requests_group.command("report")
@click.option("--since", callback=parse_date, help="Only requests closed since this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def requests_report(since: date | None, as_json: bool) -> None:
    """How the team keeps its deadlines: median days to close and the share closed on time, overall and
    by right, channel and jurisdiction."""
    report = open_queue().report(since)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return

    def line(label: str, figures) -> str:
        median = "-" if figures.median_days_to_close is None else f"{figures.median_days_to_close:g} d"
        share = "-" if figures.on_time_share is None else f"{figures.on_time_share:.0%}"
        return (
            f"{label:24s} closed {figures.closed:5d}  median {median:>8s}  on time {share:>5s}  "
            f"open {figures.open:4d}  overdue {figures.overdue:4d}"
        )

    click.echo(line("all requests", report.overall))
    for group, values in report.by.items():
        click.echo(f"by {group}:")
        for value, figures in values.items():
            click.echo("  " + line(value, figures))


@requests_group.command("attach")
@click.argument("reference")
@click.argument("package", type=click.Path(exists=True, dir_okay=False))
@click.option("--content-type", default="application/zip", show_default=True)
@as_member
def requests_attach(reference: str, package: str, content_type: str, member: str) -> None:
    """Attach PACKAGE (the requester's data) to access or portability request REFERENCE; the requester
    gets a single-use download link when the request is completed."""
    from pathlib import Path

    queue = open_queue()
    path = Path(package)
    attached = queue.fulfilment.attach(
        reference, path.name, path.read_bytes(), actor=acting(queue, member), content_type=content_type
    )
    click.echo(
        f"{attached.reference}: {attached.filename} attached ({attached.size} bytes, sha256 {attached.sha256[:12]})"
    )


@requests_group.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def requests_show(reference: str, as_json: bool) -> None:
    """One request with its requester and audit trail."""
    queue = open_queue()
    request = queue.get(reference)
    events = queue.events(reference)
    if as_json:
        data = {**request.to_dict(), "events": [e.to_dict() for e in events]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(_request_line(request, date.today()))
    for label, value in [
        ("name", request.name),
        ("e-mail", request.email),
        ("phone", request.phone),
        ("on behalf of", request.on_behalf_of),
        ("subject", request.subject_name),
        ("subject's e-mail", request.subject_email),
        ("concerning", request.data_concerned),
        ("categories", ", ".join(request.categories)),
        ("law", "; ".join(BY_NAME[r].law for r in request.rights)),
        ("received", request.received_at.isoformat(timespec="seconds")),
        ("answered under", request.jurisdiction),
        ("possible duplicate of", request.duplicate_of),
    ]:
        if value:
            click.echo(f"  {label}: {value}")
    for extension in extensions_in(events):
        click.echo(f"  extended by {extension['length']} ({extension['actor']}): {extension['reason']}")
    click.echo("  audit trail:")
    for event in events:
        detail = ", ".join(f"{k}={v}" for k, v in event.detail.items())
        click.echo(f"    {event.at.isoformat(timespec='seconds')}  {event.kind}  by {event.actor}  {detail}")


@requests_group.command("assign")
@click.argument("reference")
@click.argument("assignee")
@as_member
def requests_assign(reference: str, assignee: str, member: str) -> None:
    """Give REFERENCE to ASSIGNEE."""
    queue = open_queue()
    request = queue.assign(reference, assignee, actor=acting(queue, member))
    click.echo(f"{request.reference} assigned to {request.assignee}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("classify")
@click.argument("reference")
@click.argument("rights", nargs=-1, required=True, type=click.Choice(RIGHTS))
@as_member
def requests_classify(reference: str, rights: tuple[str, ...], member: str) -> None:
    """Say which RIGHTS REFERENCE asks for (the triage of a request no right was read from)."""
    queue = open_queue()
    request = queue.classify(reference, list(rights), actor=acting(queue, member))
    click.echo(f"{request.reference} asks for {', '.join(request.rights)}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("transition")
@click.argument("reference")
@click.argument("status")
@click.option("--note", help="Why, for the audit trail.")
@as_member
def requests_transition(reference: str, status: str, note: str | None, member: str) -> None:
    """Move REFERENCE to STATUS (the life cycle decides which moves are allowed)."""
    queue = open_queue()
    request = queue.transition(reference, status, actor=acting(queue, member), note=note)
    click.echo(f"{request.reference} is now {request.status}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("extend")
@click.argument("reference")
@click.option("--reason", required=True, help="Why more time is needed (the requester is told).")
@click.option(
    "--by", "length", help="How much longer: '2 months', '45 days' (default: all the request's law allows)."
)
@click.option("--months", type=click.IntRange(1, 12), help="Same as --by 'N months'.")
@as_member
def requests_extend(reference: str, reason: str, length: str | None, months: int | None, member: str) -> None:
    """Extend the due date of REFERENCE as its law allows, before the first deadline, recording why."""
    queue = open_queue()
    length = length or (f"{months} months" if months else None)
    request = queue.extend(reference, reason, actor=acting(queue, member), length=length)
    click.echo(f"{request.reference} is now due {request.due_at.isoformat()}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("export")
@_status_option
@click.option("--due-before", callback=parse_date, help="Only requests due before this date (YYYY-MM-DD).")
@click.option("--overdue", is_flag=True, help="Only open requests past their due date.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="A file instead of stdout."
)
@as_member
def requests_export(
    statuses: tuple[str, ...],
    due_before: date | None,
    overdue: bool,
    fmt: str,
    output: str | None,
    member: str,
) -> None:
    """Export requests, requester identity included, as CSV or JSON (the team log records who and how
    many rows)."""
    queue = open_queue()
    text = queue.export(fmt, acting(queue, member), **_filters(statuses, due_before, overdue))
    if output:
        import os

        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds identities
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@requests_group.command("verify")
@click.argument("reference")
@click.argument("code")
def requests_verify(reference: str, code: str) -> None:
    """Enter the requester's verification CODE for REFERENCE."""
    queue = open_queue()
    request = queue.verify(reference, code)
    click.echo(f"{request.reference} is now {request.status}")
    deliver_queued(OutboxWorker(queue.storage))


@requests_group.command("resend")
@click.argument("reference")
@as_member
def requests_resend(reference: str, member: str) -> None:
    """E-mail the requester of REFERENCE a new verification code (the old one stops working).

    For the team, e.g. after a requester phoned: the address is shown masked, as the chat shows it.
    """
    from assistant.requests.resend import resend_code

    queue = open_queue()
    click.echo(resend_code(queue, reference, actor=acting(queue, member), show_address=True))


@requests_group.command("close-unverified")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Days after the last code; default PRIVACY_ASSISTANT_UNVERIFIED_CLOSE_DAYS (0: close nothing).",
)
def requests_close_unverified(days: int | None) -> None:
    """Reject requests never verified within DAYS of their last code (audited); run it daily from cron."""
    from assistant.requests.unverified import close_unverified

    queue = open_queue()
    days = queue.settings.unverified_close_days if days is None else days
    closed = close_unverified(queue, days)
    for reference in closed:
        click.echo(f"{reference} closed: not verified within {days} days")
    click.echo(f"closed {len(closed)} unverified request(s)", err=True)


@requests_group.command("deliver")
def requests_deliver() -> None:
    """Send what is due in the outbox once (verification mail, webhook events); e.g. from cron."""
    deliver_once()


@requests_group.command("verify-audit")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def requests_verify_audit(as_json: bool) -> None:
    """Check every request's hash-chained audit trail; exit status 1 when anything was edited, deleted
    or changed without an audit event."""
    from assistant.requests.audit import verify_audit

    queue = open_queue()
    report = verify_audit(queue.engine, queue.vault)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@requests_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def requests_purge(dry_run: bool, as_json: bool) -> None:
    """Apply the retention periods now and report what went (the web service runs this periodically)."""
    report = open_assistant().purge(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    days = report.periods_days
    deleted, anonymised = ("to delete", "to anonymise") if dry_run else ("deleted", "anonymised")
    click.echo(
        f"transcript messages {deleted}: {report.transcript_messages} (older than {days['transcripts']} days)"
    )
    click.echo(f"conversation states {deleted}: {report.conversations} (idle for {days['transcripts']} days)")
    references = f": {', '.join(report.requests_anonymised)}" if report.requests_anonymised else ""
    click.echo(
        f"closed requests {anonymised}: {len(report.requests_anonymised)} "
        f"(closed over {days['closed_requests']} days ago){references}"
    )
    click.echo(
        f"delivered outbox messages {deleted}: {report.outbox_messages} (older than {days['outbox']} days)"
    )
    click.echo(
        f"data packages {deleted}: {report.data_packages} (attached over {days['data_packages']} days ago)"
    )
    click.echo(
        f"answers and votes {deleted}: {report.answers} (older than {days['feedback']} days, "
        "or answered and unrated for a day)"
    )


@requests_group.command("purge-transcripts", hidden=True)
@click.pass_context
def requests_purge_transcripts(ctx: click.Context) -> None:
    """The former name of `requests purge`, kept for existing cron lines."""
    ctx.invoke(requests_purge)
