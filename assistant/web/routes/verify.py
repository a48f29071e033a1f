"""Verification of a requester's e-mail address: ``POST /api/requests/verify`` and the ``/verify`` page.

The link in the verification e-mail opens ``GET /verify?ref=...&code=...``, a page that only shows a
button: mail scanners that fetch links verify nothing, the person pressing the button does. The button
posts the form to ``/api/requests/verify``; the same route takes JSON from other clients.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.exceptions import (
    InvalidInputError,
    RequestError,
    UnknownRequestError,
    UnsupportedMediaTypeError,
)
from assistant.web.deps import RateLimited
from assistant.web.errors import describe_problems, is_json, malformed_json, unreadable
from assistant.web.schemas import ErrorOut, VerifiedOut, VerifyIn, example_of

router = APIRouter(tags=["rights requests"])
FORM = "application/x-www-form-urlencoded"
# The page carries a code: never cached, never sent on as a referrer.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_BODY = {
    "content": {
        "application/json": {"schema": VerifyIn.model_json_schema()},
        FORM: {"schema": VerifyIn.model_json_schema()},
    },
    "required": True,
}


@router.post(
    "/api/requests/verify",
    response_model=VerifiedOut,
    dependencies=[RateLimited],
    openapi_extra={"requestBody": _BODY},
    responses={
        400: {"model": ErrorOut},
        404: {"model": ErrorOut},
        415: {"model": ErrorOut},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
    },
)
async def verify(request: Request) -> Any:
    """Prove the requester owns the e-mail address: the reference and the code (or the link's code).

    A wrong, expired or already used code is a 400 saying which, and the request stays as it was. A form
    post from the ``/verify`` page gets a page back.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type == FORM:
        try:
            fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:  # over ten fields
            raise InvalidInputError("the form has too many fields; send only reference and code") from None
        data: Any = {key: values[-1] for key, values in fields.items() if key in ("reference", "code")}
    elif is_json(request):
        if not raw:
            raise malformed_json(VerifyIn, "it is empty")
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise malformed_json(VerifyIn, f"{exc.msg} at character {exc.pos}") from None
        except (ValueError, RecursionError) as exc:
            raise malformed_json(VerifyIn, unreadable(exc)) from None
    else:
        raise UnsupportedMediaTypeError(
            f"send the reference and code as JSON (Content-Type: application/json), such as "
            f"{example_of(VerifyIn)}, or as a form ({FORM})"
        )
    assistant = request.app.state.assistant
    wants_page = content_type == FORM and "text/html" in request.headers.get("accept", "")
    try:
        try:
            body = VerifyIn.model_validate(data)
        except ValidationError as exc:
            raise InvalidInputError(describe_problems(exc.errors(), VerifyIn)) from None
        verified = await run_in_threadpool(assistant.requests.verify, body.reference, body.code)
    except (InvalidInputError, RequestError) as exc:
        if not wants_page:
            raise
        problem = assistant.prompts.line("verification_failed", problem=str(exc))
        status = 404 if isinstance(exc, UnknownRequestError) else 400
        return _page(request, str(data.get("reference", ""))[:40], "", problem=problem, status=status)
    message = assistant.prompts.line("verification_ok", reference=verified.reference)
    if wants_page:
        return _page(request, verified.reference, "", done=message)
    return VerifiedOut(reference=verified.reference, status=verified.status, message=message)


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
    status: int = 200,
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request,
        "verify.html",
        {"reference": reference, "code": code, "problem": problem, "done": done},
        status_code=status,
        headers=PAGE_HEADERS,
    )
