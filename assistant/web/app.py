"""The FastAPI app: routes by resource, the edge (limits, headers, CORS), metrics, errors as JSON."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.core import Assistant
from assistant.requests.audit import check_at_startup
from assistant.requests.outbox import OutboxWorker
from assistant.settings import Settings, get_settings
from assistant.web.edge import BodyLimit, RateLimiter, SecurityHeaders
from assistant.web.errors import install_error_handlers
from assistant.web.memory import give_back, give_back_when_served
from assistant.web.metrics import MetricsMiddleware, WebMetrics
from assistant.web.routes import ask, chat, console, download, health, pages, policy, team, verify

HERE = Path(__file__).resolve().parent
log = logging.getLogger("assistant.web")

# Doors that join the web service (the Slack app's /slack/events) register a callable
# ``(app, assistant, settings)`` under this entry-point group (pyproject.toml); the web app finds them
# installed rather than importing them, so it runs without them.
PLUGINS = "privacy_assistant.web"


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The web service over ``assistant`` (default: one opened from ``settings`` or the environment).

    The model is loaded and the index opened at start-up, so the first visitor waits for neither.
    """
    settings = settings or (assistant.settings if assistant else get_settings())
    assistant = assistant or Assistant.open(settings=settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(assistant.warm)
        queue = await run_in_threadpool(lambda: assistant.requests)  # opened and migrated now
        # A damaged audit trail is logged (and shown on /readyz), not a reason to refuse service.
        app.state.audit_report = await run_in_threadpool(check_at_startup, queue.engine, queue.vault)
        if os.environ.get("PRIVACY_ASSISTANT_TEAM_TOKEN"):
            log.warning(
                "PRIVACY_ASSISTANT_TEAM_TOKEN is no longer read: the team API takes members' own tokens "
                "(`privacy-assistant team add` and `team token issue`)"
            )
        unsubscribe = queue.subscribe(app.state.metrics.record_request_event)
        # This app's own worker: several apps over one assistant (tests) each start and stop theirs.
        outbox = OutboxWorker(queue.storage)
        if settings.outbox_worker == "inprocess":
            outbox.start()  # mail leaves after commit, on its own thread, never inside a request
        await asyncio.to_thread(give_back)  # what start-up freed (embedding the index, the bank)
        trimming = None
        if settings.memory_trim_seconds > 0:
            trimming = asyncio.create_task(
                give_back_when_served(lambda: app.state.metrics.served, settings.memory_trim_seconds)
            )
        purging = None
        if settings.purge_interval_seconds > 0:
            purging = asyncio.create_task(purge_periodically(assistant, settings.purge_interval_seconds))
        log.info("ready: model loaded, index open, request database open")
        try:
            yield
        finally:
            unsubscribe()
            if settings.outbox_worker == "inprocess":
                await run_in_threadpool(outbox.stop)
            for task in (purging, trimming):
                if task is not None:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task

    app = FastAPI(
        title="Privacy assistant",
        summary="Answers questions about the privacy policy with verbatim citations; takes rights requests.",
        version="0.1.0",
        docs_url=None,  # served by pages.docs from packaged assets: no CDN, no inline script
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.metrics = WebMetrics()
    app.state.metrics.watch_outbox(lambda: assistant.outbox.counts())
    app.state.metrics.watch_queue(lambda: assistant.requests.report())
    app.state.limiter = RateLimiter(settings.rate_limit)
    app.state.audit_report = None  # set at start-up
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))

    for module in (chat, ask, verify, download, policy, health, pages, team, console):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/docs-assets", StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs")
    install_error_handlers(app)
    app.add_exception_handler(console.ConsoleRefusal, console.refused)  # pages, not JSON, for people
    mount_plugins(app, assistant, settings)  # Slack's /slack/events, when it is configured

    # Added innermost first: a request meets the proxy headers, then metrics, then headers, then CORS,
    # then the body limit.
    package_bytes = settings.package_max_mb * 1024 * 1024 + 65_536  # the file and its multipart framing
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger={r"/api/team/requests/[^/]+/package": package_bytes},
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=600,
    )
    app.add_middleware(SecurityHeaders, api_origin=settings.widget_api_origin.rstrip("/"))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    if settings.trusted_proxies:
        # Only a listed load balancer may say who the client is (rate limits count per client); anyone
        # else's X-Forwarded-For is ignored, so rotating it buys no fresh budget.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def mount_plugins(app: FastAPI, assistant: Assistant, settings: Settings) -> None:
    for plugin in entry_points(group=PLUGINS):
        plugin.load()(app, assistant, settings)


async def purge_periodically(assistant: Assistant, interval_seconds: float) -> None:
    """Applies the retention periods (README "Retention") at start-up and then every ``interval_seconds``.

    A failed run (database briefly away) is logged and tried again at the next interval. With several
    workers each runs it; every step is idempotent.
    """
    while True:
        try:
            report = await run_in_threadpool(assistant.purge)
            if not report.nothing:
                log.info(
                    "retention purge: %d transcript message(s), %d conversation state(s), "
                    "%d closed request(s) anonymised, %d delivered outbox message(s)",
                    report.transcript_messages,
                    report.conversations,
                    len(report.requests_anonymised),
                    report.outbox_messages,
                )
        except Exception:  # the job must outlive one bad run
            log.exception("retention purge failed; retrying in %s s", interval_seconds)
        await asyncio.sleep(interval_seconds)
