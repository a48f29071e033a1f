"""The Slack app as the privacy team uses it, end to end through the real web service's /slack/events
and a local stand-in for Slack's Web API: the buttons of an announced request, the reject dialog, the
/dsar commands, and refusals to anyone outside the team. Real model, real Chroma, real SQLite."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from assistant import Assistant
from assistant.intake.draft import RequestDraft
from slack_app import blocks as kit
from tests.slack_fake import FakeSlack
from tests.slack_support import GROUP, GROUP_MEMBER, OUTSIDER, PRIVACY_CHANNEL, TEAM_MEMBER, texts
from tests.slack_support import fake as fake
from tests.slack_support import slack as slack


# -- the privacy team works the queue --------------------------------------------------------------
def web_request(assistant: Assistant, email: str = "bo@example.com") -> str:
    """A request from the website chat: another channel, announced in Slack all the same."""
    conversation = assistant.conversation(channel="web")
    conversation.reply(f"Please delete all my data. I am Bo Lind, {email}")
    turn = conversation.act("confirm")
    assert turn.intake and turn.intake["reference"], turn.reply
    return turn.intake["reference"]


def announcement(fake: FakeSlack, reference: str) -> dict:
    call = fake.wait_for(
        "chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL and reference in p["text"]
    )
    return {
        "type": "message",
        "ts": "1730000000.000001",
        "text": call.params["text"],
        "blocks": call.params["blocks"],
    }


def test_buttons_change_state_and_post_updates(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    reference = web_request(fresh_assistant)
    message = announcement(fake, reference)

    mark = fake.mark()
    slack.press(kit.ASSIGN_TO_ME, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    note = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == message["ts"], after=mark)
    assert note.params["text"] == f"<@{TEAM_MEMBER}> assigned {reference} to <@{TEAM_MEMBER}>."
    refreshed = fake.wait_for("chat.update", lambda p: p["ts"] == message["ts"], after=mark)
    assert f"Assigned to: <@{TEAM_MEMBER}>" in texts(refreshed.params["blocks"])
    assert queue.get(reference).assignee == f"slack:{TEAM_MEMBER}"

    # Start before the requester has verified: the life cycle refuses, and says so to the presser only.
    mark = fake.mark()
    slack.press(kit.START_REQUEST, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    refused = fake.wait_for("chat.postEphemeral", after=mark)
    assert (
        refused.params["user"] == TEAM_MEMBER
        and "pending_verification cannot become in_progress" in refused.params["text"]
    )
    assert queue.get(reference).status == "pending_verification"

    queue.transition(reference, "verified", actor="requester")
    for action_id, status in ((kit.START_REQUEST, "in_progress"), (kit.COMPLETE_REQUEST, "completed")):
        mark = fake.mark()
        slack.press(action_id, reference, GROUP_MEMBER, message, PRIVACY_CHANNEL)  # a member by user group
        fake.wait_for(
            "chat.postMessage",
            lambda p, s=status: p.get("thread_ts") == message["ts"] and s in p["text"],
            after=mark,
        )
        update = fake.wait_for("chat.update", after=mark)
        assert f"Status: {status}" in texts(update.params["blocks"])
        assert queue.get(reference).status == status
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]  # final: no buttons left
    assert fake.of("usergroups.users.list")[0].params["usergroup"] == GROUP
    trail = [(e.kind, e.actor) for e in queue.events(reference)]
    assert ("assigned", f"slack:{TEAM_MEMBER}") in trail and (
        "status_changed",
        f"slack:{GROUP_MEMBER}",
    ) in trail


def test_reject_with_reason_opens_a_dialog_and_records_the_reason(slack, fake, fresh_assistant):
    reference = web_request(fresh_assistant, "cy@example.com")
    message = announcement(fake, reference)
    mark = fake.mark()
    slack.press(kit.REJECT_REQUEST, reference, TEAM_MEMBER, message, PRIVACY_CHANNEL)
    opened = fake.wait_for("views.open", after=mark)
    view = opened.params["view"]
    assert (
        view["callback_id"] == kit.REJECT_VIEW
        and reference in texts(view["blocks"]) + view["blocks"][0]["label"]["text"]
    )

    empty = slack.submit_view(view, TEAM_MEMBER, "   ")
    assert empty.status_code == 200 and empty.json()["response_action"] == "errors"
    assert fresh_assistant.requests.get(reference).status == "pending_verification"

    mark = fake.mark()
    assert slack.submit_view(view, TEAM_MEMBER, "Not a customer of ours <script>").status_code == 200
    note = fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == message["ts"], after=mark)
    assert "rejected" in note.params["text"] and "&lt;script&gt;" in note.params["text"]
    request = fresh_assistant.requests.get(reference)
    assert request.status == "rejected"
    last, told = fresh_assistant.requests.events(reference)[-2:]
    assert (told.kind, told.detail["message"]) == ("requester_not_notified", "rejected")  # never verified
    assert (last.kind, last.actor, last.detail["note"]) == (
        "status_changed",
        f"slack:{TEAM_MEMBER}",
        "Not a customer of ours <script>",
    )


def test_someone_outside_the_privacy_team_cannot_change_anything(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    reference = web_request(fresh_assistant, "di@example.com")
    message = announcement(fake, reference)
    before = (queue.get(reference).to_dict(), [e.to_dict() for e in queue.events(reference)])

    for action_id in (kit.ASSIGN_TO_ME, kit.START_REQUEST, kit.COMPLETE_REQUEST, kit.REJECT_REQUEST):
        mark = fake.mark()
        assert slack.press(action_id, reference, OUTSIDER, message, PRIVACY_CHANNEL).status_code == 200
        refusal = fake.wait_for("chat.postEphemeral", after=mark)
        assert refusal.params["user"] == OUTSIDER and "Only the privacy team" in refusal.params["text"]
    for text in (
        f"assign {reference} <@{OUTSIDER}|di>",
        f"status {reference} rejected",
        f"extend {reference} busy",
        "list",
    ):
        mark = fake.mark()
        slack.command("/dsar", text, OUTSIDER)
        refusal = fake.wait_for("response_url", after=mark)
        assert (
            refusal.params["response_type"] == "ephemeral"
            and "Only the privacy team" in refusal.params["text"]
        )
    # A forged dialog submission is refused too.
    where = json.dumps({"channel": PRIVACY_CHANNEL, "ts": message["ts"], "reference": reference})
    mark = fake.mark()
    slack.submit_view(kit.reject_modal(reference, fresh_assistant.prompts, where), OUTSIDER, "spite")
    fake.wait_for("chat.postEphemeral", lambda p: p["user"] == OUTSIDER, after=mark)

    time.sleep(1)
    assert (queue.get(reference).to_dict(), [e.to_dict() for e in queue.events(reference)]) == before
    assert not fake.of("views.open") and not fake.of("chat.update")


def test_dsar_commands(slack, fake, fresh_assistant):
    queue = fresh_assistant.requests
    late = queue.submit(
        RequestDraft(rights=["access"], name="Ed Ng", email="ed@example.com").refresh_missing(),
        idempotency_key="late-1",
        channel="api",
        now=datetime.now(UTC) - timedelta(days=40),
    ).request
    fresh = web_request(fresh_assistant, "fi@example.com")

    def run(text: str, user: str = TEAM_MEMBER) -> dict:
        mark = fake.mark()
        assert slack.command("/dsar", text, user)[0].status_code == 200
        return fake.wait_for("response_url", after=mark).params

    listed = texts(run("list")["blocks"])
    assert late.reference in listed and fresh in listed and "2 open request(s)" in listed
    overdue = texts(run("list overdue")["blocks"])
    assert late.reference in overdue and fresh not in overdue and "OVERDUE" in overdue
    assert "No due soon requests" in run("list due-soon")["text"]

    shown = run(f"show {late.reference.lower()}", user=GROUP_MEMBER)
    assert late.reference in shown["text"] and "submitted" in texts(shown["blocks"])
    assert "ed@example.com" not in json.dumps(shown)  # identity stays out of Slack

    mark = fake.mark()
    assert "assigned" in run(f"assign {late.reference} <@{GROUP_MEMBER}|gm>")["text"]
    fake.wait_for(
        "chat.postMessage", lambda p: p["channel"] == PRIVACY_CHANNEL and "assigned" in p["text"], after=mark
    )
    assert queue.get(late.reference).assignee == f"slack:{GROUP_MEMBER}"
    assert "verified" in run(f"status {late.reference} verified")["text"]
    assert "in_progress" in run(f"status {late.reference} in-progress")["text"]
    # Overdue: the law wanted the requester told of an extension by the first deadline.
    assert "too late to extend" in run(f"extend {late.reference} The customer holds five accounts")["text"]
    assert queue.get(late.reference).extension_months == 0
    extended = run(f"extend {fresh} 1 month The customer holds five accounts")
    assert "now due" in extended["text"]
    request = queue.get(fresh)
    assert (request.extension_months, request.extension_reason) == (1, "The customer holds five accounts")
    assert "extended 1 month(s)" in texts(run(f"show {fresh}")["blocks"])

    classified = run(f"classify {late.reference} access opt_out_sale_sharing")
    assert "classified" in classified["text"] and "opt_out_sale_sharing" in classified["text"]
    assert queue.get(late.reference).rights == ["access", "opt_out_sale_sharing"]
    assert "unknown right 'sell'" in run(f"classify {late.reference} sell")["text"]

    assert "Nothing was changed" in run(f"status {late.reference} pending_verification")["text"]
    assert "no request has the reference DSAR-2000-000001" in run("show DSAR-2000-000001")["text"]
    assert "unknown status 'done'" in run(f"status {late.reference} done")["text"]
    assert "not a Slack user" in run(f"assign {late.reference} jane")["text"]
    assert "Usage" in run("")["text"] and "unknown command" in run("frobnicate")["text"]
    assert "unknown list" in run("list someday")["text"]


def test_dsar_new_logs_a_postal_request_from_a_dialog_and_dsar_verify_verifies_it(
    slack, fake, fresh_assistant
):
    queue = fresh_assistant.requests
    mark = fake.mark()
    assert slack.command("/dsar", "new", TEAM_MEMBER)[0].status_code == 200
    view = fake.wait_for("views.open", after=mark).params["view"]
    assert view["callback_id"] == kit.NEW_REQUEST_VIEW
    received = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    form = {"channel": "post", "received": received, "rights": ["access", "erasure"], "name": "Lou Letter",
            "email": None, "details": "a letter asking for a copy, then deletion", "verified_by": None}  # fmt: skip

    # What the queue refuses is shown on its field, and nothing is put on the queue.
    refused = slack.submit_form(view, TEAM_MEMBER, {**form, "email": "lou-at-example"})
    assert refused.json()["response_action"] == "errors" and "e-mail" in refused.json()["errors"]["email"]
    future = slack.submit_form(view, TEAM_MEMBER, {**form, "received": "2099-01-01"})
    assert "not in the future" in future.json()["errors"]["received"]
    outsider = slack.submit_form(view, OUTSIDER, form)
    assert outsider.json()["response_action"] == "errors"
    assert queue.list() == []

    mark = fake.mark()
    assert slack.submit_form(view, TEAM_MEMBER, form).status_code == 200
    (request,) = queue.list()
    assert (request.channel, request.rights, request.name, request.email) == (
        "post", ["access", "erasure"], "Lou Letter", ""
    )  # fmt: skip
    assert request.received_at.date().isoformat() == received
    told = fake.wait_for("chat.postMessage", lambda p: p["channel"] == TEAM_MEMBER, after=mark)
    assert request.reference in told.params["text"]
    assert queue.events(request.reference)[0].actor == f"slack:{TEAM_MEMBER}"

    mark = fake.mark()
    assert (
        slack.command("/dsar", f"verify {request.reference} signed_letter", TEAM_MEMBER)[0].status_code == 200
    )
    fake.wait_for("response_url", after=mark)
    assert queue.get(request.reference).status == "verified"
    change = next(e for e in queue.events(request.reference) if e.kind == "status_changed")
    assert (change.actor, change.detail["method"]) == (f"slack:{TEAM_MEMBER}", "signed_letter")


def test_a_slack_user_linked_to_a_member_acts_with_the_members_role_and_name(slack, fake, fresh_assistant):
    queue, members = fresh_assistant.requests, fresh_assistant.requests.members
    members.add("ana@numecent.com", "admin", actor=None)
    members.add("vic@numecent.com", "viewer", actor="ana@numecent.com")
    members.add("gil@numecent.com", "handler", actor="ana@numecent.com")
    members.link_slack("vic@numecent.com", TEAM_MEMBER, actor="ana@numecent.com")
    members.link_slack("gil@numecent.com", GROUP_MEMBER, actor="ana@numecent.com")
    reference = web_request(fresh_assistant, "linked@example.com")

    def run(text: str, user: str) -> dict:
        mark = fake.mark()
        assert slack.command("/dsar", text, user)[0].status_code == 200
        return fake.wait_for("response_url", after=mark).params

    refused = run(f"status {reference} withdrawn", TEAM_MEMBER)
    assert "vic@numecent.com is a viewer; working requests takes the handler role" in refused["text"]
    assert queue.get(reference).status == "pending_verification"
    assert reference in texts(run(f"show {reference}", TEAM_MEMBER)["blocks"])  # a viewer reads
    assert "withdrawn" in run(f"status {reference} withdrawn", GROUP_MEMBER)["text"]
    change = next(e for e in queue.events(reference) if e.kind == "status_changed")
    assert change.actor == "gil@numecent.com"
