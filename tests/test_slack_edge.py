"""The Slack app's edge, end to end through the real web service's /slack/events and a local stand-in
for Slack's Web API: signatures and replays, acknowledging within three seconds, running without Slack
settings, and the digest command. Real model, real Chroma, real SQLite."""

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
from assistant.intake.draft import RequestDraft
from assistant.web import create_app
from slack_app import blocks as kit
from tests.conftest import CORPUS
from tests.slack_fake import BOT_USER, event_body, signed_headers
from tests.slack_support import (
    EMPLOYEE,
    GENERAL,
    PRIVACY_CHANNEL,
    SECRET,
    TEAM_MEMBER,
    TOKEN,
    SlackDriver,
    slack_settings,
    texts,
)
from tests.slack_support import fake as fake
from tests.slack_support import slack as slack


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


@pytest.mark.slow
def test_digest_command_posts_due_soon_and_overdue_requests(fresh_assistant, fake, tmp_path):
    queue = fresh_assistant.requests
    now = datetime.now(UTC)
    for key, days_ago in (("old", 40), ("soon", 26), ("later", 1)):
        queue.submit(RequestDraft(rights=["access"], name="Jo Doe", email=f"{key}@example.com").refresh_missing(),
                     idempotency_key=key, channel="api", now=now - timedelta(days=days_ago))  # fmt: skip
    closed = queue.submit(RequestDraft(rights=["erasure"], name="Al Done", email="done@example.com").refresh_missing(),
                          idempotency_key="done", channel="api", now=now - timedelta(days=2)).request  # fmt: skip
    queue.transition(closed.reference, "withdrawn", actor="ana", now=now)
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
    assert "In the last 30 days 1 closed, in a median 2.0 days, 100% on time." in posted.params["text"]
    old, soon, later = (queue.find(k) for k in ("old", "soon", "later"))
    assert old.reference in text and soon.reference in text and later.reference not in text

    env.pop("PRIVACY_ASSISTANT_SLACK_PRIVACY_CHANNEL")
    failed = subprocess.run([sys.executable, "-m", "assistant.cli", "slack", "digest"], env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert failed.returncode == 2 and failed.stderr.startswith("error: the digest needs")
    assert "Traceback" not in failed.stderr
    assert Path(fresh_assistant.settings.data_dir).exists()
