"""``POST /api/chat``: one turn of a visitor's conversation; ``POST /api/chat/history``: the turns so
far, to draw them again after a reload; ``POST /api/feedback``: a vote on an answer; and
``GET /api/widget`` for the widget."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from assistant.conversation import Turn
from assistant.core import Assistant
from assistant.exceptions import PrivacyAssistantError, UnknownConversationError
from assistant.requests.storage import utcnow
from assistant.web.deps import AssistantDep, MetricsDep, RateLimited, SettingsDep
from assistant.web.schemas import (
    ChatReply,
    ChatRequest,
    FeedbackIn,
    FeedbackOut,
    HistoryIn,
    HistoryOut,
    WidgetConfig,
    error_responses,
)

router = APIRouter(tags=["chat"])
log = logging.getLogger("assistant.web")
CHANNEL = "web"
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "/api/chat",
    response_model=ChatReply,
    dependencies=[RateLimited],
    responses=error_responses(400, 413, 415, 422, 429),
)
def chat(body: ChatRequest, assistant: AssistantDep, metrics: MetricsDep) -> ChatReply:
    """A message or a button press in; the reply, its citations and the request being taken out.

    Start without ``conversation_id``; send the one the reply carries with every later turn. An id this
    service never issued to the web chat (made up, guessed, another channel's, or long gone) starts a new
    conversation under a new id, so no client picks its id or walks into someone else's dialogue.
    """
    turn = _take_turn(body, assistant)
    metrics.record_turn(turn, channel=CHANNEL)
    return ChatReply.of(turn)


@router.post(
    "/api/chat/stream",
    dependencies=[RateLimited],
    responses={
        200: {
            "description": 'JSON lines: {"lead": text} as the LLM writer writes the lead (none when it is '
            'off), then {"turn": the reply of /api/chat}, whose lead is the one to show (the writer\'s '
            'once checked, or the extractive one in its place); {"error": ...} if the turn fails late.',
            "content": {"application/x-ndjson": {}},
        },
        **error_responses(400, 413, 415, 422, 429),
    },
)
def chat_stream(body: ChatRequest, assistant: AssistantDep, metrics: MetricsDep) -> StreamingResponse:
    """``/api/chat``, with the answer's lead sent as it is written. Errors found before anything is
    sent (a message too long, say) are the usual error responses."""
    events: queue.Queue[dict[str, object] | Exception] = queue.Queue()

    def work() -> None:
        try:
            turn = _take_turn(body, assistant, on_lead=lambda text: events.put({"lead": text}))
            metrics.record_turn(turn, channel=CHANNEL)
            events.put({"turn": ChatReply.of(turn).model_dump(mode="json")})
        except Exception as exc:  # handed to the request's thread: raised there or sent as a line
            events.put(exc)

    threading.Thread(target=work, name="chat-stream", daemon=True).start()
    first = events.get()
    if isinstance(first, Exception):
        raise first

    def lines() -> Iterator[str]:
        event = first
        while True:
            if isinstance(event, Exception):
                if not isinstance(event, PrivacyAssistantError):
                    log.error("chat stream failed", exc_info=event)
                message = str(event) if isinstance(event, PrivacyAssistantError) else "something went wrong"
                yield json.dumps({"error": message}) + "\n"
                return
            yield json.dumps(event, ensure_ascii=False) + "\n"
            if "turn" in event:
                return
            event = events.get()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _take_turn(body: ChatRequest, assistant: Assistant, on_lead: Callable[[str], None] | None = None) -> Turn:
    conversation_id = body.conversation_id
    if conversation_id is not None and assistant.conversations.channel_of(conversation_id) != CHANNEL:
        conversation_id = None
    conversation = assistant.conversation(conversation_id, channel=CHANNEL, on_lead=on_lead)
    if body.action is not None:
        return conversation.act(body.action)
    return conversation.reply(body.message or "")  # refuses messages over MAX_MESSAGE_CHARS


@router.post(
    "/api/chat/history",
    response_model=HistoryOut,
    dependencies=[RateLimited],
    responses=error_responses(400, 404, 415, 422, 429),
)
def history(
    body: HistoryIn, assistant: AssistantDep, settings: SettingsDep, response: Response
) -> HistoryOut:
    """The messages of a web conversation the transcript still keeps, oldest first, for the widget to
    draw again after a reload. The id is the only key, so it travels in the body, never in a URL that
    logs and proxies keep; an id of another channel, or of a conversation no longer kept, is unknown."""
    response.headers.update(NO_STORE)
    since = utcnow() - timedelta(days=settings.transcript_retention_days)
    messages = []
    if assistant.conversations.channel_of(body.conversation_id) == CHANNEL:
        messages = assistant.conversations.messages(body.conversation_id, since)
    if not messages:
        raise UnknownConversationError(
            "no conversation with this id is kept here; start a new one without conversation_id"
        )
    return HistoryOut.of(body.conversation_id, messages)


@router.post(
    "/api/feedback",
    response_model=FeedbackOut,
    dependencies=[RateLimited],
    responses=error_responses(400, 404, 415, 422, 429),
)
def feedback(body: FeedbackIn, assistant: AssistantDep) -> FeedbackOut:
    """A visitor's thumbs up or down on an answer of the web chat, with an optional reason; a second
    vote on the same answer replaces the first. Only the ``answer_id`` a reply carried can be rated,
    within a day of it. Kept without personal data: the question and reason redacted, no conversation."""
    rating = assistant.feedback.rate(body.answer_id, body.vote, body.reason, channels=(CHANNEL,))
    return FeedbackOut.model_validate(rating.to_dict())


@router.get("/api/widget", response_model=WidgetConfig)
def widget_config(assistant: AssistantDep, settings: SettingsDep) -> WidgetConfig:
    """The widget's greeting and its notice on how chat messages are used and kept."""
    organization = next((v.organization for v in assistant.corpus.all_versions() if v.organization), None)
    return WidgetConfig(
        greeting=assistant.prompts.line("widget_greeting", organization=organization or "the company"),
        notice=assistant.prompts.line(
            "chat_notice",
            retention_days=settings.transcript_retention_days,
            feedback_days=settings.feedback_retention_days,
        ),
        max_message_chars=settings.max_message_chars,
        stream=assistant.writer is not None,
    )
