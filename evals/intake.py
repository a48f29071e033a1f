"""The intake suite: does a chat message become the right request, and are non-requests left alone?

Test split: ``evals/datasets/intake_holdout.jsonl``, written blind (its author saw only the policy and the
label guide, never the classifier, its training data or its outputs). Dev split: ``evals/datasets/intake.jsonl``,
which the rules were revised against; it holds the first dev set and two former test sets, read and acted
on. Train-cv: 5-fold cross-validation on the training file (``assistant/intake/training.jsonl``), where
thresholds were tuned. No eval message is in training. Field accuracy (e-mail, name, on whose behalf) is
scored only for targets that observe those fields (not over the chat API; see ``evals.targets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.intake.draft import RIGHTS
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import (
    NOT_A_REQUEST,
    confusion_matrix,
    false_request_rate,
    field_accuracy,
    macro_f1,
    percentile,
    precision_recall_f1,
    rate,
)
from evals.suite import Failure, SuiteRun, progress_bar
from evals.targets import Targets

# A message taken as a request whose rights could not be read: shown apart from "not a request".
REQUEST_WITHOUT_RIGHTS = "a request, rights not read"

DEFAULT_DATASET = DATASETS / "intake_holdout.jsonl"
DEV_DATASET = DATASETS / "intake.jsonl"


def intake_metrics(
    gold: list[set[str]], predicted: list[set[str]], is_request: list[bool], predicted_request: list[bool]
) -> tuple[dict[str, float], dict]:
    per_right = {right: precision_recall_f1(gold, predicted, right) for right in RIGHTS}
    metrics = {
        "messages": len(gold),
        "macro_f1": macro_f1(gold, predicted, RIGHTS),
        "request_detection": rate([g == p for g, p in zip(is_request, predicted_request, strict=True)]),
        "false_request_rate": false_request_rate(is_request, predicted_request),
    }
    for right, (p, r, f) in per_right.items():
        metrics.update({f"precision.{right}": p, f"recall.{right}": r, f"f1.{right}": f})
    details = {
        "per_right": {k: {"precision": p, "recall": r, "f1": f} for k, (p, r, f) in per_right.items()},
        "confusion": {
            "labels": [*RIGHTS, NOT_A_REQUEST],
            "matrix": confusion_matrix(gold, predicted, RIGHTS),
        },
    }
    return metrics, details


@dataclass
class IntakeSuite:
    split: str = "test"
    dataset: Path = DEFAULT_DATASET
    name: str = "intake"

    def run(self, targets: Targets, progress: bool = False) -> SuiteRun:
        rows = read_jsonl(self.dataset)
        target = targets.default()
        observed = [target.intake(r["message"]) for r in progress_bar(rows, len(rows), "intake", progress)]
        gold = [set(r["rights"]) if r["is_request"] else set() for r in rows]
        predicted = [o.rights if o.is_request else set() for o in observed]
        metrics, details = intake_metrics(
            gold, predicted, [r["is_request"] for r in rows], [o.is_request for o in observed]
        )
        requests = [(r, o) for r, o in zip(rows, observed, strict=True) if r["is_request"]]
        for name in target.observes:
            # On the requests: a field must be found when given, and none invented when absent.
            metrics[f"field_accuracy.{name}"] = field_accuracy(
                [r.get(name) for r, _ in requests], [o.fields.get(name) for _, o in requests]
            )
        details["unobserved_fields"] = [
            f for f in ("email", "name", "on_behalf_of") if f not in target.observes
        ]
        latencies = [o.seconds * 1000 for o in observed]
        metrics["latency_p50_ms"] = percentile(latencies, 50)
        metrics["latency_p95_ms"] = percentile(latencies, 95)
        run = SuiteRun(
            self.name, self.split, str(self.dataset), target.name, metrics, latencies, details=details
        )
        for r, o, g, p in zip(rows, observed, gold, predicted, strict=True):
            wrong_fields = [
                n
                for n in target.observes
                if r["is_request"] and field_accuracy([r.get(n)], [o.fields.get(n)]) < 1
            ]
            if r["is_request"] != o.is_request or g != p or wrong_fields:
                expected = ", ".join(sorted(g)) or (
                    REQUEST_WITHOUT_RIGHTS if r["is_request"] else NOT_A_REQUEST
                )
                got = ", ".join(sorted(p)) or (REQUEST_WITHOUT_RIGHTS if o.is_request else NOT_A_REQUEST)
                if wrong_fields:
                    expected += "; " + ", ".join(f"{n}={r.get(n)}" for n in wrong_fields)
                    got += "; " + ", ".join(f"{n}={o.fields.get(n)}" for n in wrong_fields)
                run.failures.append(Failure(r["id"], r["message"], expected, got))
        return run


@dataclass
class IntakeDevSuite:
    """5-fold cross-validation on the training file (always in-process)."""

    split: str = "train-cv"
    dataset: Path = Path("assistant/intake/training.jsonl")
    name: str = "intake"

    def run(self, targets: Targets, progress: bool = False) -> SuiteRun:
        from evals.intake_cv import cross_validate

        result = cross_validate()
        metrics, details = intake_metrics(*result)
        return SuiteRun(
            self.name,
            self.split,
            f"{self.dataset} (5-fold cross-validation)",
            "in-process",
            metrics,
            details=details,
        )
