"""Term support: a question about something the policy never mentions is not answered from nearby text."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.retrieval.support import CACHED_VERSIONS, PolicyWords, TermSupport


def retrieve(assistant: Assistant, question: str):
    retriever = assistant.retriever
    return retriever.retrieve(question, retriever.versions_for(None))


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Do you store my data in Kubernetes?", "kubernetes"),
        ("Is the blockchain used for my records?", "blockchain"),
    ],
)
def test_a_word_the_policy_never_uses_makes_it_abstain(assistant: Assistant, question: str, word: str):
    found = retrieve(assistant, question)
    assert found.unsupported == word
    assert found.support < assistant.settings.min_term_support
    answer = assistant.ask(question)
    assert not answer.answerable
    assert "privacy@numecent.com" in answer.text  # pointed to the people who can answer


def test_words_the_policy_uses_are_supported(assistant: Assistant):
    found = retrieve(assistant, "Do you sell my personal data to third parties?")
    assert found.support > 0.6
    assert assistant.ask("Do you sell my personal data to third parties?").answerable


def test_a_typo_of_a_policy_word_is_forgiven(assistant: Assistant):
    question = "can i get a cpoy of my personal informaton"  # "copy", "information"
    found = retrieve(assistant, question)
    assert found.support >= assistant.settings.min_term_support
    assert found.coverage == 1.0
    assert assistant.ask(question).answerable


@pytest.mark.parametrize(
    ("word", "slip"),
    [
        ("lnog", True),  # two letters swapped
        ("adress", True),  # one missing
        ("informaton", True),
        ("addresss", True),  # one extra
        ("adbress", True),  # one wrong
        ("kubernetes", False),
        ("address", False),  # the word itself is no typo
        ("iso", False),  # short words are left alone
        ("sserdda", False),
        ("adrss", False),  # two letters missing
        ("logn", True),  # the last two swapped
        ("lonng", True),  # a letter doubled
        ("longer", False),  # two extra
    ],
)
def test_misspelt(word: str, slip: bool):
    assert PolicyWords({"long", "address", "information", "is"}).misspelt(word) is slip


def test_piece_vectors_come_from_the_same_pass_as_the_vector(assistant: Assistant):
    texts = ["Do you comply with HIPAA?", "How long do you keep my data? retain retention periods"]
    plain = assistant.embeddings.encode(texts)
    encoded = assistant.embeddings.encode_pieces(texts)
    assert np.allclose(plain, [e.vector for e in encoded], atol=1e-5)
    assert encoded[0].pieces == ("do", "you", "comply", "with", "hip", "##aa", "?")
    assert encoded[0].piece_vectors.shape == (7, 384)
    assert np.allclose(np.linalg.norm(encoded[1].piece_vectors, axis=1), 1.0, atol=1e-5)


def test_the_piece_cache_keeps_a_bounded_number_of_versions(assistant: Assistant):
    support = TermSupport(assistant.embeddings)
    units = assistant.retriever.units_of(assistant.retriever.versions_for(None)[0])[:3]
    for n in range(CACHED_VERSIONS + 2):
        support.pieces_of(f"version-{n}", units)
    assert list(support._pieces) == [f"version-{n}" for n in range(2, CACHED_VERSIONS + 2)]
