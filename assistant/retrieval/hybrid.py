"""The hybrid retriever: dense (Chroma) and lexical (BM25) scores fused, diverse across sections.

Exposed as a LangChain ``BaseRetriever``: ``retriever.invoke(question, document=..., as_of=...)``
returns LangChain Documents; ``search`` returns the scored units the answerer composes from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.answering.model import AnswerModel
from assistant.corpus.diff import diff_versions
from assistant.corpus.documents import Corpus, PolicyVersion, organization_of
from assistant.corpus.units import PolicyUnit, parse_policy
from assistant.exceptions import UnknownDocumentError
from assistant.retrieval.details import missing_detail
from assistant.retrieval.embeddings import LocalEmbeddings, dot_products
from assistant.retrieval.lexical import LexicalIndexes, tokenize
from assistant.retrieval.question_bank import Precedents, QuestionBank
from assistant.retrieval.scope import query_text
from assistant.retrieval.store import UnitStore, version_key

CACHED_VERSIONS = 16  # versions whose unit vectors stay in memory: 0.5 MB for 300 units
QUOTED = 3  # the best units, which must hold the kind of fact asked for (``Retrieval.missing_detail``)


@dataclass(frozen=True)
class Retrieval:
    """What one search found, and what the answerer needs to judge it."""

    results: list[ScoredUnit]
    query_vector: list[float]
    precedents: Precedents = field(default_factory=Precedents)  # what the question bank says
    missing_detail: str = ""  # the kind of fact the question asks for that the best units do not hold
    margin: float = 0.0  # the answer model's: the best unit's score above "the policy does not answer this"


@dataclass(frozen=True)
class ScoredUnit:
    unit: PolicyUnit
    score: float  # relevance: similarity plus the scaled BM25 score, plus the question bank's vote
    similarity: float  # cosine similarity of the unit to the question (a table row: its best view's)
    lexical: float  # BM25 score; 0.0 when lexical search missed it
    margin: float = 0.0  # the answer model's: this unit's score above "the policy does not answer this"


class PolicyRetriever(BaseRetriever):
    """Finds the policy units that answer a question, within the versions in force on a date."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    corpus: Corpus
    store: UnitStore
    embeddings: LocalEmbeddings
    model: AnswerModel
    bank: QuestionBank | None = None
    candidates: int = 20
    k: int = 5
    per_section: int = 2
    lexical_weight: float = 0.3  # tuned on the dev questions and PolicyQA; see bench/tune_retrieval.py
    # A unit answering a bank example this similar to the question gains weight x (similarity - floor);
    # tuned on the dev questions, see bench/tune_retrieval.py.
    bank_weight: float = 3.0
    bank_floor: float = 0.6

    _lexical: LexicalIndexes = PrivateAttr(default_factory=LexicalIndexes)
    _units: dict[str, PolicyUnit] = PrivateAttr(default_factory=dict)
    _views: dict[str, tuple[list[str], np.ndarray]] = PrivateAttr(default_factory=dict)
    _reworded: dict[tuple[str, str], dict[str, str]] = PrivateAttr(default_factory=dict)
    _unit_vectors: OrderedDict[str, tuple[list[str], np.ndarray]] = PrivateAttr(default_factory=OrderedDict)
    _cache_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # -- which versions a question is asked of --------------------------------------------------
    def versions_for(self, document: str | None = None, as_of: date | None = None) -> list[PolicyVersion]:
        day = as_of or date.today()
        documents = [document] if document else self.corpus.documents
        versions = [v for d in documents if (v := self.corpus.in_force(d, day)) is not None]
        if not versions:
            which = document or "any document"
            raise UnknownDocumentError(f"no version of {which} was in force on {day.isoformat()}")
        return versions

    def units_of(self, version: PolicyVersion) -> list[PolicyUnit]:
        units = parse_policy(version).units
        if units and units[0].id not in self._units:
            self._units.update((u.id, u) for u in units)
        return units

    # -- search ---------------------------------------------------------------------------------
    def search(
        self, question: str, versions: list[PolicyVersion], k: int | None = None, *, precedents: bool = True
    ) -> list[ScoredUnit]:
        """Units ranked by relevance (see ``retrieve``)."""
        return self.retrieve(question, versions, k, precedents=precedents).results

    def retrieve(
        self,
        question: str,
        versions: list[PolicyVersion],
        k: int | None = None,
        *,
        precedents: bool = True,
        vector: np.ndarray | None = None,
    ) -> Retrieval:
        """Units ranked by relevance: cosine similarity plus the BM25 score scaled to the best one, plus the
        votes of the question bank's examples like the question (unless ``precedents`` is False). Beside
        the ranking, the answer model's margin: whether the policy answers the question at all.

        Candidates come from both searches; a unit only one of them found still gets both scores, so
        a rare policy word ("Privacy Shield") lifts a unit the embedding ranked low, and vice versa.
        ``vector``: the question's vector when the caller has it already, embedded as ``query_text``
        words the question for these versions (the question bank's examples are).
        """
        k = k or self.k
        query = query_text(question, organization_of(versions), self.corpus.vocabulary_of(versions))
        keys = [version_key(v.document, v.version) for v in versions]

        vector = self.embeddings.encode_query(query) if vector is None else vector
        ids, vectors = self.unit_vectors(keys)
        plain = vectors @ vector  # cosine: the stored vectors and the question's are unit length
        adapted = vectors @ self.model.adapt(vector)
        position = {unit_id: n for n, unit_id in enumerate(ids)}

        tokens = tokenize(query)
        lexical: dict[str, float] = {}
        for version, key in zip(versions, keys, strict=True):
            units = self.units_of(version)
            scores = self._lexical.get(key, units).scores(tokens)
            for i in np.argsort(-scores)[: self.candidates]:
                if scores[i] > 0:
                    lexical[units[i].id] = float(scores[i])
        bank = self.precedents(vector, versions) if precedents else Precedents()
        votes = bank.votes
        candidates = [
            *(ids[n] for n in np.argsort(-plain)[: self.candidates]),
            *lexical,
            *votes,
            *(ids[n] for n in np.argsort(-adapted)[: self.candidates]),
        ]
        similarity = {i: float(plain[position[i]]) for i in dict.fromkeys(candidates) if i in position}
        for unit_id, value in self.view_similarities(vector, versions).items():
            similarity[unit_id] = max(similarity.get(unit_id, value), value)

        best_lexical = max(lexical.values(), default=0.0) or 1.0
        scored = []
        for unit_id, sim in similarity.items():
            if unit_id not in self._units or unit_id not in position:
                continue
            scaled = lexical.get(unit_id, 0.0) / best_lexical
            scored.append(
                ScoredUnit(
                    unit=self._units[unit_id],
                    score=sim
                    + self.lexical_weight * scaled
                    + self.bank_weight * max(0.0, votes.get(unit_id, 0.0) - self.bank_floor),
                    similarity=sim,
                    lexical=lexical.get(unit_id, 0.0),
                    margin=self.model.margin(self.model.score(float(adapted[position[unit_id]]), scaled)),
                )
            )
        scored.sort(key=lambda s: -s.score)
        results = _diverse(scored, k, self.per_section)
        # The model judges the whole version: its best unit may be one neither search ranked.
        best = max(
            [float(adapted.max(initial=-1.0))]
            + [
                self.model.score(float(adapted[position[i]]), v / best_lexical)
                for i, v in lexical.items()
                if i in position
            ]
        )
        return Retrieval(
            results,
            vector.tolist(),
            bank,
            missing_detail(question, (s.unit.text for s in results[:QUOTED])),
            self.model.margin(best),
        )

    def unit_vectors(self, keys: list[str]) -> tuple[list[str], np.ndarray]:
        """The ids and stored vectors of every unit of the versions ``keys``. Each version's are read from
        the store once and kept in memory for the versions asked most recently: an exact search over a
        version's few hundred units is one product, quicker than asking the store each time."""
        found: list[tuple[list[str], np.ndarray]] = []
        for key in keys:
            with self._cache_lock:  # request threads share the cache
                cached = self._unit_vectors.get(key)
                if cached is not None:
                    self._unit_vectors.move_to_end(key)
            if cached is None:
                cached = self.store.vectors_of(key)
                with self._cache_lock:
                    self._unit_vectors[key] = cached
                    while len(self._unit_vectors) > CACHED_VERSIONS:
                        self._unit_vectors.popitem(last=False)
            found.append(cached)
        if len(found) == 1:
            return found[0]
        return [i for ids, _ in found for i in ids], np.vstack([vectors for _, vectors in found])

    def likeliest(self, question: str, version: PolicyVersion, units: list[PolicyUnit]) -> PolicyUnit:
        """Of ``units`` (of ``version``), the one the answer model finds likeliest to answer ``question``
        (the first when none of them ranks)."""
        ranked = {s.unit.id: s.margin for s in self.retrieve(question, [version]).results}
        return max(units, key=lambda u: ranked.get(u.id, float("-inf")))

    def view_similarities(self, query_vector: np.ndarray, versions: list[PolicyVersion]) -> dict[str, float]:
        """The best cosine of the query to each table row's views (``PolicyUnit.views``)."""
        best: dict[str, float] = {}
        for version in versions:
            key = version_key(version.document, version.version)
            if key not in self._views:
                pairs = [(u.id, view) for u in self.units_of(version) for view in u.views]
                vectors = self.embeddings.encode_shipped([v for _, v in pairs]) if pairs else np.zeros((0, 1))
                self._views[key] = ([unit_id for unit_id, _ in pairs], vectors)
            ids, vectors = self._views[key]
            if ids:
                for unit_id, value in zip(
                    ids, dot_products(query_vector[None, :], vectors)[0].tolist(), strict=True
                ):
                    best[unit_id] = max(best.get(unit_id, -1.0), value)
        return best

    def precedents(self, query_vector: np.ndarray, versions: list[PolicyVersion]) -> Precedents:
        if self.bank is None:
            return Precedents()
        return self.bank.precedents(
            query_vector,
            [(v, self.units_of(v)) for v in versions],
            self.bank_floor,
            {(v.document, v.version): self.reworded(v) for v in versions},
        )

    def reworded(self, version: PolicyVersion) -> dict[str, str]:
        """The units of ``version`` that the document's latest version rewords: unit id -> the new words.

        The bank's examples quote the latest text; in an earlier version, the sentence it reworded answers
        them. Read from the diff of the two versions, once per pair."""
        latest = self.corpus.versions(version.document)[-1]
        key = (version_key(version.document, version.version), latest.version)
        found = self._reworded.get(key)
        if found is None:
            found = {}
            if latest.version != version.version:
                by_anchor = {u.anchor: u.id for u in self.units_of(version)}
                for change in diff_versions(version, latest):
                    unit_id = by_anchor.get(change.old_anchor or "")
                    if change.kind in ("modified", "moved") and change.scope == "sentence" and unit_id:
                        found[unit_id] = change.new_text or ""
            self._reworded[key] = found
        return found

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        document: str | None = None,
        as_of: date | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        return [to_document(s) for s in self.search(query, self.versions_for(document, as_of))]


def _diverse(scored: list[ScoredUnit], k: int, per_section: int) -> list[ScoredUnit]:
    """The top ``k``, at most ``per_section`` from one section while others are waiting."""
    chosen: list[ScoredUnit] = []
    held: list[ScoredUnit] = []
    counts: dict[tuple[str, str], int] = {}
    for item in scored:
        section = (item.unit.version, item.unit.section.slug)
        if counts.get(section, 0) < per_section:
            counts[section] = counts.get(section, 0) + 1
            chosen.append(item)
        else:
            held.append(item)
        if len(chosen) == k:
            return chosen
    return chosen + held[: k - len(chosen)]


def to_document(scored: ScoredUnit) -> Document:
    unit = scored.unit
    return Document(
        id=unit.id,
        page_content=unit.text,
        metadata={
            "document": unit.document,
            "version": unit.version,
            "section": unit.section.name,
            "href": unit.href,
            "kind": unit.kind,
            "score": scored.score,
            "similarity": scored.similarity,
        },
    )
