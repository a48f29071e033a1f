"""``RequestDraft``: what a visitor asked for, in the queue's vocabulary, and what is still to ask."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ON_BEHALF_OF = ("self", "parent_guardian", "authorised_agent", "employee_forwarding")
# Those who ask for another person, whose authority the team checks. An employee forwarding a
# customer's request passes on the customer's own ask.
FOR_ANOTHER = ("parent_guardian", "authorised_agent")
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
    subject_email: str | None = None  # theirs, when given: never where verification goes
    data_concerned: str | None = None
    categories: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # No right could be read, even after asking: the request goes to the queue for a person to classify.
    triage: bool = False
    language: str = "en"  # the visitor's: the dialogue and the mails to them are in it

    def refresh_missing(self) -> RequestDraft:
        """Recompute ``missing`` from the fields; call after any change."""
        present = {
            "rights": bool(self.rights) or self.triage,
            "name": bool(self.name),
            "email": bool(self.email),
            "subject_name": self.on_behalf_of not in FOR_ANOTHER or bool(self.subject_name),
        }
        self.missing = [f for f in REQUIRED_FIELDS if not present[f]]
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestDraft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known).refresh_missing()
