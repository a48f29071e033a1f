"""What routes depend on, injected: the assistant, the settings, the metrics, the rate limit."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from assistant.core import Assistant
from assistant.exceptions import InvalidInputError, NotAuthorisedError
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


def team_authorised(request: Request) -> None:
    """Lets the call through only with ``Authorization: Bearer <PRIVACY_ASSISTANT_TEAM_TOKEN>``.

    Compared in constant time; each refused call also counts against the caller's rate limit, so the
    token cannot be guessed at speed.
    """
    expected = request.app.state.settings.team_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if (
        expected
        and scheme.lower() == "bearer"
        and secrets.compare_digest(given.strip().encode(), expected.encode())
    ):
        return
    rate_limited(request)
    raise NotAuthorisedError(
        "the team API needs the header 'Authorization: Bearer <token>' with the token set in "
        "PRIVACY_ASSISTANT_TEAM_TOKEN"
    )


def team_member(x_team_member: Annotated[str | None, Header()] = None) -> str:
    """Who on the team acts: recorded as the actor of every change in the audit trail."""
    member = " ".join((x_team_member or "").split())
    if not member:
        raise InvalidInputError(
            "say who acts in the header 'X-Team-Member: <your name or e-mail>'; it goes into the audit trail"
        )
    if len(member) > 200:
        raise InvalidInputError("X-Team-Member is too long; at most 200 characters")
    return member


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[WebMetrics, Depends(get_metrics)]
RateLimited = Depends(rate_limited)
TeamAuthorised = Depends(team_authorised)
TeamMember = Annotated[str, Depends(team_member)]
