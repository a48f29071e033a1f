"""Channel-agnostic conversations: a question answered, or a rights request taken step by step.

``dialogue.py`` holds ``Conversation`` (one message in, one ``Turn`` out); ``parts.py`` what it works
with and what a turn gives back; ``stages.py`` the steps of taking a request and the moves between
them; ``words.py`` what short replies mean.
"""

from assistant.conversation.dialogue import Conversation
from assistant.conversation.parts import ConversationParts, Turn, new_conversation_id
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
