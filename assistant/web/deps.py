"""What routes depend on, injected: the assistant, the settings, the metrics, the rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.core import Assistant
from assistant.exceptions import NotAuthorisedError
from assistant.requests.members import ADMIN, HANDLER, VIEWER, Member
from assistant.settings import Settings
from assistant.web.edge import RateLimiter
from assistant.web.metrics import WebMetrics


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_metrics(request: Request) -> WebMetrics:
    return request.app.state.metrics


def client_key(request: Request) -> str:
    """Who is calling, for rate limits: the peer address, or the visitor's as a load balancer listed in
    ``TRUSTED_PROXIES`` reports it (app.py)."""
    return request.client.host if request.client else "unknown"


def rate_limited(request: Request) -> None:
    """Counts the call against its client's budget; raises RateLimitExceeded (429) when it is spent."""
    limiter: RateLimiter = request.app.state.limiter
    limiter.hit(client_key(request))


def team_member(request: Request) -> Member:
    """The team member whose token the call carries (``Authorization: Bearer <token>``), never a name
    the caller claims. A refused call counts against the caller's rate limit, so tokens cannot be
    guessed at speed."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    try:
        return request.app.state.assistant.requests.members.authenticate(
            given if scheme.lower() == "bearer" else ""
        )
    except NotAuthorisedError:
        rate_limited(request)
        raise NotAuthorisedError(
            "the team API needs the header 'Authorization: Bearer <token>' with a team member's live "
            "token; an admin issues one with `privacy-assistant team token issue NAME`"
        ) from None


def _role(role: str, doing: str):
    def member_with_role(member: Annotated[Member, Depends(team_member)]) -> Member:
        return member.require(role, doing)

    return member_with_role


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[WebMetrics, Depends(get_metrics)]
RateLimited = Depends(rate_limited)
TeamAuthenticated = Depends(team_member)
Viewer = Annotated[Member, Depends(_role(VIEWER, "reading the queue"))]
Handler = Annotated[Member, Depends(_role(HANDLER, "working requests"))]
Admin = Annotated[Member, Depends(_role(ADMIN, "managing the team"))]
