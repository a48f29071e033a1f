"""The policy QA suite: does the assistant cite the right passage, and abstain when it should?"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import abstention_accuracy, evidence_hit, percentile, rate

DEFAULT_DATASET = DATASETS / "policy_qa.jsonl"
DEV_DATASET = DATASETS / "policy_qa_dev.jsonl"


@dataclass
class QAResult:
    row: dict[str, Any]
    answerable: bool
    quotes: list[str]
    seconds: float
    text: str = ""


@dataclass
class QAReport:
    dataset: str
    results: list[QAResult] = field(default_factory=list)

    @property
    def answerable_results(self) -> list[QAResult]:
        return [r for r in self.results if r.row["answerable"]]

    def metrics(self) -> dict[str, float]:
        answerable = self.answerable_results
        latencies_ms = [r.seconds * 1000 for r in self.results]
        return {
            "questions": len(self.results),
            "hit@1": rate(
                [r.answerable and evidence_hit(r.quotes, r.row["evidence"], 1) for r in answerable]
            ),
            "hit@3": rate(
                [r.answerable and evidence_hit(r.quotes, r.row["evidence"], 3) for r in answerable]
            ),
            "answer_rate": rate([r.answerable for r in answerable]),
            "abstention_accuracy": abstention_accuracy(
                [r.row["answerable"] for r in self.results], [r.answerable for r in self.results]
            ),
            "latency_p50_ms": percentile(latencies_ms, 50),
            "latency_p95_ms": percentile(latencies_ms, 95),
        }

    def failures(self) -> list[QAResult]:
        return [
            r
            for r in self.results
            if r.answerable != r.row["answerable"]
            or (r.row["answerable"] and not evidence_hit(r.quotes, r.row["evidence"], 1))
        ]


def run_qa(assistant: Assistant, dataset: Path | str = DEFAULT_DATASET, progress: bool = False) -> QAReport:
    rows = read_jsonl(dataset)
    report = QAReport(dataset=str(dataset))
    assistant.ask("warm-up question about the policy")  # the first call loads the model
    iterator = rows
    if progress:
        from tqdm import tqdm

        iterator = tqdm(rows, desc="Asking", unit="question")
    for row in iterator:
        start = time.perf_counter()
        answer = assistant.ask(row["question"], document=row.get("document"), as_of=row.get("as_of"))
        seconds = time.perf_counter() - start
        quotes = [c.quote for c in answer.citations] if answer.answerable else []
        report.results.append(QAResult(row, answer.answerable, quotes, seconds, answer.text))
    return report


def format_report(report: QAReport) -> str:
    m = report.metrics()
    lines = [
        f"dataset: {report.dataset}",
        f"questions: {m['questions']} ({len(report.answerable_results)} answerable)",
        f"evidence hit@1: {m['hit@1']:.3f}",
        f"evidence hit@3: {m['hit@3']:.3f}",
        f"abstention accuracy: {m['abstention_accuracy']:.3f}",
        f"ask latency p50: {m['latency_p50_ms']:.1f} ms, p95: {m['latency_p95_ms']:.1f} ms",
    ]
    failures = report.failures()
    if failures:
        lines.append(f"failures ({len(failures)}):")
        for r in failures:
            got = r.quotes[0][:90] if r.quotes else "(abstained)"
            lines.append(f"  {r.row['id']}: {r.row['question']!r} -> {got}")
    return "\n".join(lines)
