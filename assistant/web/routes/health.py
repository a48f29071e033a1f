"""``/healthz`` (the process answers), ``/readyz`` (what it needs is reachable, and what the start-up
check of the audit trail found) and ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from assistant.core import Assistant
from assistant.requests.audit import AuditReport
from assistant.web.deps import AssistantDep, MetricsDep
from assistant.web.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])


def index_ready(assistant: Assistant) -> None:
    """The vector store answers and holds units."""
    if assistant.retriever.store.collection.count() == 0:
        raise RuntimeError("the index is empty; run `privacy-assistant index`")


def requests_ready(assistant: Assistant) -> None:
    """The request database answers (opened and migrated at first use)."""
    with assistant.requests.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


# Each check raises with a one-line reason when its part is not reachable.
READINESS_CHECKS: dict[str, Callable[[Assistant], None]] = {"index": index_ready, "requests": requests_ready}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def audit_status(report: AuditReport | None) -> str:
    """What the start-up check of the audit trail found (it does not decide readiness)."""
    if report is None:
        return "not checked"
    if report.ok:
        return "ok"
    return f"{len(report.problems)} problem(s) at start-up; run `privacy-assistant requests verify-audit`"


@router.get("/readyz")
def readyz(assistant: AssistantDep, request: Request) -> JSONResponse:
    """503 with the reasons while the index or the request database is not reachable."""
    checks: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check(assistant)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is for the operator
            checks[name] = f"failed: {exc}"
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": checks,
            "audit": audit_status(request.app.state.audit_report),
        },
        200 if ready else 503,
    )


@router.get("/metrics", include_in_schema=False)
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE)
