"""The listeners: each named for what it answers; ``ack()`` first, the work after it (lazy listeners).

Bolt acknowledges within Slack's three seconds with the small ``acknowledge`` functions and runs the
``lazy`` work (answering, taking requests, changing the queue) on its own threads afterwards.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.conversation import Conversation, Turn
from assistant.core import Assistant
from assistant.exceptions import ForbiddenError, PrivacyAssistantError, RequestError, UnknownAnswerError
from assistant.intake.draft import RequestDraft
from assistant.intake.rights import RIGHTS
from assistant.requests.feedback import VOTE_WINDOW
from assistant.requests.laws import Period
from assistant.requests.members import HANDLER
from assistant.requests.states import COMPLETED, IN_PROGRESS, OPEN_STATUSES, REJECTED, STATUSES
from assistant.settings import Settings
from slack_app import blocks, notices
from slack_app.team import PrivacyTeam
from slack_app.threads import SeenEvents, conversation_id, mentions, without_mention

log = logging.getLogger(__name__)

EMPLOYEE = {"on_behalf_of": "employee_forwarding"}
CHANNEL = "slack"  # the conversation channel of employees' questions; their answers are rated here
_USER = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
LISTS = ("open", "due-soon", "overdue")
BUTTON_STATUS = {blocks.START_REQUEST: IN_PROGRESS, blocks.COMPLETE_REQUEST: COMPLETED}


def actor(user: str) -> str:
    """How a Slack user is recorded in the audit trail."""
    return f"slack:{user}"


def _duration(words: list[str]) -> tuple[str | None, str]:
    """``/dsar extend REF [DURATION] REASON``: the duration ("2 months", "45d") if the words start with
    one, and the reason after it."""
    for taken in (2, 1):
        if len(words) > taken:
            try:
                return str(Period.parse(" ".join(words[:taken]))), " ".join(words[taken:])
            except RequestError:
                continue
    return None, " ".join(words)


def _field_of(problem: str) -> str:
    """The new-request dialog's field a queue error is about."""
    for field, words in (("email", "e-mail"), ("received", "date received"), ("verified_by", "verification"),
                         ("rights", "right"), ("channel", "channel")):  # fmt: skip
        if words in problem:
            return field
    return "name"


def acknowledge(ack: Ack) -> None:
    ack()


def acknowledge_reason(ack: Ack, view: dict[str, Any]) -> None:
    """The reject dialog: refuse an empty reason inside the dialog, otherwise close it at once."""
    reason = _reason(view)
    if not reason:
        ack(response_action="errors", errors={blocks.REASON_BLOCK: "Give the reason for the audit trail."})
    else:
        ack()


def _reason(view: dict[str, Any]) -> str:
    value = view["state"]["values"].get(blocks.REASON_BLOCK, {}).get(blocks.REASON_INPUT, {}).get("value")
    return " ".join((value or "").split())


class PrivacyBot:
    """The assistant in Slack: Q&A and request intake for employees, the queue for the privacy team."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.prompts = assistant.prompts
        self.channel = settings.slack_privacy_channel
        self.team = PrivacyTeam(settings.slack_team_users, settings.slack_team_group)
        self.seen = SeenEvents()

    def register(self, app: App) -> None:
        app.event("app_mention")(ack=acknowledge, lazy=[self.answer_mention])
        app.event("message")(ack=acknowledge, lazy=[self.answer_message])
        app.command("/privacy")(ack=acknowledge, lazy=[self.answer_privacy_command])
        app.command("/dsar")(ack=acknowledge, lazy=[self.run_dsar_command])
        app.action(blocks.CONFIRM_REQUEST)(ack=acknowledge, lazy=[self.confirm_request])
        app.action(blocks.CANCEL_REQUEST)(ack=acknowledge, lazy=[self.cancel_request])
        app.action(blocks.RESEND_CODE)(ack=acknowledge, lazy=[self.resend_code])
        app.action(blocks.ASSIGN_TO_ME)(ack=acknowledge, lazy=[self.assign_to_presser])
        app.action(blocks.START_REQUEST)(ack=acknowledge, lazy=[self.move_request])
        app.action(blocks.COMPLETE_REQUEST)(ack=acknowledge, lazy=[self.move_request])
        app.action(blocks.REJECT_REQUEST)(ack=acknowledge, lazy=[self.open_reject_dialog])
        app.view(blocks.REJECT_VIEW)(ack=acknowledge_reason, lazy=[self.reject_request])
        app.view(blocks.NEW_REQUEST_VIEW)(self.log_request)
        app.action(blocks.ANSWER_HELPFUL)(ack=acknowledge, lazy=[self.rate_helpful])
        app.action(blocks.ANSWER_UNHELPFUL)(ack=acknowledge, lazy=[self.rate_unhelpful])
        app.view(blocks.FEEDBACK_VIEW)(ack=acknowledge, lazy=[self.give_reason])

    # -- employees: questions and customers' requests -------------------------------------------
    def answer_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient
    ) -> None:
        if not self.seen.first_time(body.get("event_id")):
            return
        thread = event.get("thread_ts") or event["ts"]
        text = without_mention(event.get("text", ""), context.get("bot_user_id"))
        self._converse(client, body.get("team_id"), event["channel"], thread, text)

    def answer_message(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient
    ) -> None:
        """Direct messages always; in channels, only replies in a thread the bot is already talking in."""
        if event.get("subtype") or event.get("bot_id") or not event.get("text"):
            return  # edits, joins, and bots (this one included) are not questions
        if not self.seen.first_time(body.get("event_id")):
            return
        team, channel, thread = body.get("team_id"), event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            self._converse(client, team, channel, thread, event["text"])
            return
        bot = context.get("bot_user_id")
        if not thread or mentions(event["text"], bot):
            return  # a mention arrives as app_mention too, and is answered there
        if self.assistant.conversations.load(conversation_id(team, channel, thread)) is not None:
            self._converse(client, team, channel, thread, without_mention(event["text"], bot))

    def answer_privacy_command(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        question = " ".join(command.get("text", "").split())
        if not question:
            respond(response_type="ephemeral", text=self.prompts.line("slack_privacy_usage"))
            return
        asked = self.prompts.line("slack_asked", user=command["user_id"], question=blocks.escape(question))
        try:
            posted = client.chat_postMessage(channel=command["channel_id"], text=asked)
        except SlackApiError:
            # Not a member of that channel (or a DM between others): answer only the person asking.
            turn = self._turn(None, question)
            respond(response_type="ephemeral", text=blocks.clip(turn.reply), blocks=self._blocks(turn))
            return
        self._converse(client, command.get("team_id"), posted["channel"], posted["ts"], question)

    def confirm_request(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        self._act(body, action, client, "confirm")

    def cancel_request(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        self._act(body, action, client, "cancel")

    def resend_code(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        self._act(body, action, client, "resend")

    def _act(self, body: dict[str, Any], action: dict[str, Any], client: WebClient, what: str) -> None:
        channel, message = body["channel"]["id"], body["message"]
        thread = message.get("thread_ts") or message["ts"]
        try:
            turn = self._conversation(action["value"]).act(what)
        except PrivacyAssistantError as exc:
            self._post(client, channel, thread, self.prompts.line("slack_error", problem=str(exc)))
            return
        # The buttons have been used: leave the summary, take them away (an answer's rating stays).
        kept = [b for b in message.get("blocks", []) if b.get("block_id") != blocks.INTAKE_BLOCK]
        client.chat_update(channel=channel, ts=message["ts"], text=message.get("text", ""), blocks=kept)
        self._post_turn(client, channel, thread, turn)

    # -- employees: rating an answer -----------------------------------------------------------------
    def rate_helpful(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        self._rate(client, body["channel"]["id"], body["user"]["id"], action["value"], "up")

    def rate_unhelpful(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Noted at once; then a dialog asks, optionally, what was missing."""
        channel, user = body["channel"]["id"], body["user"]["id"]
        if not self._rate(client, channel, user, action["value"], "down", thank=False):
            return
        where = json.dumps({"answer_id": action["value"], "channel": channel})
        try:
            client.views_open(trigger_id=body["trigger_id"], view=blocks.feedback_modal(self.prompts, where))
        except SlackApiError:  # the press is too old to open a dialog: the vote stands without a reason
            said = self.prompts.line("slack_feedback_thanks", vote="down", reason=False)
            client.chat_postEphemeral(channel=channel, user=user, text=said)

    def give_reason(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The dialog after "Not helpful": the reason replaces the vote's (none: the vote stands)."""
        where = json.loads(view["private_metadata"])
        reason = _reason(view) or None
        self._rate(client, where["channel"], body["user"]["id"], where["answer_id"], "down", reason)

    def _rate(
        self,
        client: WebClient,
        channel: str,
        user: str,
        answer_id: str,
        vote: str,
        reason: str | None = None,
        thank: bool = True,
    ) -> bool:
        """Record the vote (the presser is told, not stored); whether it was recorded."""
        try:
            self.assistant.feedback.rate(answer_id, vote, reason, channels=(CHANNEL,))
        except UnknownAnswerError:  # given too long ago (or a button not of this app's making)
            said = self.prompts.line("slack_feedback_gone", days=VOTE_WINDOW.days)
            client.chat_postEphemeral(channel=channel, user=user, text=said)
            return False
        except PrivacyAssistantError as exc:  # a reason the store refuses
            client.chat_postEphemeral(
                channel=channel, user=user, text=self.prompts.line("slack_error", problem=str(exc))
            )
            return False
        if thank:
            said = self.prompts.line("slack_feedback_thanks", vote=vote, reason=bool(reason))
            client.chat_postEphemeral(channel=channel, user=user, text=said)
        return True

    def _converse(
        self, client: WebClient, team: str | None, channel: str, thread: str | None, text: str
    ) -> None:
        conversation = conversation_id(team, channel, thread or "dm")
        self._post_turn(client, channel, thread, self._turn(conversation, text))

    def _turn(self, conversation: str | None, text: str) -> Turn:
        try:
            return self._conversation(conversation).reply(text)
        except PrivacyAssistantError as exc:
            return Turn(conversation or "", self.prompts.line("slack_error", problem=str(exc)))

    def _conversation(self, conversation: str | None) -> Conversation:
        return self.assistant.conversation(conversation, channel="slack", requester_context=EMPLOYEE)

    def _blocks(self, turn: Turn) -> list[blocks.Block]:
        return blocks.turn_blocks(turn, self.prompts, self.channel)

    def _post_turn(self, client: WebClient, channel: str, thread: str | None, turn: Turn) -> None:
        client.chat_postMessage(
            channel=channel, thread_ts=thread, text=blocks.clip(turn.reply), blocks=self._blocks(turn)
        )

    @staticmethod
    def _post(client: WebClient, channel: str, thread: str | None, text: str) -> None:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=[blocks.section(text)])

    # -- the privacy team: /dsar -----------------------------------------------------------------
    def _acting(self, user: str) -> str:
        """Who a team member's change is recorded as: the team member a Slack user is linked to
        (``team slack``), whose role must allow working requests; else the Slack user."""
        member = self.assistant.requests.members.by_slack(user)
        return member.require(HANDLER, "working requests").name if member else actor(user)

    def _name(self, user: str) -> str:
        """A Slack user as an assignee: their member's name when linked."""
        member = self.assistant.requests.members.by_slack(user)
        return member.name if member else actor(user)

    def run_dsar_command(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user = command["user_id"]
        if not self.team.is_member(user, client):
            respond(response_type="ephemeral", text=self.prompts.line("slack_not_team"))
            return
        words = command.get("text", "").split()
        verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if verb == "new" and not args:
            client.views_open(trigger_id=command["trigger_id"], view=blocks.new_request_modal(date.today()))
            return
        try:
            text, message = self._dsar(verb, args, user, client)
        except PrivacyAssistantError as exc:
            text = self.prompts.line("slack_request_problem", problem=str(exc))
            message = [blocks.section(blocks.escape(text))]
        respond(response_type="ephemeral", text=blocks.clip(text), blocks=message)

    def _dsar(
        self, verb: str, args: list[str], user: str, client: WebClient
    ) -> tuple[str, list[blocks.Block]]:
        queue = self.assistant.requests
        if verb == "list" and len(args) <= 1:
            which = (args[0] if args else "open").lower()
            if which not in LISTS:
                return self._usage(f"unknown list {which!r}; use open, due-soon or overdue")
            requests = self._list(which)
            heading = self.prompts.line(
                "slack_list", which=which, count=len(requests), days=self.settings.slack_due_soon_days
            )
            return heading, blocks.request_list_blocks(heading, requests, self.prompts)
        if verb == "show" and len(args) == 1:
            request = queue.get(args[0])
            card = blocks.request_card(request, self.prompts)
            return card, blocks.request_detail_blocks(request, queue.events(request.reference), self.prompts)
        if verb == "assign" and len(args) == 2:
            match = _USER.match(args[1])
            if not match:
                return self._usage(f"{args[1]!r} is not a Slack user; mention them, like @jane")
            request = queue.assign(args[0], self._name(match.group(1)), actor=self._acting(user))
            return self._changed(client, user, request, "assigned")
        if verb == "status" and len(args) == 2:
            status = args[1].lower().replace("-", "_")
            if status not in STATUSES:
                return self._usage(f"unknown status {args[1]!r}")
            request = queue.transition(args[0], status, actor=self._acting(user))
            return self._changed(client, user, request, "status_changed")
        if verb == "extend" and len(args) >= 2:
            length, reason = _duration(args[1:])
            request = queue.extend(args[0], reason, actor=self._acting(user), length=length)
            return self._changed(client, user, request, "extended")
        if verb == "verify" and len(args) == 2:
            request = queue.verify_identity(args[0], args[1].lower(), actor=self._acting(user))
            return self._changed(client, user, request, "status_changed")
        if verb == "classify" and len(args) >= 2:
            request = queue.classify(
                args[0], [a.lower().strip(",") for a in args[1:]], actor=self._acting(user)
            )
            return self._changed(client, user, request, "classified")
        known = verb in ("list", "show", "assign", "status", "extend", "classify", "verify", "new", "help")
        return self._usage(
            None if verb == "help" else f"/dsar {verb}: {'wrong arguments' if known else 'unknown command'}"
        )

    def _usage(self, problem: str | None) -> tuple[str, list[blocks.Block]]:
        text = self.prompts.render(
            "slack_dsar_usage", statuses=list(STATUSES), rights=list(RIGHTS), problem=problem
        )
        return text, [blocks.section(blocks.escape(text))]

    def _list(self, which: str) -> list:
        today = date.today()
        if which == "overdue":
            return notices.overdue(self.assistant, today)
        if which == "due-soon":
            return notices.due_soon(self.assistant, self.settings.slack_due_soon_days, today)
        return self.assistant.requests.list(status=list(OPEN_STATUSES), identity=False)

    def _changed(
        self, client: WebClient, user: str, request, kind: str, note: str | None = None
    ) -> tuple[str, list[blocks.Block]]:
        """Tell the privacy channel what changed, and return the text for whoever changed it."""
        line = self._change_line(user, request, kind, note)
        if self.channel:
            client.chat_postMessage(channel=self.channel, text=line, blocks=[blocks.section(line)])
        return line, [blocks.section(line), blocks.section(blocks.request_card(request, self.prompts))]

    def _change_line(self, user: str, request, kind: str, note: str | None = None) -> str:
        return self.prompts.line(
            "slack_request_changed",
            rights=request.rights,
            reference=request.reference,
            user=user,
            kind=kind,
            assignee=blocks.mention(request.assignee),
            status=request.status,
            due_at=request.due_at.isoformat(),
            note=blocks.escape(note) if note else None,
        )

    # -- the privacy team: the announcement's buttons --------------------------------------------
    def assign_to_presser(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        self._change(
            body,
            client,
            "assigned",
            lambda: self.assistant.requests.assign(
                action["value"], self._name(user), actor=self._acting(user)
            ),
        )

    def move_request(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        status = BUTTON_STATUS[action["action_id"]]
        user = body["user"]["id"]
        self._change(
            body,
            client,
            "status_changed",
            lambda: self.assistant.requests.transition(action["value"], status, actor=self._acting(user)),
        )

    def open_reject_dialog(self, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel, user = body["channel"]["id"], body["user"]["id"]
        if not self.team.is_member(user, client):
            client.chat_postEphemeral(channel=channel, user=user, text=self.prompts.line("slack_not_team"))
            return
        where = json.dumps({"channel": channel, "ts": body["message"]["ts"], "reference": action["value"]})
        client.views_open(
            trigger_id=body["trigger_id"], view=blocks.reject_modal(action["value"], self.prompts, where)
        )

    def reject_request(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        where = json.loads(view["private_metadata"])
        user, reason = body["user"]["id"], _reason(view)
        if not reason:
            return  # refused inside the dialog already (acknowledge_reason); lazy work runs regardless
        message = {"channel": where["channel"], "ts": where["ts"]}
        self._change(
            {"user": {"id": user}, "channel": {"id": where["channel"]}, "message": message},
            client,
            "status_changed",
            lambda: self.assistant.requests.transition(
                where["reference"], REJECTED, actor=self._acting(user), note=reason
            ),
            note=reason,
        )

    def log_request(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The new-request dialog: the request is put on the queue before the dialog closes, so what
        the queue refuses is shown on the field it concerns; the member gets its reference."""
        user = body["user"]["id"]
        if not self.team.is_member(user, client):
            ack(response_action="errors", errors={"name": self.prompts.line("slack_not_team")})
            return
        values = blocks.new_request_values(view)
        draft = RequestDraft(
            rights=values["rights"] or [],
            name=values["name"],
            email=values["email"],
            data_concerned=values["details"],
            triage=not values["rights"],
        )
        try:
            received = date.fromisoformat(values["received"] or "")
            submission = self.assistant.requests.log_received(
                draft,
                values["channel"] or "",
                received,
                actor=self._acting(user),
                verified_by=values["verified_by"],
                idempotency_key=f"slack-view:{view['id']}",  # a dialog submitted twice makes one request
            )
        except ValueError:
            ack(response_action="errors", errors={"received": "pick the day the request came in"})
            return
        except (RequestError, ForbiddenError) as exc:
            ack(response_action="errors", errors={_field_of(str(exc)): blocks.clip(str(exc), 150)})
            return
        ack()
        request = submission.request
        self._post(client, user, None, self.prompts.line("slack_logged", reference=request.reference,
                                                          due_at=request.due_at.isoformat(), status=request.status))  # fmt: skip

    def _change(
        self, body: dict[str, Any], client: WebClient, kind: str, change, note: str | None = None
    ) -> None:
        """Only the team changes the queue; then the announcement is refreshed and the change told in its thread."""
        user, channel, ts = body["user"]["id"], body["channel"]["id"], body["message"]["ts"]
        if not self.team.is_member(user, client):
            client.chat_postEphemeral(channel=channel, user=user, text=self.prompts.line("slack_not_team"))
            return
        try:
            request = change()
        except (RequestError, ForbiddenError) as exc:
            problem = self.prompts.line("slack_request_problem", problem=str(exc))
            client.chat_postEphemeral(channel=channel, user=user, text=problem)
            return
        card = notices.announcement_blocks(request, self.assistant)
        client.chat_update(channel=channel, ts=ts, text=card[0]["text"]["text"], blocks=card)
        line = self._change_line(user, request, kind, note)
        client.chat_postMessage(channel=channel, thread_ts=ts, text=line, blocks=[blocks.section(line)])
