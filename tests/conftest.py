"""Shared fixtures: one real Assistant (real model, real Chroma) per test session."""

from __future__ import annotations

import os
import re
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
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        # Each of the workers (one per core) runs its own forward passes: more threads would spin
        # against the other worker's, as they do against concurrent requests in `serve`.
        torch.set_num_threads(1)
    a = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir)
    a.index()
    return a


# -- rights requests (issue 4): the queue on SQLite and on a real PostgreSQL -------------------------
POSTGRES_URL = os.environ.get("PRIVACY_ASSISTANT_TEST_POSTGRES_URL")


def _engine(url: str, **options):
    from sqlalchemy import create_engine

    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), **options)


def reset_postgres(url: str) -> None:
    """An empty public schema, so each test starts from the migrations."""
    engine = _engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def worker_postgres(url: str) -> str:
    """Under pytest-xdist, a database of this worker's own on the test server (made at first use), so
    workers never empty each other's schema; else ``url`` itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_{worker}"
    server = _engine(
        base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        exists = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def fresh_postgres() -> str:
    """The test server's URL (this worker's database), its schema emptied; skips (saying why) when no
    server was given."""
    if not POSTGRES_URL:
        pytest.skip(
            "PRIVACY_ASSISTANT_TEST_POSTGRES_URL is not set; .ci/postgres starts a server and prints it"
        )
    url = worker_postgres(POSTGRES_URL)
    reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'requests.db'}"
    return fresh_postgres()


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


# -- the web service (issue 5): a real uvicorn process on loopback -----------------------------------
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import httpx  # noqa: E402


@dataclass
class LiveServer:
    """``privacy-assistant serve`` running in its own process; ``log`` is its stderr (the server log)."""

    url: str
    api_origin: str
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


# Debian's chromium, driven by Playwright; the network is closed, so nothing phones home.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(env: dict[str, str], log: Path, url: str, ready_seconds: float = 180):
    """``privacy-assistant serve`` with ``env``, its output in ``log``, until ``url``/readyz answers."""
    command = [sys.executable, "-m", "assistant.cli", "serve"]
    with running(command, env, log, f"{url}/readyz", ready_seconds) as process:
        yield process


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, ready_url: str, ready_seconds: float):
    """``command`` in a process of its own, its output in ``log``, until ``ready_url`` answers 200; the
    process is stopped on leaving."""
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + ready_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(command)} exited with {process.returncode}:\n{log.read_text()}"
                )
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} did not answer in {ready_seconds:.0f} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prometheus_sample(text: str, name: str, **labels: str) -> float:
    """The value of the ``/metrics`` sample ``name`` with exactly ``labels``."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)\{(.*)\} (\S+)", line)
        if (
            match
            and match.group(1) == name
            and dict(re.findall(r'(\w+)="([^"]*)"', match.group(2))) == labels
        ):
            return float(match.group(3))
    raise AssertionError(f"{name} {labels} missing from /metrics")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(assistant: Assistant, data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The page is served as http://127.0.0.1:PORT and the widget talks to http://localhost:PORT, so the
    browser really makes cross-origin calls (CORS) as it would on a customer's site."""
    port = free_port()
    page_origin, api_origin = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),  # indexed by the session's assistant
        "PRIVACY_ASSISTANT_PORT": str(port),
        "PRIVACY_ASSISTANT_PUBLIC_BASE_URL": api_origin,
        "PRIVACY_ASSISTANT_WIDGET_API_ORIGIN": api_origin,
        "PRIVACY_ASSISTANT_CORS_ORIGINS": page_origin,
        "PRIVACY_ASSISTANT_RATE_LIMIT": "600",
    }
    with serving(env, log, page_origin) as process:
        yield LiveServer(url=page_origin, api_origin=api_origin, log=log, process=process)
