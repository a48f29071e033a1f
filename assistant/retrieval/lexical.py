"""BM25 over policy units (bm25s), one small index per policy version, built on first use."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

from assistant.corpus.units import PolicyUnit

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOPWORDS = frozenset(
    """
    a an and are as at be but by for if in into is it no not of on or such that the their then there these
    they this to was will with i me my mine you your yours we us our ours do does did can could would should
    how what when where which who whom why please tell about any am have has had been being its it's from
    u ur yo hey hi hello pls plz thanks thank want wanna need know like get got just really also so
    im i'm i've i'd stuff thing things someone something anything everything all some much many one
    r w n y k b4 ok okay btw tho cuz bc idk lol thx ty ya yeah yep nope hmm gonna gotta
    """.split()
)
_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """The words that carry meaning, lower-cased, unstemmed."""
    return [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in STOPWORDS]


_SENTENCE_END = re.compile(r"(?:[.!?]+|\s[-–—]+)\s+(?=\S)")


def preamble(question: str) -> str:
    """The sentences before the last one of a question, which tell a story rather than ask: "I'm a
    teacher and one of my students entered your survey. What will you do with his info?"."""
    ends = [m.end() for m in _SENTENCE_END.finditer(question)]
    return question[: ends[-1]] if ends else ""


def tokenize(text: str) -> list[str]:
    return _stemmer.stemWords(words(text))


class LexicalIndex:
    """BM25 scores of a query against the units of one version."""

    def __init__(self, units: Sequence[PolicyUnit]) -> None:
        self.units = list(units)
        tokens = [tokenize(u.context) for u in self.units]
        self.vocabulary = frozenset(t for unit_tokens in tokens for t in unit_tokens)
        self._bm25 = bm25s.BM25()
        # An empty token list would make bm25s drop the document, so every unit keeps a placeholder.
        self._bm25.index([t or ["\x00"] for t in tokens], show_progress=False)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if not query_tokens or not self.units:
            return np.zeros(len(self.units))
        return self._bm25.get_scores(query_tokens)


class LexicalIndexes:
    """Thread-safe cache of one LexicalIndex per (document, version)."""

    def __init__(self) -> None:
        self._indexes: dict[str, LexicalIndex] = {}
        self._lock = threading.Lock()

    def get(self, key: str, units: Sequence[PolicyUnit]) -> LexicalIndex:
        index = self._indexes.get(key)
        if index is None:
            with self._lock:
                index = self._indexes.get(key) or LexicalIndex(units)
                self._indexes[key] = index
        return index
