"""One turn at a time per conversation: a message sent twice, or a retry landing on another web process,
never overwrites what the other turn did (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from assistant import Assistant
from assistant.exceptions import ConversationBusyError
from assistant.requests.conversations import ConversationStore, _this_process
from assistant.requests.models import ConversationRecord
from assistant.requests.storage import utcnow
from tests.conftest import CORPUS


@pytest.fixture
def store(queue) -> ConversationStore:
    return ConversationStore(queue.storage)


def test_a_second_turn_waits_for_the_first_and_sees_its_state(store: ConversationStore):
    inside, leave, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with store.turn("conversation-1", "web") as state:
            assert state is None  # a new conversation
            inside.set()
            leave.wait(10)
            store.save("conversation-1", "web", {"stage": "collecting", "by": "first"})
            order.append("first")

    def second() -> None:
        with store.turn("conversation-1", "web") as state:
            order.append(("second saw", state))

    one = threading.Thread(target=first)
    one.start()
    assert inside.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive() and order == []  # waiting for the first turn
    leave.set()
    one.join(10)
    two.join(10)
    assert order == ["first", ("second saw", {"stage": "collecting", "by": "first"})]


def held_by(store: ConversationStore, conversation_id: str, token: str, until: timedelta) -> None:
    """As if a turn of another process held the conversation (``token``) until now + ``until``."""
    with store._sessions() as session, session.begin():
        session.execute(
            update(ConversationRecord)
            .where(ConversationRecord.id == conversation_id)
            .values(turn_token=token, turn_until=utcnow() + until)
        )


def test_a_turn_held_too_long_answers_busy(store: ConversationStore):
    with store.turn("conversation-2", "web"):
        waiting = store.turn("conversation-2", "web", wait_seconds=0.2)
        with pytest.raises(ConversationBusyError, match="still answering an earlier message") as busy:
            waiting.__enter__()
        assert busy.value.retry_after > 0


def test_a_hold_left_by_a_dead_process_is_taken_over(store: ConversationStore):
    with store.turn("conversation-3", "web"):
        pass
    machine = _this_process().rpartition("/")[0]
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    # Killed mid-turn on this machine: its process is gone, so the next turn need not wait.
    held_by(store, "conversation-3", f"{machine}/{finished.pid}/0123456789abcdef", timedelta(seconds=30))
    with store.turn("conversation-3", "web", wait_seconds=0.2):
        pass
    # A live process of this machine, or a process of another machine: waited for ...
    for token in (f"{machine}/{os.getpid()}/0123456789abcdef", "elsewhere/1/2/0123456789abcdef"):
        held_by(store, "conversation-3", token, timedelta(seconds=30))
        with pytest.raises(ConversationBusyError):
            store.turn("conversation-3", "web", wait_seconds=0.2).__enter__()
    # ... until the hold lapses.
    held_by(store, "conversation-3", "elsewhere/1/2/0123456789abcdef", timedelta(seconds=-1))
    with store.turn("conversation-3", "web", wait_seconds=0.2) as state:
        assert state is None  # nothing was ever saved


def test_a_conversation_opened_before_anothers_turn_continues_from_it(fresh_assistant: Assistant):
    """Two web processes each hold a Conversation for the same id; a turn on one, then on the other:
    the second starts from what the first saved, so the request being taken is not lost."""
    on_a = fresh_assistant.conversation()
    other = Assistant.open(
        corpus_dir=CORPUS,
        data_dir=fresh_assistant.settings.data_dir,
        database_url=fresh_assistant.settings.database_url,
    )
    on_b = other.conversation(on_a.id)  # read before the first turn: a new conversation then
    turn = on_a.reply("I'd like my data deleted, my name is Hannah Becker")
    assert turn.intake["stage"] == "collecting"
    turn = on_b.reply("hannah.b@example.com")
    assert turn.intake["stage"] == "confirming" and "Hannah Becker" in turn.intake["summary"]
    assert on_a.act("confirm").intake["stage"] == "submitted"
    assert fresh_assistant.requests.count() == 1
    roles = [role for _, role, _ in on_a.transcript()]
    assert roles == ["visitor", "assistant"] * 3


def test_the_same_message_sent_twice_at_once_is_answered_twice_in_turn(fresh_assistant: Assistant):
    conversation = fresh_assistant.conversation()
    conversation.reply("I'd like my data deleted, my name is Hannah Becker")
    twins = [fresh_assistant.conversation(conversation.id) for _ in range(2)]
    turns = []
    threads = [
        threading.Thread(target=lambda c=c: turns.append(c.reply("hannah.b@example.com"))) for c in twins
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Both saw the request being taken; the second found the summary shown, not a fresh start.
    assert sorted(t.intake["stage"] for t in turns) == ["confirming", "confirming"]
    texts = [text for _, _, text in conversation.transcript()]
    assert texts[2] == texts[4] == "hannah.b@example.com"  # visitor, assistant, visitor, assistant: in turn
    assert fresh_assistant.conversations.load(conversation.id)["stage"] == "confirming"
