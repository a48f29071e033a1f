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
        ("lng", True),  # ... but a three-letter word may be a policy word with a letter missing
        ("lgo", False),  # ... and nothing else
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


def test_a_visitor_word_the_vocabulary_translates_is_not_judged(assistant: Assistant):
    # The policy never says "portability"; it says "request transfer", which the vocabulary maps it to.
    question = "Data portability: what format would I get my data exported in?"
    found = retrieve(assistant, question)
    assert found.unsupported != "portability"
    assert assistant.ask(question).answerable


def test_the_story_before_the_question_is_not_judged(assistant: Assistant):
    # "choirmaster" is nowhere in the policy; it is who asks, not what is asked.
    found = retrieve(assistant, "I'm a choirmaster. Can I ask you to delete my personal information?")
    assert found.unsupported != "choirmaster"
    assert retrieve(assistant, "Can a choirmaster ask you to delete personal information?").unsupported == (
        "choirmaster"
    )


def test_chat_shorthand_is_not_a_word_the_policy_lacks(assistant: Assistant):
    found = retrieve(assistant, "pls r u able to delete my email address")
    assert found.unsupported not in {"pls", "r", "u"}


def test_passage_support_is_lower_when_the_quoted_passages_miss_a_word(assistant: Assistant):
    # Both land on the sentence listing IP addresses; only one asks what it says.
    listed = retrieve(assistant, "Do you collect my IP address?")
    shortened = retrieve(assistant, "Do you truncate my IP address before storing it?")
    assert shortened.passage_support < listed.passage_support
    assert listed.passage_support >= assistant.settings.min_passage_support


def weakest_against(assistant: Assistant, question: str, passage: str, words: PolicyWords | None = None):
    """``TermSupport.weakest`` of ``question`` with the first unit holding ``passage`` as the quoted one."""
    retriever = assistant.retriever
    version = retriever.versions_for(None)[0]
    units = retriever.units_of(version)
    encoded = assistant.embeddings.encode_pieces([question])[0]
    quoted = next(u.id for u in units if passage in u.text)
    words = words if words is not None else retriever.policy_words([version])
    return TermSupport(assistant.embeddings).weakest(question, encoded, [("v", units)], words, [quoted])


def test_passage_support_is_judged_on_the_best_passages_only(assistant: Assistant):
    near = weakest_against(assistant, "Do you collect my IP address?", "IP")
    far = weakest_against(assistant, "Do you collect my IP address?", "under age 18")
    assert near.passages > far.passages
    assert near.value == far.value  # the whole policy's support does not depend on the passages


def test_passage_support_does_not_judge_a_typo(assistant: Assistant):
    # "adbress" is a slip of "address", as the policy-wide check knows; the passages are not asked for it.
    question = "Do you collect my IP adbress?"
    forgiving = weakest_against(assistant, question, "IP")
    strict = weakest_against(assistant, question, "IP", PolicyWords(()))
    assert strict.word == "adbress" and forgiving.word != "adbress"
    assert forgiving.passages > strict.passages
    assert forgiving.passages >= assistant.settings.min_passage_support


def test_an_everyday_word_the_policy_lacks_is_not_judged(assistant: Assistant):
    # "sister" is a whole word of MiniLM's vocabulary that the policy never uses; the policy still answers
    # ("Other companies in the Numecent Group acting as joint controllers or processors").
    question = "Can your sister companies see my personal data?"
    pieces = assistant.embeddings.word_pieces
    assert pieces("sister") == ["sister"] and len(pieces("kubernetes")) > 1
    assert "sister" not in assistant.retriever.policy_words(assistant.retriever.versions_for(None))
    found = retrieve(assistant, question)
    assert found.unsupported != "sister"
    assert found.support >= assistant.settings.min_term_support
    assert assistant.ask(question).answerable
