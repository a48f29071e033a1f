"""Vectors of the texts the product ships (policy units, the classifiers' training files) by a digest
of what was embedded, shared by every data folder on the machine.

Versions of one policy share most of their sentences, and every new data folder (a test session, a
second web process, a restored deployment) indexes the same corpus again: each text is embedded once
per machine and model, and read back after. The cache is one SQLite file in ``CACHE_DIR``; several
processes may fill it at once. Losing it costs time, never correctness: a key names the model and
the exact text, so a vector is only ever reused for what produced it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.retrieval.embeddings import DIMENSIONS, MODEL_NAME

log = logging.getLogger(__name__)

FILE = "unit_vectors.sqlite"
_BUSY_SECONDS = 30.0  # another process writing its batch


class VectorCache:
    def __init__(self, cache_dir: Path | None, model: str = MODEL_NAME) -> None:
        self.path = cache_dir / FILE if cache_dir else None
        self.model = model

    def vectors(self, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """One vector per text: those embedded before from the cache, the others from ``embed``, kept."""
        keys = [self._key(text) for text in texts]
        found = self._read(sorted(set(keys)))
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys, strict=True) if key not in found))
        if missing:
            fresh = embed(missing)
            new = {self._key(text): row for text, row in zip(missing, fresh, strict=True)}
            self._write(new)
            found.update(new)
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{text}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=_BUSY_SECONDS)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
            )
            return connection
        except (OSError, sqlite3.Error) as error:  # read-only or damaged: embed as if there were no cache
            log.warning("the vector cache %s is unusable (%s); embedding without it", self.path, error)
            return None

    def _read(self, keys: list[str]) -> dict[str, np.ndarray]:
        connection = self._connect()
        if connection is None or not keys:
            return {}
        found: dict[str, np.ndarray] = {}
        try:
            with connection:
                for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
                    chunk = keys[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    for key, blob in connection.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                    ):
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if vector.shape == (DIMENSIONS,):
                            found[key] = vector
        except sqlite3.Error as error:
            log.warning("could not read the vector cache %s: %s", self.path, error)
            return {}
        finally:
            connection.close()
        return found

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        connection = self._connect()
        if connection is None:
            return
        try:
            with connection:
                connection.executemany(
                    "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)",
                    [(key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in vectors.items()],
                )
        except sqlite3.Error as error:  # full disk, say: the next index embeds these again
            log.warning("could not keep vectors in the cache %s: %s", self.path, error)
        finally:
            connection.close()
