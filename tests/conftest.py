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


# -- rights requests (issue 4): the queue on SQLite and on a real PostgreSQL -------------------------
POSTGRES_URL = os.environ.get("PRIVACY_ASSISTANT_TEST_POSTGRES_URL")


def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from the migrations."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'requests.db'}"
    if not POSTGRES_URL:
        pytest.skip(
            "PRIVACY_ASSISTANT_TEST_POSTGRES_URL is not set; .ci/postgres starts a server and prints it"
        )
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def queue_settings(tmp_path: Path, database_url: str):
    from assistant.settings import get_settings

    return get_settings().model_copy(
        update={"corpus_dir": CORPUS, "data_dir": tmp_path / "data", "database_url": database_url}
    )


@pytest.fixture
def queue(queue_settings):
    from assistant.prompts import load_prompts
    from assistant.requests import RequestQueue

    q = RequestQueue(queue_settings, load_prompts(queue_settings.prompts_dir))
    yield q
    q.close()


@pytest.fixture
def fresh_assistant(assistant: Assistant, data_dir: Path, tmp_path: Path) -> Assistant:
    """The indexed corpus of the session, with a request database of this test's own."""
    a = Assistant.open(
        corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'requests.db'}"
    )
    a.index()
    return a
