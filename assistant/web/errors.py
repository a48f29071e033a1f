"""Every error as JSON ``{"error": "what was wrong and what to do"}`` with a fitting status; never a
traceback, never the visitor's input echoed back as markup."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from assistant.exceptions import (
    ConfigurationError,
    InvalidInputError,
    InvalidTransitionError,
    NotAuthorisedError,
    PrivacyAssistantError,
    RateLimitExceeded,
    RequestError,
    ResendLimitError,
    StoreError,
    UnknownDocumentError,
    UnknownRequestError,
    VerificationError,
)

log = logging.getLogger("assistant.web")

# The first match wins: subclasses before their base.
_STATUS: list[tuple[type[PrivacyAssistantError], int]] = [
    (InvalidInputError, 422),
    (UnknownRequestError, 404),
    (InvalidTransitionError, 409),
    (ResendLimitError, 429),
    (VerificationError, 400),
    (RequestError, 422),
    (NotAuthorisedError, 401),
    (UnknownDocumentError, 404),
    (RateLimitExceeded, 429),
    (StoreError, 503),
    (ConfigurationError, 500),
]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def assistant_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    headers = None
    if isinstance(exc, RateLimitExceeded | ResendLimitError):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, NotAuthorisedError):
        headers = {"WWW-Authenticate": 'Bearer realm="privacy-team"'}
    return error(status, str(exc), headers)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error(400, 'the body is not valid JSON; send a JSON object such as {"message": "..."}')
    return error(422, "; ".join(_describe(p) for p in problems[:5]))


def _describe(problem: dict) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
    kind = problem.get("type", "")
    if kind == "missing":
        return f"{where}: this field is required"
    if kind == "extra_forbidden":
        return f"{where}: unknown field; remove it"
    if kind == "model_attributes_type":
        return "body: send a JSON object"
    # Pydantic's own message, without the offending value (it may be the visitor's markup).
    return f"{where}: {problem.get('msg', 'is not valid')}"


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error(404, "no such page; the API is described at /docs")
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
