"""The ``privacy-assistant`` command line. Errors print as one line and exit with status 2."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

from assistant.cli_outbox import deliver_once, deliver_queued, open_queue, outbox_group, worker
from assistant.exceptions import InvalidInputError, PrivacyAssistantError
from assistant.requests import OutboxWorker
from assistant.settings import get_settings

if TYPE_CHECKING:
    from assistant.answering.compose import Answer
    from assistant.conversation import Conversation
    from assistant.core import Assistant


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-06-01") from None


def open_assistant() -> Assistant:
    """The whole assistant. Imported here, not at the top: the model, index and classifiers take seconds
    to import, and the commands that only work the request queue need none of them."""
    from assistant.core import Assistant

    return Assistant.open()


def index_with_progress(assistant: Assistant, quiet: bool = False) -> None:
    from tqdm import tqdm

    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            bar = tqdm(total=total, unit="unit", desc="Embedding policy units", file=sys.stderr)
        bar.update(done - bar.n)

    report = assistant.index(progress=progress)
    if bar is not None:
        bar.close()
    if not quiet:
        click.echo(f"Index: {report}", err=True)


def render_answer(answer: Answer) -> str:
    lines = [answer.text, ""]
    for c in answer.citations:
        lines.append(f"[{c.n}] {c.section} (version {c.version})")
        lines.append(f"    {c.url}")
    return "\n".join(lines).rstrip()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="privacy-assistant")
def cli() -> None:
    """Answer questions about a privacy policy, with citations, and take privacy-rights requests."""


@cli.command()
def index() -> None:
    """Embed the corpus into the vector store (only versions that changed)."""
    index_with_progress(open_assistant())


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as JSON.")
@click.option("--as-of", callback=_date, help="Answer from the version in force on this date (YYYY-MM-DD).")
@click.option("--document", help="Ask this document only (its id, e.g. numecent-privacy-policy).")
def ask(question: str, as_json: bool, as_of: date | None, document: str | None) -> None:
    """Answer QUESTION from the policy, quoting it."""
    assistant = open_assistant()
    index_with_progress(assistant, quiet=True)
    answer = assistant.ask(question, document=document, as_of=as_of)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(answer))


@cli.command()
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
            click.echo(
                render_answer(turn.answer) if turn.answer and turn.reply == turn.answer.text else turn.reply
            )
            if turn.answer and turn.reply != turn.answer.text:
                click.echo(render_answer(turn.answer).removeprefix(turn.answer.text).rstrip())
            if turn.actions:
                click.echo(f"({' or '.join(turn.actions)})")
        except PrivacyAssistantError as exc:
            click.echo(f"error: {exc}")
        click.echo()


@cli.command()
def serve() -> None:
    """Serve the website chat, its API and the demo page on PRIVACY_ASSISTANT_HOST:PORT."""
    import uvicorn

    from assistant.redaction import uvicorn_log_config
    from assistant.web import create_app
    from assistant.web.memory import limit_arenas

    limit_arenas()  # before any thread allocates: request threads must not each keep an arena's worth
    settings = get_settings()
    if "public_base_url" not in settings.model_fields_set and settings.host not in ("0.0.0.0", "::"):
        # Citation links point at this server unless a public address is configured.
        settings = settings.model_copy(update={"public_base_url": f"http://{settings.host}:{settings.port}"})
    from assistant.core import Assistant

    assistant = Assistant.open(settings=settings)
    index_with_progress(assistant)
    # Requests run side by side, each a short forward pass: one intra-op thread apiece. More makes
    # torch's threads spin against each other (measured: 10x slower on a busy 2-core machine).
    import torch

    torch.set_num_threads(1)
    click.echo(f"Loading the model; then serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(
        create_app(assistant),
        host=settings.host,
        port=settings.port,
        log_config=uvicorn_log_config(),
        proxy_headers=False,  # the app believes X-Forwarded-For from TRUSTED_PROXIES only, not loopback
        timeout_graceful_shutdown=10,
        # Longer than a load balancer's or a client pool's idle timeout (60 s is common): closing an idle
        # connection first races a request sent on it, which the client sees as a failed request.
        timeout_keep_alive=75,
    )


@cli.group("eval")
def eval_group() -> None:
    """Score the assistant against the datasets in evals/datasets."""


@cli.command()
@click.option(
    "--shared",
    type=click.Path(file_okay=False, path_type=Path),
    help="The public data folder (default: ../shared/data beside the checkout).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the parameters (default: the packaged assistant/answering/answer_model.npz).",
)
def train(shared: Path | None, out: Path | None) -> None:
    """Refit the answer model from the labelled questions (README, "The answer model")."""
    from assistant.answering.model import PARAMETERS
    from evals.policies import SHARED_DATA
    from evals.train import train as fit_answer_model

    model = fit_answer_model(get_settings(), shared or SHARED_DATA, out or PARAMETERS)
    for fold, figures in model.provenance["held_out_by_policy"].items():
        click.echo(f"{fold}, held out: untrained {figures['untrained']}")
        click.echo(f"{' ' * len(fold)}              fitted    {figures['fitted']}")
    click.echo(f"Wrote {out or PARAMETERS} and its provenance.")


# -- the corpus and its history ------------------------------------------------------------------------
def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not a date like 2024-06-01") from None


@cli.group("corpus")
def corpus_group() -> None:
    """Add policy versions and list what the corpus holds."""


@corpus_group.command("add")
@click.argument("file")
@click.option("--document", required=True, help="Document id, e.g. numecent-privacy-policy.")
@click.option("--effective", required=True, help="Date the version takes effect (YYYY-MM-DD).")
@click.option("--scheduled", is_flag=True, help="Allow a date in the future: the version applies from then.")
@click.option("--title", help="Title of a new document (default: the file's first heading).")
@click.option("--organization", help="Whose policy it is, e.g. Numecent (default: the previous version's).")
@click.option("--source-url", help="Where the policy is published (default: the previous version's).")
@click.option(
    "--bank-review/--no-bank-review",
    default=True,
    show_default=True,
    help="Report question-bank examples the new version leaves without evidence or may now answer.",
)
def corpus_add(
    file: str,
    document: str,
    effective: str,
    scheduled: bool,
    title: str | None,
    organization: str | None,
    source_url: str | None,
    bank_review: bool,
) -> None:
    """Add FILE (Markdown, plain text or an HTML page) as a version of a document."""
    from assistant.corpus.importing import add_version
    from assistant.corpus.lint import cleaning_report
    from assistant.corpus.units import parse_policy

    # No Assistant: the corpus folder may be empty or missing (a new customer's first version).
    version = add_version(
        get_settings().corpus_dir,
        Path(file),
        document,
        _day(effective, "--effective"),
        scheduled=scheduled,
        title=title,
        organization=organization,
        source_url=source_url,
    )
    units = parse_policy(version).units
    click.echo(f"added {version.document} {version.version}: {version.path}")
    click.echo(f"  {len(units)} quotable units; 'privacy-assistant lint {document}' lists what to fix")
    skipped = [f"{n.kind} {n.count}" for n in cleaning_report(version) if n.cleaned]
    if skipped:
        click.echo(f"  cleaned: {', '.join(skipped)}")
    if bank_review and (get_settings().question_bank_dir / f"{document}.jsonl").is_file():
        click.echo("Checking the question bank against the new version (loads the model) ...", err=True)
        review = open_assistant().review_bank(document, version.effective)
        for line in review.lines() if review else []:
            click.echo(line)


@corpus_group.command("list")
def corpus_list() -> None:
    """Every document and its versions, oldest first; the one in force today is marked."""
    from assistant.corpus.documents import Corpus

    corpus = Corpus.load(get_settings().corpus_dir)
    today = date.today()
    for document in corpus.documents:
        versions = corpus.versions(document)
        current = corpus.in_force(document, today)
        click.echo(f"{document}  {versions[-1].title}")
        for v in versions:
            state = "in force" if v == current else ("scheduled" if v.effective > today else "")
            click.echo(f"  {v.version}  {state:<9}  {v.digest[:12]}  {v.path.name}")


@cli.command("diff")
@click.argument("document")
@click.argument("old")
@click.argument("new")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True
)
def diff_command(document: str, old: str, new: str, fmt: str) -> None:
    """What changed in DOCUMENT from version OLD to version NEW (ISO dates)."""
    from assistant.corpus.diff import diff_versions
    from assistant.corpus.diff_render import render_diff_html, render_diff_json, render_diff_text
    from assistant.corpus.documents import Corpus

    corpus = Corpus.load(get_settings().corpus_dir)
    changes = diff_versions(corpus.get(document, _day(old, "OLD")), corpus.get(document, _day(new, "NEW")))
    render = {"text": render_diff_text, "json": render_diff_json, "html": render_diff_html}[fmt]
    click.echo(render(changes, document, old, new))


@cli.command("lint")
@click.argument("document")
@click.option("--version", "version", help="The version to check (default: the one in force today).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def lint_command(document: str, version: str | None, as_json: bool) -> None:
    """Check a policy version for problems to fix before publishing; exit status 1 when any is found.

    Also says what was left out of the quotable units (tables of contents, heading-only lines, table
    title and header rows) and what could not be judged; that alone does not fail the check."""
    from assistant.corpus.lint import cleaning_report, format_cleaning, format_findings

    assistant = open_assistant()
    checked = assistant._version_or_current(document, _day(version, "--version") if version else None)
    findings = assistant.lint(document, checked.effective)
    notes = cleaning_report(checked)
    if as_json:
        payload = {
            "document": document,
            "version": checked.version,
            "findings": [f.to_dict() for f in findings],
            "cleaning": [n.to_dict() for n in notes],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(format_findings(findings, document, checked.version))
        click.echo("\n" + format_cleaning(notes))
    if findings:
        sys.exit(1)


# -- rights requests: the privacy team's queue ----------------------------------------------------
def _request_line(request, today: date) -> str:
    overdue = " OVERDUE" if request.overdue(today) else ""
    assignee = request.assignee or "-"
    return (
        f"{request.reference}  {request.status:20s}  due {request.due_at.isoformat()}{overdue}  "
        f"{','.join(request.rights)}  {request.channel}  {assignee}"
    )


def _status_option(function):
    return click.option(
        "--status", "statuses", multiple=True, help="Only requests in this status (repeatable)."
    )(function)


def _filters(statuses: tuple[str, ...], due_before: date | None, overdue: bool) -> dict:
    return {"status": list(statuses) or None, "due_before": due_before, "overdue": overdue}


@cli.group("requests")
def requests_group() -> None:
    """Work the rights-request (DSAR) queue."""


@requests_group.command("list")
@_status_option
@click.option("--due-before", callback=_date, help="Only requests due before this date (YYYY-MM-DD).")
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
        ("concerning", request.data_concerned),
        ("categories", ", ".join(request.categories)),
        ("received", request.received_at.isoformat(timespec="seconds")),
        (
            "extension",
            f"{request.extension_months} month(s): {request.extension_reason}"
            if request.extension_months
            else None,
        ),
    ]:
        if value:
            click.echo(f"  {label}: {value}")
    click.echo("  audit trail:")
    for event in events:
        detail = ", ".join(f"{k}={v}" for k, v in event.detail.items())
        click.echo(f"    {event.at.isoformat(timespec='seconds')}  {event.kind}  by {event.actor}  {detail}")


@requests_group.command("assign")
@click.argument("reference")
@click.argument("assignee")
@click.option("--actor", envvar="USER", default="cli", show_default="$USER", help="Who makes the change.")
def requests_assign(reference: str, assignee: str, actor: str) -> None:
    """Give REFERENCE to ASSIGNEE."""
    queue = open_queue()
    request = queue.assign(reference, assignee, actor=actor)
    click.echo(f"{request.reference} assigned to {request.assignee}")
    deliver_queued(OutboxWorker(queue))


@requests_group.command("transition")
@click.argument("reference")
@click.argument("status")
@click.option("--note", help="Why, for the audit trail.")
@click.option("--actor", envvar="USER", default="cli", show_default="$USER", help="Who makes the change.")
def requests_transition(reference: str, status: str, note: str | None, actor: str) -> None:
    """Move REFERENCE to STATUS (the life cycle decides which moves are allowed)."""
    queue = open_queue()
    request = queue.transition(reference, status, actor=actor, note=note)
    click.echo(f"{request.reference} is now {request.status}")
    deliver_queued(OutboxWorker(queue))


@requests_group.command("extend")
@click.argument("reference")
@click.option("--reason", required=True, help="Why more time is needed (the requester is told).")
@click.option("--months", type=click.IntRange(1, 2), default=2, show_default=True)
@click.option("--actor", envvar="USER", default="cli", show_default="$USER", help="Who makes the change.")
def requests_extend(reference: str, reason: str, months: int, actor: str) -> None:
    """Extend the due date of REFERENCE, recording the reason."""
    queue = open_queue()
    request = queue.extend(reference, reason, actor=actor, months=months)
    click.echo(f"{request.reference} is now due {request.due_at.isoformat()}")
    deliver_queued(OutboxWorker(queue))


@requests_group.command("export")
@_status_option
@click.option("--due-before", callback=_date, help="Only requests due before this date (YYYY-MM-DD).")
@click.option("--overdue", is_flag=True, help="Only open requests past their due date.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="A file instead of stdout."
)
def requests_export(
    statuses: tuple[str, ...], due_before: date | None, overdue: bool, fmt: str, output: str | None
) -> None:
    """Export requests, requester identity included, as CSV or JSON."""
    text = open_queue().export(fmt, **_filters(statuses, due_before, overdue))
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
    deliver_queued(OutboxWorker(queue))


@requests_group.command("resend")
@click.argument("reference")
@click.option("--actor", envvar="USER", default="cli", show_default="$USER", help="Who asks for it.")
def requests_resend(reference: str, actor: str) -> None:
    """E-mail the requester of REFERENCE a new verification code (the old one stops working).

    For the team, e.g. after a requester phoned: the address is shown masked, as the chat shows it.
    """
    from assistant.requests.resend import resend_code

    click.echo(resend_code(open_queue(), reference, actor=actor, show_address=True))


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


@requests_group.command("purge-transcripts", hidden=True)
@click.pass_context
def requests_purge_transcripts(ctx: click.Context) -> None:
    """The former name of `requests purge`, kept for existing cron lines."""
    ctx.invoke(requests_purge)


# -- the eval harness (issue 7) ---------------------------------------------------------------------
def _eval_options(command=None, *, split_default: str = "both"):
    if command is None:
        return lambda command: _eval_options(command, split_default=split_default)
    options = [
        click.option(
            "--target", help="Score a running service (http://host:port) through /api/ask and /api/chat."
        ),
        click.option(
            "--history-target",
            help="The service holding the history fixture corpus, for the history questions (default: --target).",
        ),
        click.option(
            "--report",
            "report_dir",
            type=click.Path(file_okay=False),
            help="Write report.json, .md, .html here.",
        ),
        click.option(
            "--compare",
            type=click.Path(dir_okay=False),
            help="Gate: exit 1 when a metric drops below this baseline.",
        ),
        click.option(
            "--update-baseline", is_flag=True, help="Accept these numbers: write them to evals/baseline.json."
        ),
        click.option(
            "--split",
            type=click.Choice(["dev", "test", "both"]),
            default=split_default,
            show_default=True,
            help="Only the tuned-on splits (dev, train-cv), only the held-out ones (test), or both. "
            "Work on dev without looking at test.",
        ),
        click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _run_eval(
    names: list[str],
    target,
    history_target,
    report_dir,
    compare,
    update_baseline,
    split,
    progress,
    **datasets,
) -> None:

    from evals.report import write_report
    from evals.runner import (
        BASELINE,
        baseline_of,
        format_summary,
        read_baseline,
        run_suites,
        suites,
    )
    from evals.runner import (
        compare as compare_runs,
    )
    from evals.targets import Targets

    baseline = read_baseline(Path(compare)) if compare else None  # a bad path fails before the run
    import torch

    # One question at a time, each a short forward pass: more intra-op threads only spin against each
    # other on a busy machine (as in `serve`); measured on the shared 2-core box, see the README.
    torch.set_num_threads(1)
    chosen = [
        suite
        for suite in suites(names, in_process=target is None)
        if split == "both" or (suite.split == "test") == (split == "test")
    ]
    if not chosen:
        raise InvalidInputError(f"{' and '.join(names)} has no {split} split; use --split test or both")
    for suite in chosen:
        if datasets.get(suite.name) and suite.split == "test":
            suite.dataset = Path(datasets[suite.name])
    report = run_suites(chosen, Targets(url=target, history_url=history_target), progress=progress)
    click.echo(format_summary(report))
    if report_dir:
        for path in write_report(report, Path(report_dir)):
            click.echo(f"wrote {path}")
    if update_baseline:
        if (
            target is not None
            or names != ["qa", "history", "intake", "policies"]
            or any(datasets.values())
            or split != "both"
        ):
            raise InvalidInputError(
                "update the baseline from `eval all` in-process, on the shipped datasets, both splits"
            )
        old = read_baseline(BASELINE) if BASELINE.exists() else None
        BASELINE.write_text(json.dumps(baseline_of(report, old), indent=2) + "\n", encoding="utf-8")
        click.echo(f"baseline written to {BASELINE}")
    if baseline is not None:
        lines, ok = compare_runs(report, baseline)
        click.echo(f"compared with {compare}:")
        click.echo("\n".join(lines))
        if not ok:
            click.echo("error: a metric dropped by more than its tolerance (see REGRESSION above)", err=True)
            sys.exit(1)
        click.echo("gate passed: no metric dropped by more than its tolerance")


@eval_group.command("qa")
@click.option(
    "--dataset", type=click.Path(exists=True, dir_okay=False), help="A policy QA JSONL file (test split)."
)
@click.option(
    "--history/--no-history",
    "with_history",
    default=True,
    help="Also ask the history questions, reported apart.",
)
@_eval_options
def eval_qa(dataset: str | None, with_history: bool, **options) -> None:
    """Evidence hit@1/@3, citation precision, abstention, faithfulness, latency: dev and test splits."""
    _run_eval(["qa", "history"] if with_history else ["qa"], qa=dataset, **options)


@eval_group.command("history")
@_eval_options
def eval_history(**options) -> None:
    """Version accuracy, evidence hit@1/@3 and faithfulness on the history questions."""
    _run_eval(["history"], **options)


@eval_group.command("intake")
@click.option(
    "--dataset", type=click.Path(exists=True, dir_okay=False), help="An intake JSONL file (test split)."
)
@_eval_options
def eval_intake(dataset: str | None, **options) -> None:
    """Per-right precision/recall/F1, macro-F1, confusion matrix, false-request rate, field accuracy."""
    _run_eval(["intake"], intake=dataset, **options)


@eval_group.command("policies")
@_eval_options(split_default="dev")
def eval_policies(**options) -> None:
    """Other companies' real policies, onboarded as a new customer would, asked blind: per-policy figures.

    Reads the policies from ../shared/data beside the checkout (skipped when absent). The test
    policies are never fit on and are scored only with --split test or both.
    """
    _run_eval(["policies"], **options)


@eval_group.command("all")
@_eval_options
def eval_all(**options) -> None:
    """Every suite; with --split dev --compare, the regression gate `make test` runs."""
    _run_eval(["qa", "history", "intake", "policies"], **options)


@eval_group.command("validate")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def eval_validate(files: tuple[str, ...]) -> None:
    """Check the datasets: schema, duplicates, gold evidence in the cited version, no training leaks."""

    from evals.validate import format_validation, validate, validate_all

    results = {Path(f): validate(Path(f)) for f in files} if files else validate_all()
    click.echo(format_validation(results))
    if any(results.values()):
        raise InvalidInputError("the datasets have problems (listed above)")


# -- Slack (slack_app/): Socket Mode and the daily digest ------------------------------------------
@cli.group("slack", invoke_without_command=True)
@click.option("--socket", is_flag=True, help="Serve the Slack app over Socket Mode (needs SLACK_APP_TOKEN).")
@click.pass_context
def slack_group(ctx: click.Context, socket: bool) -> None:
    """The Slack app: `slack --socket` serves it; HTTP mode is part of `serve` when Slack is configured."""
    if ctx.invoked_subcommand is not None:
        return
    if not socket:
        raise click.UsageError("say how to run it: `privacy-assistant slack --socket`, or `slack digest`")
    from slack_app.socket_mode import run_socket_mode

    run_socket_mode(open_assistant())


@slack_group.command("digest")
def slack_digest() -> None:
    """Post the due-soon and overdue requests to the privacy channel; run it daily from cron."""
    from slack_app.socket_mode import run_digest

    late, soon = run_digest(open_assistant())
    click.echo(f"posted the digest: {late} overdue, {soon} due soon")


cli.add_command(worker)
cli.add_command(outbox_group)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except PrivacyAssistantError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:  # a PRIVACY_ASSISTANT_* variable the settings refuse
        if exc.title != "Settings":
            raise
        problem = exc.errors()[0]
        name = "PRIVACY_ASSISTANT_" + "_".join(str(part) for part in problem["loc"]).upper()
        click.echo(f"error: {name}: {problem['msg']}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
