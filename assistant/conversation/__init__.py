"""Channel-agnostic conversations: a question answered, or a rights request taken step by step.

``dialogue.py`` holds ``Conversation`` (one message in, one ``Turn`` out); ``stages.py`` the steps of
taking a request and the moves between them; ``words.py`` what short replies mean.
"""

from assistant.conversation.dialogue import (
    Conversation,
    ConversationParts,
    Turn,
    new_conversation_id,
)
from assistant.conversation.stages import ACTIONS, STAGE_MOVES, Stage

__all__ = [
    "ACTIONS",
    "STAGE_MOVES",
    "Conversation",
    "ConversationParts",
    "Stage",
    "Turn",
    "new_conversation_id",
]
