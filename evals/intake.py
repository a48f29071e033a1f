"""The intake suite: does a chat message become the right request, and are non-requests left alone?

Test split: ``evals/datasets/intake_holdout.jsonl``, written blind (its author saw only the policy and the
label guide, never the classifier, its training data or its outputs). Dev split: ``evals/datasets/intake.jsonl``,
which the rules were revised against; it holds the first dev set and two former test sets, read and acted
on. Train-cv: 5-fold cross-validation on the training files (``assistant/intake/training/``), where
thresholds were tuned. No eval message is in training. Field accuracy (e-mail, name, on whose behalf) is
scored only for targets that observe those fields (not over the chat API; see ``evals.targets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.intake.rights import RIGHTS
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
from evals.targets import INTAKE_FIELDS, IntakeObserved, Targets

# A request no right could be read from: it goes to the queue for a person to classify (triage).
NEEDS_TRIAGE = "needs triage"
# Rights a request must never get unasked: they cannot be undone.
UNDOABLE = ("erasure", "objection")

DEFAULT_DATASET = DATASETS / "intake_holdout.jsonl"
DEV_DATASET = DATASETS / "intake.jsonl"
# People acting for others (parents, relatives, lawyers) in nine languages, written for issue 18's
# "who is who": which address is the requester's and which the data subject's. Dev: rules were revised on it.
PEOPLE_DEV_DATASET = DATASETS / "intake_people_dev.jsonl"
# Formal letters that give several addresses (the company's, a cc, an old one, the person acted for's),
# written blind for issue 18's requester e-mail. Dev: the address rules were revised on it.
LETTERS_DEV_DATASET = DATASETS / "intake_letters_dev.jsonl"
# Blind sets written for issue 18 (evals/blind_brief_intake.md), each reported as a run of its own.
LETTERS_DATASET = DATASETS / "intake_letters.jsonl"
BLIND_EN_DATASET = DATASETS / "intake_blind_en.jsonl"
LANGUAGES_DATASET = DATASETS / "intake_languages.jsonl"


def labels(rights: set[str], is_request: bool) -> set[str]:
    """What a message was taken as: its rights, "needs triage" for a request without any, or nothing."""
    return set(rights) or ({NEEDS_TRIAGE} if is_request else set())


def intake_metrics(
    gold: list[set[str]],
    predicted: list[set[str]],
    is_request: list[bool],
    predicted_request: list[bool],
    primary: list[str | None] | None = None,
) -> tuple[dict[str, float], dict]:
    """``primary``: each message's first gold right (the one a letter is mainly about), when known."""
    per_right = {right: precision_recall_f1(gold, predicted, right) for right in RIGHTS}
    gold_labels = [labels(g, r) for g, r in zip(gold, is_request, strict=True)]
    taken = [labels(p, r) for p, r in zip(predicted, predicted_request, strict=True)]
    requests = [i for i, r in enumerate(is_request) if r]
    metrics = {
        "messages": len(gold),
        "macro_f1": macro_f1(gold, predicted, RIGHTS),
        "request_detection": rate([g == p for g, p in zip(is_request, predicted_request, strict=True)]),
        "false_request_rate": false_request_rate(is_request, predicted_request),
        # The request's rights exactly, "needs triage" included: the set the queue gets.
        "exact_rights": rate([gold_labels[i] == taken[i] for i in requests]),
        # Requests answered as a question: nothing queued, nobody sees them.
        "dropped_requests": sum(1 for i in requests if not predicted_request[i]),
        # An erasure or an objection the message did not ask for, over all messages.
        "unasked_undoable_rate": rate(
            [bool((p - g) & set(UNDOABLE)) for g, p in zip(gold, predicted, strict=True)]
        ),
    }
    if primary is not None:
        asked = [i for i in requests if primary[i]]
        metrics["primary_right"] = rate([primary[i] in predicted[i] for i in asked])
    for right, (p, r, f) in per_right.items():
        metrics.update({f"precision.{right}": p, f"recall.{right}": r, f"f1.{right}": f})
    details = {
        "per_right": {k: {"precision": p, "recall": r, "f1": f} for k, (p, r, f) in per_right.items()},
        "confusion": {
            "labels": [*RIGHTS, NEEDS_TRIAGE, NOT_A_REQUEST],
            "matrix": confusion_matrix(gold_labels, taken, [*RIGHTS, NEEDS_TRIAGE]),
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
        observed = [target.intake(r["message"]) for r in progress_bar(rows, len(rows), self.name, progress)]
        gold = [set(r["rights"]) if r["is_request"] else set() for r in rows]
        predicted = [o.rights if o.is_request else set() for o in observed]
        metrics, details = intake_metrics(
            gold,
            predicted,
            [r["is_request"] for r in rows],
            [o.is_request for o in observed],
            [r["rights"][0] if r["rights"] else None for r in rows],
        )
        requests = [(r, o) for r, o in zip(rows, observed, strict=True) if r["is_request"]]
        for name in target.observes:
            # On the requests that label it: a field must be found when given, and none invented
            # when absent (the first sets do not label the data subject's fields).
            labelled = [(r, o) for r, o in requests if name in r]
            metrics[f"field_accuracy.{name}"] = field_accuracy(
                [r[name] for r, _ in labelled], [_field(r, o, name) for r, o in labelled]
            )
        if "email" in target.observes:
            given = [(r, o) for r, o in requests if r.get("email")]
            metrics["requester_email"] = rate([_field(r, o, "email") == r["email"].lower() for r, o in given])
            # The data subject's address taken for the requester's: verification would go to them.
            metrics["subject_email_as_requester"] = sum(
                1
                for r, o in requests
                if r.get("subject_email") and (o.fields.get("email") or "") == r["subject_email"].lower()
            )
        details["unobserved_fields"] = [f for f in INTAKE_FIELDS if f not in target.observes]
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
                if r["is_request"] and n in r and field_accuracy([r[n]], [_field(r, o, n)]) < 1
            ]
            if r["is_request"] != o.is_request or g != p or wrong_fields:
                expected = ", ".join(sorted(labels(g, r["is_request"]))) or NOT_A_REQUEST
                got = ", ".join(sorted(labels(p, o.is_request))) or NOT_A_REQUEST
                if wrong_fields:
                    expected += "; " + ", ".join(f"{n}={r.get(n)}" for n in wrong_fields)
                    got += "; " + ", ".join(f"{n}={_field(r, o, n)}" for n in wrong_fields)
                run.failures.append(Failure(r["id"], r["message"], expected, got))
        return run


def _field(row: dict, observed: IntakeObserved, name: str) -> str | None:
    """The observed value of ``name``. The first sets name the data subject when a parent or an agent
    writes ("name"); the sets that label ``subject_name`` apart name the requester."""
    if name == "name" and "subject_name" not in row:
        return observed.fields.get("named_person")
    value = observed.fields.get(name)
    return value.lower() if name.endswith("email") and value else value


@dataclass
class IntakeDevSuite:
    """5-fold cross-validation on the training file (always in-process)."""

    split: str = "train-cv"
    dataset: Path = Path("assistant/intake/training")
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
