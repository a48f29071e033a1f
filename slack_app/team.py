"""Who is on the privacy team: configured user ids, and the members of a Slack user group."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class PrivacyTeam:
    """Membership, with the user group's members cached for ``ttl`` seconds (one API call a minute)."""

    def __init__(self, users: list[str], group: str | None, ttl: float = 60.0) -> None:
        self.users = frozenset(users)
        self.group = group
        self.ttl = ttl
        self._members: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.users or self.group)

    def is_member(self, user: str, client: WebClient) -> bool:
        if user in self.users:
            return True
        return bool(self.group) and user in self._group_members(client)

    def _group_members(self, client: WebClient) -> frozenset[str]:
        with self._lock:
            if time.monotonic() - self._fetched_at < self.ttl:
                return self._members
            try:
                response = client.usergroups_users_list(usergroup=self.group)
                self._members = frozenset(response.get("users") or [])
                self._fetched_at = time.monotonic()
            except SlackApiError as exc:
                # Refuse rather than guess: a failed lookup grants nothing, and is retried next time.
                log.warning(
                    "could not read the privacy team's user group %s: %s",
                    self.group,
                    exc.response.get("error"),
                )
                return frozenset()
            return self._members
