"""A new version reviewed against the question bank: examples left without evidence, and examples
marked unanswerable that the new text answers."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.cli import cli
from assistant.corpus.documents import Corpus
from assistant.corpus.importing import add_version
from assistant.settings import get_settings
from tests.conftest import CORPUS, SEED_DOCUMENT

REMOVED = "This Privacy Policy will inform you as to how we look after your personal information"
ADDED = "\n\nWe store your personal information on Amazon Web Services servers in the United States.\n"


def next_version(tmp_path: Path) -> Path:
    seed = Corpus.load(CORPUS).versions(SEED_DOCUMENT)[-1].path.read_text(encoding="utf-8")
    body = seed.split("---\n", 2)[2]  # without the front matter: `corpus add` writes its own
    assert REMOVED in body
    sentence_start = body.index(REMOVED)
    sentence_end = body.index(".", sentence_start) + 1
    source = tmp_path / "next.md"
    source.write_text(body[:sentence_start] + body[sentence_end:] + ADDED, encoding="utf-8")
    return source


def test_corpus_add_reports_what_the_new_version_does_to_the_bank(
    assistant: Assistant, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(data_dir / "chroma", tmp_path / "data" / "chroma")  # the seed version, embedded once
    monkeypatch.setenv("PRIVACY_ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("PRIVACY_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        added = CliRunner().invoke(
            cli,
            [
                "corpus",
                "add",
                str(next_version(tmp_path)),
                "--document",
                SEED_DOCUMENT,
                "--effective",
                "2024-09-01",
            ],
        )
    finally:
        get_settings.cache_clear()
    assert added.exit_code == 0, added.output
    out = added.stdout
    assert "example(s) whose evidence numecent-privacy-policy 2024-09-01 no longer holds:" in out
    assert "'What is this privacy policy actually for?'" in out
    answered = out.split("marked unanswerable that numecent-privacy-policy 2024-09-01 may answer")[1]
    assert "'is my data stored on amazon web services?'" in answered  # the added sentence answers it
    # An example the new text does not answer either is not listed.
    assert "Mailchimp" not in answered


def test_the_version_the_bank_was_written_for_leaves_no_example_without_evidence(assistant: Assistant):
    review = assistant.review_bank(SEED_DOCUMENT, "2024-06-01")
    assert review is not None and review.stale == []
    # A first version has no earlier one to compare with: every unanswerable example it seems to answer
    # is listed, for a person to check the bank's label.
    assert all(not e.answerable for e in review.now_answered)
    assert assistant.review_bank("no-such-bank-document", "2024-06-01") is None


def test_the_validator_checks_bank_evidence_against_the_version_in_force(tmp_path: Path):
    from evals.validate import validate_bank

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    bank = corpus / SEED_DOCUMENT / "questions.jsonl"
    example = {"question": "What is this policy for?", "answerable": True, "evidence": [REMOVED]}
    bank.write_text(json.dumps(example) + "\n", encoding="utf-8")
    assert validate_bank(bank) == []
    add_version(corpus, next_version(tmp_path), SEED_DOCUMENT, date(2024, 9, 1), today=date(2025, 1, 1))
    assert validate_bank(bank, today=date(2024, 8, 31)) == []  # the old version is still in force
    [problem] = validate_bank(bank, today=date(2024, 9, 1))
    assert "is not in numecent-privacy-policy 2024-09-01, the version in force" in problem
