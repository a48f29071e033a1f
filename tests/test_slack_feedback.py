"""Rating answers in Slack, through the local stand-in for Slack's Web API (tests/slack_fake.py): two
buttons under every answer, a dialog for the reason of a down vote, nothing of who pressed kept; and the
knowledge gaps in the daily digest. Real model, Chroma and SQLite."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from assistant.requests.models import AnswerRecord
from slack_app import blocks as kit
from slack_app.app import web_client
from slack_app.notices import GAP_DAYS, post_digest
from tests.slack_support import EMPLOYEE, GENERAL, PRIVACY_CHANNEL, slack_settings, texts
from tests.slack_support import fake as fake
from tests.slack_support import slack as slack


def answers(assistant) -> list[AnswerRecord]:
    with assistant.requests.storage.sessions() as session:
        return list(session.scalars(select(AnswerRecord).order_by(AnswerRecord.id)))


def rating_buttons(message_blocks: list[dict]) -> dict[str, str]:
    (row,) = [b for b in message_blocks if b.get("block_id") == kit.FEEDBACK_BLOCK]
    return {e["action_id"]: e["value"] for e in row["elements"]}


def test_an_answer_gets_two_buttons_and_a_down_vote_takes_a_reason(slack, fake, fresh_assistant):
    _, ts = slack.mention("how long do we keep applicant data?")
    posted = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
    buttons = rating_buttons(posted.params["blocks"])
    answer_id = buttons[kit.ANSWER_HELPFUL]
    assert buttons == {kit.ANSWER_HELPFUL: answer_id, kit.ANSWER_UNHELPFUL: answer_id}
    message = {"ts": "1710000999.000001", "thread_ts": ts, "text": posted.params["text"], "blocks": posted.params["blocks"]}  # fmt: skip

    mark = fake.mark()
    slack.press(kit.ANSWER_HELPFUL, answer_id, EMPLOYEE, message, GENERAL)
    thanks = fake.wait_for("chat.postEphemeral", after=mark)
    assert thanks.params["user"] == EMPLOYEE and "helped" in thanks.params["text"]
    assert [(a.vote, a.channel) for a in answers(fresh_assistant)] == [("up", "slack")]

    mark = fake.mark()
    slack.press(kit.ANSWER_UNHELPFUL, answer_id, EMPLOYEE, message, GENERAL)
    view = fake.wait_for("views.open", after=mark).params["view"]
    assert view["callback_id"] == kit.FEEDBACK_VIEW and view["blocks"][0]["optional"] is True
    assert answers(fresh_assistant)[0].vote == "down"  # noted before any reason comes

    mark = fake.mark()
    slack.submit_view(view, EMPLOYEE, "It does not say who reads them; ask jo@example.com")
    told = fake.wait_for("chat.postEphemeral", after=mark)
    assert "did not help, and why" in told.params["text"] and told.params["channel"] == GENERAL
    (row,) = answers(fresh_assistant)  # one row for the answer, however it was voted
    assert (row.vote, row.reason) == ("down", "It does not say who reads them; ask [email]")
    assert row.question == "how long do we keep applicant data?"
    kept = " ".join(str(getattr(row, c.name)) for c in AnswerRecord.__table__.columns)
    for slack_id in (EMPLOYEE, GENERAL, ts, "U0BOT"):
        assert slack_id not in kept


def test_buttons_naming_no_answer_given_in_slack_are_refused(slack, fake, fresh_assistant):
    web = fresh_assistant.conversation(channel="web").reply("Do you use cookies?")
    message = {"ts": "1710000999.000002", "text": "x", "blocks": []}
    for answer_id in ("made-up-answer-id-00000", web.answer_id):
        mark = fake.mark()
        slack.press(kit.ANSWER_HELPFUL, answer_id, EMPLOYEE, message, GENERAL)
        refused = fake.wait_for("chat.postEphemeral", after=mark)
        assert "can no longer be rated" in refused.params["text"]
    assert [a.vote for a in answers(fresh_assistant)] == [None]


def test_the_digest_lists_the_weeks_knowledge_gaps(fresh_assistant, fake):
    employee = fresh_assistant.conversation("slack-gaps-thread-1", channel="slack")
    declined = employee.reply("Can I pay for the licence with bitcoin?")
    again = fresh_assistant.conversation("slack-gaps-thread-2", channel="slack").reply(
        "Do you take bitcoin as payment?"
    )
    assert declined.answer.answerable is False and again.answer.answerable is False
    settings = slack_settings(fresh_assistant, fake)
    post_digest(fresh_assistant, web_client(settings), PRIVACY_CHANNEL, 7, today=date.today())
    posted = fake.wait_for("chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL)
    text = texts(posted.params["blocks"])
    assert (
        f"*Knowledge gaps* in the last {GAP_DAYS} days: 2 question(s) declined, 0 answer(s) voted down."
        in text
    )
    assert (
        "• Can I pay for the licence with bitcoin? (2)" in text
        or "• Do you take bitcoin as payment? (2)" in text
    )
