"""Kill the process between confirmation and commit, restart: the request exists once or not at all,
and the visitor is told which."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from assistant import Assistant
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow  # each test starts processes or servers, or drives them hard

# Runs in a child process: confirm the conversation, and SIGKILL ourselves at a well-defined point of
# the request's transaction, through SQLAlchemy's own session events (nothing of ours is replaced).
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from assistant import Assistant
    from assistant.requests.models import RequestRecord

    point, corpus, data_dir, database_url, conversation_id = sys.argv[1:]

    @event.listens_for(Session, "after_flush")
    def _flushed(session, context):
        if any(isinstance(o, RequestRecord) for o in session.new):
            session.info["request"] = True
            if point == "before_commit":  # the INSERT is sent, the COMMIT never is
                os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(Session, "after_commit")
    def _committed(session):
        if point == "after_commit" and session.info.get("request"):  # committed, never answered
            os.kill(os.getpid(), signal.SIGKILL)

    a = Assistant.open(corpus_dir=corpus, data_dir=data_dir, database_url=database_url)
    a.conversation(conversation_id).act("confirm")
    print("survived")
    """
)


def confirming_conversation(a: Assistant) -> str:
    conversation = a.conversation()
    turn = conversation.reply("Please delete all my data. I'm Jo Bloggs, jo@example.com")
    assert turn.intake["stage"] == "confirming", turn.reply
    return conversation.id


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_killed_between_confirmation_and_commit(point, fresh_assistant, data_dir, tmp_path, database_url):
    a = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=database_url)
    a.index()
    conversation_id = confirming_conversation(a)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(CORPUS), str(data_dir), database_url, conversation_id],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert "survived" not in child.stdout

    # "Restart": a new Assistant on the same database, as a new process would have.
    restarted = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=database_url)
    restarted.index()
    conversation = restarted.conversation(conversation_id)
    turn = conversation.reply("hello, did my request go through?")
    if point == "before_commit":
        assert restarted.requests.count() == 0  # not at all ...
        assert "it was not submitted" in turn.reply  # ... and the visitor is told so
        assert turn.intake["stage"] == "confirming"
        assert turn.actions == ["confirm", "cancel"]
        turn = conversation.act("confirm")
        assert turn.intake["stage"] == "submitted"
    else:
        [request] = restarted.requests.list()  # exactly once ...
        assert f"was submitted once, reference {request.reference}" in turn.reply  # ... and said so
        assert turn.intake["reference"] == request.reference
        again = conversation.act("confirm")  # a retried confirmation makes no second request
        assert "already submitted" in again.reply
    assert restarted.requests.count() == 1
    restarted.requests.close()
    a.requests.close()
