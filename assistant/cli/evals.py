"""The eval harness (`eval ...`) and the answer model's fit (`train`); both import ``evals`` late."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.cli.common import door
from assistant.exceptions import InvalidInputError
from assistant.settings import get_settings


@click.group("eval")
def eval_group() -> None:
    """Score the assistant against the datasets in evals/datasets."""


@click.command()
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
    if report_dir:
        door("matplotlib", "evals")  # the report's charts: before the run, not after
    import torch

    # One question at a time, each a short forward pass: more intra-op threads only spin against each
    # other on a busy machine (as in `serve`); measured on the shared 2-core box, see the README.
    torch.set_num_threads(1)
    chosen = suites(names, in_process=target is None, split=split)
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
