"""The team console under ``/console``: server-rendered pages where privacy-team members sign in with
their own API token and work the DSAR queue (overview, list, one request and its trail, logging a
request received by post or phone).

Everything goes through ``RequestQueue``, with the signed-in member as the actor, so the console can
do no more than the team API and the trail says who did what. The session cookie carries the member's
token and is checked against the team on every request, so a revoked token or a removed member is
signed out at once. Every form posts a CSRF token, a keyed hash of the session's token; the cookie is
also ``SameSite=Strict``. Pages carry identities: never cached.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from assistant.exceptions import (
    ForbiddenError,
    NotAuthorisedError,
    RateLimitExceeded,
    RequestError,
    UnknownRequestError,
)
from assistant.intake.draft import RequestDraft
from assistant.intake.rights import BY_NAME, RIGHTS
from assistant.requests import STATUSES, TRANSITIONS, Period, RequestQueue, RightsRequest
from assistant.requests.fulfilment import DELIVERS_DATA
from assistant.requests.members import HANDLER, Member
from assistant.requests.queue import VERIFICATION_METHODS, extensions_in
from assistant.requests.states import OPEN_STATUSES
from assistant.requests.storage import REQUEST_CHANNELS, TEAM_CHANNELS, utcnow
from assistant.web import workload
from assistant.web.deps import rate_limited
from assistant.web.errors import status_for

router = APIRouter(prefix="/console", include_in_schema=False)

COOKIE = "console_session"
NO_STORE = {"Cache-Control": "no-store"}
DUE_SOON_DAYS = 7
MESSAGE_EVENTS = ("requester_notified", "requester_not_notified")
# What a POST that worked says on the page it redirects to; a fixed text per action, so the query
# string cannot put words on the page.
DONE = {
    "assigned": "The request was assigned.",
    "classified": "The request's rights were saved.",
    "moved": "The request's status was changed.",
    "extended": "The due date was extended.",
    "jurisdiction": "The request's law was changed and its due date worked out again.",
    "verified": "The requester's identity is recorded as checked; the request is verified.",
    "logged": "The request was logged.",
    "packaged": "The data package was attached; the requester gets a download link when the request is completed.",
}
_NEXT = re.compile(r"/console(/[A-Za-z0-9_/-]*)?")  # where sign-in may send back to: console pages only
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _when(moment: datetime | str | None) -> str:
    """A moment as the team reads it, in UTC to the minute."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _words(code: str | None) -> str:
    """A code of the queue's (``in_progress``, ``id_document``) in plain words."""
    return (code or "").replace("_", " ")


def _sentence(text: str) -> str:
    """An error's message (a lowercase clause, as the CLI and the API show it) as a sentence on a page."""
    text = text.strip()
    if re.match(r"[a-z]+ ", text):  # a plain word; never a name or a code, whose case is theirs
        text = text[0].upper() + text[1:]
    return text + ("" if not text or text.endswith((".", "!", "?")) else ".")


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
templates.env.filters["when"] = _when
templates.env.filters["words"] = _words
templates.env.filters["sentence"] = _sentence


@dataclass(frozen=True)
class ConsoleSession:
    member: Member
    token: str

    def may_act(self) -> bool:
        return self.member.may(HANDLER)


class ConsoleRefusal(Exception):
    """A console call refused before anything changed: signed out (401), not allowed or without its
    CSRF token (403), an unknown request (404), too many wrong tokens (429)."""

    def __init__(self, status: int, message: str, sign_out: bool = False, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.sign_out = sign_out
        self.retry_after = retry_after


def csrf_token(queue: RequestQueue, token: str) -> str:
    """The CSRF token of a session: keyed by the vault, so only the server can make it, and tied to the
    member's token, so it is worthless for anyone else's session."""
    return queue.vault.digest("console-csrf\n" + token)


def _queue(request: Request) -> RequestQueue:
    return request.app.state.assistant.requests


def _over_the_limit(request: Request) -> ConsoleRefusal | None:
    """Counts a wrong token against the caller's rate limit, as the team API does, so none is guessed at
    speed through the sign-in form or the cookie; the refusal to answer once the budget is spent."""
    try:
        rate_limited(request)
    except RateLimitExceeded as exc:
        return ConsoleRefusal(
            429,
            f"Too many wrong tokens from your address; try again in {exc.retry_after} second(s).",
            sign_out=True,
            retry_after=exc.retry_after,
        )
    return None


def signed_in(request: Request) -> ConsoleSession:
    """The member whose token the session cookie carries, checked against the team now."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise ConsoleRefusal(401, "Sign in to use the console.")
    try:
        member = _queue(request).members.authenticate(token)
    except NotAuthorisedError:
        raise _over_the_limit(request) or ConsoleRefusal(
            401, "Your session has ended: the token was revoked or you left the team. Sign in again.", True
        ) from None
    return ConsoleSession(member, token)


SignedIn = Annotated[ConsoleSession, Depends(signed_in)]


def posted_by(request: Request, session: SignedIn, csrf: Annotated[str, Form()] = "") -> ConsoleSession:
    """A signed-in member's form, with the CSRF token only the console's own pages carry."""
    if not hmac.compare_digest(csrf.encode(), csrf_token(_queue(request), session.token).encode()):
        raise ConsoleRefusal(
            403,
            "This form did not come from a console page of your session (its security token is missing "
            "or wrong); nothing was changed. Go back, reload the page and try again.",
        )
    return session


def handler_posted(session: Annotated[ConsoleSession, Depends(posted_by)]) -> ConsoleSession:
    """A form that changes a request: the member's role must allow working requests."""
    if not session.may_act():
        raise ConsoleRefusal(
            403,
            f"You are signed in as {session.member.name}, a {session.member.role}: working requests takes "
            "the handler role. Nothing was changed.",
        )
    return session


Posted = Annotated[ConsoleSession, Depends(posted_by)]
Acting = Annotated[ConsoleSession, Depends(handler_posted)]


async def refused(request: Request, exc: Exception) -> Response:
    """A refusal as a page (or, for a page opened while signed out, the way to sign in)."""
    assert isinstance(exc, ConsoleRefusal)
    if exc.status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response: Response = RedirectResponse(
            f"/console/sign-in?next={quote(target, safe='')}", 303, headers=NO_STORE
        )
    else:
        response = _page(
            request, "console/refused.html", {"problem": str(exc), "status": exc.status}, exc.status
        )
    if exc.sign_out:
        _forget(response, request)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# -- signing in and out --------------------------------------------------------------------------------
@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/console") -> Response:
    return _page(request, "console/sign_in.html", {"next": _safe_next(next)})


@router.post("/sign-in")
def sign_in(
    request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/console"
) -> Response:
    """Checks a member's API token and keeps it in the session cookie."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        # No session yet for a CSRF token to belong to: a browser's Origin says where the form came from,
        # so another site cannot sign a visitor in to an account of its choosing.
        raise ConsoleRefusal(
            403, "This sign-in form did not come from the console's own page; nothing was done."
        )
    token = token.strip()
    try:
        _queue(request).members.authenticate(token)
    except NotAuthorisedError:
        spent = _over_the_limit(request)
        if spent is not None:
            return _page(
                request,
                "console/sign_in.html",
                {"next": _safe_next(next), "problem": str(spent)},
                429,
                {"Retry-After": str(spent.retry_after)},
            )
        problem = (
            "That is not a live team token. Use one an admin issued to you (privacy-assistant team token "
            "issue NAME) that was not revoked since."
        )
        return _page(request, "console/sign_in.html", {"next": _safe_next(next), "problem": problem}, 401)
    response = RedirectResponse(_safe_next(next), 303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/console",
        secure=request.url.scheme == "https",  # behind a TLS proxy, as TRUSTED_PROXIES reports it
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: Posted) -> Response:
    response = RedirectResponse("/console/sign-in", 303, headers=NO_STORE)
    _forget(response, request)
    return response


# -- reading -------------------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SignedIn) -> Response:
    """Counts by status, overdue and due soon, and open and overdue requests over the last 12 weeks."""
    queue = _queue(request)
    today = utcnow().date()
    requests = queue.list(identity=False)  # the overview counts and draws; it names nobody
    weeks = workload.weekly(requests, queue.closing_days(), today)
    report = queue.report(since=today - timedelta(days=90))
    context = {
        "session": session,
        "nav": "overview",
        "today": today,
        "by_status": Counter(r.status for r in requests),
        "statuses": STATUSES,
        "open_count": sum(1 for r in requests if r.status in OPEN_STATUSES),
        "overdue": sum(1 for r in requests if r.overdue(today)),
        "due_soon": len(_due_soon(requests, today)),
        "due_soon_days": DUE_SOON_DAYS,
        "chart": workload.chart(weeks),
        "report": report,
        "report_rows": [(g, v, f) for g, values in report.by.items() for v, f in values.items()],
    }
    return _page(request, "console/overview.html", context)


@router.get("/requests", response_class=HTMLResponse)
def request_list(
    request: Request,
    session: SignedIn,
    status: str = "",
    right: str = "",
    channel: str = "",
    due_soon: str = "",
    overdue: str = "",
    assignee: str = "",
) -> Response:
    """The queue, soonest due first, filtered as the GET form asks."""
    filters = {
        "status": status,
        "right": right,
        "channel": channel,
        "due_soon": bool(due_soon),
        "overdue": bool(overdue),
        "assignee": assignee.strip()[:200],
    }
    today = utcnow().date()
    problem, found = None, []
    try:
        found = _filtered(_queue(request), today, **filters)
    except RequestError as exc:
        problem = str(exc)
    context = {
        "session": session,
        "nav": "requests",
        "filters": filters,
        "requests": found,
        "today": today,
        "problem": problem,
        "statuses": STATUSES,
        "rights": RIGHTS,
        "channels": REQUEST_CHANNELS,
        "due_soon_days": DUE_SOON_DAYS,
    }
    return _page(request, "console/requests.html", context, 422 if problem else 200)


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_page(request: Request, session: SignedIn) -> Response:
    return _new_page(request, session, {})


@router.get("/requests/{reference}", response_class=HTMLResponse)
def request_page(request: Request, session: SignedIn, reference: str, done: str = "") -> Response:
    return _request_page(request, session, reference, done=DONE.get(done))


# -- the team's work -----------------------------------------------------------------------------------
@router.post("/requests")
def log_request(
    request: Request,
    session: Acting,
    channel: Annotated[str, Form()] = "",
    received: Annotated[str, Form()] = "",
    rights: Annotated[list[str] | None, Form()] = None,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
    verified_by: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
) -> Response:
    """A request received by post, phone, e-mail, in person or a web form, put on the queue."""
    given = {
        "channel": channel,
        "received": received,
        "rights": rights or [],
        "name": name,
        "email": email,
        "details": details,
        "verified_by": verified_by,
        "key": key,
    }
    try:
        try:
            received_on = date.fromisoformat(received.strip())
        except ValueError:
            raise RequestError("give the date the request was received, as YYYY-MM-DD") from None
        if not _FORM_KEY.fullmatch(key):
            raise RequestError("the form is incomplete; reload the page and fill it in again")
        draft = RequestDraft(
            rights=list(rights or []),
            name=_text(name, "name", 200) or None,
            email=_text(email, "e-mail address", 254) or None,
            data_concerned=_text(details, "details", 10_000) or None,
            triage=not rights,
        )
        submission = _queue(request).log_received(
            draft,
            channel,
            received_on,
            actor=session.member.name,
            verified_by=verified_by or None,
            # The form's own key: submitted twice (a double click, the back button), it logs one request.
            idempotency_key=f"console:{key}",
        )
    except (RequestError, ForbiddenError) as exc:
        return _new_page(request, session, given, problem=str(exc), status=status_for(exc))
    return _done(submission.request.reference, "logged")


@router.post("/requests/{reference}/assign")
def assign(
    request: Request, session: Acting, reference: str, assignee: Annotated[str, Form()] = ""
) -> Response:
    def give(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.assign(reference, assignee, actor=actor)

    return _act(request, session, reference, "assigned", {"assignee": assignee}, give)


@router.post("/requests/{reference}/classify")
def classify(
    request: Request, session: Acting, reference: str, rights: Annotated[list[str] | None, Form()] = None
) -> Response:
    def say_which(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.classify(reference, list(rights or []), actor=actor)

    return _act(request, session, reference, "classified", {"rights": rights or []}, say_which)


@router.post("/requests/{reference}/transition")
def transition(
    request: Request,
    session: Acting,
    reference: str,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    def move(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.transition(reference, status, actor=actor, note=_text(note, "note", 1000) or None)

    return _act(request, session, reference, "moved", {"status": status, "note": note}, move)


@router.post("/requests/{reference}/extend")
def extend(
    request: Request,
    session: Acting,
    reference: str,
    length: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    def push_back(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.extend(reference, reason, actor=actor, length=_text(length, "length", 20) or None)

    return _act(request, session, reference, "extended", {"length": length, "reason": reason}, push_back)


@router.post("/requests/{reference}/jurisdiction")
def jurisdiction(
    request: Request, session: Acting, reference: str, jurisdiction: Annotated[str, Form()] = ""
) -> Response:
    def move_law(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.set_jurisdiction(reference, jurisdiction, actor=actor)

    return _act(request, session, reference, "jurisdiction", {"jurisdiction": jurisdiction}, move_law)


@router.post("/requests/{reference}/verify-identity")
def verify_identity(
    request: Request,
    session: Acting,
    reference: str,
    method: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    def verify(queue: RequestQueue, actor: str) -> RightsRequest:
        return queue.verify_identity(reference, method, actor=actor, note=_text(note, "note", 1000) or None)

    return _act(request, session, reference, "verified", {"method": method, "note": note}, verify)


@router.post("/requests/{reference}/package")
def attach_package(request: Request, session: Acting, reference: str, package: UploadFile) -> Response:
    queue = _queue(request)
    content = package.file.read(queue.settings.package_max_mb * 1024 * 1024 + 1)

    def attach(queue: RequestQueue, actor: str) -> RightsRequest:
        queue.fulfilment.attach(
            reference,
            package.filename or "",
            content,
            actor,
            package.content_type or "application/octet-stream",
        )
        return queue.get(reference)

    return _act(request, session, reference, "packaged", {}, attach)


# -- helpers -------------------------------------------------------------------------------------------
def _act(
    request: Request,
    session: ConsoleSession,
    reference: str,
    done: str,
    given: dict[str, Any],
    change: Callable[[RequestQueue, str], RightsRequest],
) -> Response:
    """Make one change as the signed-in member: back to the request (303) when it worked; else the
    request's page with the reason, a 4xx, and nothing changed (the queue's transaction rolled back)."""
    try:
        changed = change(_queue(request), session.member.name)
    except (RequestError, ForbiddenError) as exc:
        if isinstance(exc, UnknownRequestError):
            raise ConsoleRefusal(404, str(exc)) from None
        given = {"action": done, **given}
        return _request_page(
            request, session, reference, problem=str(exc), status=status_for(exc), given=given
        )
    return _done(changed.reference, done)


def _done(reference: str, done: str) -> Response:
    return RedirectResponse(f"/console/requests/{quote(reference)}?done={done}", 303, headers=NO_STORE)


def _request_page(
    request: Request,
    session: ConsoleSession,
    reference: str,
    done: str | None = None,
    problem: str | None = None,
    status: int = 200,
    given: dict[str, Any] | None = None,
) -> Response:
    queue = _queue(request)
    try:
        shown = queue.get(reference)
        events = queue.events(shown.reference)
        extensions = extensions_in(events)
    except UnknownRequestError as exc:
        raise ConsoleRefusal(404, str(exc)) from None
    law = queue.laws[shown.jurisdiction]
    unit = law.extension.unit if law.extension else "months"
    extended = law.used(shown.extension_months, shown.extension_days)
    context = {
        "session": session,
        "nav": "requests",
        "r": shown,
        "today": utcnow().date(),
        "law": law,
        "first_due": law.first_due(shown.received_at.date()),
        "extended": Period(extended, unit) if extended else None,
        "extension_unit": unit,
        "extensions": extensions,
        "messages": [e for e in events if e.kind in MESSAGE_EVENTS],
        "events": [(e, _detail(e.detail)) for e in events],
        "is_open": shown.status in OPEN_STATUSES,
        "next_statuses": [s for s in STATUSES if s in TRANSITIONS[shown.status]],
        "rights": [BY_NAME[r] for r in RIGHTS],
        "right_law": {r: BY_NAME[r].law for r in RIGHTS},
        "laws": list(queue.laws.values()),
        "methods": VERIFICATION_METHODS,
        "delivers_data": bool(set(shown.rights) & set(DELIVERS_DATA)),
        "package": queue.fulfilment.package(shown.reference),
        "done": done,
        "problem": problem,
        "given": given or {},
    }
    return _page(request, "console/request.html", context, status)


def _new_page(
    request: Request,
    session: ConsoleSession,
    given: dict[str, Any],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    today = utcnow().date()
    given = {"channel": "post", "received": today.isoformat(), "rights": [], **given}
    if not _FORM_KEY.fullmatch(given.get("key") or ""):
        given["key"] = secrets.token_urlsafe(16)
    context = {
        "session": session,
        "nav": "new",
        "given": given,
        "problem": problem,
        "today": today,
        "earliest": today - timedelta(days=365),
        "channels": TEAM_CHANNELS,
        "rights": [BY_NAME[r] for r in RIGHTS],
        "methods": VERIFICATION_METHODS,
    }
    return _page(request, "console/new.html", context, status)


def _filtered(
    queue: RequestQueue,
    today: date,
    status: str,
    right: str,
    channel: str,
    due_soon: bool,
    overdue: bool,
    assignee: str,
) -> list[RightsRequest]:
    if right and right not in RIGHTS:
        raise RequestError(f"unknown right {right!r}; use one of: {', '.join(RIGHTS)}")
    if channel and channel not in REQUEST_CHANNELS:
        raise RequestError(f"unknown channel {channel!r}; use one of: {', '.join(REQUEST_CHANNELS)}")
    wanted = list(OPEN_STATUSES) if status == "open" else status or None
    found = queue.list(
        status=wanted,
        due_before=today + timedelta(days=DUE_SOON_DAYS + 1) if due_soon else None,
        overdue=overdue,
        assignee=assignee or None,
        today=today,
    )
    if due_soon:
        found = [r for r in found if r.status in OPEN_STATUSES and not r.overdue(today)]
    return [r for r in found if (not right or right in r.rights) and (not channel or r.channel == channel)]


def _due_soon(requests: list[RightsRequest], today: date) -> list[RightsRequest]:
    """Open requests due from today to ``DUE_SOON_DAYS`` days on (as Slack's digest counts them)."""
    last = today + timedelta(days=DUE_SOON_DAYS)
    return [r for r in requests if r.status in OPEN_STATUSES and today <= r.due_at <= last]


def _detail(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """An audit event's detail as words: lists joined, codes unspaced."""
    shown = []
    for key, value in detail.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "none"
        shown.append((_words(key), "" if value is None else str(value)))
    return shown


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise RequestError(f"the {what} is too long; at most {limit:,} characters")
    return value


def _safe_next(target: str) -> str:
    """Where to go after signing in: a console page only, never another site."""
    path = target.split("?", 1)[0]
    return target if _NEXT.fullmatch(path) and "//" not in path else "/console"


def _forget(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/console", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def _page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    if "session" in context and context["session"] is not None:
        context["csrf"] = csrf_token(_queue(request), context["session"].token)
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers={**NO_STORE, **(headers or {})}
    )
