"""``RequestDraft``: what a visitor asked for, in the queue's vocabulary, and what is still to ask."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The policy's rights, plus opting out of marketing, in the order the policy lists them.
RIGHTS = (
    "access",
    "rectification",
    "erasure",
    "objection",
    "restriction",
    "portability",
    "withdraw_consent",
    "marketing_opt_out",
)
RIGHT_LABELS = {
    "access": "a copy of the personal data held about you (access)",
    "rectification": "correction of inaccurate data (rectification)",
    "erasure": "deletion of your data (erasure)",
    "objection": "objection to processing (objection)",
    "restriction": "restriction of processing (restriction)",
    "portability": "transfer of your data in a machine-readable format (portability)",
    "withdraw_consent": "withdrawal of consent (withdraw consent)",
    "marketing_opt_out": "no more marketing (marketing opt-out)",
}
ON_BEHALF_OF = ("self", "parent_guardian", "authorised_agent", "employee_forwarding")
# Asked in this order, one at a time; ``subject_name`` only when someone asks for another person.
REQUIRED_FIELDS = ("rights", "name", "email", "subject_name")


@dataclass
class RequestDraft:
    """A rights request taken from chat, not yet confirmed or submitted."""

    rights: list[str] = field(default_factory=list)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    on_behalf_of: str = "self"
    subject_name: str | None = None  # the person the request is about, when not the requester
    data_concerned: str | None = None
    categories: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def refresh_missing(self) -> RequestDraft:
        """Recompute ``missing`` from the fields; call after any change."""
        present = {
            "rights": bool(self.rights),
            "name": bool(self.name),
            "email": bool(self.email),
            "subject_name": self.on_behalf_of in ("self", "employee_forwarding") or bool(self.subject_name),
        }
        self.missing = [f for f in REQUIRED_FIELDS if not present[f]]
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestDraft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known).refresh_missing()
