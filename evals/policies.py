"""The cross-policy suite: other companies' real policies, onboarded as a new customer would, asked blind.

Each policy in ``datasets/policies/sources.json`` is imported from ``../shared/data`` (beside the
checkout; never copied into the project) with ``Assistant.add_version``, as ``corpus add`` does, into a
corpus of its own with no question bank. Its question set (``datasets/policies/<name>.jsonl``) was
written blind from the policy text alone (``evals/blind_brief_policies.md``). The sources file puts
each policy in one split, chosen once by a seeded draw: ``dev`` policies may be fit and tuned on;
``test`` policies never are, and are scored only when asked. Figures are per policy, with 95%
bootstrap intervals, and pooled per split; each policy's figures are metrics of their own
(``hit@1.<document>``), so the gate compares the dev policies one by one.

The index is kept under the cache folder between runs: a policy version is embedded once per machine
(the index is keyed by the version's digest).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.core import Assistant
from assistant.corpus.importing import add_version
from assistant.exceptions import InvalidInputError
from assistant.settings import PROJECT_ROOT, Settings
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import bootstrap_interval, evidence_hit
from evals.qa import _quotes, answer_metrics, describe, knowledge_gaps
from evals.suite import Failure, Sources, SuiteRun, progress_bar
from evals.targets import InProcessTarget, Observed, Targets

POLICY_SETS = DATASETS / "policies"
SOURCES = POLICY_SETS / "sources.json"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
# The figures each policy reports, with an interval (one flag per question behind each).
PER_POLICY = ("hit@1", "hit@3", "abstention_accuracy")


def read_sources(path: Path = SOURCES) -> dict[str, dict[str, Any]]:
    """Document id -> its source file (relative to the shared data folder), effective date, split, ..."""
    try:
        sources = json.loads(path.read_text(encoding="utf-8"))["policies"]
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"{path}: cannot read the policy sources ({exc})") from None
    for document, source in sources.items():
        missing = {"file", "effective", "split", "organization", "questions"} - source.keys()
        if missing or source["split"] not in ("dev", "test"):
            raise InvalidInputError(
                f"{path}: {document} needs file, effective, organization, questions and a split of dev or test"
            )
    return sources


def import_policies(corpus_dir: Path, shared: Path, sources: dict[str, dict[str, Any]]) -> None:
    """Write each of ``sources`` into ``corpus_dir`` as ``corpus add`` does."""
    for document, source in sources.items():
        add_version(
            corpus_dir,
            shared / source["file"],
            document,
            date.fromisoformat(source["effective"]),
            title=source.get("title"),
            organization=source["organization"],
            source_url=source.get("source_url"),
        )


def onboard(settings: Settings, shared: Path, sources: dict[str, dict[str, Any]]) -> Assistant:
    """An Assistant over a fresh corpus holding ``sources``, added as ``corpus add`` adds a version."""
    root = settings.cache_dir / "eval-policies"
    corpus_dir = root / "corpus"
    shutil.rmtree(corpus_dir, ignore_errors=True)  # the index (keyed by digest) is kept, the corpus rebuilt
    # As a new customer's corpus: imported versions and no question bank.
    own = settings.model_copy(
        update={"corpus_dir": corpus_dir, "data_dir": root / "data", "default_document": None}
    )
    import_policies(corpus_dir, shared, sources)
    return Assistant.open(settings=own)


def validate_policy_sets(
    shared: Path = SHARED_DATA, dataset: Path = SOURCES, training: set[str] | None = None
) -> dict[Path, list[str]]:
    """Each policy question set's problems, its evidence checked against its policy as imported (so
    text the import mangles shows); empty lists, with a note on stderr, without the shared folder."""
    from evals.validate import validate

    sources = read_sources(dataset)
    sets = {dataset.parent / s["questions"]: s for s in sources.values()}
    if not all((shared / s["file"]).is_file() for s in sources.values()):
        print(f"policy question sets: evidence not checked, {shared} is absent", file=sys.stderr)
        return {path: [] if path.is_file() else [f"{path}: no such question set"] for path in sets}
    with tempfile.TemporaryDirectory() as scratch:
        import_policies(Path(scratch), shared, sources)
        return {path: validate(path, training, corpus_dir=Path(scratch)) for path in sets}


@dataclass
class PolicySuite:
    """Every policy of one split, each asked its own blind questions."""

    split: str = "dev"
    name: str = "policies"
    shared: Path = SHARED_DATA
    dataset: Path = SOURCES

    def run(self, targets: Targets, progress: bool = False) -> SuiteRun:
        sources = {d: s for d, s in read_sources(self.dataset).items() if s["split"] == self.split}
        absent = [s["file"] for s in sources.values() if not (self.shared / s["file"]).is_file()]
        if not sources:
            print(f"policies ({self.split}): no policy of {self.dataset} is in this split", file=sys.stderr)
            return SuiteRun(self.name, self.split, str(self.dataset), targets.name, {"questions": 0})
        if absent:
            print(
                f"policies ({self.split}): skipped, {self.shared} does not hold {absent[0]}"
                f"{f' and {len(absent) - 1} more' if len(absent) > 1 else ''} (a checkout without ../shared/data)",
                file=sys.stderr,
            )
            return SuiteRun(self.name, self.split, str(self.dataset), targets.name, {"questions": 0})
        assistant = onboard(targets.settings, self.shared, sources)
        target = InProcessTarget(assistant, name="in-process, onboarded")
        target.warm()
        rows: list[dict[str, Any]] = []
        observed: list[Observed] = []
        per_policy: dict[str, dict[str, Any]] = {}
        for document, source in sources.items():
            questions = read_jsonl(self.dataset.parent / source["questions"])
            answers = [
                target.ask(r["question"], document=document)
                for r in progress_bar(questions, len(questions), f"policies: {document}", progress)
            ]
            per_policy[document] = _with_intervals(questions, answers)
            rows += questions
            observed += answers
        sources_of = Sources(assistant.settings.corpus_dir, assistant.settings.prompts_dir)
        metrics = answer_metrics(rows, observed, sources_of)
        metrics["answerability_f1"] = _f1(metrics["abstention_precision"], metrics["abstention_recall"])
        # Each policy's own figures, gated one by one: a gain on one policy cannot hide a loss on another.
        metrics |= {
            f"{name}.{document}": figures[name]["value"]
            for document, figures in per_policy.items()
            for name in PER_POLICY
        }
        run = SuiteRun(
            self.name,
            self.split,
            str(self.dataset),
            targets.name,
            metrics,
            [o.seconds * 1000 for o in observed],
            details={"per_policy": per_policy, "gaps": knowledge_gaps(rows, observed, assistant.gap_finder)},
        )
        for r, o in zip(rows, observed, strict=True):
            if o.answerable != r["answerable"] or (
                r["answerable"] and not evidence_hit(_quotes(o), r["evidence"], 1)
            ):
                got, citations = describe(o)
                expected = (
                    " | ".join(r["evidence"]) if r["answerable"] else "(abstain: the policy does not say)"
                )
                run.failures.append(Failure(r["id"], r["question"], expected, got, citations, o.reasons))
        return run


def _with_intervals(rows: list[dict[str, Any]], observed: list[Observed]) -> dict[str, Any]:
    """One policy's figures, each with its 95% bootstrap interval."""
    answerable = [(r, o) for r, o in zip(rows, observed, strict=True) if r["answerable"]]
    flags = {
        "hit@1": [o.answerable and evidence_hit(_quotes(o), r["evidence"], 1) for r, o in answerable],
        "hit@3": [o.answerable and evidence_hit(_quotes(o), r["evidence"], 3) for r, o in answerable],
        "abstention_accuracy": [
            not o.answerable for r, o in zip(rows, observed, strict=True) if not r["answerable"]
        ],
    }
    figures: dict[str, Any] = {"questions": len(rows)}
    for name in PER_POLICY:
        values = flags[name]
        low, high = bootstrap_interval(values)
        figures[name] = {
            "value": sum(values) / len(values) if values else float("nan"),
            "low": low,
            "high": high,
            "n": len(values),  # the questions it counts: one of them moves it by 1/n
        }
    return figures


def _f1(precision: float, recall: float) -> float:
    if precision != precision or recall != recall or precision + recall == 0:
        return float("nan")
    return 2 * precision * recall / (precision + recall)


def format_per_policy(run: dict[str, Any]) -> list[str]:
    """Rows of the per-policy table for the summary."""
    lines = []
    for document, figures in run["details"].get("per_policy", {}).items():
        cells = [
            f"{name} {f['value']:.2f} [{f['low']:.2f}, {f['high']:.2f}]"
            for name, f in ((n, figures[n]) for n in PER_POLICY)
        ]
        lines.append(f"    {document:<30} n={figures['questions']:<3} " + "  ".join(cells))
    return lines
