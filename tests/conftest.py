"""Shared fixtures: one real Assistant (real model, real Chroma) per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant import Assistant
from assistant.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
SEED_DOCUMENT = "numecent-privacy-policy"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def assistant(data_dir: Path) -> Assistant:
    """The shipped corpus, indexed once into a Chroma store of the session's own."""
    a = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir)
    a.index()
    return a
