"""No dead end for a requester: a locked, expired or lost code is replaced by a new one, on real SQLite
and a real PostgreSQL, through the queue and through the chat (typed in nine languages, or the button).

The codes are read from the verification mails in ``DATA_DIR/outbox`` once the outbox worker delivered them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from assistant import (
    Assistant,
    RequestDraft,
    RequestQueue,
    ResendLimitError,
    UnknownRequestError,
    VerificationError,
)
from assistant.intake.new_code import asks_for_new_code
from assistant.redaction import mask_email
from assistant.requests import OutboxWorker
from tests.conftest import CORPUS

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def draft(address: str = "jo.bloggs@example.com") -> RequestDraft:
    return RequestDraft(rights=["erasure"], name="Jo Bloggs", email=address).refresh_missing()


def codes_sent(queue: RequestQueue, to: str) -> list[str]:
    """Every code mailed to ``to``, oldest first."""
    worker = OutboxWorker(queue.storage)
    worker.deliver_due(datetime.now(UTC) + timedelta(days=1))  # whatever waits, whoever sends it
    codes = []
    for message in worker.folder.messages():
        code = re.search(r"^\s+(\d{6})\s*$", message.get_content(), re.MULTILINE)
        if message["To"] == to and code:  # a verification mail, not a later message about the request
            codes.append(code.group(1))
    return codes


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def expire_codes(queue: RequestQueue, reference: str) -> None:
    """Let the request's codes run out, as an hour passing would."""
    with queue.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE verification_codes SET expires_at = :past WHERE request_id = "
                "(SELECT id FROM rights_requests WHERE reference = :reference)"
            ),
            {"past": (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None), "reference": reference},
        )


def new_code(queue: RequestQueue, reference: str, to: str, old: str, now: datetime | None = None) -> str:
    """Resend until the new code differs from ``old`` (they coincide once in a million sends)."""
    for _ in range(2):
        queue.resend_verification(reference, actor="requester", now=now)
        code = codes_sent(queue, to)[-1]
        if code != old:
            return code
    raise AssertionError("two resends drew the old code again")


# -- the queue ------------------------------------------------------------------------------------
def test_five_wrong_codes_lock_a_new_code_verifies_and_the_old_one_is_refused(queue):
    to = "jo.bloggs@example.com"
    reference = queue.submit(draft(to), "k").request.reference
    [old] = codes_sent(queue, to)
    for left in (4, 3, 2, 1):
        with pytest.raises(VerificationError, match=f"{left} tries left"):
            queue.verify(reference, other_than(old))
    with pytest.raises(VerificationError, match="too many wrong codes; ask for a new one"):
        queue.verify(reference, other_than(old))
    with pytest.raises(VerificationError, match="too many wrong codes"):
        queue.verify(reference, old)  # locked: even the right code

    code = new_code(queue, reference, to, old)
    with pytest.raises(VerificationError, match="not right"):
        queue.verify(reference, old)  # the new code voided the old one
    assert queue.verify(reference, code).status == "verified"
    events = queue.events(reference)
    assert [(e.kind, e.actor) for e in events][:2] == [
        ("submitted", "requester"),
        ("code_resent", "requester"),
    ]
    assert events[-2].detail == {"from": "pending_verification", "to": "verified", "method": "email"}
    assert (events[-1].kind, events[-1].detail) == ("requester_notified", {"message": "verified"})


def test_an_expired_code_is_replaced_and_the_new_one_verifies(queue):
    to = "jo.bloggs@example.com"
    reference = queue.submit(draft(to), "k", now=NOW).request.reference
    [old] = codes_sent(queue, to)
    with pytest.raises(VerificationError, match="expired; ask for a new one"):
        queue.verify(reference, old, now=NOW + timedelta(minutes=61))
    later = NOW + timedelta(minutes=62)
    code = new_code(queue, reference, to, old, now=later)
    with pytest.raises(VerificationError, match="not right"):
        queue.verify(reference, old, now=later)
    assert queue.verify(reference, code, now=later + timedelta(minutes=59)).status == "verified"


def test_the_hourly_limit_says_when_to_ask_again(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference  # 09:30, the first mail
    queue.resend_verification(reference, now=NOW + timedelta(minutes=10))
    queue.resend_verification(reference, now=NOW + timedelta(minutes=20))
    before = queue.events(reference)
    with pytest.raises(ResendLimitError, match=r"try again after 10:30 UTC \(in 30 minute") as refused:
        queue.resend_verification(reference, now=NOW + timedelta(minutes=30))
    assert refused.value.retry_at == NOW + timedelta(hours=1)
    assert refused.value.retry_after == 30 * 60
    assert queue.events(reference) == before  # a refused resend sends and records nothing
    queue.resend_verification(reference, now=NOW + timedelta(hours=1))  # the 09:30 mail has aged out
    with pytest.raises(ResendLimitError, match="after 10:40 UTC"):
        queue.resend_verification(reference, now=NOW + timedelta(hours=1, minutes=1))


def test_nothing_is_resent_for_a_verified_closed_or_unknown_request(queue):
    to = "jo.bloggs@example.com"
    reference = queue.submit(draft(to), "k").request.reference
    queue.verify(reference, codes_sent(queue, to)[0])
    with pytest.raises(VerificationError, match="is verified; there is nothing to verify"):
        queue.resend_verification(reference)
    withdrawn = queue.submit(draft("other@example.com"), "k2").request.reference
    queue.transition(withdrawn, "withdrawn", actor="ana")
    with pytest.raises(VerificationError, match="is withdrawn"):
        queue.resend_verification(withdrawn)
    with pytest.raises(UnknownRequestError, match="no request has the reference"):
        queue.resend_verification("DSAR-2020-999999")
    assert len(codes_sent(queue, to)) == 1


# -- recognising the ask --------------------------------------------------------------------------
# Written after the phrase table, in other words than its examples; every one must be recognised.
ASKS = {
    "en": ["send me a new code", "I didn't get the email", "resend", "the code expired",
           "could you resend the verification email?", "never received any code"],
    "de": ["Bitte den Code nochmal schicken", "Ich habe keinen Code erhalten", "Der Code ist abgelaufen"],
    "fr": ["Je n'ai jamais reçu de code", "Envoyez-moi un nouveau code svp", "mon code est bloqué"],
    "es": ["Necesito otro código", "no me ha llegado ningún correo", "¿Me pueden reenviar el código?"],
    "it": ["Potete rimandarmi il codice?", "non mi è arrivata nessuna mail", "il codice è scaduto"],
    "nl": ["Stuur de code nog een keer alstublieft", "ik heb geen code gekregen", "de code is verlopen"],
    "pt": ["Pode reenviar o código?", "o código não funciona, preciso de outro", "nunca recebi o email"],
    "pl": ["Wyślijcie ponownie kod", "nie otrzymałam kodu weryfikacyjnego", "potrzebuję nowego kodu"],
    "sv": ["Skicka koden igen tack", "jag fick aldrig någon kod", "koden har gått ut"],
}  # fmt: skip


@pytest.mark.parametrize("message", [m for messages in ASKS.values() for m in messages])
def test_asks_for_a_new_code_in_every_supported_language(message):
    assert asks_for_new_code(message)


@pytest.mark.parametrize(
    "message",
    [
        "How do I delete my data?",
        "Do you share my email with new partners?",
        "My new email is jo.bloggs@example.org",
        "Please delete all my data, my email is chat.resend@example.com",
        "see https://example.com/resend-new-code",
        "After you delete me, can I sign up again with the same email?",
        "I need to reset my password but the reset link has expired.",
        "Wie lange speichern Sie meine Daten?",
        "123456",
        "Please " + "tell me why you did not send me a new code " * 4,  # too long to be the ask itself
    ],
)
def test_other_messages_are_not_an_ask_for_a_new_code(message):
    assert not asks_for_new_code(message)


def test_the_address_is_masked():
    assert mask_email("jo.bloggs@example.com") == "j•••@example.com"
    assert mask_email("not an address") == "•••"


# -- the chat: typed or pressed -------------------------------------------------------------------
@pytest.fixture
def chat(tmp_path, database_url):
    """The dialogue over a real request database; nothing here needs the model or the index."""
    a = Assistant.open(corpus_dir=CORPUS, data_dir=tmp_path / "data", database_url=database_url)
    yield a
    a.requests.close()


def submitted(a: Assistant, to: str = "jo.bloggs@example.com"):
    """A web conversation whose request was just submitted and waits for its code."""
    conversation = a.conversation(channel="web")
    key = f"conversation:{conversation.id}:1"
    request = a.requests.submit(draft(to), idempotency_key=key, channel="web").request
    conversation.state.update(
        stage="submitted",
        reference=request.reference,
        draft=draft(to).to_dict(),
        drafts=1,
        idempotency_key=key,
    )
    conversation._save()
    return a.conversation(conversation.id, channel="web"), request.reference


def test_locked_in_chat_then_a_new_code_by_typing_and_the_old_one_refused(chat):
    conversation, reference = submitted(chat)
    [old] = codes_sent(chat.requests, "jo.bloggs@example.com")
    for _ in range(5):
        turn = conversation.reply(other_than(old))
    assert "too many wrong codes" in turn.reply
    assert 'reply "new code" or press "Send a new code"' in turn.reply
    assert turn.actions == ["resend"]

    turn = conversation.reply("send me a new code")
    assert turn.answer is None  # never a policy answer
    assert "j•••@example.com" in turn.reply and "jo.bloggs@example.com" not in turn.reply
    assert "no longer works" in turn.reply
    assert not re.search(r"\d{6}", turn.reply)
    assert turn.actions == ["resend"] and turn.intake["reference"] == reference
    [_, code] = codes_sent(chat.requests, "jo.bloggs@example.com")
    if code != old:
        assert "not accepted" in conversation.reply(old).reply
    turn = conversation.reply(code)
    assert "confirmed" in turn.reply and turn.actions == []
    assert chat.requests.get(reference).status == "verified"
    assert [e.kind for e in chat.requests.events(reference)][:2] == ["submitted", "code_resent"]

    turn = conversation.reply("I didn't get the email")  # nothing left to send
    assert "already confirmed" in turn.reply and turn.answer is None


def test_expired_in_chat_then_a_new_code_by_the_button(chat):
    conversation, reference = submitted(chat)
    [old] = codes_sent(chat.requests, "jo.bloggs@example.com")
    expire_codes(chat.requests, reference)
    turn = conversation.reply(old)
    assert "expired" in turn.reply and "Send a new code" in turn.reply and turn.actions == ["resend"]
    turn = conversation.act("resend")
    assert "We have sent a new code to j•••@example.com" in turn.reply
    [_, code] = codes_sent(chat.requests, "jo.bloggs@example.com")
    assert "confirmed" in conversation.reply(code).reply


@pytest.mark.parametrize("language", sorted(ASKS))
def test_a_new_code_asked_in_any_language_is_sent_never_answered_from_the_policy(chat, language):
    conversation, _ = submitted(chat, f"{language}@example.com")
    turn = conversation.reply(ASKS[language][0])
    assert turn.answer is None
    assert f"{language[0]}•••@example.com" in turn.reply
    assert len(codes_sent(chat.requests, f"{language}@example.com")) == 2


def test_the_hourly_limit_in_chat_says_when_to_ask_again(chat):
    conversation, _ = submitted(chat)
    conversation.reply("resend")
    conversation.act("resend")
    turn = conversation.reply("send the code again please")
    assert re.search(
        r"already sent 3 codes in the last hour.*after \d\d:\d\d UTC, in (59|60) minutes", turn.reply
    )
    assert turn.actions == ["resend"]
    assert len(codes_sent(chat.requests, "jo.bloggs@example.com")) == 3


def test_without_a_request_waiting_the_ask_is_answered_not_abstained(chat):
    conversation = chat.conversation(channel="web")
    turn = conversation.reply("I never got the code, send a new one")
    assert turn.answer is None and "no request waiting for a code" in turn.reply
    assert "link in the e-mail" in turn.reply
    turn = conversation.act("resend")
    assert "no request waiting for a code" in turn.reply
    conversation, reference = submitted(chat)
    chat.requests.transition(reference, "withdrawn", actor="ana")
    turn = conversation.act("resend")
    assert f"{reference} is closed (withdrawn)" in turn.reply and turn.actions == []


# -- requests nobody verifies ---------------------------------------------------------------------
def test_a_request_never_verified_is_closed_after_the_configured_days(queue):
    from assistant.requests.unverified import SWEEPER, close_unverified

    stale = queue.submit(draft("stale@example.com"), "a", now=NOW - timedelta(days=31)).request.reference
    resent = queue.submit(draft("resent@example.com"), "b", now=NOW - timedelta(days=40)).request.reference
    queue.resend_verification(resent, now=NOW - timedelta(days=10))  # a new code starts the wait again
    verified = queue.submit(draft("done@example.com"), "c", now=NOW - timedelta(days=40)).request.reference
    queue.verify(verified, codes_sent(queue, "done@example.com")[0], now=NOW - timedelta(days=40))
    recent = queue.submit(draft("recent@example.com"), "d", now=NOW - timedelta(days=29)).request.reference

    assert close_unverified(queue, 0, now=NOW) == []  # 0: never
    assert close_unverified(queue, 30, now=NOW) == [stale]
    assert queue.get(stale).status == "rejected"
    last, told = queue.events(stale)[-2:]
    assert (last.kind, last.actor, last.at) == ("status_changed", SWEEPER, NOW)
    assert last.detail["from"] == "pending_verification" and "not verified" in last.detail["note"]
    assert (told.kind, told.detail["reason"]) == (
        "requester_not_notified",
        "the e-mail address was never verified",
    )
    assert [queue.get(r).status for r in (resent, verified, recent)] == [
        "pending_verification",
        "verified",
        "pending_verification",
    ]
    assert close_unverified(queue, 30, now=NOW) == []  # once only
    with pytest.raises(VerificationError, match="is rejected; there is nothing to verify"):
        queue.resend_verification(stale)
