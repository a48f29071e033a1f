"""HTTP mode: the Bolt app behind ``POST /slack/events`` of the FastAPI service.

The web app finds ``mount_slack`` through its plug-in entry point (pyproject.toml), and this module
imports Bolt only when Slack is configured: the web service runs without the [slack] extra.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from assistant.core import Assistant
from assistant.exceptions import ConfigurationError
from assistant.settings import Settings

log = logging.getLogger("slack_app")


def mount_slack(web: FastAPI, assistant: Assistant, settings: Settings) -> bool:
    """Add ``/slack/events`` when Slack is configured; say so either way. Returns whether it was added."""
    if not settings.slack_enabled:
        log.info(
            "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET unset): /slack/events is off"
        )
        return False
    try:
        from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

        from slack_app.app import create_slack_app, start_announcer
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"Slack is configured but {exc.name} is not installed: pip install 'privacy-assistant[slack]'"
        ) from None
    slack = create_slack_app(assistant, settings)
    web.state.slack_app = slack
    web.state.slack_announcer = start_announcer(assistant, settings)

    @web.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        # Bolt verifies the signature and refuses stale timestamps. Its dispatch blocks until ack(),
        # so it runs on a worker thread rather than the event loop.
        body = await request.body()
        answer = await run_in_threadpool(slack.dispatch, to_bolt_request(request, body))
        return to_starlette_response(answer)

    log.info("Slack is on: events, commands and interactions at POST /slack/events")
    return True
