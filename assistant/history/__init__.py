"""Questions about the policy's history: as of a time, what changed, and since when.

``questions.py`` recognises them (words alone); ``answers.py`` answers them from the corpus's versions.
"""

from assistant.history.answers import HistoryAnswerer
from assistant.history.questions import HistoryQuestion, read_history_question

__all__ = ["HistoryAnswerer", "HistoryQuestion", "read_history_question"]
