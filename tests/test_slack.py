"""The Slack app end to end: the real Bolt app behind the real web service's /slack/events, driven with
signed payloads, talking to a local stand-in for Slack's Web API (tests/slack_fake.py). Real model,
real Chroma, real SQLite."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.corpus.units import parse_policy
from assistant.intake.draft import RequestDraft
from assistant.web import create_app
from slack_app import blocks as kit
from slack_app.threads import conversation_id
from tests.conftest import CORPUS
from tests.slack_fake import (
    BOT_USER,
    TEAM,
    FakeSlack,
    command_body,
    event_body,
    interaction_body,
    signed_headers,
    validate_message,
    validate_modal,
)

TOKEN, SECRET = "xoxb-test-token", "8f742231b10e8888abcd99yyyzzz85a5"
PRIVACY_CHANNEL, GENERAL = "C0PRIVACY", "C0GENERAL"
TEAM_MEMBER, GROUP_MEMBER, EMPLOYEE, OUTSIDER = "U0TEAM001", "U0GROUP01", "U0EMPLOY1", "U0OUTSID1"
GROUP = "S0PRIVACY"
TRAIL_AFTER_SUBMIT = ["submitted"]


TEAM_API_TOKEN = "team-api-token-for-the-slack-tests-0123456789"


def slack_settings(assistant: Assistant, fake: FakeSlack):
    return assistant.settings.model_copy(
        update={
            "slack_bot_token": TOKEN,
            "slack_signing_secret": SECRET,
            "slack_privacy_channel": PRIVACY_CHANNEL,
            "slack_team_users": [TEAM_MEMBER],
            "slack_team_group": GROUP,
            "slack_api_url": fake.api_url,
            "rate_limit": 1000,
            "team_token": TEAM_API_TOKEN,
        }
    )


class SlackDriver:
    """Posts signed requests to /slack/events, as Slack does."""

    def __init__(self, client: TestClient, fake: FakeSlack) -> None:
        self.client, self.fake = client, fake
        self._n = 0

    def post(self, body: str, content_type: str, timestamp: int | None = None, secret: str = SECRET):
        headers = signed_headers(secret, body, timestamp, content_type)
        return self.client.post("/slack/events", content=body, headers=headers)

    def event(self, event: dict):
        self._n += 1
        return self.post(event_body(event, f"Ev{self._n:08d}"), "application/json")

    def mention(self, text: str, user: str = EMPLOYEE, channel: str = GENERAL, thread: str | None = None):
        ts = self.next_ts()
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts,
                 "channel": channel, "event_ts": ts}  # fmt: skip
        if thread:
            event["thread_ts"] = thread
        return self.event(event), ts

    def thread_reply(self, text: str, thread: str, user: str = EMPLOYEE, channel: str = GENERAL):
        ts = self.next_ts()
        event = {"type": "message", "channel_type": "channel", "user": user, "text": text, "ts": ts,
                 "thread_ts": thread, "channel": channel, "event_ts": ts}  # fmt: skip
        return self.event(event)

    def command(self, command: str, text: str, user: str, channel: str = GENERAL):
        self._n += 1
        body = command_body(command, text, user, channel, f"{self.fake.url}/respond/{self._n}")
        return self.post(body, "application/x-www-form-urlencoded"), f"/respond/{self._n}"

    def press(self, action_id: str, value: str, user: str, message: dict, channel: str):
        payload = {
            "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0APP001", "team": {"id": TEAM, "domain": "acme"}, "trigger_id": f"1.2.{self.next_ts()}",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel},
            "channel": {"id": channel, "name": "privacy"}, "message": message,
            "response_url": f"{self.fake.url}/respond/action",
            "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b",
                         "action_ts": self.next_ts()}],
        }  # fmt: skip
        return self.post(interaction_body(payload), "application/x-www-form-urlencoded")

    def submit_view(self, view: dict, user: str, reason: str):
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0APP001", "trigger_id": "1.2.view",
            "view": {**view, "id": "V0VIEW01", "state": {"values": {kit.REASON_BLOCK: {kit.REASON_INPUT: {
                "type": "plain_text_input", "value": reason}}}}},
        }  # fmt: skip
        return self.post(interaction_body(payload), "application/x-www-form-urlencoded")

    def next_ts(self) -> str:
        self._n += 1
        return f"{1710000000 + self._n}.{self._n:06d}"


@pytest.fixture
def fake():
    with FakeSlack(TOKEN, group_members={GROUP: [GROUP_MEMBER]}) as server:
        yield server
        # Every message and dialog the app sent is Block Kit within Slack's limits.
        for call in server.calls:
            if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
                validate_message(call.params)
            if call.method == "views.open":
                validate_modal(call.params["view"])
            assert call.method == "response_url" or call.token == TOKEN


@pytest.fixture
def slack(fresh_assistant: Assistant, fake: FakeSlack):
    app = create_app(fresh_assistant, slack_settings(fresh_assistant, fake))
    with TestClient(app) as client:
        yield SlackDriver(client, fake)
    app.state.slack_announcer.stop()


def policy_text(assistant: Assistant) -> str:
    return "\n".join(parse_policy(v).text for v in assistant.corpus.all_versions())


def texts(message_blocks: list[dict]) -> str:
    out = []
    for block in message_blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return "\n".join(out)


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
    assert "[1]" in message_blocks[0]["text"]["text"]


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
    shown = slack.client.get(
        f"/api/team/requests/{request.reference}", headers={"Authorization": f"Bearer {TEAM_API_TOKEN}"}
    )
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


# -- the privacy team works the queue --------------------------------------------------------------
def web_request(assistant: Assistant, email: str = "bo@example.com") -> str:
    """A request from the website chat: another channel, announced in Slack all the same."""
    conversation = assistant.conversation(channel="web")
    conversation.reply(f"Please delete all my data. I am Bo Lind, {email}")
    turn = conversation.act("confirm")
    assert turn.intake and turn.intake["reference"], turn.reply
    return turn.intake["reference"]


def announcement(fake: FakeSlack, reference: str) -> dict:
    call = fake.wait_for(
        "chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL and reference in p["text"]
    )
    return {
        "type": "message",
        "ts": "1730000000.000001",
        "text": call.params["text"],
        "blocks": call.params["blocks"],
    }


def test_buttons_change_state_and_post_updates(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    reference = web_request(fresh_assistant)
    message = announcement(fake, reference)

    mark = fake.mark()
    slack.press(kit.ASSIGN_TO_ME, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    note = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == message["ts"], after=mark)
    assert note.params["text"] == f"<@{TEAM_MEMBER}> assigned {reference} to <@{TEAM_MEMBER}>."
    refreshed = fake.wait_for("chat.update", lambda p: p["ts"] == message["ts"], after=mark)
    assert f"Assigned to: <@{TEAM_MEMBER}>" in texts(refreshed.params["blocks"])
    assert queue.get(reference).assignee == f"slack:{TEAM_MEMBER}"

    # Start before the requester has verified: the life cycle refuses, and says so to the presser only.
    mark = fake.mark()
    slack.press(kit.START_REQUEST, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    refused = fake.wait_for("chat.postEphemeral", after=mark)
    assert (
        refused.params["user"] == TEAM_MEMBER
        and "pending_verification cannot become in_progress" in refused.params["text"]
    )
    assert queue.get(reference).status == "pending_verification"

    queue.transition(reference, "verified", actor="requester")
    for action_id, status in ((kit.START_REQUEST, "in_progress"), (kit.COMPLETE_REQUEST, "completed")):
        mark = fake.mark()
        slack.press(action_id, reference, GROUP_MEMBER, message, PRIVACY_CHANNEL)  # a member by user group
        fake.wait_for(
            "chat.postMessage",
            lambda p, s=status: p.get("thread_ts") == message["ts"] and s in p["text"],
            after=mark,
        )
        update = fake.wait_for("chat.update", after=mark)
        assert f"Status: {status}" in texts(update.params["blocks"])
        assert queue.get(reference).status == status
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]  # final: no buttons left
    assert fake.of("usergroups.users.list")[0].params["usergroup"] == GROUP
    trail = [(e.kind, e.actor) for e in queue.events(reference)]
    assert ("assigned", f"slack:{TEAM_MEMBER}") in trail and (
        "status_changed",
        f"slack:{GROUP_MEMBER}",
    ) in trail


def test_reject_with_reason_opens_a_dialog_and_records_the_reason(slack, fake, fresh_assistant):
    reference = web_request(fresh_assistant, "cy@example.com")
    message = announcement(fake, reference)
    mark = fake.mark()
    slack.press(kit.REJECT_REQUEST, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    opened = fake.wait_for("views.open", after=mark)
    view = opened.params["view"]
    assert (
        view["callback_id"] == kit.REJECT_VIEW
        and reference in texts(view["blocks"]) + view["blocks"][0]["label"]["text"]
    )

    empty = slack.submit_view(view, TEAM_MEMBER, "   ")
    assert empty.status_code == 200 and empty.json()["response_action"] == "errors"
    assert fresh_assistant.requests.get(reference).status == "pending_verification"

    mark = fake.mark()
    assert slack.submit_view(view, TEAM_MEMBER, "Not a customer of ours <script>").status_code == 200
    note = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == message["ts"], after=mark)
    assert "rejected" in note.params["text"] and "&lt;script&gt;" in note.params["text"]
    request = fresh_assistant.requests.get(reference)
    assert request.status == "rejected"
    last = fresh_assistant.requests.events(reference)[-1]
    assert (last.kind, last.actor, last.detail["note"]) == (
        "status_changed",
        f"slack:{TEAM_MEMBER}",
        "Not a customer of ours <script>",
    )


def test_someone_outside_the_privacy_team_cannot_change_anything(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    reference = web_request(fresh_assistant, "di@example.com")
    message = announcement(fake, reference)
    before = (queue.get(reference).to_dict(), [e.to_dict() for e in queue.events(reference)])

    for action_id in (kit.ASSIGN_TO_ME, kit.START_REQUEST, kit.COMPLETE_REQUEST, kit.REJECT_REQUEST):
        mark = fake.mark()
        assert slack.press(action_id, reference, OUTSIDER, message, PRIVACY_CHANNEL).status_code == 200
        refusal = fake.wait_for("chat.postEphemeral", after=mark)
        assert refusal.params["user"] == OUTSIDER and "Only the privacy team" in refusal.params["text"]
    for text in (
        f"assign {reference} <@{OUTSIDER}|di>",
        f"status {reference} rejected",
        f"extend {reference} busy",
        "list",
    ):
        mark = fake.mark()
        slack.command("/dsar", text, OUTSIDER)
        refusal = fake.wait_for("response_url", after=mark)
        assert (
            refusal.params["response_type"] == "ephemeral"
            and "Only the privacy team" in refusal.params["text"]
        )
    # A forged dialog submission is refused too.
    where = json.dumps({"channel": PRIVACY_CHANNEL, "ts": message["ts"], "reference": reference})
    mark = fake.mark()
    slack.submit_view(kit.reject_modal(reference, fresh_assistant.prompts, where), OUTSIDER, "spite")
    fake.wait_for("chat.postEphemeral", lambda p: p["user"] == OUTSIDER, after=mark)

    time.sleep(1)
    assert (queue.get(reference).to_dict(), [e.to_dict() for e in queue.events(reference)]) == before
    assert not fake.of("views.open") and not fake.of("chat.update")


def test_dsar_commands(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    late = queue.submit(
        RequestDraft(rights=["access"], name="Ed Ng", email="ed@example.com").refresh_missing(),
        idempotency_key="late-1",
        channel="api",
        now=datetime.now(UTC) - timedelta(days=40),
    ).request
    fresh = web_request(fresh_assistant, "fi@example.com")

    def run(text: str, user: str = TEAM_MEMBER) -> dict:
        mark = fake.mark()
        assert slack.command("/dsar", text, user)[0].status_code == 200
        return fake.wait_for("response_url", after=mark).params

    listed = texts(run("list")["blocks"])
    assert late.reference in listed and fresh in listed and "2 open request(s)" in listed
    overdue = texts(run("list overdue")["blocks"])
    assert late.reference in overdue and fresh not in overdue and "OVERDUE" in overdue
    assert "No due soon requests" in run("list due-soon")["text"]

    shown = run(f"show {late.reference.lower()}", user=GROUP_MEMBER)
    assert late.reference in shown["text"] and "submitted" in texts(shown["blocks"])
    assert "ed@example.com" not in json.dumps(shown)  # identity stays out of Slack

    mark = fake.mark()
    assert "assigned" in run(f"assign {late.reference} <@{GROUP_MEMBER}|gm>")["text"]
    fake.wait_for(
        "chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL and "assigned" in p["text"], after=mark
    )
    assert queue.get(late.reference).assignee == f"slack:{GROUP_MEMBER}"
    assert "verified" in run(f"status {late.reference} verified")["text"]
    assert "in_progress" in run(f"status {late.reference} in-progress")["text"]
    extended = run(f"extend {late.reference} The customer holds five accounts")
    assert "now due" in extended["text"]
    assert queue.get(late.reference).extension_reason == "The customer holds five accounts"

    assert "Nothing was changed" in run(f"status {late.reference} pending_verification")["text"]
    assert "no request has the reference DSAR-2000-000001" in run("show DSAR-2000-000001")["text"]
    assert "unknown status 'done'" in run(f"status {late.reference} done")["text"]
    assert "not a Slack user" in run(f"assign {late.reference} jane")["text"]
    assert "Usage" in run("")["text"] and "unknown command" in run("frobnicate")["text"]
    assert "unknown list" in run("list someday")["text"]


# -- the edge: signatures, replays, ack time, configuration ----------------------------------------
def test_unsigned_wrongly_signed_and_replayed_requests_are_rejected(slack, fake):
    body = event_body({"type": "app_mention", "user": EMPLOYEE, "text": f"<@{BOT_USER}> cookies?",
                       "ts": "1.1", "channel": GENERAL, "event_ts": "1.1"}, "EvForged")  # fmt: skip
    unsigned = slack.client.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    wrong = slack.post(body, "application/json", secret="not-the-secret")
    stale = slack.post(body, "application/json", timestamp=int(time.time()) - 6 * 60)
    tampered_headers = signed_headers(SECRET, body)
    tampered = slack.client.post(
        "/slack/events", content=body.replace("cookies", "secrets"), headers=tampered_headers
    )
    assert [r.status_code for r in (unsigned, wrong, stale, tampered)] == [401, 401, 401, 401]
    time.sleep(1.5)
    assert not fake.of("chat.postMessage")

    challenge = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    assert slack.post(challenge, "application/json").json() == {"challenge": "c-123"}


class SlowAssistant(Assistant):
    """Our own component, slowed for the timing test: every answer takes five more seconds."""

    delay = 0.0

    def ask(self, *args, **kwargs):
        time.sleep(self.delay)
        return super().ask(*args, **kwargs)


def test_every_event_command_and_action_is_acknowledged_within_three_seconds(
    assistant, data_dir, tmp_path, fake
):
    slow = SlowAssistant.open(
        corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'r.db'}"
    )
    app = create_app(slow, slack_settings(slow, fake))
    with TestClient(app) as client:
        slow.delay = 5.0
        driver = SlackDriver(client, fake)
        timings = {}
        started = first = time.monotonic()
        response, ts = driver.mention("how long do we keep applicant data?")
        timings["app_mention"] = time.monotonic() - started
        assert response.status_code == 200
        started = time.monotonic()
        response, _ = driver.command("/privacy", "Do we use cookies?", EMPLOYEE)
        timings["/privacy"] = time.monotonic() - started
        started = time.monotonic()
        response = driver.press(
            kit.ASSIGN_TO_ME, "DSAR-2000-000001", TEAM_MEMBER, {"ts": "1.1", "text": "x"}, PRIVACY_CHANNEL
        )
        timings["block_actions"] = time.monotonic() - started
        answered = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
        slow_answer = answered.at - first
        print(
            f"\nack seconds: {json.dumps({k: round(v, 3) for k, v in timings.items()})}; answer after {slow_answer:.1f} s"
        )
        assert slow_answer >= 5.0  # the answer really was slow ...
        assert all(t < 3.0 for t in timings.values()), timings  # ... and Slack was answered in time
        fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") and p.get("thread_ts") != ts)
    app.state.slack_announcer.stop()


def test_without_slack_settings_the_web_app_runs_without_it_and_says_so(fresh_assistant, caplog):
    caplog.set_level(logging.INFO, logger="slack_app")
    settings = fresh_assistant.settings.model_copy(
        update={"slack_bot_token": None, "slack_signing_secret": None}
    )
    with TestClient(create_app(fresh_assistant, settings)) as client:
        assert client.post("/slack/events", content="{}").status_code in (404, 405)
        assert client.get("/healthz").status_code == 200
    assert "Slack is not configured" in caplog.text


def test_digest_command_posts_due_soon_and_overdue_requests(fresh_assistant, fake, tmp_path):
    queue = fresh_assistant.requests
    now = datetime.now(UTC)
    for key, days_ago in (("old", 40), ("soon", 26), ("later", 1)):
        queue.submit(RequestDraft(rights=["access"], name="Jo Doe", email=f"{key}@example.com").refresh_missing(),
                     idempotency_key=key, channel="api", now=now - timedelta(days=days_ago))  # fmt: skip
    env = {
        "PATH": os.environ["PATH"], "HF_HUB_OFFLINE": "1",
        "PRIVACY_ASSISTANT_DATA_DIR": str(fresh_assistant.settings.data_dir),
        "PRIVACY_ASSISTANT_DATABASE_URL": fresh_assistant.settings.database_url,
        "SLACK_BOT_TOKEN": TOKEN, "PRIVACY_ASSISTANT_SLACK_PRIVACY_CHANNEL": PRIVACY_CHANNEL,
        "PRIVACY_ASSISTANT_SLACK_API_URL": fake.api_url,
    }  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "slack", "digest"], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "posted the digest: 1 overdue, 1 due soon"
    posted = fake.wait_for("chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL)
    text = texts(posted.params["blocks"])
    old, soon, later = (queue.find(k) for k in ("old", "soon", "later"))
    assert old.reference in text and soon.reference in text and later.reference not in text

    env.pop("PRIVACY_ASSISTANT_SLACK_PRIVACY_CHANNEL")
    failed = subprocess.run([sys.executable, "-m", "assistant.cli", "slack", "digest"], env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert failed.returncode == 2 and failed.stderr.startswith("error: the digest needs")
    assert "Traceback" not in failed.stderr
    assert Path(fresh_assistant.settings.data_dir).exists()
