"""Concurrent queries share forward passes of the real model and get the vectors they would alone."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.retrieval.embeddings import QueryBatcher


def run_together(batcher: QueryBatcher, texts: list[str]) -> list[object]:
    results: list[object] = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def ask(i: int) -> None:
        start.wait()
        try:
            results[i] = batcher.embed(texts[i])
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_queries_share_passes_and_match_single_encodes(assistant):
    model = assistant.embeddings
    passes: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        passes.append(len(texts))
        return model.encode(texts)

    texts = [f"How long do you keep data about order {i}?" for i in range(16)]
    vectors = run_together(QueryBatcher(encode, max_batch=6), texts)
    assert sum(passes) == 16 and len(passes) < 16 and max(passes) <= 6
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, model.encode([text])[0], atol=1e-5)


def test_an_encoding_error_reaches_every_caller_and_the_batcher_recovers(assistant):
    failing = {"on": True}

    def encode(texts: list[str]) -> np.ndarray:
        if failing["on"]:
            raise RuntimeError("model unavailable")
        return assistant.embeddings.encode(texts)

    batcher = QueryBatcher(encode)
    results = run_together(batcher, ["a", "b", "c", "d"])
    assert all(isinstance(r, RuntimeError) for r in results)
    failing["on"] = False
    assert batcher.embed("cookies").shape == (384,)
    with pytest.raises(TypeError):
        batcher.embed(None)  # type: ignore[arg-type]  # the model's own error, passed on
    assert batcher.embed("cookies").shape == (384,)
