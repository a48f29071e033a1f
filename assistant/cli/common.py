"""Helpers every group of the command line shares: dates, the assistant opened late, answers printed."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from datetime import date
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from assistant.exceptions import ConfigurationError

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.requests import RequestQueue

as_member = click.option(
    "--as",
    "member",
    envvar="PRIVACY_ASSISTANT_MEMBER",
    metavar="NAME",
    help="The team member doing this, as `team list` shows them (default $PRIVACY_ASSISTANT_MEMBER); "
    "it goes into the audit trail.",
)


def acting(
    queue: RequestQueue, member: str | None, role: str = "handler", doing: str = "this command"
) -> str:
    """The name of the member the command acts as, checked to be on the team with ``role``."""
    if not member:
        raise click.UsageError(
            "say which team member you are: --as NAME or PRIVACY_ASSISTANT_MEMBER (`team list` shows them)"
        )
    return queue.members.get(member).require(role, doing).name


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
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


def index_with_progress(assistant: Assistant, quiet: bool = False, prune: bool | None = None) -> None:
    from tqdm import tqdm

    bar: tqdm | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            bar = tqdm(total=total, unit="unit", desc="Embedding policy units", file=sys.stderr)
        bar.update(done - bar.n)

    report = assistant.index(progress=progress, prune=prune)
    if bar is not None:
        bar.close()
    if not quiet:
        click.echo(f"Index: {report}", err=True)


def warm_with_progress(assistant: Assistant) -> None:
    """``Assistant.warm``, with a bar for each question bank whose embedding takes over a second (the
    first start on a machine)."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(document: str, done: int, total: int) -> None:
        if document not in bars:
            bars[document] = tqdm(
                total=total,
                unit="question",
                desc=f"Embedding the question bank of {document}",
                file=sys.stderr,
                delay=1,
            )
        bars[document].update(done - bars[document].n)
        if done == total:
            bars[document].close()

    assistant.warm(progress)


def render_answer(answer: Mapping[str, Any], reply: str | None = None) -> str:
    """An answer (``Answer.to_dict()``, or ``/api/ask``'s JSON, the same) as text with its sources: the
    lead line first, when there is one; ``reply`` in place of its text (a chat turn's)."""
    lead = answer.get("lead") or ""
    lines = [*([lead, ""] if lead else []), answer["text"] if reply is None else reply, ""]
    for c in answer["citations"]:
        lines.append(f"[{c['n']}] {c['section']} (version {c['version']})")
        lines.append(f"    {c['url']}")
    return "\n".join(lines).rstrip()


def door(module: str, extra: str) -> ModuleType:
    """``module``, a door whose dependencies come with the optional ``extra`` (pyproject.toml); a clear
    error, saying what to install, when they are missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in ("assistant", "slack_app", "evals"):
            raise  # our own code is broken, not an extra missing
        raise ConfigurationError(
            f"this command needs the [{extra}] extra ({exc.name} is not installed): "
            f"pip install 'privacy-assistant[{extra}]'"
        ) from None
