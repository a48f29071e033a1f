"""Is a question about personal data and privacy at all, or about something else the company does?

"Who founded Acme?" lands close to the policy's sentences about Acme, yet no policy answers
it. A logistic regression over the question's MiniLM vector, fitted at first use on the labelled
questions in ``scope_training.jsonl`` (none of them in the eval sets), tells the two apart.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.vocabulary import PolicyTerms, expand, in_our_voice

TRAINING = Path(__file__).with_name("scope_training.jsonl")


def read_training(path: Path = TRAINING) -> list[dict[str, object]]:
    """The labelled questions: ``{"text": ..., "in_scope": true|false}`` per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def query_text(question: str, organization: str | None = None, own: PolicyTerms = ()) -> str:
    """What the retriever embeds for a question: the question in the policy's voice (the organization
    as "we") and the policy's words for it (``own``: the policy's own vocabulary, from its pack)."""
    question = in_our_voice(question, organization)
    return f"{question} {expand(question, own)}".strip()


class ScopeClassifier:
    def __init__(self, embeddings: LocalEmbeddings, training: Path = TRAINING) -> None:
        self.embeddings = embeddings
        self.training = training
        self._model: LogisticRegression | None = None
        self._lock = threading.Lock()

    def _fit(self) -> LogisticRegression:
        rows = read_training(self.training)
        vectors = self.embeddings.encode_shipped([query_text(str(r["text"])) for r in rows])
        labels = np.array([bool(r["in_scope"]) for r in rows])
        return LogisticRegression(C=1.0, max_iter=1000).fit(vectors, labels)

    def probability(self, query_vector: list[float] | np.ndarray) -> float:
        """Probability that the question (embedded as ``query_text``) is about privacy."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._fit()
        vector = np.asarray(query_vector, dtype=np.float32).reshape(1, -1)
        return float(self._model.predict_proba(vector)[0, 1])
