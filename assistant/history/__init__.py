"""Questions about the policy's history: as of a time, what changed, and since when.

``questions.py`` recognises them (words alone); ``languages.py`` reads them in the other languages the
assistant knows; ``answers.py`` answers them from the corpus's versions.
"""

from assistant.history.answers import HistoryAnswerer
from assistant.history.languages import HistoryQuestions
from assistant.history.questions import HistoryQuestion, read_history_question

__all__ = ["HistoryAnswerer", "HistoryQuestion", "HistoryQuestions", "read_history_question"]
