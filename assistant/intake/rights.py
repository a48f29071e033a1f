"""The rights a person can exercise, in the queue's words, with the law that grants each one.

One table for every door: the request reader labels messages with these names, the queue accepts only
these, Slack and the team's exports show them with their law, the eval harness scores each. The GDPR's
rights come first, in the order policies list them; then the US state laws' rights that the GDPR has no
twin for ("right to know", "right to delete" and "right to correct" are access, erasure and
rectification under another name).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Right:
    name: str  # the queue's word, stored in each request's row
    label: str  # plain words, for the requester
    gdpr: str | None  # the GDPR (and UK GDPR) article granting it, when it does
    us_state: str | None  # the CCPA/CPRA section (the other US state laws have their twins)

    @property
    def law(self) -> str:
        """Where the right comes from, for the team: "GDPR Art. 15; CCPA §1798.110"."""
        return "; ".join(part for part in (self.gdpr, self.us_state) if part)


TAXONOMY: tuple[Right, ...] = (
    Right(
        "access",
        "a copy of the personal data held about you (access)",
        "GDPR Art. 15",
        "CCPA §1798.100, §1798.110, §1798.115 (right to know)",
    ),
    Right(
        "rectification",
        "correction of inaccurate data (rectification)",
        "GDPR Art. 16",
        "CCPA §1798.106 (right to correct)",
    ),
    Right(
        "erasure",
        "deletion of your data (erasure)",
        "GDPR Art. 17",
        "CCPA §1798.105 (right to delete)",
    ),
    Right("objection", "objection to processing (objection)", "GDPR Art. 21", None),
    Right("restriction", "restriction of processing (restriction)", "GDPR Art. 18", None),
    Right(
        "portability",
        "transfer of your data in a machine-readable format (portability)",
        "GDPR Art. 20",
        "CCPA §1798.100(d)",
    ),
    Right("withdraw_consent", "withdrawal of consent (withdraw consent)", "GDPR Art. 7(3)", None),
    Right(
        "marketing_opt_out",
        "no more marketing (marketing opt-out)",
        "GDPR Art. 21(2)-(3); ePrivacy Directive Art. 13",
        None,
    ),
    Right(
        "opt_out_sale_sharing",
        "no sale or sharing of your personal information (opt-out of sale and sharing)",
        None,
        "CCPA §1798.120, §1798.135 (do not sell or share)",
    ),
    Right(
        "limit_sensitive_data",
        "limits on the use of your sensitive personal information (limit sensitive data)",
        None,
        "CCPA §1798.121 (limit the use of sensitive personal information)",
    ),
)
RIGHTS: tuple[str, ...] = tuple(r.name for r in TAXONOMY)
RIGHT_LABELS: dict[str, str] = {r.name: r.label for r in TAXONOMY}
BY_NAME: dict[str, Right] = {r.name: r for r in TAXONOMY}
