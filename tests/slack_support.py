"""What the Slack app's tests share (tests/test_slack.py, test_slack_team.py, test_slack_edge.py): the
Slack settings and people, a driver that posts signed requests to /slack/events as Slack does, the
local stand-in for Slack's Web API (tests/slack_fake.py) as a fixture, and the text of Block Kit blocks.

A test module imports the fixtures by name, ``from tests.slack_support import fake as fake``: pytest then
finds them there."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app
from slack_app import blocks as kit
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

    def submit_form(self, view: dict, user: str, values: dict):
        """Submit a dialog with its fields filled: text, a date, an option or a list of options."""
        state = {}
        for name, value in values.items():
            kind = next(b["element"]["type"] for b in view["blocks"] if b.get("block_id") == name)
            field = {
                "plain_text_input": {"value": value},
                "datepicker": {"selected_date": value},
                "static_select": {"selected_option": {"value": value} if value else None},
                "multi_static_select": {"selected_options": [{"value": v} for v in value or []]},
            }[kind]
            state[name] = {name: {"type": kind, **field}}
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "team_id": TEAM}, "api_app_id": "A0APP001", "trigger_id": "1.2.view",
            "view": {**view, "id": f"V0FORM{self.next_ts()[-4:]}", "state": {"values": state}},
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


def texts(message_blocks: list[dict]) -> str:
    out = []
    for block in message_blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return "\n".join(out)
