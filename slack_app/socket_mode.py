"""Socket Mode: the Bolt app over a websocket Slack opens to us; no public URL needed."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler

from assistant.core import Assistant
from assistant.exceptions import ConfigurationError
from slack_app.app import create_slack_app, start_announcer, web_client
from slack_app.notices import post_digest

log = logging.getLogger("slack_app")


def run_socket_mode(assistant: Assistant) -> None:
    """Serve Slack until interrupted."""
    settings = assistant.settings
    if not settings.slack_app_token:
        raise ConfigurationError(
            "Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-..., with connections:write)"
        )
    app = create_slack_app(assistant, settings)
    assistant.warm()  # the first question is not kept waiting for the model
    announcer = start_announcer(assistant, settings)
    if settings.outbox_worker == "inprocess":
        assistant.outbox.start()  # mail and events leave after commit, as in the web service
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        assistant.outbox.stop()
        if announcer:
            announcer.stop()


def run_digest(assistant: Assistant) -> tuple[int, int]:
    """Post today's digest to the privacy channel; for cron."""
    settings = assistant.settings
    if not settings.slack_bot_token or not settings.slack_privacy_channel:
        raise ConfigurationError(
            "the digest needs SLACK_BOT_TOKEN and PRIVACY_ASSISTANT_SLACK_PRIVACY_CHANNEL"
        )
    return post_digest(
        assistant, web_client(settings), settings.slack_privacy_channel, settings.slack_due_soon_days
    )
