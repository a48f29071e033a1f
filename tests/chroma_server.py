"""A real Chroma server (``chroma run`` from the virtualenv) on loopback, for the tests and the benchmark
that run the assistant against ``PRIVACY_ASSISTANT_CHROMA_URL`` instead of Chroma on disk."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port, running


def chroma_command() -> str:
    """The ``chroma`` CLI installed beside this interpreter (chromadb ships it), else the one on PATH."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("no `chroma` command: install chromadb into this virtualenv")
    return found


@contextmanager
def chroma_server(path: Path, log: Path, ready_seconds: float = 120) -> Iterator[str]:
    """``chroma run`` keeping its data in ``path`` and its output in ``log``; yields the server's URL once
    its heartbeat answers, and stops the server afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [chroma_command(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    with running(command, env, log, f"{url}/api/v2/heartbeat", ready_seconds):
        yield url
