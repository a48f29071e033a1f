"""What every suite hands back: its metrics, latencies and failures, in one shape the report reads."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from assistant.corpus.documents import Corpus
from assistant.corpus.units import parse_policy
from assistant.exceptions import UnknownDocumentError
from evals.metrics import template_pattern
from evals.targets import Cited, Targets

T = TypeVar("T")
# The templates an answer's own (non-quoted) words may come from; see ``metrics.faithfulness``.
ANSWER_TEMPLATES = (
    "answer_intro",
    "abstain",
    "history_changes",
    "history_no_changes",
    "history_no_version",
    "history_several_in_force",
    "history_since",
)


@dataclass
class Failure:
    """One question or message the assistant got wrong, with enough to read why."""

    id: str
    question: str
    expected: str
    got: str
    citations: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # the answer's: why it answered or declined


@dataclass
class SuiteRun:
    suite: str  # qa, history, intake
    split: str  # "test" (held out), or "dev" / "train-cv" (tuned on)
    dataset: str
    target: str
    metrics: dict[str, float]  # the scalar metrics the gate compares
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # per kind, per right, confusion matrix

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.split}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Suite(Protocol):
    name: str
    split: str
    dataset: Path

    def run(self, targets: Targets, progress: bool = False) -> SuiteRun: ...


def progress_bar(rows: Iterable[T], total: int, label: str, enabled: bool) -> Iterator[T]:
    if not enabled:
        yield from rows
        return
    from tqdm import tqdm

    yield from tqdm(rows, total=total, desc=label, unit="item", file=sys.stderr, leave=False)


class Sources:
    """The texts of the policy versions an answer cites, and the answer templates, for faithfulness."""

    def __init__(self, corpus_dir: Path, prompts_dir: Path) -> None:
        self.corpus = Corpus.load(corpus_dir)
        # English's templates and each other language's (``prompts/<locale>/``): an answer is in one.
        folders = [prompts_dir, *sorted(p for p in prompts_dir.iterdir() if p.is_dir())]
        self.templates = [
            template_pattern(path.read_text(encoding="utf-8"))
            for folder in folders
            for name in ANSWER_TEMPLATES
            if (path := folder / f"{name}.txt").is_file()
        ]
        self._texts: dict[tuple[str, str], str] = {}

    def texts(self, citations: list[Cited]) -> list[str]:
        out = []
        for c in citations:
            key = (c.document, c.version)
            if key not in self._texts:
                try:
                    parsed = parse_policy(self.corpus.get(c.document, c.version))
                    # Its text, and its section paths ("Rights › Time limit"), which "what changed" cites.
                    sections = dict.fromkeys(u.section.name for u in parsed.units)
                    self._texts[key] = "\n".join([parsed.text, *sections])
                except UnknownDocumentError:
                    self._texts[key] = ""  # a version this corpus lacks backs no quote
            out.append(self._texts[key])
        return out
