"""Every error as JSON ``{"error": "what was wrong and what to do"}`` with a fitting status; never a
traceback, never the visitor's input echoed back as markup."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from assistant.exceptions import (
    ConfigurationError,
    ConversationBusyError,
    ForbiddenError,
    InvalidInputError,
    InvalidTransitionError,
    MalformedBodyError,
    NotAuthorisedError,
    PrivacyAssistantError,
    RateLimitExceeded,
    RequestError,
    ResendLimitError,
    StoreError,
    UnknownAnswerError,
    UnknownConversationError,
    UnknownDocumentError,
    UnknownRequestError,
    UnsupportedMediaTypeError,
    VerificationError,
)
from assistant.web.schemas import example_of

log = logging.getLogger("assistant.web")

# The first match wins: subclasses before their base. The rule (README, "Errors"): a body that cannot
# be read is 400, one in another format 415, readable input the route cannot use 422.
_STATUS: list[tuple[type[PrivacyAssistantError], int]] = [
    (MalformedBodyError, 400),
    (UnsupportedMediaTypeError, 415),
    (InvalidInputError, 422),
    (UnknownRequestError, 404),
    (InvalidTransitionError, 409),
    (ResendLimitError, 429),
    (VerificationError, 400),
    (RequestError, 422),
    (NotAuthorisedError, 401),
    (ForbiddenError, 403),
    (UnknownDocumentError, 404),
    (UnknownAnswerError, 404),
    (UnknownConversationError, 404),
    (RateLimitExceeded, 429),
    (ConversationBusyError, 409),
    (StoreError, 503),
    (ConfigurationError, 500),
]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def status_for(exc: Exception) -> int:
    """The HTTP status of one of the assistant's errors (500 for anything else): the same on every door
    of the web service, JSON or page."""
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)


async def assistant_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    headers = None
    if isinstance(exc, RateLimitExceeded | ResendLimitError | ConversationBusyError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, NotAuthorisedError):
        headers = {"WWW-Authenticate": 'Bearer realm="privacy-team"'}
    return error(status, str(exc), headers)


def json_body_model(request: Request) -> type[BaseModel] | None:
    """The model of the JSON body the called route reads, if it reads one."""
    field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def is_json(request: Request) -> bool:
    """Whether the body is declared JSON: ``application/json`` or ``application/...+json``, as FastAPI reads."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def malformed_json(model: type[BaseModel], problem: str) -> MalformedBodyError:
    return MalformedBodyError(
        f"the body is not valid JSON ({problem}); send a JSON object such as {example_of(model)}"
    )


def unreadable(cause: BaseException | None) -> str:
    """Why a body that looked like JSON could not be read."""
    if isinstance(cause, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "it nests too deep"
    return "it cannot be read"


def not_json(model: type[BaseModel]) -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(
        f"send the body as JSON with the header 'Content-Type: application/json', such as {example_of(model)}"
    )


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    model = json_body_model(request)
    if model is not None and not is_json(request):
        return await assistant_error(request, not_json(model))
    problems = exc.errors()
    if model is not None:
        for problem in problems:
            if problem.get("type") == "json_invalid":
                where = problem.get("loc", ("body", 0))[-1]
                reason = problem.get("ctx", {}).get("error", "cannot be parsed")
                return await assistant_error(request, malformed_json(model, f"{reason} at character {where}"))
            if problem.get("type") == "missing" and tuple(problem.get("loc", ())) == ("body",):
                return await assistant_error(request, malformed_json(model, "it is empty"))
    return error(422, describe_problems(problems, model))


def describe_problems(problems: Sequence[Any], model: type[BaseModel] | None) -> str:
    """Pydantic's validation errors as one line naming each field and what to change (at most five)."""
    return "; ".join(_describe(p, model) for p in problems[:5]) or "the input is not valid"


def _describe(problem: Any, model: type[BaseModel] | None) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
    kind = problem.get("type", "")
    if kind == "missing":
        return f"{where}: this field is required"
    if kind == "extra_forbidden":
        return f"{where}: unknown field; remove it"
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        return f"{where}: send a JSON object" + (f" such as {example_of(model)}" if model else "")
    # Pydantic's own message, without the offending value (it may be the visitor's markup).
    message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{where}: {message}"


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error(404, "no such page; the API is described at /docs")
    model = json_body_model(request)
    if exc.status_code == 400 and model is not None:  # FastAPI could not read the body
        return await assistant_error(request, malformed_json(model, unreadable(exc.__cause__)))
    if exc.status_code == 405:
        return error(405, f"{request.method} is not allowed here; the API is described at /docs", exc.headers)
    return error(exc.status_code, str(exc.detail), exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path)
    return error(500, "something went wrong on our side; please try again in a moment")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PrivacyAssistantError, assistant_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
