"""Posts to the privacy channel: new requests from any channel, and the daily digest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.core import Assistant
from assistant.requests.states import OPEN_STATUSES
from assistant.requests.storage import AuditEvent, RightsRequest
from slack_app import blocks

log = logging.getLogger(__name__)
# The digest's knowledge gaps look back a week: enough questions to group, recent enough to act on.
GAP_DAYS = 7


def announcement_blocks(request: RightsRequest, assistant: Assistant) -> list[blocks.Block]:
    heading = assistant.prompts.line(
        "slack_new_request", reference=request.reference, due_at=request.due_at.isoformat()
    )
    return blocks.request_blocks(request, assistant.prompts, heading=heading)


def announce(request: RightsRequest, assistant: Assistant, client: WebClient, channel: str) -> None:
    message = announcement_blocks(request, assistant)
    client.chat_postMessage(channel=channel, text=message[0]["text"]["text"], blocks=message)


class Announcer:
    """Announces every new request in the privacy channel, whichever channel it came from.

    The queue calls listeners in the submitting thread after commit; posting happens on a worker thread
    of its own, so a visitor on the web never waits for Slack.
    """

    def __init__(self, assistant: Assistant, client: WebClient, channel: str) -> None:
        self.assistant = assistant
        self.client = client
        self.channel = channel
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-announce")
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> Announcer:
        self._unsubscribe = self.assistant.requests.subscribe(self.on_request_event)
        return self

    def stop(self, wait: bool = True) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._worker.shutdown(wait=wait)

    def on_request_event(self, event: AuditEvent) -> None:
        if event.kind == "submitted":
            self._worker.submit(self._announce, event.reference)

    def _announce(self, reference: str) -> None:
        try:
            announce(self.assistant.requests.get(reference), self.assistant, self.client, self.channel)
        except SlackApiError as exc:
            log.error(
                "could not announce %s in the privacy channel: %s", reference, exc.response.get("error")
            )
        except Exception:
            log.exception("could not announce %s in the privacy channel", reference)


def due_soon(assistant: Assistant, days: int, today: date) -> list[RightsRequest]:
    """Open requests due from today to ``days`` days on."""
    return [
        r
        for r in assistant.requests.list(
            status=list(OPEN_STATUSES), due_before=today + timedelta(days=days + 1), identity=False
        )
        if not r.overdue(today)
    ]


def overdue(assistant: Assistant, today: date) -> list[RightsRequest]:
    return assistant.requests.list(overdue=True, today=today, identity=False)


def post_digest(
    assistant: Assistant, client: WebClient, channel: str, days: int, today: date | None = None
) -> tuple[int, int]:
    """Post the due-soon and overdue requests, and the week's knowledge gaps, to the privacy channel;
    returns (overdue, due soon)."""
    today = today or date.today()
    late, soon = overdue(assistant, today), due_soon(assistant, days, today)
    month = assistant.requests.report(since=today - timedelta(days=30)).overall
    heading = assistant.prompts.line(
        "slack_digest", overdue=len(late), due_soon=len(soon), days=days, today=today.isoformat(),
        closed=month.closed, median_days=month.median_days_to_close, on_time_share=month.on_time_share,
    )  # fmt: skip
    gaps = blocks.gaps_text(assistant.gaps(GAP_DAYS), assistant.prompts, GAP_DAYS)
    message = blocks.digest_blocks(heading, late, soon, assistant.prompts, gaps)
    client.chat_postMessage(channel=channel, text=heading, blocks=message)
    return len(late), len(soon)
