"""The JSON the API accepts and returns; field names are the API's (and the core's ``to_dict``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.answering.compose import Answer
from assistant.conversation import Turn
from assistant.intake.rights import RIGHTS
from assistant.requests.conversations import Message
from assistant.requests.feedback import MAX_REASON_CHARS

# new_conversation_id() makes 22 URL-safe characters; allow some room, refuse anything else.
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
ANSWER_ID_PATTERN = r"^[A-Za-z0-9_-]{16,32}$"  # FeedbackStore.issue makes 22
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class _Strict(BaseModel):
    """A body the API reads: unknown fields are refused; its first example is quoted in error messages."""

    model_config = ConfigDict(extra="forbid")


def example_of(model: type[BaseModel]) -> str:
    """The body ``model`` reads, as JSON a client can copy: its first documented example."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return json.dumps(examples[0]) if examples else "{...}"


class AskRequest(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "How long do you keep my data?"}]})

    question: str = Field(description="The question, in the visitor's words.")
    document: str | None = Field(
        None, max_length=100, description="Ask this document only (its id); default: all documents."
    )
    as_of: str | None = Field(
        None, pattern=ISO_DATE_PATTERN, description="Answer from the version in force on this date."
    )


class CitationOut(BaseModel):
    n: int
    document: str
    version: str
    section: str
    quote: str = Field(description="Verbatim policy text.")
    url: str = Field(description="The rendered policy, scrolled to the quote.")


class AnswerOut(BaseModel):
    question: str
    answerable: bool = Field(description="False when the policy does not address the question.")
    lead: str = Field("", description="The line that answers, to show first; empty when declined.")
    lead_source: Literal["extractive", "writer"] = Field(
        "extractive", description="extractive: a verbatim span of a quote; writer: the LLM's checked words."
    )
    text: str = Field(description="The reply, quotes marked [1], [2] ...")
    citations: list[CitationOut]
    confidence: float
    as_of: str | None
    reasons: list[str] = Field(
        default_factory=list, description="Why it answered or declined: the answer model's margin, any veto."
    )
    language: str = Field(
        "en",
        description="The question's language, which the reply's own words are in (quotes stay verbatim).",
    )

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        return cls.model_validate(answer.to_dict())


class ChatRequest(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"message": "Can I get a copy of my data?"}]})

    conversation_id: str | None = Field(
        None, pattern=CONVERSATION_ID_PATTERN, description="From the previous reply; omit to start."
    )
    message: str | None = Field(None, description="What the visitor typed.")
    action: Literal["confirm", "cancel", "resend"] | None = Field(
        None, description="A button the visitor pressed; resend: a new verification code."
    )

    @model_validator(mode="after")
    def _message_or_action(self) -> ChatRequest:
        if (self.message is None) == (self.action is None):
            raise ValueError(
                "send either a message or an action (confirm, cancel or resend), not both or neither"
            )
        return self


class IntakeOut(BaseModel):
    """The rights request being taken through the chat."""

    model_config = ConfigDict(extra="ignore")

    stage: str = Field(description="collecting, confirming, submitted or cancelled.")
    rights: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="What the visitor still has to give.")
    summary: str | None = Field(None, description="The request as it will be filed, to confirm.")
    reference: str | None = Field(None, description="The request's reference once submitted.")
    due_at: str | None = Field(None, description="When the answer is due (ISO date) once submitted.")


class ChatReply(BaseModel):
    conversation_id: str
    reply: str
    answerable: bool | None = Field(None, description="Set when the reply answers a question.")
    lead: str = Field(
        "", description="When the reply answers a question: the line that answers, shown first."
    )
    lead_source: Literal["extractive", "writer"] = "extractive"
    citations: list[CitationOut] = Field(default_factory=list)
    answer_id: str | None = Field(None, description="Rate the answer with it: POST /api/feedback.")
    intake: IntakeOut | None = None
    actions: list[str] = Field(
        default_factory=list, description="Buttons to offer: confirm, cancel; resend while a code is awaited."
    )

    @classmethod
    def of(cls, turn: Turn) -> ChatReply:
        return cls.shown(turn.conversation_id, turn.reply, turn.shown())

    @classmethod
    def shown(cls, conversation_id: str, reply: str, shown: dict[str, Any]) -> ChatReply:
        """The reply from what the turn showed (``Turn.shown``), as the transcript keeps it."""
        answer = shown.get("answer") or {}
        intake = shown.get("intake")
        return cls(
            conversation_id=conversation_id,
            reply=reply,
            answerable=answer.get("answerable"),
            lead=answer.get("lead") or "",
            lead_source=answer.get("lead_source") or "extractive",
            citations=[CitationOut.model_validate(c) for c in answer.get("citations", [])],
            answer_id=shown.get("answer_id"),
            intake=IntakeOut.model_validate(_jsonable(intake)) if intake else None,
            actions=list(shown.get("actions") or []),
        )


class HistoryIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"conversation_id": "Jx3kQ9vYp2LmN8rT5wZa1c"}]})

    conversation_id: str = Field(pattern=CONVERSATION_ID_PATTERN, description="From the chat's replies.")


class VisitorMessageOut(BaseModel):
    role: Literal["visitor"] = "visitor"
    text: str


class AssistantMessageOut(ChatReply):
    role: Literal["assistant"] = "assistant"


class HistoryOut(BaseModel):
    conversation_id: str
    messages: list[VisitorMessageOut | AssistantMessageOut] = Field(
        description="Oldest first; only those the transcript still keeps."
    )

    @classmethod
    def of(cls, conversation_id: str, messages: list[Message]) -> HistoryOut:
        return cls(
            conversation_id=conversation_id,
            messages=[
                AssistantMessageOut.shown(conversation_id, m.text, m.detail or {})
                if m.role == "assistant"
                else VisitorMessageOut(text=m.text)
                for m in messages
            ],
        )


class FeedbackIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"answer_id": "Jx3kQ9vYp2LmN8rT5wZa1c", "vote": "down", "reason": "too long"}]
        }
    )

    answer_id: str = Field(pattern=ANSWER_ID_PATTERN, description="The answer_id that came with the answer.")
    vote: Literal["up", "down"] = Field(description="up: it helped; down: it did not.")
    reason: str | None = Field(
        None, max_length=MAX_REASON_CHARS, description="Why, in a few words (e-mails, phones are removed)."
    )


class FeedbackOut(BaseModel):
    answer_id: str
    vote: str
    reason: str | None = Field(description="As kept: redacted.")
    voted_at: str


def _jsonable(intake: dict[str, Any]) -> dict[str, Any]:
    """The intake state with dates as ISO text, whichever the core hands over."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in intake.items()}


class WidgetConfig(BaseModel):
    greeting: str
    notice: str = Field(description="How chat messages are used and kept.")
    max_message_chars: int
    stream: bool = Field(
        False, description="The LLM writer is on: /api/chat/stream sends the lead as written."
    )


class ErrorOut(BaseModel):
    error: str = Field(description="What was wrong and what to do.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the errors a route may answer (README, "Errors")."""
    return {status: {"model": ErrorOut} for status in statuses}


def json_error(description: str) -> dict[str, Any]:
    """An error response of a route whose success is not JSON (a page): errors are JSON everywhere."""
    return {
        "description": description,
        "content": {"application/json": {"schema": ErrorOut.model_json_schema()}},
    }


class PolicyVersionOut(BaseModel):
    version: str
    title: str
    effective: str
    digest: str
    url: str


class PolicyDiffOut(BaseModel):
    old: str
    new: str
    url: str = Field(description="The page showing what changed from old to new.")


class PolicyDocumentOut(BaseModel):
    document: str
    title: str
    organization: str | None
    versions: list[PolicyVersionOut]
    diffs: list[PolicyDiffOut] = Field(default_factory=list, description="Each version against the next.")


class PolicyListOut(BaseModel):
    documents: list[PolicyDocumentOut]


# -- the privacy team's API (routes/team.py) --------------------------------------------------------
class RightsRequestOut(BaseModel):
    """A request as the team sees it, identity included."""

    reference: str
    rights: list[str]
    status: str
    channel: str
    on_behalf_of: str
    name: str | None
    email: str
    phone: str | None
    subject_name: str | None
    subject_email: str | None
    language: str = Field(description="The requester's language (ISO 639-1): mails to them are in it.")
    data_concerned: str | None
    categories: list[str]
    assignee: str | None
    received_at: str
    due_at: str
    jurisdiction: str = Field(description="The law whose clock the request runs on (GET /api/team/laws).")
    extension_months: int
    extension_days: int
    extension_reason: str | None = Field(description="The latest extension's reason; the trail has all.")
    duplicate_of: str | None = Field(
        description="An open request the same person (e-mail, or name without one) made before this one."
    )
    overdue: bool
    needs_triage: bool = Field(description="No right could be read: a person must classify it.")
    authority_to_check: bool = Field(
        description="A parent or an agent asks for someone else: check they may before acting."
    )


class AuditEventOut(BaseModel):
    kind: str
    actor: str = Field(description="Who did it: a team member, 'requester', or a worker.")
    at: str
    detail: dict[str, Any]


class ExtensionOut(BaseModel):
    at: str
    actor: str
    length: str
    reason: str | None
    due_at: str | None


class RightsRequestDetailOut(RightsRequestOut):
    events: list[AuditEventOut] = Field(description="The audit trail, oldest first.")
    extensions: list[ExtensionOut] = Field(description="Every extension with its reason, oldest first.")


class MemberOut(BaseModel):
    name: str
    role: str = Field(description="viewer (reads), handler (works requests), admin (also the team).")
    created_at: str
    removed_at: str | None
    tokens: int = Field(description="Live tokens.")


class PackageOut(BaseModel):
    reference: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_by: str
    purged: bool


class JurisdictionOut(BaseModel):
    code: str
    name: str
    citation: str
    answer_within: str
    extension: str | None = Field(description="The most a request may be extended in all; null: never.")


class RightsRequestListOut(BaseModel):
    requests: list[RightsRequestOut]


class AssignIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"assignee": "ana@example.com"}]})

    assignee: str = Field(min_length=1, max_length=200, description="Who works the request.")


class LogRequestIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "post",
                    "received_at": "2026-03-02",
                    "rights": ["access"],
                    "name": "Jo Bloggs",
                    "email": "jo@example.com",
                    "details": "letter of 27 Feb asking for a copy of everything",
                    "verified_by": "signed_letter",
                }
            ]
        }
    )

    channel: Literal["post", "phone", "email", "in_person", "web_form"] = Field(
        description="How the request came in."
    )
    received_at: date | datetime = Field(
        description="When it came in (the clock starts then): a date or a time."
    )
    rights: list[str] = Field(
        default_factory=list,
        max_length=len(RIGHTS),
        description=f"The rights it asks for ({', '.join(RIGHTS)}); none: it needs triage.",
    )
    name: str = Field(min_length=1, max_length=200, description="The requester's name.")
    email: str | None = Field(None, max_length=254, description="Their e-mail address, if they gave one.")
    phone: str | None = Field(None, max_length=40)
    on_behalf_of: str = Field("self", description="self, parent_guardian or authorised_agent, ...")
    subject_name: str | None = Field(
        None, max_length=200, description="Whom it is about, if not the requester."
    )
    subject_email: str | None = Field(None, max_length=254)
    details: str | None = Field(None, max_length=10_000, description="What they asked, in their words.")
    language: str = Field("en", pattern=r"^[a-z]{2}$", description="Theirs: the mails to them are in it.")
    jurisdiction: str | None = Field(None, max_length=16, description="Default: the configured law.")
    verified_by: str | None = Field(
        None, description="How the team already checked who they are; none: verify later."
    )


class VerifyIdentityIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"method": "id_document", "note": "passport seen"}]}
    )

    method: str = Field(description="id_document, account_details, signed_letter, phone_callback, ...")
    note: str | None = Field(None, max_length=1000)


class ClassifyIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rights": ["access", "erasure"]}]})

    rights: list[str] = Field(
        min_length=1,
        max_length=len(RIGHTS),
        description=f"The rights the request asks for: {', '.join(RIGHTS)}.",
    )


class TransitionIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "in_progress", "note": "started"}]})

    status: str = Field(description="The next status: verified, in_progress, completed, rejected, withdrawn.")
    note: str | None = Field(None, max_length=1000, description="Why, for the audit trail.")


class ExtendIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "many systems to search", "length": "1 month"}]}
    )

    reason: str = Field(
        min_length=1, max_length=1000, description="Why more time is needed (the requester is told)."
    )
    length: str | None = Field(
        None,
        max_length=20,
        description="How much longer, in the law's unit: '2 months' (GDPR), '45 days' (CCPA). "
        "Default: all the request's law still allows.",
    )
    months: int | None = Field(None, ge=1, le=12, description="Same as length 'N months' (older clients).")

    def period(self) -> str | None:
        return self.length or (f"{self.months} months" if self.months else None)


class JurisdictionIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"jurisdiction": "ccpa"}]})

    jurisdiction: str = Field(min_length=2, max_length=16, description="A code from GET /api/team/laws.")


class VerifyIn(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reference": "DSAR-2026-000001", "code": "123456"}]}
    )

    reference: str = Field(max_length=40, description="The request's reference, DSAR-YYYY-NNNNNN.")
    code: str = Field(max_length=100, description="The 6 digits from the e-mail, or the link's code.")


class VerifiedOut(BaseModel):
    reference: str
    status: str
    message: str


class ResendIn(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reference": "DSAR-2026-000001"}]})

    reference: str = Field(max_length=40, description="The request's reference, DSAR-YYYY-NNNNNN.")


class ResentOut(BaseModel):
    reference: str
    message: str = Field(description="What was sent; never the address it went to.")


class GapGroupOut(BaseModel):
    question: str = Field(description="The group's most typical question (redacted).")
    count: int
    declined: int = Field(description="How many the assistant declined to answer.")
    unhelpful: int = Field(description="How many answers visitors voted down.")
    examples: list[str] = Field(description="Other questions of the group, newest first (a few).")
    reasons: list[str] = Field(description="Visitors' reasons for their down votes (redacted).")
    sections: list[str] = Field(description="What the unhelpful answers cited, most often first.")
    last_at: str


class GapReportOut(BaseModel):
    since: str
    declined: int
    unhelpful: int
    groups: list[GapGroupOut] = Field(description="Questions grouped by meaning, the largest first.")
