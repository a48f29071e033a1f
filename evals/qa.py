"""The policy QA suite: does the assistant cite the right passage, and abstain when it should?

Two splits: ``policy_qa_dev.jsonl`` (dev: thresholds and retrieval weights were tuned on it; it holds
the first dev set and two former test sets, read and acted on) and ``policy_qa.jsonl`` (test: written
blind, held out, never tuned on). Both are reported, labelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.requests.feedback import GapQuestion
from assistant.requests.gaps import GapFinder
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import (
    abstention_accuracy,
    abstention_precision_recall,
    citation_precision,
    evidence_hit,
    faithfulness,
    lead_hit,
    percentile,
    rate,
)
from evals.suite import Failure, Sources, SuiteRun, progress_bar
from evals.targets import Observed, Targets

DEFAULT_DATASET = DATASETS / "policy_qa.jsonl"
DEV_DATASET = DATASETS / "policy_qa_dev.jsonl"
# Questions in eight other languages about the (English) Numecent policy, each set written blind.
LANGUAGES_DATASET = DATASETS / "policy_qa_languages.jsonl"
LANGUAGES_DEV_DATASET = DATASETS / "policy_qa_languages_dev.jsonl"


def answer_metrics(
    rows: list[dict[str, Any]], observed: list[Observed], sources: Sources
) -> dict[str, float]:
    """The answer metrics shared by the QA and history suites."""
    answerable = [(r, o) for r, o in zip(rows, observed, strict=True) if r.get("answerable", True)]
    answered = [(r, o) for r, o in answerable if o.answerable]
    expected = [r.get("answerable", True) for r in rows]
    given = [o.answerable for o in observed]
    abstain_p, abstain_r = abstention_precision_recall(expected, given)
    latencies = [o.seconds * 1000 for o in observed]
    return {
        "questions": len(rows),
        "hit@1": rate([o.answerable and evidence_hit(_quotes(o), r["evidence"], 1) for r, o in answerable]),
        "hit@3": rate([o.answerable and evidence_hit(_quotes(o), r["evidence"], 3) for r, o in answerable]),
        "citation_precision": citation_precision(
            [_quotes(o) for _, o in answered], [r["evidence"] for r, _ in answered]
        ),
        "lead_hit": lead_hit([o.lead for _, o in answered], [r["evidence"] for r, _ in answered]),
        "answer_rate": rate([o.answerable for _, o in answerable]),
        "abstention_accuracy": abstention_accuracy(expected, given),
        "abstention_precision": abstain_p,
        "abstention_recall": abstain_r,
        "faithfulness": _mean(
            [faithfulness(o.text, sources.texts(o.citations), sources.templates) for o in observed]
        ),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def knowledge_gaps(
    rows: list[dict[str, Any]], observed: list[Observed], finder: GapFinder
) -> list[dict[str, Any]]:
    """The questions declined, and those answered without their evidence in the quotes, grouped by
    meaning as the team's knowledge-gap report groups visitors' (``GapFinder``): what the policy, or the
    assistant, is missing; the largest group first."""
    now = datetime.now(UTC)
    missed = [
        GapQuestion(
            r["question"],
            declined=not o.answerable,
            reason=None,
            sections=tuple(f"{c.document} § {c.section}" for c in o.citations) if o.answerable else (),
            channel="eval",
            at=now,
        )
        for r, o in zip(rows, observed, strict=True)
        if not (o.answerable and r.get("answerable", True) and evidence_hit(_quotes(o), r["evidence"], 3))
    ]
    return [group.to_dict() for group in finder.report(missed, now).groups]


def _only(language: str, rows: list[dict[str, Any]], observed: list[Observed]):
    pairs = [(r, o) for r, o in zip(rows, observed, strict=True) if r.get("language") == language]
    return [r for r, _ in pairs], [o for _, o in pairs]


def _quotes(o: Observed) -> list[str]:
    return [c.quote for c in o.citations] if o.answerable else []


def _mean(values: list[float]) -> float:
    values = [v for v in values if v == v]  # NaN (an empty answer) left out
    return sum(values) / len(values) if values else float("nan")


def describe(o: Observed) -> tuple[str, list[str]]:
    """What the assistant said, for a failure table: its first quote (or that it abstained), and its citations."""
    got = (
        o.citations[0].quote
        if o.answerable and o.citations
        else ("(abstained)" if not o.answerable else o.text)
    )
    return got, [f"{c.document} {c.version}: {c.quote}" for c in o.citations]


@dataclass
class QASuite:
    split: str = "test"
    dataset: Path = DEFAULT_DATASET
    name: str = "qa"

    def run(self, targets: Targets, progress: bool = False) -> SuiteRun:
        rows = read_jsonl(self.dataset)
        target = targets.default()
        sources = Sources(targets.settings.corpus_dir, targets.settings.prompts_dir)
        observed = [
            target.ask(r["question"], document=r.get("document"), as_of=r.get("as_of"))
            for r in progress_bar(rows, len(rows), f"qa ({self.split})", progress)
        ]
        run = SuiteRun(
            self.name,
            self.split,
            str(self.dataset),
            targets.name,
            answer_metrics(rows, observed, sources),
            [o.seconds * 1000 for o in observed],
        )
        run.details["gaps"] = knowledge_gaps(rows, observed, targets.gap_finder())
        languages = sorted({r["language"] for r in rows if "language" in r})
        if languages:
            run.details["per_language"] = {
                code: answer_metrics(*_only(code, rows, observed), sources) for code in languages
            }
        for r, o in zip(rows, observed, strict=True):
            wrong_abstention = o.answerable != r["answerable"]
            if wrong_abstention or (r["answerable"] and not evidence_hit(_quotes(o), r["evidence"], 1)):
                got, citations = describe(o)
                expected = (
                    " | ".join(r["evidence"]) if r["answerable"] else "(abstain: the policy does not say)"
                )
                run.failures.append(Failure(r["id"], r["question"], expected, got, citations, o.reasons))
        return run
