"""Chat message -> structured rights request draft: which rights, who asks, and what is still missing."""

from assistant.intake.draft import CATEGORIES, ON_BEHALF_OF, RIGHTS, RequestDraft
from assistant.intake.intake import Intake

__all__ = ["CATEGORIES", "ON_BEHALF_OF", "RIGHTS", "Intake", "RequestDraft"]
