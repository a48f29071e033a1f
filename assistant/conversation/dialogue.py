"""The dialogue: each message in, one ``Turn`` out, whatever the channel (web, Slack, CLI).

A turn is either a question about the policy (answered from the policy, with an offer to start a
request when it is about a right) or part of taking a rights request: ask for what is missing one
thing at a time, show a summary, submit only after an explicit confirmation. "cancel" works at every
step. Once submitted, a code typed in the chat verifies the request, and asking for a new code (in
any language the intake reads, or with the "resend" button) sends one. The state lives in the request
database, so a conversation continues on any worker and after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from assistant.answering.compose import clean_question
from assistant.conversation.parts import ConversationParts, Turn, new_conversation_id
from assistant.conversation.stages import ACTIONS, STAGE_MOVES, TAKING, Stage
from assistant.conversation.words import CANCEL, CODE, NO, YES, plain_name
from assistant.exceptions import InvalidInputError, VerificationError
from assistant.intake.draft import ON_BEHALF_OF, RequestDraft
from assistant.intake.fields import find_email, find_name, valid_email
from assistant.intake.new_code import asks_for_new_code
from assistant.requests.feedback import FEEDBACK_CHANNELS
from assistant.requests.resend import resend_code, why_not_resent
from assistant.requests.states import PENDING_VERIFICATION
from assistant.requests.storage import CHANNELS

# Who is asking, when the channel knows better than the message: Slack users are employees forwarding.
CHANNEL_REQUESTER = {"slack": "employee_forwarding"}


class Conversation:
    """One visitor's or employee's dialogue. ``requester_context`` may force ``on_behalf_of``."""

    def __init__(
        self,
        parts: ConversationParts,
        conversation_id: str | None = None,
        channel: str = "web",
        requester_context: dict[str, Any] | None = None,
    ) -> None:
        if channel not in CHANNELS:
            raise InvalidInputError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
        if conversation_id is not None and not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", conversation_id):
            raise InvalidInputError("a conversation id is 8 to 64 letters, digits, '-' or '_'")
        self.parts = parts
        self.prompts = parts.prompts
        self.requests = parts.requests
        self.id = conversation_id or new_conversation_id()
        self.channel = channel
        self.store = parts.store
        context = dict(requester_context or {})
        behalf = context.get("on_behalf_of") or CHANNEL_REQUESTER.get(channel)
        if behalf is not None and behalf not in ON_BEHALF_OF:
            raise InvalidInputError(f"on_behalf_of must be one of: {', '.join(ON_BEHALF_OF)}")
        self._behalf = behalf
        self.state = self._as_stored(self.store.load(self.id))

    def _as_stored(self, state: dict[str, Any] | None) -> dict[str, Any]:
        state = state or {"stage": Stage.IDLE, "drafts": 0}
        if self._behalf:
            state["on_behalf_of"] = self._behalf
        return state

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """One turn at a time per conversation (``ConversationStore.turn``), from the state as saved by
        the turn before: another process may have taken one since this object read it."""
        with self.store.turn(self.id, self.channel) as stored:
            self.state = self._as_stored(stored)
            yield

    @property
    def stage(self) -> Stage:
        return Stage(self.state["stage"])

    def _move(self, stage: Stage, **fields: Any) -> None:
        """Go to ``stage`` (with ``fields`` of the state); only the steps ``STAGE_MOVES`` lists are taken."""
        if stage not in STAGE_MOVES[self.stage]:
            raise RuntimeError(f"conversation {self.id}: no step from {self.stage} to {stage}")
        self.state.update(stage=stage, **fields)

    # -- the two entry points -------------------------------------------------------------------
    def reply(self, message: str) -> Turn:
        """The assistant's answer to a typed message."""
        text = clean_question(message, self.parts.max_message_chars, noun="message", keep_lines=True)
        with self._holding():
            self.store.append(self.id, "visitor", text)
            notice = self._recover()
            turn = self._route(text)
            return self._finish(turn, notice)

    def act(self, action: str) -> Turn:
        """A button pressed in the channel: ``confirm`` or ``cancel`` the request being taken, or
        ``resend`` its verification code."""
        if action not in ACTIONS:
            raise InvalidInputError(f"unknown action {action!r}; use one of: {', '.join(ACTIONS)}")
        with self._holding():
            self.store.append(self.id, "visitor", f"[{action}]")
            notice = None if action == "confirm" and self.stage == Stage.SUBMITTING else self._recover()
            return self._finish(self._acted(action), notice)

    def _acted(self, action: str) -> Turn:
        if action == "cancel":
            return self._cancel() if self.stage in TAKING else self._nothing_waiting()
        if action == "resend":
            return self._resend()
        if self.stage in (Stage.CONFIRMING, Stage.SUBMITTING):
            return self._submit()
        if self.stage == Stage.COLLECTING:
            return self._ask_next(lead=self._say("intake_confirm_first"))
        if self.stage == Stage.SUBMITTED and self.state.get("reference"):
            return self._turn(self._say("intake_already_submitted", reference=self.state["reference"]))
        return self._nothing_waiting()

    def transcript(self) -> list[tuple[datetime, str, str]]:
        """(when, role, text) of every message still kept."""
        return self.store.transcript(self.id)

    # -- routing --------------------------------------------------------------------------------
    def _route(self, text: str) -> Turn:
        stage = self.stage
        if stage in TAKING and CANCEL.match(text):
            return self._cancel()
        # Never answered as a policy question. While a request is being taken, an address in the
        # message is an answer to the question asked, whatever else it says.
        if asks_for_new_code(text) and not (stage in TAKING and find_email(text)):
            return self._resend()
        if stage == Stage.COLLECTING:
            return self._collect(text)
        if stage == Stage.CONFIRMING:
            return self._confirming(text)
        if stage == Stage.SUBMITTED and CODE.match(text) and self.state.get("reference"):
            return self._verify(text)
        offered = self.state.pop("offered_rights", None)
        if offered and YES.match(text):
            return self._start(RequestDraft(rights=offered, language=self.state.get("language") or "en"))
        draft = self.parts.intake.read(text, on_behalf_of=self.state.get("on_behalf_of"))
        if draft is not None:
            return self._start(draft)
        return self._answer(text)

    def _answer(self, text: str, then_ask: bool = False) -> Turn:
        answer = self.parts.ask(text[: self.parts.max_question_chars])
        rated = self.channel in FEEDBACK_CHANNELS
        answer_id = self.parts.feedback.issue(answer, self.channel) if rated else None
        reply = answer.text
        if then_ask:
            follow = self._ask_next()
            return replace(follow, reply=f"{reply}\n\n{follow.reply}", answer=answer, answer_id=answer_id)
        rights = self.parts.intake.cues(text)
        if rights and self.stage not in TAKING:
            # A question about a right: answer it, and offer to start that request, in its language.
            self.state["offered_rights"] = rights
            self.state["language"] = self.parts.intake.languages.detect(text)
            reply = f"{reply}\n\n{self._say('intake_offer', rights=[self._label(r) for r in rights])}"
        return Turn(self.id, reply, answer, answer_id=answer_id)

    # -- taking a request -----------------------------------------------------------------------
    def _start(self, draft: RequestDraft) -> Turn:
        behalf = self.state.get("on_behalf_of")
        if behalf:
            draft.on_behalf_of = behalf
        self._move(
            Stage.COLLECTING,
            draft=draft.refresh_missing().to_dict(),
            drafts=self.state.get("drafts", 0) + 1,
            reference=None,
            due_at=None,
            idempotency_key=None,
            language=draft.language,
        )
        # Read as a request, but for no right it names: say so before asking which right is meant.
        return self._ask_next(lead=None if draft.rights else self._say("intake_unsure"))

    def _draft(self) -> RequestDraft:
        return RequestDraft.from_dict(self.state["draft"])

    def _save_draft(self, draft: RequestDraft) -> None:
        self.state["draft"] = draft.refresh_missing().to_dict()

    def _collect(self, text: str) -> Turn:
        draft = self._draft()
        asking = self.state.get("asking")
        if text.rstrip().endswith("?") and not find_email(text):
            return self._answer(text, then_ask=True)  # a question in the middle: answer it, ask again
        problem: str | None = None
        if asking == "rights":
            verdict = self.parts.intake.classify(text)
            rights = verdict.rights or self.parts.intake.cues(text)
            if rights:
                draft.rights = rights
            else:
                draft.triage = True  # asked once, still unclear: a person reads it and classifies it
        elif asking == "email":
            email = find_email(text, self.parts.own_addresses())
            if email:
                draft.email = email
            else:
                problem = "intake_bad_email"
        elif asking in ("name", "subject_name"):
            name = find_name(text) or plain_name(text)
            if name:
                setattr(draft, asking, name)
            else:
                problem = "intake_bad_name"
        # What else the answer gives is kept: an address typed when the name was asked for.
        self.parts.intake.fill(draft, text, self.state.get("on_behalf_of"))
        self._save_draft(draft)
        if problem and asking in draft.missing:
            return self._ask_next(lead=self._say(problem))
        return self._ask_next()

    def _ask_next(self, lead: str | None = None) -> Turn:
        draft = self._draft()
        if not draft.missing:
            self._move(Stage.CONFIRMING, asking=None)
            return self._turn(self._summary(draft), lead=lead)
        field_name = draft.missing[0]
        self._move(Stage.COLLECTING, asking=field_name)
        labels = [self._label(r) for r in draft.rights]
        question = self._say(f"intake_ask_{field_name}", rights=labels, on_behalf_of=draft.on_behalf_of)
        return self._turn(question, lead=lead)

    def _confirming(self, text: str) -> Turn:
        if YES.match(text):
            return self._submit()
        if NO.match(text):
            return self._cancel()
        draft = self._draft()
        email = find_email(text, self.parts.own_addresses())
        if "@" in text and not email:
            return self._turn(self._summary(draft), lead=self._say("intake_bad_email"))
        rights = self.parts.intake.cues(text)
        if rights:
            draft.rights = rights  # a correction names the rights wanted instead
        self.parts.intake.fill(draft, text, self.state.get("on_behalf_of"))
        self._save_draft(draft)
        return self._ask_next()

    def _summary(self, draft: RequestDraft) -> str:
        return self.prompts.render(
            "intake_summary",
            self.state.get("language"),
            rights=[self._label(r) for r in draft.rights],
            requester_name=draft.name,
            email=draft.email,
            phone=draft.phone,
            on_behalf_of=draft.on_behalf_of,
            subject_name=draft.subject_name,
            subject_email=draft.subject_email,
            data_concerned=draft.data_concerned,
            due_at=self.requests.law_for(draft.rights).due(datetime.now().astimezone().date()).isoformat(),
        )

    def _submit(self) -> Turn:
        """Submit the confirmed draft exactly once, whatever crashes or double clicks happen."""
        draft = self._draft()
        if draft.missing or not draft.email or not valid_email(draft.email):
            return self._ask_next(lead=self._say("intake_confirm_first"))
        # The key is fixed before anything is written: a retry after a crash reuses it, so the queue
        # returns the request it already has instead of making a second one.
        key = self.state.get("idempotency_key") or f"conversation:{self.id}:{self.state.get('drafts', 1)}"
        self._move(Stage.SUBMITTING, idempotency_key=key)
        self._save()
        submission = self.requests.submit(draft, idempotency_key=key, channel=self.channel)
        request = submission.request
        self._move(Stage.SUBMITTED, reference=request.reference, due_at=request.due_at.isoformat())
        if not submission.created:
            return self._turn(self._say("intake_already_submitted", reference=request.reference))
        return self._turn(
            self._say(
                "intake_submitted", reference=request.reference, email=request.email, due_at=request.due_at
            )
        )

    def _cancel(self) -> Turn:
        self._move(Stage.CANCELLED, asking=None, idempotency_key=None)
        return self._turn(self._say("intake_cancelled"))

    def _verify(self, text: str) -> Turn:
        code = "".join(CODE.match(text).groups())  # type: ignore[union-attr]
        reference = self.state["reference"]
        try:
            self.requests.verify(reference, code)
        except VerificationError as exc:
            return self._turn(
                self._say("verification_failed", problem=str(exc), offer_resend=self._awaiting_code())
            )
        return self._turn(self._say("verification_ok", reference=reference))

    def _resend(self) -> Turn:
        """A new verification code for this conversation's request; the old one stops working."""
        if self.stage in TAKING:
            return self._ask_next(lead=self._say("verification_not_sent_yet"))
        reference = self.state.get("reference") if self.stage == Stage.SUBMITTED else None
        if reference is None:
            return Turn(self.id, self._say("verification_nothing_to_resend", reference=None, status=None))
        try:
            reply = resend_code(self.requests, reference, actor="requester", show_address=True)
        except VerificationError as exc:  # the hour's limit, or no longer waiting for a code
            reply = why_not_resent(self.requests, reference, exc)
        return self._turn(reply)

    def _awaiting_code(self) -> bool:
        """Whether this conversation's submitted request still waits for its verification code."""
        reference = self.state.get("reference")
        if self.stage != Stage.SUBMITTED or not reference:
            return False
        return self.requests.get(reference).status == PENDING_VERIFICATION

    def _recover(self) -> str | None:
        """After a crash between confirmation and reply: find out whether the request was saved, and say."""
        if self.stage != Stage.SUBMITTING:
            return None
        request = self.requests.find(self.state["idempotency_key"])
        if request is None:
            self._move(Stage.CONFIRMING)
            return self._say("intake_recovered_not_submitted")
        self._move(Stage.SUBMITTED, reference=request.reference, due_at=request.due_at.isoformat())
        return self._say(
            "intake_recovered_submitted", reference=request.reference, due_at=request.due_at.isoformat()
        )

    def _nothing_waiting(self) -> Turn:
        return Turn(self.id, self._say("nothing_to_confirm"))

    # -- shaping the turn -----------------------------------------------------------------------
    def _turn(self, reply: str, lead: str | None = None) -> Turn:
        if lead:
            reply = f"{lead} {reply}"
        draft = self._draft() if self.state.get("draft") else None
        stage = self.stage
        actions = {Stage.COLLECTING: ["cancel"], Stage.CONFIRMING: ["confirm", "cancel"]}.get(stage, [])
        if self._awaiting_code():
            actions = ["resend"]
        intake = {
            "stage": stage,
            "rights": draft.rights if draft else [],
            "missing": draft.missing if draft else [],
            "summary": self._summary(draft) if draft and stage == Stage.CONFIRMING else None,
            "reference": self.state.get("reference") if stage == Stage.SUBMITTED else None,
            "due_at": self.state.get("due_at") if stage == Stage.SUBMITTED else None,
        }
        return Turn(self.id, reply, None, intake, actions)

    def _finish(self, turn: Turn, notice: str | None) -> Turn:
        if notice:
            turn = replace(
                turn, reply=f"{notice}\n\n{turn.reply}", intake=turn.intake or self._turn("").intake
            )
        self._save()
        self.store.append(self.id, "assistant", turn.reply, detail=turn.shown())
        return turn

    def _say(self, name: str, **variables: Any) -> str:
        """A line of the dialogue, in the visitor's language when the template has it."""
        return self.prompts.line(name, self.state.get("language"), **variables)

    def _label(self, right: str) -> str:
        return self.parts.intake.label(right, self.state.get("language"))

    def _save(self) -> None:
        self.store.save(self.id, self.channel, self.state)
