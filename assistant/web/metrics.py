"""Prometheus metrics of one app: requests and latency by route, answers vs abstentions, requests filed,
the outbox's waiting and dead messages, and how the team keeps its deadlines.

Each app has its own registry, so several apps in one process (tests) never share counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answering.compose import Answer
from assistant.conversation import Turn
from assistant.requests import AuditEvent
from assistant.requests.outbox import OutboxCounts
from assistant.requests.reporting import QueueReport
from assistant.requests.storage import REQUEST_CHANNELS

CONTENT_TYPE = CONTENT_TYPE_LATEST


class WebMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.served = 0  # HTTP requests answered by this process: the memory trim's sign of work done
        self.http_requests = Counter(
            "privacy_assistant_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "privacy_assistant_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.answers = Counter(
            "privacy_assistant_answers",
            "Questions answered from the policy (answered) or not (abstained), by channel.",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.requests_submitted = Counter(
            "privacy_assistant_rights_requests_submitted",
            "Privacy-rights requests put on the queue by this process, by channel (a retried or "
            "double-clicked confirmation counts once).",
            ["channel"],
            registry=self.registry,
        )
        for channel in REQUEST_CHANNELS:
            self.requests_submitted.labels(channel)  # every series exists from the start, at 0

    def watch_outbox(self, counts: Callable[[], OutboxCounts]) -> None:
        """Expose the outbox's waiting and dead messages, read from the database at each scrape (so a
        separate `privacy-assistant worker` is seen too)."""
        gauge = Gauge(
            "privacy_assistant_outbox_messages",
            "Outbox messages (mail, webhook events) not delivered: waiting, or dead after their last attempt.",
            ["state"],
            registry=self.registry,
        )
        for state in ("waiting", "dead"):
            gauge.labels(state).set_function(lambda state=state: _outbox_count(counts, state))

    def watch_queue(self, report: Callable[[], QueueReport]) -> None:
        """Expose the deadline figures (reporting.py), computed from the database at each scrape."""
        self.registry.register(_DeadlineCollector(report))

    def record_answer(self, answer: Answer, channel: str) -> None:
        self.answers.labels(channel, "answered" if answer.answerable else "abstained").inc()

    def record_turn(self, turn: Turn, channel: str) -> None:
        if turn.answer is not None:
            self.record_answer(turn.answer, channel)

    def record_request_event(self, event: AuditEvent) -> None:
        """A queue listener: the queue emits "submitted" once per request it creates, after commit."""
        if event.kind == "submitted":
            self.requests_submitted.labels(event.detail.get("channel", "unknown")).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _outbox_count(counts: Callable[[], OutboxCounts], state: str) -> float:
    try:
        return float(getattr(counts(), state))
    except Exception:  # the database is away: no number rather than a failed scrape
        return float("nan")


class _DeadlineCollector(Collector):
    """Closed requests, median days to close and the share on time, overall (group "all") and by right,
    channel and jurisdiction; open and overdue requests likewise."""

    def __init__(self, report: Callable[[], QueueReport]) -> None:
        self.report = report

    def collect(self):
        families = {
            "closed": GaugeMetricFamily(
                "privacy_assistant_requests_closed", "Requests closed.", labels=["group", "value"]
            ),
            "median_days_to_close": GaugeMetricFamily(
                "privacy_assistant_requests_median_days_to_close",
                "Median days from receipt to closing, of the requests closed.",
                labels=["group", "value"],
            ),
            "on_time_share": GaugeMetricFamily(
                "privacy_assistant_requests_closed_on_time_ratio",
                "Share of the closed requests closed by their due date.",
                labels=["group", "value"],
            ),
            "open": GaugeMetricFamily(
                "privacy_assistant_requests_open", "Requests open.", labels=["group", "value"]
            ),
            "overdue": GaugeMetricFamily(
                "privacy_assistant_requests_overdue",
                "Open requests past their due date.",
                labels=["group", "value"],
            ),
        }
        try:
            report = self.report()
        except Exception:  # the database is away: no figures rather than a failed scrape
            return
        groups = [("all", "all", report.overall)]
        groups += [(group, value, f) for group, values in report.by.items() for value, f in values.items()]
        for group, value, figures in groups:
            for name, family in families.items():
                number = getattr(figures, name)
                if number is not None:
                    family.add_metric([group, value], float(number))
        yield from families.values()


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (``/policy/{document}/{version}``),
    so paths a visitor makes up cannot create new series."""

    def __init__(self, app: ASGIApp, metrics: WebMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.served += 1
            self.metrics.http_requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.http_latency.labels(route).observe(time.perf_counter() - started)
