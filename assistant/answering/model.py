"""The answer model: how relevant a policy unit is to a question, and whether the policy answers it at all.

One model, fit from labelled questions over many policies (``privacy-assistant train``, see
``evals/train.py``), never on the policy it is used on:

- the question's MiniLM vector is mapped by a learned linear adapter (the policy's vectors stay MiniLM's,
  so an index needs no rebuild), which teaches the retriever how visitors word what policies say;
- a unit's score is the adapted cosine plus a learned weight times its BM25 score scaled to the best;
- "the policy does not answer this" competes with the units as one more option with a learned score:
  the policy answers when its best unit scores above it (``margin`` >= 0). Its score is set last, at the
  margin that handled the most questions of policies left out of fitting right; ``answer_threshold``
  moves it.
- beside the best passage (and the retriever's best-ranked one), another is quoted only when its margin
  is within ``quote_gap`` of the best's:
  the smallest gap that quotes the answer as often as quoting every passage does, measured on the
  passages as answers compose them, on policies left out of fitting.

The parameters are a small committed file beside this module, with its provenance (data digests, date,
cross-validation figures held out by policy) in ``answer_model.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.exceptions import ConfigurationError

PARAMETERS = Path(__file__).with_name("answer_model.npz")
PROVENANCE = Path(__file__).with_name("answer_model.json")


@dataclass(frozen=True)
class AnswerModel:
    adapter: np.ndarray  # dimensions x dimensions: question vector -> the vector compared with units
    lexical_weight: float  # weight of a unit's BM25 score, scaled to the best unit's
    no_answer: float  # the score of "the policy does not answer this"
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)
    # A passage is quoted beside the best when its margin is within this of the best's (infinite: all).
    quote_gap: float = float("inf")

    @classmethod
    def identity(cls, dimensions: int, lexical_weight: float = 0.3, no_answer: float = 0.0) -> AnswerModel:
        """The untrained model: plain cosine; what fitting starts from."""
        return cls(np.eye(dimensions, dtype=np.float32), lexical_weight, no_answer)

    @classmethod
    def load(cls, parameters: Path = PARAMETERS, provenance: Path = PROVENANCE) -> AnswerModel:
        try:
            with np.load(parameters) as stored:
                adapter = stored["adapter"].astype(np.float32)
                lexical_weight = float(stored["lexical_weight"])
                no_answer = float(stored["no_answer"])
                quote_gap = float(stored["quote_gap"]) if "quote_gap" in stored else float("inf")
            about = json.loads(provenance.read_text(encoding="utf-8")) if provenance.is_file() else {}
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot read the answer model {parameters} ({exc}); refit it with `privacy-assistant train`"
            ) from None
        if adapter.ndim != 2 or adapter.shape[0] != adapter.shape[1]:
            raise ConfigurationError(f"{parameters}: the adapter is {adapter.shape}, not a square matrix")
        return cls(adapter, lexical_weight, no_answer, about, quote_gap)

    def save(self, parameters: Path = PARAMETERS, provenance: Path = PROVENANCE) -> None:
        # Half precision: the adapter is near the identity, and 16 bits keep its effect (checked by the tests).
        np.savez_compressed(
            parameters,
            adapter=self.adapter.astype(np.float16),
            lexical_weight=np.float32(self.lexical_weight),
            no_answer=np.float32(self.no_answer),
            quote_gap=np.float32(self.quote_gap),
        )
        provenance.write_text(json.dumps(self.provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def adapt(self, vector: np.ndarray) -> np.ndarray:
        """The question's vector as the model compares it with units: mapped, then unit length."""
        mapped = np.asarray(vector, dtype=np.float32) @ self.adapter
        norm = float(np.linalg.norm(mapped))
        return mapped / norm if norm else mapped

    def score(self, similarity: float, lexical: float) -> float:
        """A unit's relevance from its adapted cosine and its BM25 score scaled to the best unit's (0..1)."""
        return similarity + self.lexical_weight * lexical

    def margin(self, best_score: float) -> float:
        """How far the best unit's score is above "the policy does not answer this"."""
        return best_score - self.no_answer
