"""Pages for people: the demo company page embedding the widget, and the API docs (served offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from assistant.web.deps import AssistantDep, SettingsDep

FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)

# Swagger UI sets styles from script; scripts stay 'self' only.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@router.get("/", response_class=HTMLResponse)
def demo(request: Request, assistant: AssistantDep, settings: SettingsDep) -> HTMLResponse:
    """A mock company page with the widget embedded by its one script tag, as a customer would."""
    document = assistant.corpus.documents[0]
    latest = assistant.versions(document)[-1]
    return request.app.state.templates.TemplateResponse(
        request,
        "demo.html",
        {"api_origin": settings.widget_api_origin.rstrip("/"), "policy": latest},
    )


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    response = request.app.state.templates.TemplateResponse(request, "docs.html", {})
    response.headers["Content-Security-Policy"] = _DOCS_CSP
    return response


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for it on every page; an answer keeps their consoles free of 404s."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
