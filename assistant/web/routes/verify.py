"""Verification of a requester's e-mail address: ``POST /api/requests/verify``, ``POST
/api/requests/resend`` and the ``/verify`` page.

The link in the verification e-mail opens ``GET /verify?ref=...&code=...``, a page that only shows a
button: mail scanners that fetch links verify nothing, the person pressing the button does. The button
posts the form to ``/api/requests/verify``; the same route takes JSON from other clients. A second
button asks ``/api/requests/resend`` for a new code, so an expired or locked code is no dead end.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.exceptions import (
    InvalidInputError,
    RequestError,
    ResendLimitError,
    UnknownRequestError,
    UnsupportedMediaTypeError,
)
from assistant.requests.resend import resend_code
from assistant.web.deps import RateLimited
from assistant.web.errors import describe_problems, is_json, malformed_json, unreadable
from assistant.web.schemas import ErrorOut, ResendIn, ResentOut, VerifiedOut, VerifyIn, example_of

M = TypeVar("M", bound=BaseModel)
router = APIRouter(tags=["rights requests"])
FORM = "application/x-www-form-urlencoded"
# The page carries a code: never cached, never sent on as a referrer.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _body(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"content": {"application/json": {"schema": schema}, FORM: {"schema": schema}}, "required": True}


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 404, 415, 422, 429)
}


@router.post(
    "/api/requests/verify",
    response_model=VerifiedOut,
    dependencies=[RateLimited],
    openapi_extra={"requestBody": _body(VerifyIn)},
    responses=_ERRORS,
)
async def verify(request: Request) -> Any:
    """Prove the requester owns the e-mail address: the reference and the code (or the link's code).

    A wrong, expired or already used code is a 400 saying which, and the request stays as it was. A form
    post from the ``/verify`` page gets a page back.
    """
    data = await _fields(request, VerifyIn)
    assistant = request.app.state.assistant
    wants_page = _wants_page(request)
    try:
        body = _validate(VerifyIn, data)
        verified = await run_in_threadpool(assistant.requests.verify, body.reference, body.code)
    except (InvalidInputError, RequestError) as exc:
        if not wants_page:
            raise
        problem = assistant.prompts.line("verification_failed", problem=str(exc), offer_resend=False)
        return _problem_page(request, data, problem, exc)
    message = assistant.prompts.line("verification_ok", reference=verified.reference)
    if wants_page:
        return _page(request, verified.reference, "", done=message)
    return VerifiedOut(reference=verified.reference, status=verified.status, message=message)


@router.post(
    "/api/requests/resend",
    status_code=202,
    response_model=ResentOut,
    dependencies=[RateLimited],
    openapi_extra={"requestBody": _body(ResendIn)},
    responses=_ERRORS,
)
async def resend(request: Request) -> Any:
    """Send a new verification code and link for a request still waiting for one; the old ones stop
    working. The reply never says where the mail went.

    An unknown reference is a 404; a request that no longer waits for a code (verified or closed) a
    400, as ``/api/requests/verify`` answers it; a few mails an hour at most per request, then 429
    with ``Retry-After``. A form post from the ``/verify`` page gets the page back.
    """
    data = await _fields(request, ResendIn)
    assistant = request.app.state.assistant
    wants_page = _wants_page(request)
    try:
        body = _validate(ResendIn, data)
        message = await run_in_threadpool(resend_code, assistant.requests, body.reference, "requester", False)
    except (InvalidInputError, RequestError) as exc:
        if not wants_page:
            raise
        return _problem_page(request, data, str(exc), exc)
    if wants_page:
        return _page(request, body.reference, "", sent=message, status=202)
    return ResentOut(reference=body.reference.strip().upper(), message=message)


async def _fields(request: Request, model: type[BaseModel]) -> Any:
    """The posted fields, from JSON or a form: 400 for a body that is not JSON, 415 for another type."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    names = " and ".join(model.model_fields)
    if content_type == FORM:
        try:
            fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:  # more fields than any of these forms has
            raise InvalidInputError(f"the form has too many fields; send only {names}") from None
        return {key: values[-1] for key, values in fields.items() if key in model.model_fields}
    if is_json(request):
        if not raw:
            raise malformed_json(model, "it is empty")
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise malformed_json(model, f"{exc.msg} at character {exc.pos}") from None
        except (ValueError, RecursionError) as exc:
            raise malformed_json(model, unreadable(exc)) from None
    raise UnsupportedMediaTypeError(
        f"send the {names} as JSON (Content-Type: application/json), such as {example_of(model)}, "
        f"or as a form ({FORM})"
    )


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(describe_problems(exc.errors(), model)) from None


def _wants_page(request: Request) -> bool:
    """A form posted by the ``/verify`` page's buttons, from a browser: answered with the page."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == FORM and "text/html" in request.headers.get("accept", "")


def _problem_page(request: Request, data: Any, problem: str, exc: Exception) -> HTMLResponse:
    reference = str(data.get("reference", ""))[:40] if isinstance(data, dict) else ""
    if isinstance(exc, UnknownRequestError):
        status = 404
    elif isinstance(exc, ResendLimitError):
        status = 429
    else:
        status = 400
    return _page(request, reference, "", problem=problem, status=status)


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def verify_page(request: Request, ref: str = "", code: str = "") -> HTMLResponse:
    """The page the verification link opens: the reference and code filled in, and one button."""
    return _page(request, ref[:40], code[:100])


def _page(
    request: Request,
    reference: str,
    code: str,
    problem: str | None = None,
    done: str | None = None,
    sent: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request,
        "verify.html",
        {"reference": reference, "code": code, "problem": problem, "done": done, "sent": sent},
        status_code=status,
        headers=PAGE_HEADERS,
    )
