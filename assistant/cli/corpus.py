"""The corpus and its history: `corpus add|list`, `diff` and `lint`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from assistant.cli.common import open_assistant
from assistant.exceptions import InvalidInputError
from assistant.settings import get_settings


def _day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not a date like 2024-06-01") from None


@click.group("corpus")
def corpus_group() -> None:
    """Add policy versions and list what the corpus holds."""


@corpus_group.command("add")
@click.argument("file")
@click.option("--document", required=True, help="Document id, e.g. acme-privacy-policy.")
@click.option("--effective", required=True, help="Date the version takes effect (YYYY-MM-DD).")
@click.option("--scheduled", is_flag=True, help="Allow a date in the future: the version applies from then.")
@click.option("--title", help="Title of a new document (default: the file's first heading).")
@click.option("--organization", help="Whose policy it is, e.g. Acme (default: the previous version's).")
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
    from assistant.corpus.documents import BANK
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
    if bank_review and (version.path.parent / BANK).is_file():
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


@click.command("diff")
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


@click.command("lint")
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
