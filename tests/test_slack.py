"""The Slack app as employees use it, end to end: the real Bolt app behind the real web service's
/slack/events, driven with signed payloads, talking to a local stand-in for Slack's Web API
(tests/slack_fake.py). Cited answers in threads and to /privacy, and a customer's request logged
through a thread. Real model, real Chroma, real SQLite."""

from __future__ import annotations

import json
import time

from assistant import Assistant
from assistant.corpus.units import parse_policy
from slack_app import blocks as kit
from slack_app.threads import conversation_id
from tests.slack_fake import TEAM, FakeSlack
from tests.slack_support import EMPLOYEE, GENERAL, PRIVACY_CHANNEL, SlackDriver, texts
from tests.slack_support import fake as fake
from tests.slack_support import slack as slack
from tests.web_team_support import enrol

TRAIL_AFTER_SUBMIT = ["submitted"]


def policy_text(assistant: Assistant) -> str:
    return "\n".join(parse_policy(v).text for v in assistant.corpus.all_versions())


def unquote(mrkdwn: str) -> str:
    lines = [line.removeprefix("> ").removeprefix(">") for line in mrkdwn.splitlines()]
    return "\n".join(lines).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def assert_cited_answer(params: dict, assistant: Assistant) -> None:
    """The reply, then each citation as a verbatim quote with its section, version and policy link."""
    message_blocks = params["blocks"]
    quotes = [b for b in message_blocks if b["type"] == "section" and b["text"]["text"].startswith(">")]
    sources = [b for b in message_blocks if b["type"] == "context" and "read it in the policy" in texts([b])]
    assert quotes and len(quotes) == len(sources)
    text = policy_text(assistant)
    for q, source in zip(quotes, sources, strict=True):
        assert " ".join(unquote(q["text"]["text"]).split()) in " ".join(text.split())
        line = texts([source])
        assert "version of 20" in line and f"{assistant.settings.public_base_url}/policy/" in line
    # The lead line first, in bold, a verbatim span of one of the quotes; then the reply.
    lead = message_blocks[0]["text"]["text"]
    assert lead.startswith("*") and lead.endswith("*") and not lead.startswith(">")
    assert any(unquote(lead.strip("*")) in unquote(q["text"]["text"]) for q in quotes)
    assert "[1]" in message_blocks[1]["text"]["text"]


# -- Q&A -------------------------------------------------------------------------------------------
def test_a_mention_gets_a_threaded_cited_answer_and_the_thread_keeps_the_conversation(
    slack, fake, fresh_assistant
):
    response, ts = slack.mention("how long do we keep applicant data?")
    assert response.status_code == 200
    answer = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
    assert answer.params["channel"] == GENERAL
    assert_cited_answer(answer.params, fresh_assistant)

    # A follow-up in the thread, without mentioning the bot, continues the same conversation.
    mark = fake.mark()
    assert slack.thread_reply("and do you share it with anyone?", thread=ts).status_code == 200
    follow = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts, after=mark)
    assert follow.params["blocks"][0]["text"]["text"]
    transcript = fresh_assistant.conversation(
        conversation_id(TEAM, GENERAL, ts), channel="slack"
    ).transcript()
    asked = [text for _, role, text in transcript if role == "visitor"]
    assert asked == ["how long do we keep applicant data?", "and do you share it with anyone?"]

    # A reply in a thread the bot is not part of is none of its business.
    mark = fake.mark()
    slack.thread_reply("lunch at noon?", thread="1600000000.000001")
    time.sleep(1.5)
    assert not [c for c in fake.calls[mark:] if c.method == "chat.postMessage"]


def test_privacy_command_answers_in_a_thread_and_says_what_to_type(slack, fake, fresh_assistant):
    response, _ = slack.command("/privacy", "Do we use cookies?", EMPLOYEE)
    assert response.status_code == 200
    asked = fake.wait_for("chat.postMessage", lambda p: "thread_ts" not in p and "asked" in p["text"])
    assert asked.params["text"] == f"<@{EMPLOYEE}> asked: Do we use cookies?"
    root = asked.answer["ts"]
    answer = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == root)
    assert answer.params["channel"] == GENERAL
    assert_cited_answer(answer.params, fresh_assistant)

    slack.command("/privacy", "   ", EMPLOYEE)
    usage = fake.wait_for("response_url", lambda p: "/privacy how long" in p.get("text", ""))
    assert usage.params["response_type"] == "ephemeral"

    # Where the bot is not a member it answers only the person asking.
    fake.not_in.add("C0ELSEWHE")
    slack.command("/privacy", "What is the capital of France?", EMPLOYEE, channel="C0ELSEWHE")
    private = fake.wait_for("response_url", lambda p: "does not address" in p.get("text", ""))
    assert private.params["response_type"] == "ephemeral"
    assert f"<#{PRIVACY_CHANNEL}>" in texts(private.params["blocks"])  # points to the privacy team


# -- an employee logs a customer's request ---------------------------------------------------------
def log_request(slack: SlackDriver, fake: FakeSlack) -> tuple[str, dict]:
    """Through the conversation to the summary with Confirm and Cancel; returns (thread, that message)."""
    _, ts = slack.mention("a customer, ann@example.com, asked us to delete her data")
    step = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
    for _ in range(3):
        if kit.CONFIRM_REQUEST in json.dumps(step.params["blocks"]):
            break
        mark = fake.mark()
        slack.thread_reply("Ann Smith", thread=ts)
        step = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts, after=mark)
    buttons = [e["action_id"] for b in step.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [kit.CONFIRM_REQUEST, kit.CANCEL_REQUEST], step.params
    message = {"type": "message", "ts": "1720000000.000001", "thread_ts": ts, "text": step.params["text"],
               "blocks": step.params["blocks"]}  # fmt: skip
    return ts, message


def test_logging_a_customers_request_puts_it_on_the_queue_and_announces_it(slack, fake, fresh_assistant):
    thread, message = log_request(slack, fake)
    summary = texts(message["blocks"])
    assert "ann@example.com" in summary and "Forwarded by an employee" in summary
    value = message["blocks"][-1]["elements"][0]["value"]
    assert value == conversation_id(TEAM, GENERAL, thread)

    mark = fake.mark()
    assert slack.press(kit.CONFIRM_REQUEST, value, EMPLOYEE, message, GENERAL).status_code == 200
    done = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    assert "DSAR-" in done.params["text"]
    updated = fake.wait_for("chat.update", after=mark)
    assert not [b for b in updated.params["blocks"] if b["type"] == "actions"]  # buttons used up

    # On the queue exactly once, as the team's API reads it: channel slack, forwarded by an employee.
    (request,) = fresh_assistant.requests.list()
    assert request.reference in done.params["text"]
    assert (request.channel, request.on_behalf_of, request.email) == (
        "slack",
        "employee_forwarding",
        "ann@example.com",
    )
    assert request.rights == ["erasure"] and request.name == "Ann Smith"
    trail = fresh_assistant.requests.events(request.reference)
    assert [(e.kind, e.actor, e.detail) for e in trail][:1] == [
        ("submitted", "requester", {"channel": "slack"})
    ]
    assert [e.kind for e in trail] == TRAIL_AFTER_SUBMIT

    # The privacy team's web API shows the same request, with channel slack and the whole audit trail.
    shown = slack.client.get(f"/api/team/requests/{request.reference}", headers=enrol(fresh_assistant))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["channel"], body["on_behalf_of"], body["email"]) == (
        "slack",
        "employee_forwarding",
        "ann@example.com",
    )
    assert [e["kind"] for e in body["events"]] == TRAIL_AFTER_SUBMIT
    assert body["events"][0]["detail"] == {"channel": "slack"}

    # Announced in the privacy channel: reference, rights, due date and the team's buttons, no identity.
    announced = fake.wait_for("chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL)
    card = texts(announced.params["blocks"])
    assert request.reference in card and "· erasure" in card and request.due_at.isoformat() in card
    assert "ann@example.com" not in json.dumps(announced.params) and "Ann Smith" not in json.dumps(
        announced.params
    )
    actions = [
        e["action_id"] for b in announced.params["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [kit.ASSIGN_TO_ME, kit.START_REQUEST, kit.REJECT_REQUEST]

    # Pressing Confirm again (a double click, a retry) makes no second request.
    mark = fake.mark()
    slack.press(kit.CONFIRM_REQUEST, value, EMPLOYEE, message, GENERAL)
    again = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    assert request.reference in again.params["text"]
    assert fresh_assistant.requests.count() == 1


def test_a_new_code_for_the_customer_by_button_or_typed_in_the_thread(slack, fake, fresh_assistant):
    thread, message = log_request(slack, fake)
    value = message["blocks"][-1]["elements"][0]["value"]
    mark = fake.mark()
    slack.press(kit.CONFIRM_REQUEST, value, EMPLOYEE, message, GENERAL)
    done = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    buttons = [e for b in done.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [(kit.RESEND_CODE, value)]

    posted = {"type": "message", "ts": "1720000000.000002", "thread_ts": thread, "text": done.params["text"],
              "blocks": done.params["blocks"]}  # fmt: skip
    mark = fake.mark()
    assert slack.press(kit.RESEND_CODE, value, EMPLOYEE, posted, GENERAL).status_code == 200
    sent = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    assert "new code to a•••@example.com" in sent.params["text"]
    assert "ann@example.com" not in json.dumps(sent.params)
    updated = fake.wait_for("chat.update", after=mark)
    assert not [b for b in updated.params["blocks"] if b["type"] == "actions"]  # that button is used up

    mark = fake.mark()
    slack.thread_reply("the customer says the code expired, please send another one", thread=thread)
    typed = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    assert "new code to a•••@example.com" in typed.params["text"]
    (request,) = fresh_assistant.requests.list()
    kinds = [e.kind for e in fresh_assistant.requests.events(request.reference)]
    assert kinds == [*TRAIL_AFTER_SUBMIT, "code_resent", "code_resent"]


def test_cancel_button_stops_the_request(slack, fake, fresh_assistant):
    thread, message = log_request(slack, fake)
    value = message["blocks"][-1]["elements"][1]["value"]
    mark = fake.mark()
    slack.press(kit.CANCEL_REQUEST, value, EMPLOYEE, message, GENERAL)
    fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == thread, after=mark)
    assert fresh_assistant.requests.count() == 0
