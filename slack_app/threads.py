"""Slack threads as conversations: one conversation id per thread (or per direct-message channel)."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def conversation_id(team: str | None, channel: str, thread_ts: str | None) -> str:
    """A stable id for the conversation of a thread; hashed, so Slack ids are not stored as they are."""
    key = f"{team or '-'}:{channel}:{thread_ts or '-'}"
    return "slack-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def without_mention(text: str, bot_user_id: str | None) -> str:
    """The message minus the mention that addressed it to the bot."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.startswith(f"<@{user_id}") for m in _MENTION.findall(text or ""))


class SeenEvents:
    """Event ids already handled: Slack retries an event it thinks was lost, and one answer is enough."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self.size:
                self._ids.popitem(last=False)
            return True
