"""Questions visitors have asked before, with the passage that answered them (or none).

A policy says "request erasure of your personal information"; visitors ask "can u wipe my account".
MiniLM alone often ranks a neighbouring sentence first. The question bank, one file per document beside
its versions (``corpus/<document-id>/questions.jsonl``, curated by the privacy team, none of its
questions in the eval sets), holds example questions with the policy text that answers them. A new question close to an
example votes for that example's passage.

The bank also holds questions the policy does not answer. How likely a new question is to be one of
them is read from its neighbourhood in the bank (its nearest answered and unanswered examples, and the
share of unanswered ones among its nearest few) by a logistic regression fitted on the bank itself:
each example, judged by its neighbours without itself, is a training case.

Evidence is policy text, not a unit id, so an example keeps working across versions: in a version
whose text no longer holds the evidence, it votes for nothing.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.units import PolicyUnit
from assistant.exceptions import QuestionBankError
from assistant.jsonl import read_objects
from assistant.retrieval.embeddings import DIMENSIONS, LocalEmbeddings, best_matches, dot_products
from assistant.retrieval.scope import query_text
from assistant.retrieval.vocabulary import PolicyTerms


@dataclass(frozen=True)
class ExampleQuestion:
    question: str
    answerable: bool
    evidence: tuple[str, ...] = ()  # policy text (a sentence or part of one) that answers it


@dataclass(frozen=True)
class Precedents:
    """What the bank says about a question: votes for units, and how alike the nearest examples are."""

    votes: dict[str, float] = field(default_factory=dict)  # unit id -> similarity of its nearest example
    answered: float = 0.0  # similarity of the nearest example the policy answers
    unanswered: float = 0.0  # ... and of the nearest one it does not
    unanswerable: float = 0.0  # probability, from the neighbourhood, that the policy does not answer it


class QuestionBank:
    """The example questions of every document, embedded on first use (through the machine's vector
    cache: they ship with the corpus, like its text)."""

    def __init__(
        self,
        examples: dict[str, list[ExampleQuestion]],
        embeddings: LocalEmbeddings,
        vocabularies: Mapping[str, PolicyTerms] | None = None,
    ) -> None:
        self.examples = examples
        self.embeddings = embeddings
        self.vocabularies = vocabularies or {}  # per document, its pack's vocabulary: asked as visitors are
        # Keyed by (document, organization): examples are embedded in the policy's voice (``query_text``).
        self._vectors: dict[tuple[str, str | None], np.ndarray] = {}
        # Which examples the policy does not answer, per document: fixed once the bank is read.
        self._unanswered = {d: np.array([not e.answerable for e in rows]) for d, rows in examples.items()}
        self._models: dict[tuple[str, str | None], LogisticRegression | None] = {}
        # (document, version, its later wordings) -> per example, the unit ids holding its evidence
        self._answers: dict[tuple[str, str, frozenset[tuple[str, str]]], list[list[str]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        files: Mapping[str, Path],
        embeddings: LocalEmbeddings,
        vocabularies: Mapping[str, PolicyTerms] | None = None,
    ) -> QuestionBank:
        """The banks of ``files`` (document id -> its ``questions.jsonl``, as ``Corpus.question_banks``)."""
        examples = {document: read_examples(path) for document, path in sorted(files.items())}
        return cls(examples, embeddings, vocabularies)

    def precedents(
        self,
        query_vector: np.ndarray,
        versions: Sequence[tuple[PolicyVersion, Sequence[PolicyUnit]]],
        floor: float,
        reworded: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    ) -> Precedents:
        """Votes from the examples more similar than ``floor`` to the query, for the units of ``versions``
        ((version, its units)) holding their evidence; and how alike answered and unanswered examples are.

        ``reworded`` gives, per (document, version), the later wording of units a later version reworded
        (unit id -> text): the examples were written against the latest text, and in an earlier version
        the sentence it rewords answers them ("within 30 days" where they quote "within one month")."""
        votes: dict[str, float] = {}
        answered = unanswered = unanswerable = 0.0
        for version, units in versions:
            document, organization = version.document, version.organization
            if not self.examples.get(document):
                continue
            similarity = best_matches(self.vectors(document, organization), query_vector[None, :])
            answers = self.answers(
                document, version.version, units, (reworded or {}).get((document, version.version), {})
            )
            # Only the few examples near the question vote: numpy picks them, Python loops over those.
            for index in np.flatnonzero((similarity > floor) & ~self._unanswered[document]).tolist():
                value = float(similarity[index])
                for unit_id in answers[index]:
                    votes[unit_id] = max(votes.get(unit_id, 0.0), value)
            features = neighbourhood(similarity[None, :], self._unanswered[document])
            answered, unanswered = max(answered, features[0, 0]), max(unanswered, features[0, 1])
            model = self.model(document, organization)
            if model is not None:
                # The logistic function by hand: predict_proba's input checks cost a millisecond a question.
                logit = float(features[0] @ model.coef_[0] + model.intercept_[0])
                unanswerable = max(unanswerable, 1.0 / (1.0 + math.exp(-logit)))
        return Precedents(votes, float(answered), float(unanswered), unanswerable)

    def model(self, document: str, organization: str | None = None) -> LogisticRegression | None:
        """P(the policy does not answer) from a question's bank neighbourhood; None without both kinds."""
        key = (document, organization)
        if key not in self._models:
            vectors, unanswered = self.vectors(document, organization), self._unanswered[document]
            model = None
            if unanswered.any() and not unanswered.all():
                model = LogisticRegression(max_iter=1000).fit(
                    own_neighbourhoods(vectors, unanswered), unanswered
                )
            with self._lock:
                self._models[key] = model
        return self._models[key]

    def vectors(
        self,
        document: str,
        organization: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """The examples' vectors, each embedded as a question to ``organization``'s policy is;
        ``progress(done, total)`` after each batch of them."""
        key = (document, organization)
        with self._lock:
            vectors = self._vectors.get(key)
        if vectors is None:
            own = self.vocabularies.get(document, ())
            texts = [query_text(e.question, organization, own) for e in self.examples[document]]
            step = _PROGRESS_STEP if progress else max(1, len(texts))
            parts = []
            for start in range(0, len(texts), step):
                parts.append(self.embeddings.encode_shipped(texts[start : start + step]))
                if progress:
                    progress(min(start + step, len(texts)), len(texts))
            vectors = np.concatenate(parts) if parts else np.zeros((0, DIMENSIONS), dtype=np.float32)
            with self._lock:
                self._vectors[key] = vectors
        return vectors

    def answers(
        self,
        document: str,
        version: str,
        units: Sequence[PolicyUnit],
        reworded: Mapping[str, str] | None = None,
    ) -> list[list[str]]:
        """For each example of ``document``, the ids of the units of ``version`` holding its evidence, in
        their own words or (``reworded``: unit id -> text) in a later version's."""
        reworded = reworded or {}
        key = (document, version, frozenset(reworded.items()))
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None:
            return cached
        texts = [(u.id, fold(u.text)) for u in units]
        texts += [(unit_id, fold(text)) for unit_id, text in reworded.items()]
        found = [
            list(dict.fromkeys(uid for uid, text in texts if any(e in text for e in evidence)))
            for evidence in ([fold(e) for e in example.evidence] for example in self.examples[document])
        ]
        with self._lock:
            self._answers[key] = found
        return found


_PROGRESS_STEP = 256  # examples embedded between two reports of progress
NEAREST = (5, 10)  # neighbourhood sizes whose share of unanswered examples is a feature


def neighbourhood(similarity: np.ndarray, unanswered: np.ndarray) -> np.ndarray:
    """Per row of ``similarity`` (questions x examples): the similarity of the nearest answered and of
    the nearest unanswered example, and the share of unanswered examples among the nearest 5 and 10,
    each weighted by exp(10 x similarity) so that the nearest count most."""
    answered_best = np.where(~unanswered, similarity, -1.0).max(axis=1)
    unanswered_best = np.where(unanswered, similarity, -1.0).max(axis=1)
    columns = [answered_best, unanswered_best]
    nearest = _nearest(similarity, max(NEAREST))
    closeness = np.take_along_axis(similarity, nearest, axis=1)
    for k in NEAREST:
        weights = np.exp(10 * closeness[:, :k])
        columns.append((weights * unanswered[nearest[:, :k]]).sum(axis=1) / weights.sum(axis=1))
    return np.column_stack(columns)


def _nearest(similarity: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of its ``k`` largest values, largest first (a partition, then a sort of
    those few: a whole-row sort of a bank of thousands is what made start-up slow)."""
    if similarity.shape[1] > k:
        columns = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    else:
        columns = np.broadcast_to(np.arange(similarity.shape[1]), similarity.shape)
    order = np.argsort(-np.take_along_axis(similarity, columns, axis=1), axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1)


def own_neighbourhoods(vectors: np.ndarray, unanswered: np.ndarray, rows: int = 1024) -> np.ndarray:
    """``neighbourhood`` of each example among the others (judged without itself), a block of rows at a
    time so that a bank of thousands never holds its whole similarity matrix."""
    blocks = []
    for start in range(0, len(vectors), rows):
        similarity = dot_products(vectors[start : start + rows], vectors)
        block = np.arange(len(similarity))
        similarity[block, start + block] = -1.0
        blocks.append(neighbourhood(similarity, unanswered))
    return np.concatenate(blocks) if blocks else np.zeros((0, 2 + len(NEAREST)))


def read_examples(path: Path) -> list[ExampleQuestion]:
    """The examples in one bank file, or QuestionBankError naming the line and what is wrong with it."""
    examples: list[ExampleQuestion] = []
    seen: dict[str, int] = {}
    for number, row in read_objects(path, lambda n, problem: QuestionBankError(path, n, problem)):
        question, answerable, evidence = row.get("question"), row.get("answerable"), row.get("evidence", [])
        if not isinstance(question, str) or not question.strip():
            raise QuestionBankError(path, number, "needs a non-empty text 'question'")
        if not isinstance(answerable, bool):
            raise QuestionBankError(path, number, "needs 'answerable': true or false")
        if not isinstance(evidence, list) or not all(isinstance(e, str) and e.strip() for e in evidence):
            raise QuestionBankError(path, number, "'evidence' must be a list of policy passages (text)")
        if answerable != bool(evidence):
            raise QuestionBankError(
                path,
                number,
                "an answerable question needs evidence, and one the policy does not answer has none",
            )
        key = " ".join(re.findall(r"\w+", question.lower()))  # case and punctuation do not make it new
        if key in seen:
            raise QuestionBankError(path, number, f"repeats the question of line {seen[key]}")
        seen[key] = number
        examples.append(ExampleQuestion(question.strip(), answerable, tuple(evidence)))
    return examples


def fold(text: str) -> str:
    return " ".join(text.split()).lower()
