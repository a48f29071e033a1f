"""Real SMTP servers (aiosmtpd) on loopback for the outbox tests: one that takes mail, one that stalls
until released, one that refuses every recipient."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

STALL_SECONDS = 60  # longer than any bound a test puts on a request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Takes every mail; ``delay`` seconds per mail make concurrent senders overlap."""

    def __init__(self, delay: float = 0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class StallingInbox(Inbox):
    """Takes the mail's data, then answers nothing until ``release()`` (or STALL_SECONDS): a mail
    server under load or half dead, as a sender sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()  # set once a sender waits on us
        self.gate = threading.Event()

    def release(self) -> None:
        self.gate.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.stalled.set()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, STALL_SECONDS)
        return await super().handle_DATA(server, session, envelope)


class RefusingInbox:
    """Refuses every recipient, naming the address in its answer as real servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return f"550 5.1.1 <{address}>: mailbox unavailable"


@contextmanager
def smtp_server(handler, port: int | None = None) -> Iterator[str]:
    """``handler`` served on loopback; yields the ``smtp://`` URL for PRIVACY_ASSISTANT_SMTP_URL."""
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        if isinstance(handler, StallingInbox):
            handler.release()  # a stalled session would keep the server from stopping
        controller.stop()
