"""The web chat's feedback, history and the team's knowledge gaps, through httpx against the real app
(real model, Chroma and SQLite): a vote needs an answer the chat gave, a second vote replaces the first,
bad input gets a clear 4xx; the conversation comes back to its holder only; viewers read the gaps."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from assistant.requests.models import AnswerRecord, TranscriptMessage
from assistant.requests.storage import utcnow
from tests.web_team_support import client as client
from tests.web_team_support import enrol, up_to_the_summary
from tests.web_team_support import team_assistant as team_assistant


def answer_row(assistant, answer_id: str) -> AnswerRecord:
    with assistant.requests.storage.sessions() as session:
        return session.scalars(select(AnswerRecord).where(AnswerRecord.answer_id == answer_id)).one()


def test_a_visitor_rates_an_answer_and_a_second_vote_replaces_the_first(client, team_assistant):
    turn = client.post(
        "/api/chat", json={"message": "How long do you keep my data? I am jo@example.com"}
    ).json()
    assert turn["answerable"] and turn["answer_id"]
    answer_id = turn["answer_id"]

    up = client.post("/api/feedback", json={"answer_id": answer_id, "vote": "up"})
    assert up.status_code == 200 and up.json()["vote"] == "up" and up.json()["reason"] is None
    down = client.post(
        "/api/feedback", json={"answer_id": answer_id, "vote": "down", "reason": "call me: +44 7700 900123"}
    )
    assert down.status_code == 200 and down.json()["reason"] == "call me: [phone]"

    row = answer_row(team_assistant, answer_id)
    assert (row.vote, row.reason, row.channel) == ("down", "call me: [phone]", "web")
    assert row.question == "How long do you keep my data? I am [email]"
    assert row.sections and all(s["section"] for s in row.sections)
    with team_assistant.requests.storage.sessions() as session:  # one row for the answer, no conversation
        assert (
            len(session.scalars(select(AnswerRecord).where(AnswerRecord.answer_id == answer_id)).all()) == 1
        )
    assert turn["conversation_id"] not in str(row.__dict__)


def test_bad_votes_get_a_clear_4xx(client, team_assistant):
    turn = client.post("/api/chat", json={"message": "Do you use cookies?"}).json()
    answer_id = turn["answer_id"]
    slack = team_assistant.conversation("slack-feedback-thread-1", channel="slack").reply(
        "Do you use cookies?"
    )
    cases = [
        ({"answer_id": "A" * 22, "vote": "up"}, 404, "send the answer_id that came with an answer"),
        ({"answer_id": slack.answer_id, "vote": "up"}, 404, "send the answer_id that came with an answer"),
        ({"answer_id": answer_id, "vote": "sideways"}, 422, "vote"),
        ({"answer_id": answer_id}, 422, "vote"),
        ({"answer_id": "short", "vote": "up"}, 422, "answer_id"),
        ({"answer_id": answer_id, "vote": "down", "reason": "x" * 501}, 422, "reason"),
        ({"answer_id": answer_id, "vote": "down", "text": "my own answer"}, 422, "text"),
    ]
    for body, status, words in cases:
        response = client.post("/api/feedback", json=body)
        assert response.status_code == status, (body, response.text)
        assert words in response.json()["error"], (body, response.text)
    not_json = client.post("/api/feedback", content="up", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert answer_row(team_assistant, answer_id).vote is None  # nothing refused was kept


def test_declined_questions_and_down_votes_reach_the_team_as_gaps(client, team_assistant):
    declined = client.post("/api/chat", json={"message": "Can I pay for the software with bitcoin?"}).json()
    assert declined["answerable"] is False and declined["answer_id"]
    voted = client.post("/api/chat", json={"message": "Do you sell my data?"}).json()
    client.post(
        "/api/feedback", json={"answer_id": voted["answer_id"], "vote": "down", "reason": "no yes or no"}
    )

    assert client.get("/api/team/gaps").status_code == 401
    assert client.get("/api/team/gaps", headers={"Authorization": "Bearer nope"}).status_code == 401
    viewer = enrol(team_assistant, "vic@numecent.com", "viewer")
    response = client.get("/api/team/gaps", params={"days": 7}, headers=viewer)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    report = response.json()
    questions = {g["question"]: g for g in report["groups"]}
    assert questions["Can I pay for the software with bitcoin?"]["declined"] == 1
    sold = questions["Do you sell my data?"]
    assert sold["unhelpful"] >= 1 and "no yes or no" in sold["reasons"]
    assert client.get("/api/team/gaps", params={"days": 0}, headers=viewer).status_code == 422


def test_the_conversation_comes_back_to_its_holder_after_a_reload(client, team_assistant):
    first = client.post("/api/chat", json={"message": "How long do you keep my data?"}).json()
    cid = first["conversation_id"]
    second = client.post(
        "/api/chat", json={"conversation_id": cid, "message": "Can I get a copy of my data?"}
    ).json()

    response = client.post("/api/chat/history", json={"conversation_id": cid})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    messages = response.json()["messages"]
    assert [m["role"] for m in messages] == ["visitor", "assistant", "visitor", "assistant"]
    assert messages[0]["text"] == "How long do you keep my data?"
    for shown, turn in ((messages[1], first), (messages[3], second)):
        assert shown["reply"] == turn["reply"] and shown["citations"] == turn["citations"]
        assert shown["answer_id"] == turn["answer_id"] and shown["answerable"] is True

    # Another channel's conversation, a made-up id, or messages past the retention: nothing comes back.
    team_assistant.conversation("slack-history-thread-1", channel="slack").reply("Do you use cookies?")
    for body, status in (
        ({"conversation_id": "slack-history-thread-1"}, 404),
        ({"conversation_id": "B" * 22}, 404),
        ({"conversation_id": "x"}, 422),
        ({}, 422),
    ):
        assert client.post("/api/chat/history", json=body).status_code == status
    old = utcnow() - timedelta(days=team_assistant.settings.transcript_retention_days + 1)
    with team_assistant.requests.storage.sessions() as session, session.begin():
        session.execute(
            update(TranscriptMessage).where(TranscriptMessage.conversation_id == cid).values(at=old)
        )
    gone = client.post("/api/chat/history", json={"conversation_id": cid})
    assert gone.status_code == 404 and "start a new one" in gone.json()["error"]


def test_a_request_being_taken_comes_back_with_its_summary_and_buttons(client):
    turn = up_to_the_summary(client, "Please delete my data, I am ann.history@example.com", "Ann History")
    messages = client.post("/api/chat/history", json={"conversation_id": turn["conversation_id"]}).json()
    last = messages["messages"][-1]
    assert last["role"] == "assistant" and last["reply"] == turn["reply"]
    assert (last["intake"], last["actions"]) == (turn["intake"], ["confirm", "cancel"])
    assert last["answer_id"] is None and last["citations"] == []  # a step of the request, not an answer
    confirmed = client.post(
        "/api/chat", json={"conversation_id": turn["conversation_id"], "action": "confirm"}
    )
    assert confirmed.json()["intake"]["stage"] == "submitted"  # the conversation goes on from the summary
