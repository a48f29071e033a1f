"""The history suite: as-of, what-changed and since-when questions over a fixture history.

Each row names the corpus it is asked of (``corpus``, relative to the project root), the versions the
answer must cite (``versions``: exactly that set) and evidence strings, as in the QA suite. Reported
apart from the plain QA numbers: version accuracy, evidence hit@1/@3, per kind, and latency. There is
one split only (test): nothing was tuned on these questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.corpus.documents import Corpus
from assistant.exceptions import InvalidInputError
from assistant.settings import PROJECT_ROOT
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import evidence_hit, rate, version_correct
from evals.qa import answer_metrics, describe
from evals.suite import Failure, Sources, SuiteRun, progress_bar

HISTORY_DATASET = DATASETS / "history_qa.jsonl"
KINDS = ("as_of", "changes", "since")


@dataclass
class HistorySuite:
    split: str = "test"
    dataset: Path = HISTORY_DATASET
    name: str = "history"

    def run(self, targets, progress: bool = False) -> SuiteRun:
        rows = read_jsonl(self.dataset)
        for number, row in enumerate(rows, start=1):
            missing = [
                k for k in ("id", "kind", "question", "corpus", "versions", "evidence") if k not in row
            ]
            if missing or row.get("kind") not in KINDS:
                raise InvalidInputError(
                    f"{self.dataset}: row {number} lacks {missing or 'a kind in ' + str(KINDS)}"
                )
        observed = []
        # A row naming no document asks its corpus's only one.
        sole = {name: Corpus.load(PROJECT_ROOT / name).sole_document for name in {r["corpus"] for r in rows}}
        for row in progress_bar(rows, len(rows), "history", progress):
            document = row.get("document") or sole[row["corpus"]] or ""
            needed = sorted({v for r in rows if r["corpus"] == row["corpus"] for v in r["versions"]})
            target = targets.for_corpus(row["corpus"], document, needed)
            observed.append(target.ask(row["question"], document=row.get("document"), as_of=row.get("as_of")))
        corpus = PROJECT_ROOT / rows[0]["corpus"] if rows else targets.settings.corpus_dir
        sources = Sources(corpus, targets.settings.prompts_dir)
        pairs = list(zip(rows, observed, strict=True))

        def cited(o) -> list[str]:
            return sorted({c.version for c in o.citations}) if o.answerable else []

        metrics = answer_metrics(rows, observed, sources)
        metrics["version_accuracy"] = rate([version_correct(cited(o), r["versions"]) for r, o in pairs])
        per_kind = {
            kind: {
                "questions": sum(1 for r, _ in pairs if r["kind"] == kind),
                "version_accuracy": rate(
                    [version_correct(cited(o), r["versions"]) for r, o in pairs if r["kind"] == kind]
                ),
                "hit@1": rate([evidence_hit(_q(o), r["evidence"], 1) for r, o in pairs if r["kind"] == kind]),
            }
            for kind in KINDS
        }
        run = SuiteRun(
            self.name,
            self.split,
            str(self.dataset),
            targets.history_url or "in-process",
            metrics,
            [o.seconds * 1000 for o in observed],
            details={"per_kind": per_kind},
        )
        for r, o in pairs:
            if not (version_correct(cited(o), r["versions"]) and evidence_hit(_q(o), r["evidence"], 1)):
                got, citations = describe(o)
                expected = f"versions {sorted(r['versions'])}: " + " | ".join(r["evidence"])
                run.failures.append(
                    Failure(r["id"], r["question"], expected, f"versions {cited(o)}: {got}", citations)
                )
        return run


def _q(o) -> list[str]:
    return [c.quote for c in o.citations] if o.answerable else []
