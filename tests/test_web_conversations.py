"""Web conversations through httpx against the real app: an id the server never issued starts a new
conversation, and a rights request is filed only once the visitor confirms it. Real model, Chroma and
SQLite."""

from __future__ import annotations

from tests.web_team_support import client as client
from tests.web_team_support import team_assistant as team_assistant
from tests.web_team_support import up_to_the_summary


# -- conversations: ids and confirmation ------------------------------------------------------------
def test_an_id_the_server_never_issued_starts_a_new_conversation(client, team_assistant):
    made_up = "A" * 22
    first = client.post("/api/chat", json={"conversation_id": made_up, "message": "Do you use cookies?"})
    assert first.status_code == 200
    issued = first.json()["conversation_id"]
    assert issued != made_up
    assert team_assistant.conversations.channel_of(made_up) is None  # nothing stored under the made-up id
    again = client.post("/api/chat", json={"conversation_id": issued, "message": "And my rights?"})
    assert again.json()["conversation_id"] == issued

    # Another channel's conversation cannot be continued from the web either.
    slack = team_assistant.conversation("slack-T01-C02-1700000000", channel="slack")
    slack.reply("Please delete my data")
    taken = client.post(
        "/api/chat", json={"conversation_id": "slack-T01-C02-1700000000", "message": "confirm"}
    )
    assert taken.json()["conversation_id"] != "slack-T01-C02-1700000000"
    assert team_assistant.conversation("slack-T01-C02-1700000000", channel="slack").stage == slack.stage


def test_a_conversation_never_confirmed_submits_nothing(client, team_assistant):
    before = team_assistant.requests.count()
    turn = up_to_the_summary(
        client, "Please delete all my data, my email is never.confirmed@example.com", "Ann Example"
    )
    cid = turn["conversation_id"]
    assert turn["actions"] == ["confirm", "cancel"]
    assert "never.confirmed@example.com" in turn["intake"]["summary"]
    # The visitor talks about something else, then cancels: nothing is ever filed.
    client.post("/api/chat", json={"conversation_id": cid, "message": "Do you use cookies?"})
    cancelled = client.post("/api/chat", json={"conversation_id": cid, "action": "cancel"}).json()
    assert cancelled["intake"]["stage"] == "cancelled"
    late = client.post("/api/chat", json={"conversation_id": cid, "action": "confirm"}).json()
    assert late["reply"] == team_assistant.prompts.line("nothing_to_confirm")
    assert team_assistant.requests.count() == before
    assert not [r for r in team_assistant.requests.list() if r.email == "never.confirmed@example.com"]
