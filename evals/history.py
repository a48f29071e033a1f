"""The history suite: as-of, what-changed and since-when questions over a fixture history.

Each row names the corpus it is asked of (``corpus``, relative to the project root), the versions the
answer must cite (``versions``: exactly that set) and evidence strings, as in the QA suite. Reported
apart from the plain QA numbers: version accuracy, evidence hit@1/@3, per kind, and latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import evidence_hit, percentile, rate

HISTORY_DATASET = DATASETS / "history_qa.jsonl"
KINDS = ("as_of", "changes", "since")


@dataclass
class HistoryResult:
    row: dict[str, Any]
    versions: list[str]
    quotes: list[str]
    seconds: float
    text: str

    @property
    def version_correct(self) -> bool:
        return self.versions == sorted(self.row["versions"])

    def hit(self, k: int) -> bool:
        return evidence_hit(self.quotes, self.row["evidence"], k)


@dataclass
class HistoryReport:
    dataset: str
    results: list[HistoryResult] = field(default_factory=list)

    def metrics(self, kind: str | None = None) -> dict[str, float]:
        chosen = [r for r in self.results if kind is None or r.row["kind"] == kind]
        latencies = [r.seconds * 1000 for r in chosen]
        return {
            "questions": len(chosen),
            "version_accuracy": rate([r.version_correct for r in chosen]),
            "hit@1": rate([r.hit(1) for r in chosen]),
            "hit@3": rate([r.hit(3) for r in chosen]),
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p95_ms": percentile(latencies, 95),
        }


def assistants_for(rows: list[dict[str, Any]], settings: Settings | None = None) -> dict[str, Assistant]:
    """One assistant per fixture corpus, each with its own store under the data folder's ``evals/``."""
    settings = settings or get_settings()
    assistants: dict[str, Assistant] = {}
    for row in rows:
        corpus = row["corpus"]
        if corpus not in assistants:
            folder = (PROJECT_ROOT / corpus).resolve()
            data = settings.data_dir / "evals" / folder.name
            assistants[corpus] = Assistant.open(corpus_dir=folder, data_dir=data, settings=settings)
            assistants[corpus].index()
    return assistants


def run_history(dataset: Path | str = HISTORY_DATASET, progress: bool = False) -> HistoryReport:
    rows = read_jsonl(dataset)
    for number, row in enumerate(rows, start=1):
        missing = [k for k in ("id", "kind", "question", "corpus", "versions", "evidence") if k not in row]
        if missing or row.get("kind") not in KINDS:
            raise ValueError(f"{dataset}: row {number} lacks {missing or 'a kind in ' + str(KINDS)}")
    assistants = assistants_for(rows)
    for assistant in assistants.values():
        assistant.ask("warm-up question about the policy")  # the first call loads the model
    report = HistoryReport(dataset=str(dataset))
    iterator = rows
    if progress:
        from tqdm import tqdm

        iterator = tqdm(rows, desc="Asking history questions", unit="question")
    for row in iterator:
        assistant = assistants[row["corpus"]]
        start = time.perf_counter()
        answer = assistant.ask(row["question"], document=row.get("document"), as_of=row.get("as_of"))
        seconds = time.perf_counter() - start
        cited = sorted({c.version for c in answer.citations}) if answer.answerable else []
        quotes = [c.quote for c in answer.citations] if answer.answerable else []
        report.results.append(HistoryResult(row, cited, quotes, seconds, answer.text))
    return report


def format_history_report(report: HistoryReport) -> str:
    lines = [f"history dataset: {report.dataset}"]
    for kind in (None, *KINDS):
        m = report.metrics(kind)
        if not m["questions"]:
            continue
        label = "all" if kind is None else kind
        lines.append(
            f"  {label:<8} questions: {m['questions']:>2}  version accuracy: {m['version_accuracy']:.3f}  "
            f"evidence hit@1: {m['hit@1']:.3f}  hit@3: {m['hit@3']:.3f}"
        )
    m = report.metrics()
    lines.append(f"  ask latency p50: {m['latency_p50_ms']:.1f} ms, p95: {m['latency_p95_ms']:.1f} ms")
    failures = [r for r in report.results if not (r.version_correct and r.hit(1))]
    if failures:
        lines.append(f"  failures ({len(failures)}):")
        for r in failures:
            got = r.quotes[0][:80] if r.quotes else "(no quote)"
            lines.append(f"    {r.row['id']}: cited {r.versions or '-'}, want {r.row['versions']}; {got}")
    return "\n".join(lines)
