"""Block Kit, built by plain functions: answers, the intake summary, request cards, lists and the digest.

Everything here is data in, blocks out: no Slack calls. Text from people and from the policy is escaped
for Slack's mrkdwn and cut to Slack's limits (3000 characters a text object, 50 blocks a message).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.answering.compose import Answer
from assistant.conversation import Turn
from assistant.intake.rights import RIGHT_LABELS, RIGHTS
from assistant.prompts import Prompts
from assistant.requests.feedback import MAX_REASON_CHARS
from assistant.requests.gaps import GapReport
from assistant.requests.queue import VERIFICATION_METHODS
from assistant.requests.states import IN_PROGRESS, OPEN_STATUSES
from assistant.requests.storage import TEAM_CHANNELS, RightsRequest

Block = dict[str, Any]
MAX_BLOCKS = 50
MAX_TEXT = 3000

# action_ids: the handlers in slack_app/handlers.py answer these.
CONFIRM_REQUEST = "intake_confirm"
CANCEL_REQUEST = "intake_cancel"
RESEND_CODE = "intake_resend"
ASSIGN_TO_ME = "request_assign_me"
START_REQUEST = "request_start"
COMPLETE_REQUEST = "request_complete"
REJECT_REQUEST = "request_reject"
REJECT_VIEW = "request_reject_reason"
REASON_BLOCK, REASON_INPUT = "reason", "reason_input"
NEW_REQUEST_VIEW = "request_new"
INTAKE_BLOCK, FEEDBACK_BLOCK = "intake", "feedback"
ANSWER_HELPFUL, ANSWER_UNHELPFUL = "answer_helpful", "answer_unhelpful"
FEEDBACK_VIEW = "answer_unhelpful_reason"
# The new-request dialog's fields: block id -> action id (one input each).
NEW_REQUEST_FIELDS = ("channel", "received", "rights", "name", "email", "details", "verified_by")


def escape(text: str) -> str:
    """Text shown as it is: Slack's mrkdwn gives &, < and > a meaning."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": False},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in escape(text).splitlines())


def _capped(blocks: list[Block]) -> list[Block]:
    return blocks[:MAX_BLOCKS]


# -- answers ---------------------------------------------------------------------------------------
def answer_blocks(
    answer: Answer, prompts: Prompts, privacy_channel: str | None, reply: str | None = None
) -> list[Block]:
    """The lead line in bold, the reply, then each citation as a quote with its section, version and a
    link to the policy."""
    # Bold is *...*: the lead's own asterisks would end it early, so they are dropped from the line.
    lead = [section(f"*{escape(answer.lead).replace('*', '')}*")] if answer.lead.strip("* ") else []
    blocks = [*lead, section(escape(reply or answer.text))]
    for citation in answer.citations:
        blocks.append(section(quote(citation.quote)))
        blocks.append(
            context(
                prompts.line(
                    "slack_citation",
                    n=citation.n,
                    section=escape(citation.section),
                    version=citation.version,
                    url=citation.url,
                )
            )
        )
    if not answer.answerable:
        blocks.append(context(prompts.line("slack_abstain_team", channel=privacy_channel)))
    return _capped(blocks)


def turn_blocks(turn: Turn, prompts: Prompts, privacy_channel: str | None) -> list[Block]:
    """One conversation turn: an answer with its quotes, or a step of taking a request."""
    if turn.answer is not None:
        blocks = answer_blocks(turn.answer, prompts, privacy_channel, reply=turn.reply)
    else:
        blocks = [section(escape(turn.reply))]
    if turn.answer_id:
        blocks = [*blocks[: MAX_BLOCKS - 2], feedback_buttons(turn.answer_id, prompts)]
    if turn.actions:
        elements = []
        if "confirm" in turn.actions:
            elements.append(button("Confirm", CONFIRM_REQUEST, turn.conversation_id, "primary"))
        if "cancel" in turn.actions:
            elements.append(button("Cancel", CANCEL_REQUEST, turn.conversation_id, "danger"))
        if "resend" in turn.actions:
            elements.append(button("Send a new code", RESEND_CODE, turn.conversation_id))
        if elements:
            blocks = [
                *blocks[: MAX_BLOCKS - 1],
                {"type": "actions", "block_id": INTAKE_BLOCK, "elements": elements},
            ]
    return _capped(blocks)


def feedback_buttons(answer_id: str, prompts: Prompts) -> Block:
    """Helpful / not helpful under an answer; a press names the answer, never who pressed."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            button(prompts.line("slack_feedback_button", vote="up"), ANSWER_HELPFUL, answer_id),
            button(prompts.line("slack_feedback_button", vote="down"), ANSWER_UNHELPFUL, answer_id),
        ],
    }


def feedback_modal(prompts: Prompts, private_metadata: str) -> dict[str, Any]:
    """The dialog after "Not helpful": what was missing, optionally."""
    return _reason_modal(
        FEEDBACK_VIEW, private_metadata, ("Not helpful", "Send", "Skip"), prompts.line("slack_feedback_reason"),
        {"max_length": MAX_REASON_CHARS}, optional=True,
    )  # fmt: skip


# -- requests, for the privacy team (never the requester's identity) --------------------------------
def mention(actor: str | None) -> str | None:
    """Slack users are recorded as ``slack:U123``; show them as a mention."""
    if actor and actor.startswith("slack:"):
        return f"<@{actor.removeprefix('slack:')}>"
    return escape(actor) if actor else None


def request_card(request: RightsRequest, prompts: Prompts, today: date | None = None) -> str:
    lengths = ((request.extension_months, "month(s)"), (request.extension_days, "days"))
    extended = [f"{n} {unit}" for n, unit in lengths if n]
    return prompts.render(
        "slack_request_card",
        reference=request.reference,
        rights=request.rights,  # the team's own words: erasure, access, ...
        status=request.status,
        channel=request.channel,
        due_at=request.due_at.isoformat(),
        overdue=request.overdue(today),
        assignee=mention(request.assignee),
        law=request.jurisdiction.upper().replace("_", " "),
        extended=", ".join(extended) or None,
        duplicate_of=request.duplicate_of,
        on_behalf_of=request.on_behalf_of if request.authority_to_check else None,
    )


def request_buttons(request: RightsRequest) -> Block | None:
    """The team's buttons while the request is open; the life cycle refuses a move made too early."""
    if request.status not in OPEN_STATUSES:
        return None
    ref = request.reference
    elements = [button("Assign to me", ASSIGN_TO_ME, ref)]
    if request.status != IN_PROGRESS:
        elements.append(button("Start", START_REQUEST, ref, "primary"))
    else:
        elements.append(button("Complete", COMPLETE_REQUEST, ref, "primary"))
    elements.append(button("Reject with reason", REJECT_REQUEST, ref, "danger"))
    return {"type": "actions", "block_id": f"request:{ref}", "elements": elements}


def request_blocks(request: RightsRequest, prompts: Prompts, heading: str | None = None) -> list[Block]:
    """A request's card with its buttons: the announcement in the privacy channel, refreshed on change."""
    blocks = [section(escape(heading))] if heading else []
    blocks.append(section(request_card(request, prompts)))
    actions = request_buttons(request)
    if actions:
        blocks.append(actions)
    return blocks


def request_detail_blocks(request: RightsRequest, events: list, prompts: Prompts) -> list[Block]:
    """``/dsar show``: the card and the audit trail (kinds, actors, dates; identity stays out of Slack)."""
    blocks = request_blocks(request, prompts)
    lines = []
    for event in events:
        detail = ", ".join(f"{k}={escape(str(v))}" for k, v in event.detail.items() if v is not None)
        lines.append(
            f"{event.at.isoformat(timespec='minutes')} · {event.kind} · {mention(event.actor)} {detail}"
        )
    trail = "\n".join(lines)
    while len(trail) > MAX_TEXT - 10 and len(lines) > 1:  # the newest events matter most
        lines.pop(0)
        trail = "…\n" + "\n".join(lines)
    blocks.append(context(clip(trail)) if trail else context("(no events)"))
    return blocks


def request_list_blocks(heading: str, requests: list[RightsRequest], prompts: Prompts) -> list[Block]:
    """A list of cards; past what one message holds, the rest are counted."""
    blocks = [section(escape(heading))]
    room = MAX_BLOCKS - 2
    for request in requests[:room]:
        blocks.append(section(request_card(request, prompts)))
    if len(requests) > room:
        blocks.append(context(f"+{len(requests) - room} more: privacy-assistant requests list"))
    return blocks


def digest_blocks(
    heading: str,
    overdue: list[RightsRequest],
    due_soon: list[RightsRequest],
    prompts: Prompts,
    gaps: str | None = None,
) -> list[Block]:
    blocks = [section(escape(heading))]
    listed = [*overdue, *due_soon]
    room = MAX_BLOCKS - 3
    for request in listed[:room]:
        blocks.append(section(request_card(request, prompts)))
    if len(listed) > room:
        blocks.append(context(f"+{len(listed) - room} more: /dsar list overdue, /dsar list due-soon"))
    if gaps:
        blocks.append(section(gaps))
    return blocks


def gaps_text(report: GapReport, prompts: Prompts, days: int, shown: int = 3) -> str:
    """The digest's knowledge gaps: counts and the largest groups' questions (escaped: visitors wrote them)."""
    return prompts.render(
        "slack_digest_gaps",
        days=days,
        declined=report.declined,
        unhelpful=report.unhelpful,
        groups=[{"question": escape(g.question), "count": g.count} for g in report.groups[:shown]],
        more=max(len(report.groups) - shown, 0),
    )


def reject_modal(reference: str, prompts: Prompts, private_metadata: str) -> dict[str, Any]:
    """The dialog asking why a request is rejected."""
    return _reason_modal(
        REJECT_VIEW, private_metadata, ("Reject request", "Reject", "Back"),
        prompts.line("slack_reject_reason", reference=reference), {"min_length": 3, "max_length": 1000},
    )  # fmt: skip


def _reason_modal(
    callback_id: str,
    private_metadata: str,
    buttons: tuple[str, str, str],
    label: str,
    lengths: dict[str, int],
    optional: bool = False,
) -> dict[str, Any]:
    """A dialog asking one thing in words: its title, submit and close ``buttons``, then the ``label``."""
    title, submit, close = ({"type": "plain_text", "text": text} for text in buttons)
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "title": title,
        "submit": submit,
        "close": close,
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": optional,
                "label": {"type": "plain_text", "text": clip(label, 2000)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    **lengths,
                },
            }
        ],
    }


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": clip(label, 75)}, "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": block_id},
    }


def new_request_modal(today: date) -> dict[str, Any]:
    """The dialog the team logs a request received by post, phone, e-mail, in person or a form in."""
    channels = {"post": "Post", "phone": "Phone", "email": "E-mail", "in_person": "In person",
                "web_form": "Web form"}  # fmt: skip
    text_input = {"type": "plain_text_input"}
    return {
        "type": "modal",
        "callback_id": NEW_REQUEST_VIEW,
        "title": {"type": "plain_text", "text": "Log a request"},
        "submit": {"type": "plain_text", "text": "Put on the queue"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("channel", "How it came in", {
                "type": "static_select", "options": [_option(c, channels[c]) for c in TEAM_CHANNELS]}),
            _input("received", "Received on (the deadline counts from it)", {
                "type": "datepicker", "initial_date": today.isoformat()}),
            _input("rights", "Rights asked for (none: it needs triage)", {
                "type": "multi_static_select", "options": [_option(r, f"{r}: {RIGHT_LABELS[r]}") for r in RIGHTS]},
                optional=True),
            _input("name", "The requester's name", {**text_input, "max_length": 200}),
            _input("email", "Their e-mail, if they gave one", {**text_input, "max_length": 254}, optional=True),
            _input("details", "What they asked, in their words", {
                **text_input, "multiline": True, "max_length": 3000}, optional=True),
            _input("verified_by", "How you checked who they are, if you did", {
                "type": "static_select", "options": [_option(m, m.replace("_", " ")) for m in VERIFICATION_METHODS]},
                optional=True),
        ],
    }  # fmt: skip


def new_request_values(view: dict[str, Any]) -> dict[str, Any]:
    """What the dialog's fields hold: text, the chosen option(s) or date; None when left empty."""
    state = view.get("state", {}).get("values", {})
    values: dict[str, Any] = {}
    for name in NEW_REQUEST_FIELDS:
        field = state.get(name, {}).get(name, {})
        if "selected_options" in field:
            values[name] = [o["value"] for o in field["selected_options"] or []]
        elif "selected_option" in field:
            values[name] = (field["selected_option"] or {}).get("value")
        elif "selected_date" in field:
            values[name] = field["selected_date"]
        else:
            values[name] = (field.get("value") or "").strip() or None
    return values
