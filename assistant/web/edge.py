"""The service's edge: body-size limit, security headers and per-client rate limits.

The two middlewares are plain ASGI (no per-request task or body copy beyond the small bodies the API
accepts), so they cost microseconds on the hot ``/api/ask`` path.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.exceptions import RateLimitExceeded

# A body over the limit is read on (and dropped) up to this much, so the client sees the 413 instead
# of a connection reset while it is still sending; past it the connection is simply closed after.
_DRAIN_BYTES = 4 * 1024 * 1024


async def _send_error(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413, whether announced by Content-Length or not."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Routes that take more (a data package upload): a path pattern and its own limit.
        self.larger = [(re.compile(pattern), limit) for pattern, limit in (larger or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_bytes = next((n for p, n in self.larger if p.fullmatch(scope["path"])), self.max_bytes)
        too_large = f"the request body is over {max_bytes:,} bytes; send a shorter message"
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None:
            if not announced.isdigit():
                await _send_error(send, 400, "the Content-Length header is not a number")
                return
            if int(announced) > max_bytes:
                if int(announced) <= _DRAIN_BYTES:
                    await _drain(receive)
                await _send_error(send, 413, too_large)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                if message.get("more_body", False):  # past the last chunk, receive() waits for a disconnect
                    await _drain(receive, size)
                await _send_error(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _drain(receive: Receive, already: int = 0) -> None:
    size = already
    while size <= _DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class SecurityHeaders:
    """Adds the security headers to every response that did not set its own."""

    def __init__(self, app: ASGIApp, api_origin: str = "") -> None:
        self.app = app
        extra = f" {api_origin}" if api_origin else ""
        self.headers: list[tuple[bytes, bytes]] = [
            (
                b"content-security-policy",
                (
                    f"default-src 'self'; script-src 'self'{extra}; style-src 'self'{extra}; "
                    f"connect-src 'self'{extra}; img-src 'self' data:; object-src 'none'; "
                    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                ).encode(),
            ),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimiter:
    """A token bucket per client: ``per_minute`` calls, refilled evenly; the oldest idle clients are
    forgotten past ``max_clients`` so a flood of addresses cannot grow memory without bound.

    Per process: with several workers each keeps its own buckets.
    """

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> None:
        """Take one token for ``client`` or raise RateLimitExceeded saying when to retry."""
        if self.capacity <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise RateLimitExceeded(max(1, math.ceil((1.0 - tokens) / self.refill_per_second)))
            self._buckets[client] = (tokens - 1.0, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
