"""``POST /api/chat``: one turn of a visitor's conversation, and ``GET /api/widget`` for the widget."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from assistant.conversation import Turn
from assistant.core import Assistant
from assistant.exceptions import PrivacyAssistantError
from assistant.web.deps import AssistantDep, MetricsDep, RateLimited, SettingsDep
from assistant.web.schemas import ChatReply, ChatRequest, WidgetConfig, error_responses

router = APIRouter(tags=["chat"])
log = logging.getLogger("assistant.web")
CHANNEL = "web"


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


@router.get("/api/widget", response_model=WidgetConfig)
def widget_config(assistant: AssistantDep, settings: SettingsDep) -> WidgetConfig:
    """The widget's greeting and its notice on how chat messages are used and kept."""
    organization = next((v.organization for v in assistant.corpus.all_versions() if v.organization), None)
    return WidgetConfig(
        greeting=assistant.prompts.line("widget_greeting", organization=organization or "the company"),
        notice=assistant.prompts.line("chat_notice", retention_days=settings.transcript_retention_days),
        max_message_chars=settings.max_message_chars,
        stream=assistant.writer is not None,
    )
