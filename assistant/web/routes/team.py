"""The privacy team's API under ``/api/team/``: list, show, assign, classify, transition, extend, export.

Every call needs ``Authorization: Bearer <token>`` with a team member's own token (``privacy-assistant
team token issue``); the member it belongs to is the actor of every change, and their role decides what
they may do (viewers read, handlers work requests, admins also see the team). Responses carry
identities, so none is cached.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from assistant.intake.draft import RequestDraft
from assistant.requests import RightsRequest
from assistant.requests.queue import extensions_in
from assistant.web.deps import Admin, AssistantDep, Handler, TeamAuthenticated, Viewer
from assistant.web.schemas import (
    AssignIn,
    AuditEventOut,
    ClassifyIn,
    ErrorOut,
    ExtendIn,
    ExtensionOut,
    GapReportOut,
    JurisdictionIn,
    JurisdictionOut,
    LogRequestIn,
    MemberOut,
    PackageOut,
    RightsRequestDetailOut,
    RightsRequestListOut,
    RightsRequestOut,
    TransitionIn,
    VerifyIdentityIn,
    error_responses,
)

log = logging.getLogger("assistant.web.team")
NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(
    prefix="/api/team",
    tags=["privacy team"],
    dependencies=[TeamAuthenticated],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)

Status = Annotated[list[str] | None, Query(description="Only these statuses (repeat for several).")]
DueBefore = Annotated[date | None, Query(description="Only requests due before this date, YYYY-MM-DD.")]
Overdue = Annotated[bool, Query(description="Only open requests past their due date.")]
Assignee = Annotated[str | None, Query(max_length=200, description="Only requests this person works.")]
Search = Annotated[
    str | None,
    Query(max_length=254, description="A reference, an e-mail address or a name (through the blind index)."),
]


def _out(request: RightsRequest) -> RightsRequestOut:
    return RightsRequestOut.model_validate(request.to_dict())


@router.get("/requests", response_model=RightsRequestListOut)
def list_requests(
    member: Viewer,
    assistant: AssistantDep,
    response: Response,
    status: Status = None,
    due_before: DueBefore = None,
    overdue: Overdue = False,
    assignee: Assignee = None,
    search: Search = None,
) -> RightsRequestListOut:
    """The queue, soonest due first; the filters combine. ``search`` finds a person's requests."""
    response.headers.update(NO_STORE)
    found = assistant.requests.list(status=status, due_before=due_before, overdue=overdue, assignee=assignee)
    if search is not None:
        wanted = {r.reference for r in assistant.requests.search(search)}
        found = [r for r in found if r.reference in wanted]
    return RightsRequestListOut(requests=[_out(r) for r in found])


@router.get("/requests/export", responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export_requests(
    member: Handler,
    assistant: AssistantDep,
    fmt: Annotated[Literal["csv", "json"], Query(alias="format")] = "json",
    status: Status = None,
    due_before: DueBefore = None,
    overdue: Overdue = False,
    assignee: Assignee = None,
) -> Response:
    """The listed requests as a CSV or JSON file, identities included."""
    body = assistant.requests.export(
        fmt, member.name, status=status, due_before=due_before, overdue=overdue, assignee=assignee
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8" if fmt == "csv" else "application/json",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="requests.{fmt}"'},
    )


@router.post(
    "/requests", response_model=RightsRequestOut, status_code=201, responses=error_responses(400, 415)
)
def log_request(
    body: LogRequestIn,
    member: Handler,
    assistant: AssistantDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> RightsRequestOut:
    """Put a request received by post, phone, e-mail, in person or a web form on the queue. The same
    ``Idempotency-Key`` again returns the first request (200) instead of making another."""
    draft = RequestDraft(
        rights=body.rights,
        name=body.name,
        email=body.email,
        phone=body.phone,
        on_behalf_of=body.on_behalf_of,
        subject_name=body.subject_name,
        subject_email=body.subject_email,
        data_concerned=body.details,
        language=body.language,
        triage=not body.rights,
    )
    submission = assistant.requests.log_received(
        draft,
        body.channel,
        body.received_at,
        actor=member.name,
        verified_by=body.verified_by,
        jurisdiction=body.jurisdiction,
        idempotency_key=f"team:{member.name}:{idempotency_key}" if idempotency_key else None,
    )
    response.headers.update(NO_STORE)
    if not submission.created:
        response.status_code = 200
    return _out(submission.request)


@router.post(
    "/requests/{reference}/verify-identity",
    response_model=RightsRequestOut,
    responses=error_responses(400, 404, 409, 415),
)
def verify_identity(
    reference: str, body: VerifyIdentityIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """The team has checked who the requester is: the request is verified, with the method recorded."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.verify_identity(reference, body.method, actor=member.name, note=body.note))


@router.get(
    "/requests/{reference}", response_model=RightsRequestDetailOut, responses={404: {"model": ErrorOut}}
)
def show_request(
    reference: str, member: Viewer, assistant: AssistantDep, response: Response
) -> RightsRequestDetailOut:
    """One request and its audit trail."""
    response.headers.update(NO_STORE)
    request = assistant.requests.get(reference)
    trail = assistant.requests.events(request.reference)
    events = [AuditEventOut(kind=e.kind, actor=e.actor, at=e.at.isoformat(), detail=e.detail) for e in trail]
    extensions = [ExtensionOut(**e) for e in extensions_in(trail)]
    return RightsRequestDetailOut(**_out(request).model_dump(), events=events, extensions=extensions)


@router.post(
    "/requests/{reference}/assign", response_model=RightsRequestOut, responses=error_responses(400, 404, 415)
)
def assign_request(
    reference: str, body: AssignIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """Give an open request to someone on the team."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.assign(reference, body.assignee, actor=member.name))


@router.post(
    "/requests/{reference}/classify", response_model=RightsRequestOut, responses=error_responses(404, 415)
)
def classify_request(
    reference: str, body: ClassifyIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """Say which rights an open request asks for: triage one that needs it, or correct what was read."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.classify(reference, body.rights, actor=member.name))


@router.post(
    "/requests/{reference}/transition",
    response_model=RightsRequestOut,
    responses=error_responses(400, 404, 409, 415),
)
def transition_request(
    reference: str, body: TransitionIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """Move a request along its life cycle; a move the life cycle forbids is a 409 and changes nothing."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.transition(reference, body.status, actor=member.name, note=body.note))


@router.post(
    "/requests/{reference}/extend", response_model=RightsRequestOut, responses=error_responses(400, 404, 415)
)
def extend_request(
    reference: str, body: ExtendIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """Push the due date out as far as the request's law allows, before its first deadline, recording
    why."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.extend(reference, body.reason, actor=member.name, length=body.period()))


@router.post(
    "/requests/{reference}/jurisdiction",
    response_model=RightsRequestOut,
    responses=error_responses(400, 404, 415),
)
def set_jurisdiction(
    reference: str, body: JurisdictionIn, member: Handler, assistant: AssistantDep, response: Response
) -> RightsRequestOut:
    """Answer an open, unextended request under another law; its due date is worked out again."""
    response.headers.update(NO_STORE)
    return _out(assistant.requests.set_jurisdiction(reference, body.jurisdiction, actor=member.name))


@router.post(
    "/requests/{reference}/package",
    response_model=PackageOut,
    status_code=201,
    responses=error_responses(404),
)
async def attach_package(
    reference: str, file: UploadFile, member: Handler, assistant: AssistantDep, response: Response
) -> PackageOut:
    """Attach the requester's data (multipart ``file``) to an open access or portability request; the
    requester gets a single-use download link when it is completed."""
    response.headers.update(NO_STORE)
    content = await file.read(assistant.settings.package_max_mb * 1024 * 1024 + 1)
    package = await run_in_threadpool(
        assistant.requests.fulfilment.attach, reference, file.filename or "", content, member.name,
        file.content_type or "application/octet-stream",
    )  # fmt: skip
    return PackageOut(**{k: getattr(package, k) for k in PackageOut.model_fields})


@router.get("/report")
def report(
    member: Viewer,
    assistant: AssistantDep,
    since: Annotated[
        date | None, Query(description="Only requests closed since this date, YYYY-MM-DD.")
    ] = None,
) -> dict:
    """Median days to close and the share closed on time, overall and by right, channel and
    jurisdiction; with the requests open now and overdue."""
    return assistant.requests.report(since).to_dict()


@router.get("/gaps", response_model=GapReportOut)
def knowledge_gaps(
    member: Viewer,
    assistant: AssistantDep,
    response: Response,
    days: Annotated[int, Query(ge=1, le=3650, description="Look back this many days.")] = 30,
) -> GapReportOut:
    """Knowledge gaps: the questions the assistant declined and those whose answers visitors voted
    down, grouped by meaning, the largest group first; what the policy or the assistant is missing."""
    response.headers.update(NO_STORE)
    return GapReportOut.model_validate(assistant.gaps(days).to_dict())


@router.get("/laws", response_model=list[JurisdictionOut])
def list_laws(member: Viewer, assistant: AssistantDep) -> list[JurisdictionOut]:
    """The laws a request can be answered under, with their clocks."""
    return [
        JurisdictionOut(
            code=law.code,
            name=law.name,
            citation=law.citation,
            answer_within=str(law.answer_within),
            extension=str(law.extension) if law.extension else None,
        )
        for law in assistant.requests.laws.values()
    ]


@router.get("/members", response_model=list[MemberOut])
def list_members(member: Admin, assistant: AssistantDep) -> list[MemberOut]:
    """Who is on the team, with their roles and how many live tokens each holds (admins only)."""
    return [MemberOut(**m.to_dict()) for m in assistant.requests.members.list()]


@router.get("/me", response_model=MemberOut)
def who_am_i(member: Viewer) -> MemberOut:
    """The member this call's token belongs to."""
    return MemberOut(**member.to_dict())
