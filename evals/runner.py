"""Runs suites against a target, and compares the numbers with the accepted baseline (the gate)."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.exceptions import InvalidInputError
from evals.history import HistorySuite
from evals.intake import (
    BLIND_EN_DATASET,
    LANGUAGES_DATASET,
    LETTERS_DATASET,
    LETTERS_DEV_DATASET,
    PEOPLE_DEV_DATASET,
    IntakeDevSuite,
    IntakeSuite,
)
from evals.intake import DEV_DATASET as INTAKE_DEV
from evals.policies import PolicySuite, format_per_policy
from evals.qa import DEV_DATASET, QASuite
from evals.qa import LANGUAGES_DATASET as QA_LANGUAGES
from evals.qa import LANGUAGES_DEV_DATASET as QA_LANGUAGES_DEV
from evals.suite import Suite, SuiteRun
from evals.targets import Targets

SCHEMA_VERSION = 1
BASELINE = Path(__file__).resolve().parent / "baseline.json"
SUITE_NAMES = ("qa", "history", "intake", "policies")
# Not gated: counts (a dataset edit shows in review, not as a regression) and latency, which on a
# shared 2-core machine swings by a factor of several from one run to the next.
UNGATED = ("questions", "messages", "latency_p50_ms", "latency_p95_ms")
LOWER_IS_BETTER = (
    "false_request_rate",
    "unasked_undoable_rate",
    "dropped_requests",
    "subject_email_as_requester",
)
DEFAULT_TOLERANCE = 0.02  # two points: above the noise of a retrained classifier, below one question in 50


def suites(names: list[str], in_process: bool = True, split: str = "both") -> list[Suite]:
    """The suites called ``names`` on ``split`` (dev, test or both), dev split before test. Intake's dev
    split (cross-validation of the training file) trains classifiers here, so it is only run in-process."""
    return [
        suite
        for suite in _suites(names, in_process)
        if split == "both" or (suite.split == "test") == (split == "test")
    ]


def _suites(names: list[str], in_process: bool) -> list[Suite]:
    chosen: list[Suite] = []
    for name in names:
        if name == "qa":
            chosen += [
                QASuite("dev", DEV_DATASET),
                QASuite("dev", QA_LANGUAGES_DEV, "qa-languages"),
                QASuite(),
                QASuite("test", QA_LANGUAGES, "qa-languages"),
            ]
        elif name == "history":
            chosen.append(HistorySuite())
        elif name == "intake":
            chosen += ([IntakeDevSuite()] if in_process else []) + [
                IntakeSuite("dev", INTAKE_DEV),
                IntakeSuite("dev", PEOPLE_DEV_DATASET, "intake-people"),
                IntakeSuite("dev", LETTERS_DEV_DATASET, "intake-letters"),
                IntakeSuite(),
                IntakeSuite("test", BLIND_EN_DATASET, "intake-blind"),
                IntakeSuite("test", LETTERS_DATASET, "intake-letters"),
                IntakeSuite("test", LANGUAGES_DATASET, "intake-languages"),
            ]
        elif name == "policies":
            if not in_process:
                raise InvalidInputError(
                    "the policies suite runs in-process (it onboards each policy into a corpus of its own); drop --target"
                )
            chosen += [PolicySuite("dev"), PolicySuite("test")]
        else:
            raise InvalidInputError(f"unknown suite {name!r}; use one of: {', '.join(SUITE_NAMES)}")
    return chosen


def run_suites(chosen: list[Suite], targets: Targets, progress: bool = False) -> dict[str, Any]:
    """The report (schema ``SCHEMA_VERSION``): every run's metrics, latencies, failures and details."""
    start = time.perf_counter()
    runs: list[SuiteRun] = [suite.run(targets, progress) for suite in chosen]
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": targets.name,
        "seconds": round(time.perf_counter() - start, 1),
        "runs": [run.to_dict() for run in runs],
    }


def flat_metrics(report: dict[str, Any]) -> dict[str, float]:
    """``suite/split/metric`` -> value, over every run of the report."""
    return {
        f"{run['suite']}/{run['split']}/{name}": value
        for run in report["runs"]
        for name, value in run["metrics"].items()
    }


def format_summary(report: dict[str, Any]) -> str:
    lines = [f"target: {report['target']}  ({report['seconds']} s)"]
    for run in report["runs"]:
        label = "test, held out" if run["split"] == "test" else f"{run['split']}, tuned on"
        lines.append(f"{run['suite']} [{label}]: {run['dataset']}")
        per_policy = run["details"].get("per_policy", {})
        for name, value in run["metrics"].items():
            if name.partition(".")[2] not in per_policy:  # those are in the table below, with intervals
                lines.append(f"  {name:<24} {_number(value)}")
        if per_policy:
            lines.append("  per policy (95% bootstrap interval):")
            lines += format_per_policy(run)
        unobserved = run["details"].get("unobserved_fields")
        if unobserved:
            lines.append(f"  not observable through this target: {', '.join(unobserved)}")
        if run["failures"]:
            lines.append(f"  failures ({len(run['failures'])}):")
            for f in run["failures"]:
                why = f" ({'; '.join(f['reasons'])})" if f.get("reasons") else ""
                lines.append(f"    {f['id']}: {f['question'][:70]!r} -> {f['got'][:70]}{why}")
    return "\n".join(lines)


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return "n/a" if math.isnan(value) else f"{value:.3f}"


# -- the baseline and the gate ----------------------------------------------------------------------
def baseline_of(report: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    """The baseline for ``report``: every gated metric with its tolerance (kept from ``old`` if set), and
    for a figure of one policy at least one question of its set: a set of 37 moves by 0.027 a question,
    so a drop of one is noise and of two is not."""
    tolerances = {k: v["tolerance"] for k, v in (old or {}).get("metrics", {}).items()}
    floors = one_question(report)
    gated = {
        key: {
            "value": round(value, 4),
            "tolerance": max(tolerances.get(key, DEFAULT_TOLERANCE), floors.get(key, 0)),
        }
        for key, value in flat_metrics(report).items()
        if key.rsplit("/", 1)[1] not in UNGATED and not math.isnan(value)
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "target": report["target"],
        "metrics": dict(sorted(gated.items())),
    }


def one_question(report: dict[str, Any]) -> dict[str, float]:
    """``suite/split/metric.document`` -> what one question moves that per-policy figure by (rounded up,
    past the baseline's four decimals)."""
    return {
        f"{run['suite']}/{run['split']}/{metric}.{document}": math.ceil(1e4 / figure["n"]) / 1e4 + 1e-4
        for run in report["runs"]
        for document, figures in run.get("details", {}).get("per_policy", {}).items()
        for metric, figure in figures.items()
        if isinstance(figure, dict) and figure.get("n")
    }


def read_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"no baseline at {path}; write one with --update-baseline") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path} is not valid JSON ({exc.msg})") from None
    if data.get("schema_version") != SCHEMA_VERSION or not isinstance(data.get("metrics"), dict):
        raise InvalidInputError(
            f"{path} is not a baseline of schema {SCHEMA_VERSION}; rewrite it with --update-baseline"
        )
    return data


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> tuple[list[str], bool]:
    """Lines with each gated metric's delta, and whether none dropped by more than its tolerance.

    Only the suites in ``report`` are compared; a metric its target cannot observe is listed, not failed.
    """
    measured = flat_metrics(report)
    runs = {f"{r['suite']}/{r['split']}" for r in report["runs"]}
    lines, ok = [], True
    for key, accepted in baseline["metrics"].items():
        if key.rsplit("/", 1)[0] not in runs:
            continue
        if key not in measured:
            lines.append(f"  {key:<40} {accepted['value']:.3f}  not measured by this target")
            continue
        value, tolerance = measured[key], accepted["tolerance"]
        delta = value - accepted["value"]
        worse = -delta if key.rsplit("/", 1)[1] not in LOWER_IS_BETTER else delta
        failed = math.isnan(value) or worse > tolerance + 1e-9
        ok = ok and not failed
        verdict = "REGRESSION" if failed else "ok"
        lines.append(
            f"  {key:<40} {accepted['value']:.3f} -> {_number(value)}  ({delta:+.3f}, tolerance {tolerance})  {verdict}"
        )
    return lines, ok
