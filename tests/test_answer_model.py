"""The answer model: the packaged parameters, fitting on a problem with a known answer, and its use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.answering.model import PARAMETERS, AnswerModel
from assistant.cli import cli
from assistant.exceptions import ConfigurationError
from assistant.retrieval.embeddings import load_model
from assistant.retrieval.store import version_key
from evals.policies import read_sources
from evals.train import PolicyQuestions, fit, measure, operating_point


def test_the_packaged_model_is_small_and_says_where_it_came_from():
    model = AnswerModel.load()
    layers = load_model().low_rank
    # Two change matrices of rank 8 for each linear layer of the six transformer blocks.
    assert len(layers) == 36 and set(model.question_encoder) == {f"{n}.{m}" for n in layers for m in "ab"}
    assert {m.shape[0] for n, m in model.question_encoder.items() if n.endswith(".a")} == {8}
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


def test_the_question_encoder_changes_questions_only(assistant: Assistant):
    embeddings = assistant.embeddings
    question = "can u wipe my account"
    encoder = assistant.retriever.question_encoder
    assert encoder is not None
    asked = embeddings.encode_question(question, encoder)
    assert float(asked @ embeddings.encode_query(question)) < 0.999  # the question encoder differs ...
    # ... and MiniLM itself is untouched by it, before and after.
    plain = embeddings.encode([question])[0]
    assert np.allclose(plain, embeddings.encode_query(question), atol=1e-5)
    assert np.allclose(asked, embeddings.encode_questions([question], encoder)[0], atol=1e-5)
    assert embeddings.adapt_questions({}) is None
    assert np.allclose(embeddings.encode_question(question, None), plain, atol=1e-5)


def test_half_precision_keeps_what_the_question_encoder_does(tmp_path: Path, assistant: Assistant):
    packaged = AnswerModel.load()
    rng = np.random.default_rng(0)
    # Changes as large as fitting makes them, so 16 bits are tried where they matter.
    changes = {name: m + 0.02 * rng.standard_normal(m.shape) for name, m in packaged.question_encoder.items()}
    model = AnswerModel({n: m.astype(np.float32) for n, m in changes.items()}, 0.2, 0.3)
    model.save(tmp_path / "m.npz", tmp_path / "m.json")
    again = AnswerModel.load(tmp_path / "m.npz", tmp_path / "m.json")
    questions = ["How long do you keep my data?", "do u sell my info", "Who is your data protection officer?"]
    embeddings = assistant.embeddings
    before = embeddings.encode_questions(questions, embeddings.adapt_questions(model.question_encoder))
    after = embeddings.encode_questions(questions, embeddings.adapt_questions(again.question_encoder))
    assert np.abs(before - after).max() < 1e-3
    assert (again.lexical_weight, again.no_answer) == pytest.approx((0.2, 0.3), abs=1e-6)


def test_a_broken_parameters_file_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "answer_model.npz"
    broken.write_bytes(b"not a numpy archive")
    with pytest.raises(ConfigurationError, match="privacy-assistant train"):
        AnswerModel.load(broken, tmp_path / "none.json")


# Visitors of these made-up policies use made-up words for what the policies say: no pretrained model
# knows them, so only fitting can connect them, and only across policies if it learns the wording, not
# one policy's sentences.
TOPICS = {
    "blorp": [
        "You may ask us to delete the personal data we hold about you.",
        "You can request erasure of your information at any time.",
        "Deletion requests are handled by our support team.",
        "We will remove your data when you ask us to.",
    ],
    "quizzle": [
        "We retain your information for as long as your account is active.",
        "Records are stored for seven years and then destroyed.",
        "Data is kept only as long as necessary for the purposes described.",
        "We keep logs for ninety days.",
    ],
    "fropper": [
        "We share your data with service providers who process it for us.",
        "Your information may be disclosed to our partners and affiliates.",
        "Third parties that help us run the service receive some data.",
        "We pass contact details to our payment processor.",
    ],
    "snarf": [
        "We use cookies and similar technologies on our website.",
        "Our site places small files on your device to remember you.",
        "Tracking pixels and cookies help us measure visits.",
        "You can block cookies in your browser settings.",
    ],
}
FILLER = [
    "This policy was last updated in March.",
    "Our offices are located in several countries.",
    "The service is provided by a company registered in Delaware.",
    "Contact us by post at the address below.",
]
ASKING = ["can i {w} my stuff?", "how do you {w} things", "tell me about {w}", "what's your {w} policy"]


def nonce_policies(count: int) -> list[PolicyQuestions]:
    embeddings = load_model()
    policies = []
    for n in range(count):
        units = [sentences[n % len(sentences)] for sentences in TOPICS.values()] + FILLER
        vectors = embeddings.forward(units, 32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        queries, gold = [], []
        for t, word in enumerate(TOPICS):
            for asking in ASKING:
                queries.append(asking.format(w=word))
                gold.append([t])
        queries += [asking.format(w="wuzzle") for asking in ASKING]  # a word for nothing these policies say
        gold += [[] for _ in ASKING]
        plain = embeddings.forward(queries, 32)
        plain /= np.linalg.norm(plain, axis=1, keepdims=True)
        policies.append(
            PolicyQuestions(
                f"p{n}",
                "policies",
                vectors,
                plain,
                np.zeros((len(queries), len(units)), np.float32),
                gold,
                queries,
            )
        )
    return policies


@pytest.mark.slow
def test_fitting_learns_how_visitors_word_things_on_policies_it_never_saw():
    policies = nonce_policies(4)
    fitted = fit(policies[:3] * 8)  # the three policies, eight times over: enough steps to learn a word
    before = measure(AnswerModel.untrained(), policies[3:])
    after = measure(fitted, policies[3:])
    assert before["hit@3"] < 0.5 and after["hit@3"] >= 0.75
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
