"""The intake suite: does a chat message become the right request, and are non-requests left alone?"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.intake.draft import RIGHTS
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import email_accuracy, false_request_rate, macro_f1, percentile, precision_recall_f1, rate

DEFAULT_DATASET = DATASETS / "intake.jsonl"


@dataclass
class IntakeResult:
    row: dict[str, Any]
    is_request: bool
    rights: set[str]
    email: str | None
    on_behalf_of: str | None
    seconds: float


@dataclass
class IntakeReport:
    dataset: str
    results: list[IntakeResult] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        gold = [set(r.row["rights"]) if r.row["is_request"] else set() for r in self.results]
        predicted = [r.rights if r.is_request else set() for r in self.results]
        requests = [r for r in self.results if r.row["is_request"]]
        per_right = {right: precision_recall_f1(gold, predicted, right) for right in RIGHTS}
        return {
            "messages": len(self.results),
            "requests": len(requests),
            "per_right": per_right,
            "macro_f1": macro_f1(gold, predicted, RIGHTS),
            "request_detection": rate([r.is_request == r.row["is_request"] for r in self.results]),
            "false_request_rate": false_request_rate(
                [r.row["is_request"] for r in self.results], [r.is_request for r in self.results]
            ),
            # On the requests: the address must be found when given and none invented when absent.
            "email_accuracy": email_accuracy(
                [r.row.get("email") for r in requests], [r.email for r in requests]
            ),
            "on_behalf_of_accuracy": rate([r.on_behalf_of == r.row["on_behalf_of"] for r in requests]),
            "latency_p50_ms": percentile([r.seconds * 1000 for r in self.results], 50),
        }

    def failures(self) -> list[IntakeResult]:
        out = []
        for r in self.results:
            gold = set(r.row["rights"]) if r.row["is_request"] else set()
            wrong_email = r.row["is_request"] and (r.email or None) != (
                r.row.get("email").lower() if r.row.get("email") else None
            )
            if r.is_request != r.row["is_request"] or (r.is_request and r.rights != gold) or wrong_email:
                out.append(r)
        return out


def run_intake(assistant: Assistant, dataset: Path | str = DEFAULT_DATASET) -> IntakeReport:
    rows = read_jsonl(dataset)
    report = IntakeReport(dataset=str(dataset))
    assistant.intake("warm-up: please delete my data")  # loads the model and trains the classifier
    for row in rows:
        start = time.perf_counter()
        draft = assistant.intake(row["message"])
        seconds = time.perf_counter() - start
        report.results.append(
            IntakeResult(
                row,
                draft is not None,
                set(draft.rights) if draft else set(),
                draft.email if draft else None,
                draft.on_behalf_of if draft else None,
                seconds,
            )
        )
    return report


def format_report(report: IntakeReport) -> str:
    m = report.metrics()
    lines = [
        f"dataset: {report.dataset}",
        f"messages: {m['messages']} ({m['requests']} requests)",
        "right                 precision  recall     f1",
    ]
    for right, (p, r, f) in m["per_right"].items():
        lines.append(f"  {right:20s} {p:9.3f} {r:7.3f} {f:6.3f}")
    lines += [
        f"macro-F1: {m['macro_f1']:.3f}",
        f"request detection accuracy: {m['request_detection']:.3f}",
        f"false-request rate on non-requests: {m['false_request_rate']:.3f}",
        f"e-mail extraction accuracy (requests): {m['email_accuracy']:.3f}",
        f"on_behalf_of accuracy (requests): {m['on_behalf_of_accuracy']:.3f}",
        f"intake latency p50: {m['latency_p50_ms']:.1f} ms",
    ]
    failures = report.failures()
    if failures:
        lines.append(f"failures ({len(failures)}):")
        for r in failures:
            got = sorted(r.rights) if r.is_request else "not a request"
            lines.append(
                f"  {r.row['id']}: expected {r.row['rights'] if r.row['is_request'] else 'not a request'}, got {got}; e-mail {r.email}"
            )
    return "\n".join(lines)
