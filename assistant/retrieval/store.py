"""Unit vectors in Chroma, through langchain-chroma, kept in step with the corpus by content digest.

Each stored unit carries the fingerprint of its version (a digest of its units as stored, and the model). ``sync``
compares fingerprints and re-embeds only the versions that changed; the rest costs one metadata read.
A version stored again takes its vectors from the machine's cache (``vector_cache.py``) for every
sentence embedded before, in any version or data folder, so only new text meets the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.units import PolicyUnit, parse_policy
from assistant.exceptions import ConfigurationError, StoreError
from assistant.retrieval.embeddings import DIMENSIONS, MODEL_NAME, LocalEmbeddings
from assistant.settings import Settings

COLLECTION = "policy_units"
_BATCH = 128
_PAGE = 5_000  # units per read of the stored fingerprints


def version_key(document: str, version: str) -> str:
    return f"{document}@{version}"


def fingerprint(version: PolicyVersion) -> str:
    """A digest of what the store holds for ``version``: each unit's id, embedded text and metadata, and
    the model. A parser change that alters a unit re-embeds the versions it alters, with nothing to bump."""
    digest = hashlib.sha256(MODEL_NAME.encode())
    for unit in parse_policy(version).units:
        digest.update(json.dumps([unit.id, unit.context, _metadata(unit, "")], sort_keys=True).encode())
    return digest.hexdigest()[:32]


@dataclass
class IndexReport:
    """What ``index()`` did: versions embedded, left as they were, and removed; and versions the server
    holds that this corpus lacks, left for the processes whose corpus has them."""

    embedded: list[str]
    unchanged: list[str]
    removed: list[str]
    units_embedded: int
    kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        kept = f", {len(self.kept)} of other corpora kept (--prune removes them)" if self.kept else ""
        return (
            f"{len(self.embedded)} version(s) embedded ({self.units_embedded} units), "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed{kept}"
        )


def make_client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigurationError(
                f"PRIVACY_ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL like http://host:8000"
            )
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class UnitStore:
    def __init__(self, settings: Settings, embeddings: LocalEmbeddings) -> None:
        self.embeddings = embeddings
        self.shared = settings.chroma_url is not None  # a server other processes' corpora may share
        try:
            self.client = make_client(settings)
            self.vectors = Chroma(
                collection_name=COLLECTION,
                embedding_function=embeddings,
                client=self.client,
                collection_metadata={"hnsw:space": "cosine"},
            )
        except ConfigurationError:
            raise
        except Exception as exc:  # chromadb raises many kinds; the user needs one line
            where = settings.chroma_url or settings.chroma_path
            raise StoreError(f"cannot open the vector store at {where}: {exc}") from exc

    @property
    def collection(self):
        return self.vectors._collection

    def stored_fingerprints(self) -> dict[str, set[str]]:
        """Each stored version's fingerprints, read a page at a time: Chroma (on disk or a server) refuses
        one read of more than 32,766 units ("too many SQL variables", SQLite's limit)."""
        stored: dict[str, set[str]] = {}
        offset = 0
        while True:
            page = self.collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            for meta in page["metadatas"] or []:
                stored.setdefault(str(meta["version_key"]), set()).add(str(meta["fingerprint"]))
            if len(page["ids"]) < _PAGE:
                return stored
            offset += _PAGE

    def sync(
        self,
        versions: Iterable[PolicyVersion],
        progress: Callable[[int, int], None] | None = None,
        prune: bool | None = None,
    ) -> IndexReport:
        """Store the units of ``versions`` that are not stored as they are now, and remove the stored
        versions ``versions`` lack: always from an index on disk (this data folder's own); from a shared
        server (``CHROMA_URL``) only when ``prune``, since another process's corpus may hold them (during
        a rolling deploy, the newer replica's new version). Answers only ever read this corpus's
        versions, so what is kept does not change them."""
        versions = list(versions)
        stored = self.stored_fingerprints()
        wanted = {version_key(v.document, v.version): v for v in versions}
        lacking = [key for key in stored if key not in wanted]
        prune = not self.shared if prune is None else prune
        stale, kept = (lacking, []) if prune else ([], lacking)
        prints = {key: fingerprint(v) for key, v in wanted.items()}
        changed = [v for key, v in wanted.items() if stored.get(key) != {prints[key]}]
        units = {version_key(v.document, v.version): parse_policy(v).units for v in changed}
        total = sum(len(u) for u in units.values())
        done = 0
        for key in stale:
            self.collection.delete(where={"version_key": key})
        for version in changed:
            key = version_key(version.document, version.version)
            self.collection.delete(where={"version_key": key})
            batch = units[key]
            for i in range(0, len(batch), _BATCH):
                chunk = batch[i : i + _BATCH]
                texts = [u.context for u in chunk]
                # Stored as LangChain's Chroma stores them; the vectors come from the machine's cache.
                self.collection.upsert(
                    ids=[u.id for u in chunk],
                    embeddings=self.embeddings.encode_shipped(texts),
                    documents=texts,
                    metadatas=[_metadata(u, prints[key]) for u in chunk],
                )
                done += len(chunk)
                if progress:
                    progress(done, total)
        unchanged = [key for key in wanted if key not in units]
        return IndexReport(list(units), unchanged, stale, total, kept)

    def search(self, query_vector: list[float], version_keys: list[str], k: int) -> list[tuple[str, float]]:
        """Unit ids and cosine similarities of the ``k`` nearest units within ``version_keys``."""
        where = (
            {"version_key": version_keys[0]}
            if len(version_keys) == 1
            else {"version_key": {"$in": version_keys}}
        )
        hits: list[tuple[Document, float]] = self.vectors.similarity_search_by_vector_with_relevance_scores(
            query_vector, k=k, filter=where
        )
        # Chroma's cosine space returns a distance: 1 - cosine similarity.
        return [(str(doc.id), 1.0 - distance) for doc, distance in hits]

    def vectors_of(self, key: str) -> tuple[list[str], np.ndarray]:
        """The ids and stored vectors of every unit of the version ``key``, one row per unit."""
        found = self.collection.get(where={"version_key": key}, include=["embeddings"])
        if not found["ids"]:
            return [], np.zeros((0, DIMENSIONS), dtype=np.float32)
        return list(found["ids"]), np.asarray(found["embeddings"], dtype=np.float32)


def _metadata(unit: PolicyUnit, fp: str) -> dict[str, str | int]:
    return {
        "document": unit.document,
        "version": unit.version,
        "version_key": version_key(unit.document, unit.version),
        "section": unit.section.name,
        "section_slug": unit.section.slug,
        "kind": unit.kind,
        "n": unit.n,
        "fingerprint": fp,
    }
