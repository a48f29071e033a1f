"""``POST /api/chat``: one turn of a visitor's conversation, and ``GET /api/widget`` for the widget."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.web.deps import AssistantDep, MetricsDep, RateLimited, SettingsDep
from assistant.web.schemas import ChatReply, ChatRequest, WidgetConfig, error_responses

router = APIRouter(tags=["chat"])
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
    conversation_id = body.conversation_id
    if conversation_id is not None and assistant.conversations.channel_of(conversation_id) != CHANNEL:
        conversation_id = None
    conversation = assistant.conversation(conversation_id, channel=CHANNEL)
    if body.action is not None:
        turn = conversation.act(body.action)
    else:
        turn = conversation.reply(body.message or "")  # refuses messages over MAX_MESSAGE_CHARS
    metrics.record_turn(turn, channel=CHANNEL)
    return ChatReply.of(turn)


@router.get("/api/widget", response_model=WidgetConfig)
def widget_config(assistant: AssistantDep, settings: SettingsDep) -> WidgetConfig:
    """The widget's greeting and its notice on how chat messages are used and kept."""
    organization = next((v.organization for v in assistant.corpus.all_versions() if v.organization), None)
    return WidgetConfig(
        greeting=assistant.prompts.line("widget_greeting", organization=organization or "the company"),
        notice=assistant.prompts.line("chat_notice", retention_days=settings.transcript_retention_days),
        max_message_chars=settings.max_message_chars,
    )
