"""The ``privacy-assistant`` command line. Errors print as one line and exit with status 2."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from assistant.answering import Answer
from assistant.core import Assistant
from assistant.exceptions import PrivacyAssistantError
from assistant.settings import get_settings


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-06-01") from None


def open_assistant() -> Assistant:
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
    """Chat in the terminal; an empty line or Ctrl-D ends it."""
    assistant = open_assistant()
    index_with_progress(assistant)
    click.echo("Ask about the privacy policy. An empty line ends the chat.")
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            break
        if not line:
            break
        try:
            click.echo(render_answer(assistant.ask(line)))
        except PrivacyAssistantError as exc:
            click.echo(f"error: {exc}")
        click.echo()


@cli.command()
def serve() -> None:
    """Serve the website chat, its API and the demo page on PRIVACY_ASSISTANT_HOST:PORT."""
    import uvicorn

    from assistant.redaction import uvicorn_log_config
    from assistant.web import create_app

    settings = get_settings()
    if "public_base_url" not in settings.model_fields_set and settings.host not in ("0.0.0.0", "::"):
        # Citation links point at this server unless a public address is configured.
        settings = settings.model_copy(update={"public_base_url": f"http://{settings.host}:{settings.port}"})
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
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


@cli.group("eval")
def eval_group() -> None:
    """Score the assistant against the datasets in evals/datasets."""


@eval_group.command("qa")
@click.option("--dataset", type=click.Path(exists=True, dir_okay=False), help="A policy QA JSONL file.")
def eval_qa(dataset: str | None) -> None:
    """Evidence hit@1/@3, abstention accuracy and latency on the policy QA set."""
    from evals.qa import DEFAULT_DATASET, format_report, run_qa

    assistant = open_assistant()
    index_with_progress(assistant, quiet=True)
    click.echo(format_report(run_qa(assistant, dataset or DEFAULT_DATASET, progress=True)))


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
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
