"""What routes depend on, injected: the assistant, the settings, the metrics, the rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.core import Assistant
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
    """Who is calling, for rate limits: the peer address (uvicorn's proxy-headers setting makes it the
    visitor's behind a trusted load balancer)."""
    return request.client.host if request.client else "unknown"


def rate_limited(request: Request) -> None:
    """Counts the call against its client's budget; raises RateLimitExceeded (429) when it is spent."""
    limiter: RateLimiter = request.app.state.limiter
    limiter.hit(client_key(request))


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[WebMetrics, Depends(get_metrics)]
RateLimited = Depends(rate_limited)
