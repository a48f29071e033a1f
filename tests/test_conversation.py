"""The dialogue on the real model, real Chroma and a real SQLite: route, collect, confirm, cancel, restart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from assistant import Assistant, InvalidInputError
from tests.conftest import CORPUS


def outbox_code(a: Assistant, to: str) -> str:
    """The code in the latest verification mail to ``to`` (the outbox folder is shared by the session),
    once the outbox worker has delivered what is due."""
    a.outbox.deliver_due()
    body = [m for m in a.outbox.folder.messages() if m["To"] == to][-1].get_content()
    return re.search(r"^\s+(\d{6})\s*$", body, re.MULTILINE).group(1)


@pytest.fixture
def indexed(fresh_assistant: Assistant) -> Assistant:
    return fresh_assistant


def test_a_question_about_a_right_is_answered_and_a_request_offered(indexed):
    conversation = indexed.conversation()
    turn = conversation.reply("How do I delete my data?")
    assert turn.answer is not None and turn.answer.answerable
    assert turn.intake is None and turn.actions == []
    assert "start a request" in turn.reply
    assert indexed.requests.count() == 0
    turn = conversation.reply("yes, start a request")
    assert turn.intake["stage"] == "collecting"
    assert turn.intake["rights"] == ["erasure"]
    assert turn.intake["missing"] == ["name", "email"]
    assert turn.actions == ["cancel"]


def test_a_request_like_message_the_reader_is_unsure_of_is_asked_about_then_queued_for_triage(indexed):
    message = "what info do you have on me"
    verdict = indexed.intake_engine.classify(message)
    assert not verdict.is_request and verdict.uncertain  # the band this test is about (issue 18)
    conversation = indexed.conversation()
    turn = conversation.reply(message)
    assert turn.answer is None, "a request-like message is never answered as a policy question"
    assert turn.intake["stage"] == "collecting" and turn.intake["missing"][0] == "rights"
    assert "could not tell which right you mean" in turn.reply and "Which of your rights" in turn.reply
    turn = conversation.reply("I'm not sure, you decide")
    assert turn.intake["missing"] == ["name", "email"], turn.reply
    conversation.reply("Maya Lind")
    turn = conversation.reply("maya.lind@example.com")
    assert turn.intake["stage"] == "confirming" and "to be classified by our privacy team" in turn.reply
    turn = conversation.act("confirm")
    request = indexed.requests.get(turn.intake["reference"])
    assert request.needs_triage and request.rights == [] and request.email == "maya.lind@example.com"
    assert message in request.data_concerned  # the person who classifies it reads the message
    # A plain question about a right is still answered, with the offer.
    asked = indexed.conversation().reply("How do I delete my data?")
    assert asked.answer is not None and asked.intake is None and "start a request" in asked.reply


def test_missing_details_are_asked_one_at_a_time_then_summary_then_confirm(indexed):
    conversation = indexed.conversation()
    turn = conversation.reply("I want a copy of all the data you hold about me")
    assert turn.intake["stage"] == "collecting" and turn.intake["rights"] == ["access"]
    assert turn.intake["missing"][0] == "name" and "full name" in turn.reply
    turn = conversation.reply("Amelia Chen")
    assert turn.intake["missing"] == ["email"] and "e-mail" in turn.reply
    turn = conversation.reply("that's amelia at home")
    assert turn.intake["missing"] == ["email"] and "does not look like an e-mail address" in turn.reply
    turn = conversation.reply("amelia.chen@example.com")
    assert turn.intake["stage"] == "confirming"
    assert turn.actions == ["confirm", "cancel"]
    summary = turn.intake["summary"]
    assert "Amelia Chen" in summary and "amelia.chen@example.com" in summary and "access" in summary
    assert indexed.requests.count() == 0  # nothing until confirmed
    turn = conversation.act("confirm")
    assert turn.intake["stage"] == "submitted"
    request = indexed.requests.get(turn.intake["reference"])
    assert (request.rights, request.name, request.email) == (
        ["access"],
        "Amelia Chen",
        "amelia.chen@example.com",
    )
    assert turn.intake["due_at"] == request.due_at.isoformat()
    assert request.channel == "web"
    assert turn.actions == ["resend"]  # until the e-mailed code is typed
    # A double click: the same request, not a second one.
    assert "already submitted" in conversation.act("confirm").reply
    assert indexed.requests.count() == 1


def test_a_typed_yes_confirms_and_the_code_typed_in_chat_verifies(indexed):
    conversation = indexed.conversation()
    turn = conversation.reply("Unsubscribe me from marketing. Ben Owusu, typed.yes@example.com")
    assert turn.intake["stage"] == "confirming"
    turn = conversation.reply("yes")
    reference = turn.intake["reference"]
    assert indexed.requests.get(reference).status == "pending_verification"
    code = outbox_code(indexed, "typed.yes@example.com")
    wrong = conversation.reply("000000" if code != "000000" else "111111")
    assert "not accepted" in wrong.reply
    turn = conversation.reply(code)
    assert "confirmed" in turn.reply
    assert indexed.requests.get(reference).status == "verified"


def test_a_new_code_asked_for_in_german_is_sent_and_verifies(indexed):
    conversation = indexed.conversation()
    turn = conversation.reply("Please delete my data, I'm Uta Neumann")
    assert turn.intake["stage"] == "collecting"
    turn = conversation.reply("resend the code")  # nothing sent yet: say so, ask again
    assert turn.reply.startswith("No code has been sent yet") and turn.intake["missing"] == ["email"]
    turn = conversation.reply("uta.neumann@example.de")
    turn = conversation.reply("yes")
    reference = turn.intake["reference"]
    assert turn.actions == ["resend"]
    indexed.outbox.deliver_due()
    old = outbox_code(indexed, "uta.neumann@example.de")
    turn = conversation.reply("Ich habe die E-Mail nicht bekommen, bitte einen neuen Code")
    assert turn.answer is None and "u•••@example.de" in turn.reply
    indexed.outbox.deliver_due()
    code = outbox_code(indexed, "uta.neumann@example.de")
    if code != old:
        assert "not accepted" in conversation.reply(old).reply
    assert "confirmed" in conversation.reply(code).reply
    assert indexed.requests.get(reference).status == "verified"


@pytest.mark.parametrize("how", ["button", "typed"])
def test_cancel_works_at_every_step_and_nothing_is_submitted(indexed, how):
    def cancel(conversation):
        return conversation.act("cancel") if how == "button" else conversation.reply("cancel")

    # While collecting ...
    conversation = indexed.conversation()
    conversation.reply("Delete my account please")
    turn = cancel(conversation)
    assert turn.intake["stage"] == "cancelled" and "nothing was submitted" in turn.reply
    # ... after one answer ...
    conversation = indexed.conversation()
    conversation.reply("Delete my account please")
    conversation.reply("Jo Bloggs")
    assert cancel(conversation).intake["stage"] == "cancelled"
    # ... and at the summary.
    conversation = indexed.conversation()
    turn = conversation.reply("Delete my account please, I'm Jo Bloggs, jo@example.com")
    assert turn.intake["stage"] == "confirming"
    assert cancel(conversation).intake["stage"] == "cancelled"
    assert conversation.act("confirm").reply.startswith("There is no request waiting")
    assert indexed.requests.count() == 0


def test_conversations_that_never_confirm_submit_nothing(indexed):
    messages = [
        "Send me everything you have on me, jo@example.com, I'm Jo Bloggs",
        "no wait, my email is jo.bloggs@example.org",
        "What is Technical Data?",
    ]
    conversation = indexed.conversation()
    for message in messages:
        turn = conversation.reply(message)
    assert turn.intake is None or turn.intake["stage"] != "submitted"
    assert indexed.requests.count() == 0


def test_a_correction_at_the_summary_updates_the_draft(indexed):
    conversation = indexed.conversation()
    conversation.reply("Please erase my data. Jo Bloggs, jo@example.com")
    turn = conversation.reply("sorry, use jo.bloggs@example.org instead")
    assert turn.intake["stage"] == "confirming"
    assert "jo.bloggs@example.org" in turn.intake["summary"]
    turn = conversation.reply("my email is jo@@broken")
    assert "does not look like an e-mail address" in turn.reply
    assert "jo.bloggs@example.org" in turn.intake["summary"]


def test_a_question_in_the_middle_is_answered_and_the_field_asked_again(indexed):
    conversation = indexed.conversation()
    conversation.reply("Please delete my data")
    turn = conversation.reply("How long do you keep my data?")
    assert turn.answer is not None
    assert turn.intake["stage"] == "collecting" and "full name" in turn.reply


def test_a_conversation_survives_a_restart(indexed, tmp_path):
    conversation = indexed.conversation()
    conversation.reply("I'd like my data deleted, my name is Hannah Becker")
    restarted = Assistant.open(
        corpus_dir=CORPUS, data_dir=indexed.settings.data_dir, database_url=indexed.settings.database_url
    )
    restarted.index()
    again = restarted.conversation(conversation.id)
    turn = again.reply("hannah.b@example.com")
    assert turn.intake["stage"] == "confirming"
    assert "Hannah Becker" in turn.intake["summary"]
    assert again.act("confirm").intake["stage"] == "submitted"
    assert restarted.requests.count() == 1


def test_slack_requests_are_forwarded_by_an_employee(indexed):
    conversation = indexed.conversation(channel="slack")
    turn = conversation.reply("A customer asked us to delete her data: Grace Hall, grace.h@example.org")
    assert turn.intake["stage"] == "confirming"
    assert "Forwarded by an employee" in turn.intake["summary"]
    turn = conversation.act("confirm")
    request = indexed.requests.get(turn.intake["reference"])
    assert (request.on_behalf_of, request.channel) == ("employee_forwarding", "slack")


def test_requester_context_forces_who_asks(indexed):
    conversation = indexed.conversation(channel="web", requester_context={"on_behalf_of": "authorised_agent"})
    turn = conversation.reply("Please send me a copy of the data, Jane Holt, jane@example.com")
    assert turn.intake["missing"] == ["subject_name"]
    turn = conversation.reply("Daniel Ruiz")
    assert turn.intake["stage"] == "confirming" and "Daniel Ruiz" in turn.intake["summary"]
    with pytest.raises(InvalidInputError, match="on_behalf_of must be one of"):
        indexed.conversation(requester_context={"on_behalf_of": "the neighbour"})


def test_bad_input_is_refused_and_changes_nothing(indexed):
    conversation = indexed.conversation()
    with pytest.raises(InvalidInputError, match="51,200 characters long; write at most 10,000"):
        conversation.reply("delete my data " * 3413 + "xxxxx")
    with pytest.raises(InvalidInputError, match="message is empty"):
        conversation.reply("   \u200b ")
    with pytest.raises(InvalidInputError, match="unknown action"):
        conversation.act("approve")
    with pytest.raises(InvalidInputError, match="unknown channel"):
        indexed.conversation(channel="fax")
    with pytest.raises(InvalidInputError, match="conversation id"):
        indexed.conversation("../../etc/passwd")
    assert conversation.transcript() == []
    assert indexed.requests.count() == 0


def test_transcripts_are_kept_with_timestamps_and_purged_after_retention(indexed):
    conversation = indexed.conversation()
    conversation.reply("Hi")
    transcript = conversation.transcript()
    assert [role for _, role, _ in transcript] == ["visitor", "assistant"]
    assert transcript[0][2] == "Hi"
    assert all(isinstance(at, datetime) and at.tzinfo for at, _, _ in transcript)
    assert indexed.settings.transcript_retention_days == 30
    assert indexed.purge(now=datetime.now(UTC) + timedelta(days=29)).transcript_messages == 0
    assert len(conversation.transcript()) == 2
    report = indexed.purge(now=datetime.now(UTC) + timedelta(days=31))
    assert (report.transcript_messages, report.conversations) == (2, 1)
    assert conversation.transcript() == []
    assert indexed.conversations.load(conversation.id) is None  # its state went with it


def test_transcripts_are_encrypted_at_rest(indexed):
    from sqlalchemy import text

    conversation = indexed.conversation()
    conversation.reply("Please delete my data, I am Zoe Adams, zoe@example.io")
    with indexed.requests.engine.connect() as connection:
        dump = " ".join(
            str(row)
            for table in ("transcript_messages", "conversations")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    assert "zoe@example.io" not in dump and "Zoe Adams" not in dump


def test_the_dialogue_takes_only_the_steps_its_table_lists(indexed):
    from assistant.conversation import STAGE_MOVES, Stage

    assert set(STAGE_MOVES) == set(Stage)
    conversation = indexed.conversation()
    assert conversation.stage == Stage.IDLE
    with pytest.raises(RuntimeError, match="no step from idle to submitted"):
        conversation._move(Stage.SUBMITTED, reference="DSAR-2026-000001")
    assert conversation.stage == Stage.IDLE and "reference" not in conversation.state
    turn = conversation.reply("Please delete all my data, my email is sam@example.com")
    assert (
        conversation.stage in (Stage.COLLECTING, Stage.CONFIRMING)
        and turn.intake["stage"] == conversation.stage
    )
