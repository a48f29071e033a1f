"""The rights taxonomy and the requests no right could be read from (issue 18, items 1 and 2).

A request-like message the reader cannot classify is never answered as a policy question: the chat asks
which right is meant, and when the answer still names none the request goes on the queue "needs
triage" for a person to classify, through the queue, the team API and the CLI. Real SQLite and
PostgreSQL, the real model in the chat."""

from __future__ import annotations

import pytest

from assistant import RequestDraft, RequestError, Right
from assistant.intake.rights import BY_NAME, RIGHTS, TAXONOMY
from tests.requests_support import NOW, draft, mails
from tests.web_team_support import TEAM, submit, trail
from tests.web_team_support import client as client
from tests.web_team_support import team_assistant as team_assistant


def test_every_right_names_the_law_behind_it():
    assert RIGHTS[:8] == (
        "access",
        "rectification",
        "erasure",
        "objection",
        "restriction",
        "portability",
        "withdraw_consent",
        "marketing_opt_out",
    )  # the names rows already hold: nothing to migrate
    assert {"opt_out_sale_sharing", "limit_sensitive_data"} <= set(RIGHTS)
    assert all(isinstance(r, Right) and r.law and r.label for r in TAXONOMY)
    assert "GDPR Art. 15" in BY_NAME["access"].law and "right to know" in BY_NAME["access"].law
    assert BY_NAME["opt_out_sale_sharing"].law.startswith("CCPA §1798.120")
    assert BY_NAME["limit_sensitive_data"].gdpr is None


def test_a_request_without_rights_is_queued_only_for_triage_and_a_person_classifies_it(queue):
    with pytest.raises(RequestError, match="name at least one right"):
        queue.submit(draft(rights=[]), "no-right", now=NOW)
    with pytest.raises(RequestError, match="unknown right 'sell'"):
        queue.submit(draft(rights=["sell"]), "bad-right", now=NOW)

    unclear = draft(rights=[], triage=True, data_concerned="Under the CCPA I exercise my rights.")
    assert unclear.missing == []
    request = queue.submit(unclear, "triage-1", now=NOW).request
    assert request.needs_triage and request.to_dict()["needs_triage"] is True
    assert "our privacy team will read it" in mails(queue)[0].get_content()

    with pytest.raises(RequestError, match="name at least one right"):
        queue.classify(request.reference, [], actor="ana@numecent.com", now=NOW)
    classified = queue.classify(
        request.reference, ["opt_out_sale_sharing", "access"], actor="ana@numecent.com", now=NOW
    )
    assert classified.rights == ["access", "opt_out_sale_sharing"]  # the taxonomy's order
    assert not classified.needs_triage
    last = queue.events(request.reference)[-1]
    assert (last.kind, last.actor) == ("classified", "ana@numecent.com")
    assert last.detail == {"rights": ["access", "opt_out_sale_sharing"], "previous": []}

    queue.transition(request.reference, "withdrawn", actor="ana@numecent.com", now=NOW)
    with pytest.raises(RequestError, match="only open requests can be classified"):
        queue.classify(request.reference, ["erasure"], actor="ana@numecent.com", now=NOW)


def test_the_team_api_classifies_with_the_member_in_the_trail(client, team_assistant):
    reference = submit(team_assistant, rights=[], triage=True)
    listed = client.get("/api/team/requests", headers=TEAM).json()["requests"]
    assert next(r for r in listed if r["reference"] == reference)["needs_triage"] is True

    refused = client.post(f"/api/team/requests/{reference}/classify", json={"rights": ["sell"]}, headers=TEAM)
    assert refused.status_code == 422 and "unknown right 'sell'" in refused.json()["error"]
    empty = client.post(f"/api/team/requests/{reference}/classify", json={"rights": []}, headers=TEAM)
    assert empty.status_code == 422
    done = client.post(
        f"/api/team/requests/{reference}/classify", json={"rights": ["limit_sensitive_data"]}, headers=TEAM
    )
    assert done.status_code == 200
    assert done.json()["rights"] == ["limit_sensitive_data"] and done.json()["needs_triage"] is False
    assert trail(team_assistant, reference)[-1] == (
        "classified",
        "ana@numecent.com",
        {"rights": ["limit_sensitive_data"], "previous": []},
    )
    unauthorised = client.post(
        f"/api/team/requests/{reference}/classify", json={"rights": ["access"]}, headers={}
    )
    assert unauthorised.status_code == 401


def test_the_chat_never_answers_an_unclassifiable_request_as_a_question(client, team_assistant):
    letter = (
        "Dear Sir or Madam,\n\nRe: GDPR\n\nI hereby invoke my rights under the GDPR and the CCPA. Please "
        "act on this letter within the time the law allows and confirm to me in writing what you have "
        "done.\n\nYours faithfully,\nRuth Okafor"
    )
    turn = client.post("/api/chat", json={"message": letter}).json()
    assert turn["intake"]["stage"] == "collecting", turn["reply"]
    assert turn["intake"]["missing"][0] == "rights"
    assert "not sure" in turn["reply"]
    conversation = turn["conversation_id"]

    def say(message: str) -> dict:
        return client.post("/api/chat", json={"conversation_id": conversation, "message": message}).json()

    turn = say("I am not sure, you tell me")
    assert turn["intake"]["missing"][0] == "email", turn["reply"]
    turn = say("ruth.okafor@example.org")
    assert turn["intake"]["stage"] == "confirming", turn["reply"]
    assert "to be classified by our privacy team" in turn["reply"]
    turn = say("yes")
    reference = turn["intake"]["reference"]
    request = team_assistant.requests.get(reference)
    assert request.needs_triage and request.email == "ruth.okafor@example.org"
    assert "I hereby invoke my rights" in request.data_concerned  # the team reads the letter


def test_a_draft_remembers_triage_across_turns():
    restored = RequestDraft.from_dict(RequestDraft(triage=True, name="A", email="a@example.com").to_dict())
    assert restored.triage and restored.missing == []
