"""Past one machine (issue 21 item 7): two ``privacy-assistant serve`` processes, each with a data folder
of its own, over one Chroma server and one PostgreSQL, behave as one service behind a load balancer.

A visitor's turns and the team's calls land on either process: the answers are the same, a chat goes on
where the other process left it, and every request event, mail and audit link happens once.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from chromadb.api.types import GetResult
from cryptography.fernet import Fernet

from assistant import Assistant
from assistant.requests.audit import verify_audit
from assistant.retrieval import store as store_module
from assistant.retrieval.store import version_key
from tests.chroma_server import chroma_server
from tests.conftest import CORPUS, free_port, fresh_postgres, prometheus_sample, serving
from tests.requests_support import code_and_token
from tests.smtp_server import Inbox, smtp_server
from tests.web_team_support import ADMIN, TEAM, enrol

pytestmark = [pytest.mark.postgres, pytest.mark.chroma_server, pytest.mark.slow]  # starts four processes

PUBLIC = "http://privacy.example.test"  # the balancer's address: citation links must not name a process
QUESTIONS = ["How long do you keep my data?", "Do you sell my personal information?", "Do you use cookies?"]


@dataclass
class Pair:
    """Two web processes (``a`` and ``b``: clients on each), the mail they send, and an assistant with
    their settings for looking behind the API (the index, the audit trail)."""

    a: httpx.Client
    b: httpx.Client
    inbox: Inbox
    data_dirs: list[Path]
    operator: Assistant

    def mail_to(self, address: str, seconds: float = 60) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while not (found := [m for m in self.inbox.messages if m["To"] == address]):
            assert time.monotonic() < deadline, f"no mail to {address} in {seconds:.0f} s"
            time.sleep(0.1)
        return found


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """The shipped corpus indexed once into a Chroma server, then two processes started side by side on
    it, on one PostgreSQL, one encryption key and one SMTP server; each runs its own outbox worker."""
    database = fresh_postgres()
    folder = tmp_path_factory.mktemp("two-processes")
    inbox = Inbox()
    with ExitStack() as stack:
        chroma = stack.enter_context(chroma_server(folder / "chroma", folder / "chroma.log"))
        smtp = stack.enter_context(smtp_server(inbox))
        settings = {
            "chroma_url": chroma,
            "database_url": database,
            "encryption_key": Fernet.generate_key().decode(),
            "smtp_url": smtp,
            "public_base_url": PUBLIC,
            "rate_limit": 0,
            "outbox_poll_seconds": 1,  # the other process's worker looks often for mail to take too
        }
        started = time.monotonic()
        operator = Assistant.open(corpus_dir=CORPUS, data_dir=folder / "operator", **settings)
        operator.index()
        indexed = time.monotonic() - started
        common = {
            "PATH": "/usr/bin:/bin",
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            **{f"PRIVACY_ASSISTANT_{name.upper()}": str(value) for name, value in settings.items()},
        }
        data_dirs = [folder / "a" / "data", folder / "b" / "data"]
        urls = [f"http://127.0.0.1:{free_port()}" for _ in data_dirs]
        logs = [folder / f"serve-{name}.log" for name in "ab"]
        stack.callback(no_errors_logged, logs)  # runs once both have stopped
        started = time.monotonic()

        def start(n: int) -> float:
            env = {
                **common,
                "PRIVACY_ASSISTANT_DATA_DIR": str(data_dirs[n]),
                "PRIVACY_ASSISTANT_PORT": urls[n].rsplit(":", 1)[1],
            }
            stack.enter_context(serving(env, logs[n], urls[n], ready_seconds=600))
            return time.monotonic() - started

        with ThreadPoolExecutor(2) as pool:  # both start (and migrate the empty database) at once
            ready = list(pool.map(start, range(2)))
        print(f"\nindexed in {indexed:.1f} s; two processes ready in {ready[0]:.1f} s and {ready[1]:.1f} s")
        stack.callback(operator.requests.close)  # opened only now, so the processes migrated the database
        TEAM.clear()
        TEAM.update(enrol(operator))
        a = stack.enter_context(httpx.Client(base_url=urls[0], timeout=120))
        b = stack.enter_context(httpx.Client(base_url=urls[1], timeout=120))
        yield Pair(a=a, b=b, inbox=inbox, data_dirs=data_dirs, operator=operator)


def no_errors_logged(logs: list[Path]) -> None:
    for log in (log for log in logs if log.exists()):
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line or " 500 " in line]
        assert not errors, f"{log.name} logged errors:\n" + "\n".join(errors[:20])


def test_a_question_gets_the_same_cited_answer_from_either_process(pair: Pair):
    for process in (pair.a, pair.b):
        ready = process.get("/readyz").json()
        assert ready == {"status": "ready", "checks": {"index": "ok", "requests": "ok"}, "audit": "ok"}
    for question in QUESTIONS:
        on_a = pair.a.post("/api/ask", json={"question": question})
        on_b = pair.b.post("/api/ask", json={"question": question})
        assert on_a.status_code == on_b.status_code == 200
        assert on_a.json() == on_b.json()
        assert on_a.json()["answerable"] and on_a.json()["citations"], question
        assert all(c["url"].startswith(f"{PUBLIC}/policy/") for c in on_a.json()["citations"])
    # Neither process has a vector store of its own: both read the server's.
    assert [(d / "chroma").exists() for d in pair.data_dirs] == [False, False]
    assert pair.operator.retriever.store.collection.count() > 0


def test_a_rights_request_moves_between_the_processes_and_happens_once(pair: Pair):
    address = "two.processes@example.com"
    turn = pair.a.post("/api/chat", json={"message": f"Please delete all my data, my email is {address}"})
    cid = turn.json()["conversation_id"]
    assert turn.json()["intake"]["missing"] == ["name"]
    turn = pair.b.post("/api/chat", json={"conversation_id": cid, "message": "Jo Twoprocess"}).json()
    assert turn["conversation_id"] == cid and turn["intake"]["stage"] == "confirming", turn
    assert address in turn["intake"]["summary"]  # B read what the visitor told A

    submitted = pair.a.post("/api/chat", json={"conversation_id": cid, "action": "confirm"}).json()
    assert submitted["conversation_id"] == cid and submitted["intake"]["stage"] == "submitted"
    reference = submitted["intake"]["reference"]

    (mail,) = pair.mail_to(address)
    code, _ = code_and_token(mail)
    verified = pair.b.post("/api/chat", json={"conversation_id": cid, "message": code}).json()
    assert verified["conversation_id"] == cid and "confirmed" in verified["reply"], verified

    listed = pair.a.get("/api/team/requests", params={"status": "verified"}, headers=TEAM).json()
    assert [r["reference"] for r in listed["requests"]] == [reference]
    assigned = pair.b.post(
        f"/api/team/requests/{reference}/assign", json={"assignee": "bo@numecent.com"}, headers=TEAM
    )
    assert assigned.status_code == 200, assigned.text
    moved = pair.a.post(
        f"/api/team/requests/{reference}/transition", json={"status": "in_progress"}, headers=TEAM
    )
    assert moved.status_code == 200, moved.text

    shown = [p.get(f"/api/team/requests/{reference}", headers=TEAM).json() for p in (pair.a, pair.b)]
    assert shown[0] == shown[1]
    assert shown[0]["status"] == "in_progress" and shown[0]["assignee"] == "bo@numecent.com"
    assert [(e["kind"], e["actor"], e["detail"].get("to")) for e in shown[0]["events"]] == [
        ("submitted", "requester", None),
        ("status_changed", "requester", "verified"),
        ("requester_notified", "requester", None),
        ("assigned", ADMIN, None),
        ("status_changed", ADMIN, "in_progress"),
    ]
    audit = verify_audit(pair.operator.requests.engine, pair.operator.requests.vault)
    assert audit.ok, audit.problems

    # Both processes' workers watch the one outbox: the mail went once, and nothing waits.
    time.sleep(2)
    assert len(pair.mail_to(address)) == 2  # the code, then word that the request is confirmed
    for process in (pair.a, pair.b):
        metrics = process.get("/metrics").text
        assert prometheus_sample(metrics, "privacy_assistant_outbox_messages", state="waiting") == 0


def test_turns_of_one_conversation_on_both_processes_at_once_all_get_answers(pair: Pair):
    """A retried or doubled turn may reach the other process while the first is still running."""
    cid = pair.a.post("/api/chat", json={"message": "hello"}).json()["conversation_id"]
    turns = [(process, question) for question in QUESTIONS * 4 for process in (pair.a, pair.b)]

    def send(turn: tuple[httpx.Client, str]) -> int:
        process, question = turn
        return process.post("/api/chat", json={"conversation_id": cid, "message": question}).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(send, turns))
    assert statuses == [200] * len(turns)
    transcript = pair.operator.conversations.transcript(cid)
    assert len(transcript) == 2 * (1 + len(turns))  # each turn's message and reply, none lost


def test_messages_added_at_once_to_one_transcript_are_all_kept(pair: Pair):
    """The same race without HTTP: on PostgreSQL, writers that read the same last number all get in."""
    store, cid = pair.operator.conversations, "appended-at-once-0001"
    start = threading.Barrier(8)

    def add(n: int) -> None:
        start.wait()
        store.append(cid, "visitor", f"message {n}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(8)))
    assert sorted(text for _, _, text in store.transcript(cid)) == [f"message {n}" for n in range(8)]


def test_the_index_reads_what_the_server_holds_a_page_at_a_time(pair: Pair, monkeypatch: pytest.MonkeyPatch):
    """Chroma refuses one read of more than 32,766 units (bench/chroma_scale.py met it at 200 versions),
    which failed every start past that; pages of 7 units here stand in for pages of thousands."""
    collection = pair.operator.retriever.store.collection
    read = collection.get
    pages: list[int] = []

    def get(**options: Any) -> GetResult:
        page = read(**options)
        pages.append(len(page["ids"]))
        return page

    monkeypatch.setattr(store_module, "_PAGE", 7)
    monkeypatch.setattr(collection, "get", get)
    assert pair.operator.index().units_embedded == 0  # every version found as it was stored
    assert sum(pages) == collection.count() and max(pages) == 7 and pages[-1] < 7


def test_a_version_another_replica_serves_is_kept_until_pruned(pair: Pair, tmp_path: Path):
    """A rolling deploy: the newer replica's corpus holds a version the older one lacks. The older one
    opening the shared index must not delete it; `index --prune` does, once no replica serves it."""
    newer_corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, newer_corpus)
    (newer_corpus / "acme-privacy").mkdir()
    (newer_corpus / "acme-privacy" / "2026-01-01.md").write_text(
        "---\ndocument: acme-privacy\ntitle: Acme Privacy Notice\neffective: 2026-01-01\n---\n\n"
        "# Retention\n\nWe keep your order history for seven years, as tax law requires.\n",
        encoding="utf-8",
    )
    settings = pair.operator.settings
    newer = Assistant.open(
        settings=settings.model_copy(update={"corpus_dir": newer_corpus, "data_dir": tmp_path / "d"})
    )
    assert newer.index().embedded == [version_key("acme-privacy", "2026-01-01")]
    acme = version_key("acme-privacy", "2026-01-01")

    older = pair.operator.index()  # the older replica restarts on the shared server
    assert older.removed == [] and older.kept == [acme]
    assert "1 of other corpora kept" in str(older)
    answer = newer.ask("How long do you keep my order history?", document="acme-privacy")
    assert answer.answerable and "seven years" in answer.citations[0].quote

    pruned = pair.operator.index(prune=True)
    assert pruned.removed == [acme] and pruned.kept == []
    assert acme not in pair.operator.retriever.store.stored_fingerprints()
