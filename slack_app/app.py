"""The Bolt app, built from settings; the same app serves HTTP (/slack/events) and Socket Mode."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from assistant.core import Assistant
from assistant.exceptions import ConfigurationError
from assistant.settings import Settings
from slack_app.handlers import PrivacyBot
from slack_app.notices import Announcer

log = logging.getLogger("slack_app")


def web_client(settings: Settings) -> WebClient:
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)


def create_slack_app(assistant: Assistant, settings: Settings | None = None) -> App:
    """The privacy assistant's Slack app over ``assistant``; ConfigurationError when Slack is not set up."""
    settings = settings or assistant.settings
    if not settings.slack_enabled:
        raise ConfigurationError(
            "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see the README's Slack section)"
        )
    bot = PrivacyBot(assistant, settings)
    if not bot.team.configured:
        log.warning(
            "no privacy team configured (PRIVACY_ASSISTANT_SLACK_TEAM_USERS / _SLACK_TEAM_GROUP): "
            "/dsar and the queue buttons refuse everyone"
        )
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret,
        # Checked at the first event, not here: the web service starts even while Slack is unreachable.
        token_verification_enabled=False,
        name="privacy-assistant",
    )
    bot.register(app)
    return app


def start_announcer(assistant: Assistant, settings: Settings) -> Announcer | None:
    """Announce new requests in the privacy channel, if one is configured."""
    if not settings.slack_privacy_channel:
        log.warning(
            "PRIVACY_ASSISTANT_SLACK_PRIVACY_CHANNEL is unset: new requests are not announced in Slack"
        )
        return None
    return Announcer(assistant, web_client(settings), settings.slack_privacy_channel).start()
