"""History questions in the languages the assistant answers in, read from their English rendering.

The language's privacy vocabulary (``assistant/intake/vocabularies/``) renders what a question is about;
the words of time and change each language uses ("seit Januar 2025", "la version précédente", "o que
mudou") are in ``vocabularies/<code>.yaml`` beside this file, so that the rendering carries them to the
English reader (``questions.py``). Quoted words stay as written, and the time phrase the answer repeats
is the visitor's own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.exceptions import ConfigurationError
from assistant.history.questions import HistoryQuestion, read_history_question
from assistant.intake.languages import ENGLISH, Language, Languages, fold

VOCABULARIES = Path(__file__).resolve().parent / "vocabularies"
# What a visitor quotes is searched for as written: „Cookies“, «cookies», "cookies", “cookies”, ”cookies”.
_QUOTED = re.compile(r"\"[^\"]+\"|“[^”]+”|„[^“”\"]+[“”\"]|«[^»]+»|”[^”]+”|‘[^’]+’")
_WORD = re.compile(r"\w+")


class HistoryQuestions:
    """Reads a history question in any language the assistant knows: English as it is, the others from
    their English rendering."""

    def __init__(self, languages: Languages, folder: Path = VOCABULARIES) -> None:
        words = _time_words(folder)
        unknown = set(words) - set(languages.by_code)
        if unknown:
            raise ConfigurationError(f"{folder}: no language {sorted(unknown)}; known: {languages.codes}")
        # One vocabulary per language: its privacy phrases and its words of time and change; on a phrase
        # both have, the history one, which says it as the English reader expects ("sedan" -> "since").
        self.by_code = {
            code: replace(language, gloss={**language.gloss, **words.get(code, {})})
            for code, language in languages.by_code.items()
        }

    def read(self, text: str, language: str, today: date) -> HistoryQuestion | None:
        """The history question ``text`` asks in ``language``, or None for a question about the policy as
        it is. Its topic is English (what is searched); its phrase, the time as the visitor wrote it."""
        vocabulary = self.by_code.get(language)
        if language == ENGLISH or vocabulary is None:
            return read_history_question(text, today)
        english, origins = vocabulary.rendering(text, [m.span() for m in _QUOTED.finditer(text)])
        history = read_history_question(english, today)
        if history is None:
            return None
        spans = tuple((origins[start][0], origins[end - 1][1]) for start, end in history.spans)
        phrase = " ".join(text[start:end].strip() for start, end in spans)
        if spans and not text[: spans[0][0]].strip(" ¿¡"):
            # It goes mid-sentence: "Es hat sich seit Juli 2024 nichts geändert", however it began the question.
            phrase = phrase[:1].lower() + phrase[1:]
        topic = (
            history.topic if history.intent == "as_of" else _without_small_words(history.topic, vocabulary)
        )
        said = _said(topic, english, origins, text)
        return replace(history, topic=topic, phrase=phrase, spans=spans, language=language, said=said)


def _said(topic: str, english: str, origins: list[tuple[int, int]], text: str) -> str:
    """The visitor's words for ``topic``: from its first word to its last in the rendering ``english``,
    traced back to ``text`` ("retention data" in "the retention of data" -> "la conservación de datos")."""
    words = _WORD.findall(topic)
    first = re.search(rf"\b{re.escape(words[0])}\b", english) if words else None
    if first is None:
        return ""
    ends = [m.end() for m in re.finditer(rf"\b{re.escape(words[-1])}\b", english[first.start() :])]
    end = first.start() + ends[-1] if ends else first.end()
    return text[origins[first.start()][0] : origins[end - 1][1]].strip()


def _without_small_words(topic: str, language: Language) -> str:
    """What changed, or since when, is found by the topic's words: the language's own small words the
    vocabulary left as they were ("der", "sich") are not what the visitor asks about; quoted words are."""
    kept = [m.span() for m in _QUOTED.finditer(topic)]

    def word(match: re.Match[str]) -> str:
        quoted = any(a <= match.start() < b for a, b in kept)
        return "" if not quoted and fold(match.group(0)) in language.folded_markers else match.group(0)

    return " ".join(_WORD.sub(word, topic).split())


@lru_cache(maxsize=4)
def _time_words(folder: Path) -> dict[str, dict[str, str]]:
    words: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{path}: not valid YAML ({exc})") from None
        if data.get("language") != path.stem:
            raise ConfigurationError(f"{path}: 'language' must be {path.stem!r}, the file's name")
        gloss = data.get("gloss") or {}
        if not isinstance(gloss, dict):
            raise ConfigurationError(f"{path}: 'gloss' must map phrases to their English")
        words[path.stem] = {str(k).lower(): "" if v is None else str(v) for k, v in gloss.items()}
    return words
