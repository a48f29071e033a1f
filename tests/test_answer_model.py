"""The answer model: the packaged parameters, fitting on a problem with a known answer, and its use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answering.model import PARAMETERS, AnswerModel
from assistant.cli import cli
from assistant.exceptions import ConfigurationError, InvalidInputError
from assistant.retrieval.store import version_key
from evals.policies import read_sources
from evals.train import PolicyQuestions, fit, measure, operating_point, quote_gap


def test_the_packaged_model_is_small_and_says_where_it_came_from():
    model = AnswerModel.load()
    assert model.adapter.shape == (384, 384)
    assert PARAMETERS.stat().st_size < 1_000_000  # committed with the code
    about = model.provenance
    assert about["command"] == "privacy-assistant train"
    assert {"policyqa-dev.json", "corpus/numecent-privacy-policy/questions.jsonl"} <= set(about["data"])
    assert all(len(digest) == 64 for digest in about["data"].values())
    folds = [set(fold["policies"]) for fold in about["held_out_by_policy"].values()]
    # Each dev policy is measured once, by the model of the fold that left it out.
    assert len(folds) == 2 and not folds[0] & folds[1]
    dev = {d for d, s in read_sources().items() if s["split"] == "dev"}
    assert folds[0] | folds[1] == dev
    assert all(f["fitted"]["questions"] > 0 for f in about["held_out_by_policy"].values())


def test_half_precision_keeps_what_the_adapter_does(tmp_path: Path):
    rng = np.random.default_rng(0)
    model = AnswerModel(np.eye(384, dtype=np.float32) + 0.05 * rng.standard_normal((384, 384)), 0.2, 0.3)
    model.save(tmp_path / "m.npz", tmp_path / "m.json")
    again = AnswerModel.load(tmp_path / "m.npz", tmp_path / "m.json")
    vectors = rng.standard_normal((20, 384)).astype(np.float32)
    for v in vectors:
        assert np.abs(model.adapt(v) - again.adapt(v)).max() < 1e-3
    assert (again.lexical_weight, again.no_answer) == pytest.approx((0.2, 0.3), abs=1e-6)


def test_a_broken_parameters_file_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "answer_model.npz"
    broken.write_bytes(b"not a numpy archive")
    with pytest.raises(ConfigurationError, match="privacy-assistant train"):
        AnswerModel.load(broken, tmp_path / "none.json")


def synthetic_policies(count: int, wording: np.ndarray, rng: np.random.Generator) -> list[PolicyQuestions]:
    """Policies whose visitors word things their own way (a fixed linear map of the policy's vectors), with
    questions the policy does not answer (vectors near none of its units)."""
    policies = []
    for n in range(count):
        units = rng.standard_normal((60, 384)).astype(np.float32)
        units /= np.linalg.norm(units, axis=1, keepdims=True)
        gold = [[int(i)] for i in rng.integers(0, 60, 300)] + [[] for _ in range(150)]
        queries = np.array(
            [
                units[g[0]] @ wording + 0.05 * rng.standard_normal(384) if g else rng.standard_normal(384)
                for g in gold
            ],
            dtype=np.float32,
        )
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        policies.append(
            PolicyQuestions(f"p{n}", "policies", units, queries, np.zeros((450, 60), np.float32), gold)
        )
    return policies


@pytest.mark.slow
def test_fitting_learns_how_visitors_word_things_on_policies_it_never_saw():
    rng = np.random.default_rng(16)
    wording = (
        0.3 * np.eye(384) + rng.standard_normal((384, 16)) @ rng.standard_normal((16, 384)) / 20
    ).astype(np.float32)
    policies = synthetic_policies(6, wording, rng)
    fitted = fit(policies[:4])
    before = measure(AnswerModel.identity(384), policies[4:])
    after = measure(fitted, policies[4:])
    assert before["hit@1"] < 0.4 and after["hit@1"] > 0.9
    assert before["auc"] < 0.7 and after["auc"] > 0.9  # "no answer" is told from an answer


def test_the_operating_point_handles_the_most_questions_right():
    judged = {
        "margin": np.array([0.30, 0.20, 0.05, -0.02, 0.04, -0.10, -0.20, 0.00]),
        "answerable": np.array([True, True, True, True, False, False, False, False]),
        "hit@3": np.array([True, True, True, False, False, False, False, False]),
    }
    # Between 0.04 and 0.05 all seven are handled right: the three found answers kept, the four
    # unanswerable declined. The answerable one at -0.02 had no evidence found, so declining it costs nothing.
    assert operating_point(judged) == pytest.approx(0.045)
    judged["hit@3"][3] = True  # now it is worth keeping, but not at the price of two declines
    assert operating_point(judged) == pytest.approx(0.045)


def test_the_quote_gap_is_the_smallest_that_quotes_as_much_evidence_as_every_passage():
    # Per answered question, each passage it may quote: its margin below the likeliest's, whether it
    # holds the retriever's best-ranked unit (quoted whatever its margin), whether it holds the evidence.
    shown = [
        [(0, True, True), (0.01, False, False), (0.5, False, False)],
        [(0, True, False), (0.04, False, True)],
        [(0, False, False), (0.02, False, False), (0.3, True, True)],
        [(0, True, False)],
        [(0, True, False), (0.3, False, False), (0.4, False, False)],
    ]
    gap, figures = quote_gap(shown)
    # The second passage 0.04 below the first is the furthest evidence not already quoted as the
    # retriever's best; quoting beyond it adds no answer.
    assert 0.04 < gap < 0.3
    assert figures["recall"] == figures["recall_quoting_all"] == 0.6
    assert figures["precision"] > figures["precision_quoting_all"]


def test_no_answered_question_is_a_clear_error_not_a_quote_gap():
    with pytest.raises(InvalidInputError, match="no left-out dev question was answered"):
        quote_gap([])


def test_the_packaged_quote_gap_round_trips(tmp_path: Path):
    model = AnswerModel(np.eye(384, dtype=np.float32), 0.2, 0.3, quote_gap=0.125)
    model.save(tmp_path / "m.npz", tmp_path / "m.json")
    assert AnswerModel.load(tmp_path / "m.npz", tmp_path / "m.json").quote_gap == pytest.approx(0.125)
    assert AnswerModel.load().quote_gap == pytest.approx(
        AnswerModel.load().provenance["quote_gap"]["gap"], abs=1e-4
    )


def test_train_without_the_data_folder_says_where_it_looks(tmp_path: Path):
    result = CliRunner().invoke(
        cli, ["train", "--shared", str(tmp_path / "absent"), "--out", str(tmp_path / "m.npz")]
    )
    assert result.exit_code != 0
    assert "../shared/data" in str(result.exception) + result.output
    assert not (tmp_path / "m.npz").exists()


def test_every_answer_says_why(assistant: Assistant):
    answered = assistant.ask("How long do you keep my data?")
    assert answered.answerable and answered.reasons[0].startswith("answer model: margin +")
    declined = assistant.ask("What is the capital of France?")
    assert not declined.answerable and declined.reasons


def test_the_in_memory_search_finds_what_the_stores_search_finds(assistant: Assistant):
    retriever = assistant.retriever
    version = retriever.versions_for(None)[0]
    key = version_key(version.document, version.version)
    ids, vectors = retriever.unit_vectors([key])
    assert sorted(ids) == sorted(u.id for u in retriever.units_of(version))
    for question in ("How long do you keep my CV?", "Do you use cookies for advertising?"):
        vector = assistant.embeddings.encode_query(question)
        by_store = [unit_id for unit_id, _ in retriever.store.search(vector.tolist(), [key], 5)]
        assert [ids[n] for n in np.argsort(-(vectors @ vector))[:5]] == by_store


def test_a_version_the_store_does_not_hold_has_no_vectors(assistant: Assistant):
    ids, vectors = assistant.retriever.store.vectors_of(version_key("no-such-policy", "2024-01-01"))
    assert ids == [] and vectors.shape == (0, 384)
