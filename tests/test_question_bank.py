"""The question bank: example questions steer retrieval to the passage that answered them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.exceptions import CorpusError, QuestionBankError
from assistant.retrieval.question_bank import QuestionBank, read_examples
from assistant.settings import PROJECT_ROOT
from tests.conftest import SEED_DOCUMENT

# An example tying an odd question to an odd passage, so the vote it casts is visible.
ADDRESS = "18565 Jamboree Rd, Ste 540, Irvine, CA 92612"
WEATHER = {"question": "what's the weather like at your office?", "answerable": True, "evidence": [ADDRESS]}
AI = {"question": "Do you train AI models on my data?", "answerable": False, "evidence": []}


def write_bank(folder: Path, rows: list[dict]) -> dict[str, Path]:
    """A bank of ``rows`` for the seed document, as ``Corpus.question_banks`` names it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return {SEED_DOCUMENT: path}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not valid JSON"),
        ('["a list"]', "must be a JSON object"),
        ('{"answerable": true, "evidence": ["x"]}', "needs a non-empty text 'question'"),
        ('{"question": "q?", "answerable": "yes", "evidence": ["x"]}', "needs 'answerable'"),
        ('{"question": "q?", "answerable": true, "evidence": "x"}', "'evidence' must be a list"),
        ('{"question": "q?", "answerable": true, "evidence": []}', "needs evidence"),
        ('{"question": "q?", "answerable": false, "evidence": ["x"]}', "needs evidence"),
    ],
)
def test_a_malformed_line_is_named_with_what_is_wrong(tmp_path: Path, line: str, problem: str):
    path = tmp_path / "doc.jsonl"
    path.write_text(json.dumps(AI) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(QuestionBankError, match=rf"doc.jsonl, line 2: .*{problem}"):
        read_examples(path)


def test_a_repeated_question_is_refused(tmp_path: Path):
    path = tmp_path / "doc.jsonl"
    path.write_text(
        json.dumps(AI) + "\n" + json.dumps({**AI, "question": "do you TRAIN AI models on my data"})
    )
    with pytest.raises(QuestionBankError, match="line 2: repeats the question of line 1"):
        read_examples(path)


def test_a_malformed_bank_stops_the_assistant_opening(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    (corpus / SEED_DOCUMENT / "questions.jsonl").write_text('{"question": ""}\n', encoding="utf-8")
    with pytest.raises(QuestionBankError, match=r"questions\.jsonl, line 1"):
        Assistant.open(corpus_dir=corpus, data_dir=tmp_path / "data")


def test_a_bank_for_a_folder_without_versions_is_refused(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    (corpus / "no-versions").mkdir()
    (corpus / "no-versions" / "questions.jsonl").write_text(json.dumps(AI) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"no-versions/questions\.jsonl.*holds no policy version"):
        Assistant.open(corpus_dir=corpus, data_dir=tmp_path / "data")


def test_the_shipped_bank_loads_and_its_evidence_is_in_the_policy(assistant: Assistant):
    bank = QuestionBank.load(assistant.corpus.question_banks, assistant.embeddings)
    examples = bank.examples[SEED_DOCUMENT]
    assert len(examples) >= 300
    version = assistant.retriever.versions_for(SEED_DOCUMENT)[0]
    answers = bank.answers(SEED_DOCUMENT, version.version, assistant.retriever.units_of(version))
    unmatched = [e.question for e, ids in zip(examples, answers, strict=True) if e.answerable and not ids]
    assert unmatched == []


def test_a_similar_question_votes_for_the_examples_passage(assistant: Assistant, tmp_path: Path):
    bank = QuestionBank.load(write_bank(tmp_path / "bank", [WEATHER, AI]), assistant.embeddings)
    retriever = assistant.retriever
    versions = retriever.versions_for(SEED_DOCUMENT)
    vector = assistant.embeddings.encode_query("how's the weather at your offices")
    found = bank.precedents(vector, [(v, retriever.units_of(v)) for v in versions], 0.6)
    assert found.answered > 0.6 > found.unanswered
    [(unit_id, similarity)] = found.votes.items()
    assert ADDRESS in retriever._units[unit_id].text and similarity == found.answered

    # An unrelated question is too far from the example to vote.
    far = assistant.embeddings.encode_query("Do you sell my personal information?")
    assert bank.precedents(far, [(v, retriever.units_of(v)) for v in versions], 0.6).votes == {}


def test_the_vote_lifts_the_passage_in_the_ranking(assistant: Assistant, tmp_path: Path):
    question = "how's the weather at your offices"
    retriever = assistant.retriever
    versions = retriever.versions_for(SEED_DOCUMENT)
    with_bank = retriever.model_copy()
    with_bank.bank = QuestionBank.load(write_bank(tmp_path / "bank", [WEATHER]), assistant.embeddings)
    without = retriever.model_copy()
    without.bank = None

    def address_score(r) -> float:
        scored = r.retrieve(question, versions, k=50).results
        return next((s.score for s in scored if ADDRESS in s.unit.text), 0.0)

    assert with_bank.retrieve(question, versions).results[0].unit.text.find(ADDRESS) >= 0
    assert address_score(with_bank) > address_score(without) + 0.1


def test_a_version_without_the_evidence_gets_no_vote(assistant: Assistant, tmp_path: Path):
    bank = QuestionBank.load(
        write_bank(tmp_path / "bank", [{**WEATHER, "evidence": ["text no version of the policy holds"]}]),
        assistant.embeddings,
    )
    retriever = assistant.retriever
    version = retriever.versions_for(SEED_DOCUMENT)[0]
    vector = assistant.embeddings.encode_query("what's the weather like at your office?")
    found = bank.precedents(vector, [(version, retriever.units_of(version))], 0.6)
    assert found.answered > 0.9 and found.votes == {}


def test_validate_names_evidence_that_the_version_in_force_lacks(tmp_path: Path):
    from evals.validate import validate_bank

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    [path] = write_bank(
        corpus / SEED_DOCUMENT, [WEATHER, {**WEATHER, "question": "office?", "evidence": ["Ste 999"]}]
    ).values()
    [problem] = validate_bank(path)
    assert (
        "'Ste 999' of 'office?' is not in numecent-privacy-policy 2024-06-01, the version in force" in problem
    )


def test_neighbourhood_features():
    import numpy as np

    from assistant.retrieval.question_bank import neighbourhood

    unanswered = np.array([False, True] * 6)
    similarity = np.linspace(0.9, 0.35, 12)[None, :]  # the answered example at 0.9 is the nearest
    [[answered, unanswered_best, share5, share10]] = neighbourhood(similarity, unanswered)
    assert answered == pytest.approx(0.9) and unanswered_best == pytest.approx(0.85)
    assert 0 < share5 < 0.5 and share10 < 0.5  # the nearest count most, and they are answered
    assert neighbourhood(similarity[:, ::-1], unanswered)[0, 2] > 0.5  # nearest now unanswered


def test_a_bank_of_one_kind_has_no_answerability_model(assistant: Assistant, tmp_path: Path):
    bank = QuestionBank.load(write_bank(tmp_path / "bank", [WEATHER]), assistant.embeddings)
    assert bank.model(SEED_DOCUMENT) is None
    retriever = assistant.retriever
    version = retriever.versions_for(SEED_DOCUMENT)[0]
    vector = assistant.embeddings.encode_query("what's the weather like at your office?")
    found = bank.precedents(vector, [(version, retriever.units_of(version))], 0.6)
    assert found.unanswerable == 0.0 and found.answered > 0.9


@pytest.mark.slow
def test_the_shipped_banks_examples_are_answered_as_labelled(assistant: Assistant):
    """The bank's own examples (every 8th): the mechanism holds on what it was given (training data,
    so this is no accuracy claim; the eval sets measure that)."""
    examples = assistant.question_bank.examples[SEED_DOCUMENT][::8]
    answers = [assistant.ask(e.question) for e in examples]
    agree = [a.answerable == e.answerable for e, a in zip(examples, answers, strict=True)]
    cited = [
        any(ev.lower() in " ".join(c.quote.split()).lower() for c in a.citations[:1] for ev in e.evidence)
        for e, a in zip(examples, answers, strict=True)
        if e.answerable and a.answerable
    ]
    assert sum(agree) / len(agree) >= 0.9
    assert sum(cited) / len(cited) >= 0.9


def test_the_examples_vectors_come_from_the_machines_vector_cache(assistant: Assistant, tmp_path: Path):
    """A bank ships with the corpus, like its text: its vectors are embedded once per machine, and a new
    process (a new bank) reads them back; changed examples are embedded anew."""
    import numpy as np

    from assistant.retrieval.embeddings import LocalEmbeddings
    from assistant.retrieval.scope import query_text
    from assistant.retrieval.vector_cache import VectorCache

    embeddings = LocalEmbeddings(cache=VectorCache(tmp_path / "cache"))
    first = QuestionBank.load(write_bank(tmp_path / "a", [WEATHER, AI]), embeddings).vectors(SEED_DOCUMENT)
    assert first.shape == (2, 384)

    # What the cache holds is what a bank uses (made visible here: a cache holding other vectors).
    other = VectorCache(tmp_path / "other")
    keys = [other._key(query_text(WEATHER["question"])), other._key(query_text(AI["question"]))]
    other._write({key: -row for key, row in zip(keys, first, strict=True)})
    reading = LocalEmbeddings(cache=other)
    again = QuestionBank.load(write_bank(tmp_path / "b", [WEATHER, AI]), reading).vectors(SEED_DOCUMENT)
    assert np.array_equal(again, -first)
    one = QuestionBank.load(write_bank(tmp_path / "c", [WEATHER]), reading).vectors(SEED_DOCUMENT)
    assert np.array_equal(one, -first[:1])

    added = {"question": "Where are your servers?", "answerable": False, "evidence": []}
    two = QuestionBank.load(write_bank(tmp_path / "d", [added]), reading).vectors(SEED_DOCUMENT)
    assert np.allclose(two[0], assistant.embeddings.encode([query_text(added["question"])])[0], atol=1e-5)


def test_the_answerability_model_is_fit_on_each_example_without_itself():
    """Blocks of rows give the features a whole similarity matrix gives, the diagonal left out."""
    import numpy as np

    from assistant.retrieval.question_bank import neighbourhood, own_neighbourhoods

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    unanswered = rng.random(50) < 0.3
    whole = vectors @ vectors.T
    np.fill_diagonal(whole, -1.0)
    assert np.allclose(own_neighbourhoods(vectors, unanswered, rows=7), neighbourhood(whole, unanswered))


def test_warming_reports_the_banks_embedding_as_it_goes(fresh_assistant: Assistant):
    """`serve` draws a bar from these reports (a first start on a machine embeds thousands of examples)."""
    reports: list[tuple[str, int, int]] = []
    fresh_assistant.warm(lambda document, done, total: reports.append((document, done, total)))
    total = len(fresh_assistant.question_bank.examples[SEED_DOCUMENT])
    assert len(reports) > 1 and reports[-1] == (SEED_DOCUMENT, total, total)
    done = [d for _, d, _ in reports]
    assert done == sorted(done) and all(t == total for _, _, t in reports)
