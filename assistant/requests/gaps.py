"""Knowledge gaps: the questions the assistant declined and those whose answers visitors voted down,
grouped by meaning, so the privacy team sees what the policy, or the assistant, is missing.

Grouping is greedy: newest question first, each joins the group whose centre is nearest if it is near
enough (``SAME_GAP``), else starts a group. MiniLM puts any two privacy questions close ("do you sell
my data?" and "where do you store my data?" score 0.55, "who is your DPO?" and "do you have a data
protection officer?" 0.31), so the vectors are first taken relative to the typical privacy question
(the mean of the in-scope questions the scope classifier learns from): what is left is what a question
asks about, not that it is about personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from assistant.requests.feedback import GapQuestion
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.scope import TRAINING, read_training

# Cosine, after centring, at or above which two questions are one gap. On the 49 questions in 13 gaps
# of tests/data/gap_questions.jsonl (5 orders each): 0.40 keeps 0.93 of grouped pairs right (pairwise
# precision) and finds 0.59 of the pairs that belong together; 0.35 finds 0.65 but merges 0.17 wrongly.
# A team reads a merged group as one problem, so a wrong merge hides a gap; a split shows it twice.
SAME_GAP = 0.40
EXAMPLES = 5  # questions shown per group: the group's count says how many there are
# Grouping embeds every question (some 13 ms each on two busy cores: 1,000 took 12.5 s, grouping them
# 0.15 s); the newest this many are grouped, so a report stays under a minute whatever piles up.
MOST_QUESTIONS = 4000


@dataclass(frozen=True)
class GapGroup:
    question: str  # the group's most typical question
    count: int
    declined: int
    unhelpful: int
    examples: tuple[str, ...]  # other distinct questions of the group, newest first
    reasons: tuple[str, ...]  # visitors' reasons for voting the answers down, newest first
    sections: tuple[str, ...]  # what the unhelpful answers cited, most often first
    last_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "last_at": self.last_at.isoformat(), "examples": list(self.examples),
                "reasons": list(self.reasons), "sections": list(self.sections)}  # fmt: skip


@dataclass(frozen=True)
class GapReport:
    since: datetime
    groups: list[GapGroup]

    @property
    def declined(self) -> int:
        return sum(g.declined for g in self.groups)

    @property
    def unhelpful(self) -> int:
        return sum(g.unhelpful for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "declined": self.declined,
            "unhelpful": self.unhelpful,
            "groups": [g.to_dict() for g in self.groups],
        }


class GapFinder:
    """Groups gap questions by meaning with the assistant's MiniLM embeddings. ``render``: a question as
    the English the assistant reads it in (the bilingual vocabulary): MiniLM is an English model, so
    questions in other languages would otherwise group by language, not by what they ask."""

    def __init__(
        self, embeddings: LocalEmbeddings, training=TRAINING, render: Callable[[str], str] | None = None
    ) -> None:
        self.embeddings = embeddings
        self.training = training
        self.render = render
        self._typical: np.ndarray | None = None

    def typical(self) -> np.ndarray:
        """The mean vector of the in-scope training questions (shipped text: embedded once per machine)."""
        if self._typical is None:
            texts = [str(r["text"]) for r in read_training(self.training) if r["in_scope"]]
            self._typical = self.embeddings.encode_shipped(texts).mean(axis=0)
        return self._typical

    def centred(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (rendered in English) relative to the typical privacy question. What
        visitors wrote is embedded here and now, never cached (``encode``, not ``encode_shipped``)."""
        read = [self.render(t) for t in texts] if self.render else texts
        centred = self.embeddings.encode(read) - self.typical()
        return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)

    def report(self, questions: Sequence[GapQuestion], since: datetime) -> GapReport:
        """``questions`` (newest first) in groups, the largest first."""
        if not questions:
            return GapReport(since, [])
        vectors = self.centred([q.question for q in questions])
        members = group(vectors, SAME_GAP)
        groups = [_gap_group([questions[i] for i in m], vectors[m]) for m in members]
        groups.sort(key=lambda g: (-g.count, -g.last_at.timestamp()))
        return GapReport(since, groups)


def group(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy grouping of unit ``vectors`` in their order: each row joins the group whose (normalised)
    centre is nearest when the cosine is at least ``threshold``, else starts one. Row indices per group."""
    members: list[list[int]] = []
    centres: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        if centres:
            scores = np.stack(centres) @ vector
            best = int(scores.argmax())
            if scores[best] >= threshold:
                members[best].append(i)
                centre = vectors[members[best]].mean(axis=0)
                centres[best] = centre / max(float(np.linalg.norm(centre)), 1e-9)
                continue
        members.append([i])
        centres.append(vector)
    return members


def _gap_group(questions: list[GapQuestion], vectors: np.ndarray) -> GapGroup:
    typical = int((vectors @ vectors.mean(axis=0)).argmax())
    distinct = list(dict.fromkeys(q.question for q in questions))
    lead = questions[typical].question
    sections = Counter(s for q in questions if not q.declined for s in q.sections)
    return GapGroup(
        question=lead,
        count=len(questions),
        declined=sum(q.declined for q in questions),
        unhelpful=sum(not q.declined for q in questions),
        examples=tuple(q for q in distinct if q != lead)[:EXAMPLES],
        reasons=tuple(dict.fromkeys(q.reason for q in questions if q.reason))[:EXAMPLES],
        sections=tuple(s for s, _ in sections.most_common(EXAMPLES)),
        last_at=max(q.at for q in questions),
    )
