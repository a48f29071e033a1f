"""The requester's download of their data package: ``GET /download`` shows a page (mail scanners that
fetch the link download nothing), ``POST /download/code`` mails a code to the requester's verified
address, and ``POST /download`` with that code sends the file once (fulfilment.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from assistant.exceptions import RequestError
from assistant.web.deps import AssistantDep, RateLimited
from assistant.web.routes.verify import PAGE_HEADERS

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=100)]


def _page(request: Request, reference: str, token: str, status: int = 200, **values: str) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "download.html", {"reference": reference, "token": token, **values},
        status_code=status, headers=PAGE_HEADERS,
    )  # fmt: skip


@router.get("/download", response_class=HTMLResponse)
def download_page(request: Request, ref: str = "", token: str = "") -> HTMLResponse:
    return _page(request, ref[:40], token[:100])


@router.post("/download/code", response_class=HTMLResponse, dependencies=[RateLimited])
async def send_download_code(
    request: Request, assistant: AssistantDep, reference: Text, token: Text
) -> HTMLResponse:
    try:
        await run_in_threadpool(assistant.requests.fulfilment.send_code, reference, token)
    except RequestError as exc:
        return _page(request, reference, token, 400, problem=str(exc))
    return _page(request, reference, token, sent="We have e-mailed you a code; enter it below.")


@router.post("/download", dependencies=[RateLimited])
async def download_package(
    request: Request, assistant: AssistantDep, reference: Text, token: Text, code: Text
) -> Response:
    try:
        package = await run_in_threadpool(assistant.requests.fulfilment.download, reference, token, code)
    except RequestError as exc:
        return _page(request, reference, token, 400, problem=str(exc))
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in package.filename)
    return Response(
        package.content,
        media_type=package.content_type,
        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{safe_name}"'},
    )
