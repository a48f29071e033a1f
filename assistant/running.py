"""The running servers of a data folder: each ``serve`` process announces itself in
``DATA_DIR/servers/<pid>.json`` while it serves, and ``privacy-assistant ask`` asks one of them rather
than loading the model again.

The announcements live in the data folder, so a command talks only to a server of its own deployment
(same corpus, same index), never to whatever listens on a port. A stale one (the server was killed)
costs at most one refused connection, after which the command answers by itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

from assistant.exceptions import InvalidInputError
from assistant.settings import Settings

SERVERS = "servers"
CONNECT_SECONDS = 0.5  # a live server on this machine accepts at once
ANSWER_SECONDS = 60.0  # a busy server still answers; past this, answering here is no quicker


def announcement(settings: Settings) -> Path:
    """This process's announcement."""
    return settings.data_dir / SERVERS / f"{os.getpid()}.json"


@contextmanager
def announced(settings: Settings) -> Iterator[None]:
    """While the block runs (the server serves), say where, in this process's announcement (mode 0600)."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    path = announcement(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"url": f"http://{host}:{settings.port}", "pid": os.getpid()}, out)
    try:
        yield
    finally:
        with suppress(OSError):
            path.unlink()


def announced_urls(settings: Settings) -> list[str]:
    """The URLs of the live servers announced for this data folder, the latest started first."""
    folder = settings.data_dir / SERVERS
    paths = sorted(folder.glob("*.json"), key=_started, reverse=True) if folder.is_dir() else []
    urls = []
    for path in paths:
        try:
            announced_by = json.loads(path.read_text(encoding="utf-8"))
            os.kill(int(announced_by["pid"]), 0)  # raises when no such process: a stale announcement
            urls.append(str(announced_by["url"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return urls


def _started(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def ask_server(
    settings: Settings, question: str, document: str | None, as_of: date | None
) -> dict[str, Any] | None:
    """The answer of a server announced for this data folder (``Answer.to_dict()``'s shape), or None
    when none is announced or it does not answer. Its refusals (a bad question) are raised as ours."""
    urls = announced_urls(settings)
    if not urls:
        return None
    import httpx

    body = {"question": question, "document": document, "as_of": as_of.isoformat() if as_of else None}
    try:
        response = httpx.post(
            f"{urls[0]}/api/ask", json=body, timeout=httpx.Timeout(ANSWER_SECONDS, connect=CONNECT_SECONDS)
        )
    except httpx.HTTPError:
        return None
    if response.status_code in (400, 404, 413, 422):
        raise InvalidInputError(_error_of(response))
    if response.status_code != 200:
        return None  # overloaded or failing: answer here instead
    return response.json()


def _error_of(response: Any) -> str:
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return f"the server refused the question (HTTP {response.status_code})"
