"""Chat message -> structured rights request draft: which rights, who asks, and what is still missing."""

from typing import TYPE_CHECKING

from assistant.intake.draft import ON_BEHALF_OF, RequestDraft
from assistant.intake.rights import RIGHTS, TAXONOMY, Right

if TYPE_CHECKING:
    from assistant.intake.intake import Intake

__all__ = ["ON_BEHALF_OF", "RIGHTS", "TAXONOMY", "Intake", "RequestDraft", "Right"]


def __getattr__(name: str) -> object:
    # The reader of messages loads its classifiers (scikit-learn, a second to import); the request queue,
    # which only needs the draft's shape, does not wait for it.
    if name == "Intake":
        from assistant.intake.intake import Intake

        return Intake
    raise AttributeError(f"module 'assistant.intake' has no attribute {name!r}")
