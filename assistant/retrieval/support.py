"""Does the policy use anything like each word of a question?

"Do you comply with HIPAA?" lands near the policy's sentences about complying with the law, and they
score well on the rest of the question; but no word of the policy comes near "HIPAA". The policy is
silent on it, and quoting the nearest sentence would suggest that it answers. Each word piece of the
question is matched with every word piece of the version (MiniLM's contextual vectors, by cosine); the
weakest match is the question's support. Below ``Settings.min_term_support`` the assistant abstains.
A misspelling of a word the policy uses ("lnog", "adress") is not a new term, so it is not judged
(``PolicyWords.misspelt``; the share of known words, ``PolicyRetriever.coverage``, forgives it too); nor is
an everyday word the model's vocabulary holds whole ("push", "sister"): visitors say in their own words
what the policy says in its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.corpus.units import PolicyUnit
from assistant.retrieval.embeddings import Encoded, LocalEmbeddings, best_matches
from assistant.retrieval.lexical import preamble, tokenize
from assistant.retrieval.vocabulary import VISITOR_WORDS

CACHED_VERSIONS = 4  # Numecent's policy is about 6,000 word pieces: 9 MB of float32 each


@dataclass(frozen=True)
class Support:
    """How near the policy's words come to the question's words."""

    word: str = ""  # the question's least matched content word; "" when it has none
    value: float = 1.0  # how near the nearest word piece of the policy comes to it
    passages: float = 1.0  # ... and how near the passages to be quoted come to its two least matched words


class TermSupport:
    """The weakest-matched word of a question, against the word pieces of the versions it is asked of."""

    def __init__(self, embeddings: LocalEmbeddings) -> None:
        self.embeddings = embeddings
        self._pieces: OrderedDict[str, VersionPieces] = OrderedDict()
        self._lock = threading.Lock()

    def weakest(
        self,
        question: str,
        query: Encoded,
        versions: Sequence[tuple[str, Sequence[PolicyUnit]]],
        policy_words: PolicyWords,
        passages: Sequence[str] = (),
    ) -> Support:
        """The question's least supported content word, by the whole policy; and the support of its two
        least supported words by the ``passages`` (unit ids) alone.

        ``query`` is the encoded query text, which starts with the question (the visitor vocabulary's
        words follow it and are not judged: they are the policy's own).
        """
        pieces_of_text = self.embeddings.word_pieces
        count = len(pieces_of_text(question))
        pieces = query.pieces[:count]
        # Words of the story before the question ("I'm a teacher and ...") are not what it asks about.
        context = preamble(question)
        first = len(pieces_of_text(context)) if context else 0
        judged = [i for i in range(first, len(pieces)) if _is_content(_word_at(pieces, i))]
        if not judged:
            return Support()
        policies = [self.pieces_of(key, units) for key, units in versions]
        vectors = query.piece_vectors[judged]
        words = [_word_at(pieces, i) for i in judged]
        support = _by_word(words, np.max([best_matches(vectors, p.matrix) for p in policies], axis=0))
        typos = {word for word in support if policy_words.misspelt(word)}  # not new terms: not judged
        quoted = np.vstack([p.of(passages) for p in policies])
        in_passages = 1.0
        if len(quoted):
            by_passages = _by_word(words, best_matches(vectors, quoted))
            weakest_two = sorted(v for word, v in by_passages.items() if word not in typos)[:2]
            in_passages = float(np.mean(weakest_two)) if weakest_two else 1.0
        for word, value in sorted(support.items(), key=lambda item: item[1]):
            # A word the model's vocabulary holds whole is everyday English ("push", "sister", "header"):
            # the policy says the same in other words. Terms it must spell in pieces ("hip ##aa",
            # "ku ##ber ##net ##es") are the names and jargon whose absence means the policy is silent.
            if word not in typos and word not in VISITOR_WORDS and len(pieces_of_text(word)) > 1:
                return Support(word, value, in_passages)
        return Support(passages=in_passages)

    def pieces_of(self, key: str, units: Sequence[PolicyUnit]) -> VersionPieces:
        """Every word-piece vector of a version's units (as embedded: with their context), cached."""
        with self._lock:
            cached = self._pieces.get(key)
            if cached is not None:
                self._pieces.move_to_end(key)
                return cached
        encoded = self.embeddings.encode_pieces([u.context for u in units])
        # Punctuation is near everything a little; only pieces of words may support a word.
        blocks = [e.piece_vectors[[p.removeprefix("##").isalnum() for p in e.pieces]] for e in encoded]
        ends = np.cumsum([len(b) for b in blocks])
        spans = {u.id: (int(end - len(b)), int(end)) for u, b, end in zip(units, blocks, ends, strict=True)}
        version = VersionPieces(np.vstack(blocks).astype(np.float32), spans)
        with self._lock:
            self._pieces[key] = version
            while len(self._pieces) > CACHED_VERSIONS:
                self._pieces.popitem(last=False)
        return version


@dataclass(frozen=True)
class VersionPieces:
    matrix: np.ndarray  # the word-piece vectors of all units of a version, one row each
    spans: dict[str, tuple[int, int]]  # unit id -> its rows

    def of(self, unit_ids: Sequence[str]) -> np.ndarray:
        rows = [self.matrix[a:b] for a, b in (self.spans[u] for u in unit_ids if u in self.spans)]
        return np.vstack(rows) if rows else self.matrix[:0]


def _by_word(words: Sequence[str], values: np.ndarray) -> dict[str, float]:
    """The least value of each word's pieces."""
    by_word: dict[str, float] = {}
    for word, value in zip(words, values.tolist(), strict=True):
        by_word[word] = min(by_word.get(word, 1.0), value)
    return by_word


def _is_content(word: str) -> bool:
    """A word that carries meaning: not punctuation, not a stop word ("do", "you", "my", "pls")."""
    return word.isalnum() and bool(tokenize(word))


def _word_at(pieces: Sequence[str], i: int) -> str:
    """The whole word the piece at ``i`` belongs to ("hip" + "##aa" -> "hipaa")."""
    start = i
    while start > 0 and pieces[start].startswith("##"):
        start -= 1
    end = i + 1
    while end < len(pieces) and pieces[end].startswith("##"):
        end += 1
    return pieces[start] + "".join(p.removeprefix("##") for p in pieces[start + 1 : end])


class PolicyWords:
    """The words a policy uses, and which typed words are one typing slip from one of them.

    Each word's deletions are indexed once (SymSpell-style), so checking a typed word costs a few set
    look-ups per letter instead of a comparison with each of the policy's ~1,500 words.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._shortened: set[str] = set()  # a policy word with one letter deleted
        self._deleted_at: set[tuple[int, str]] = set()  # ... and where
        for word in self.words:
            for i in range(len(word)):
                deleted = word[:i] + word[i + 1 :]
                self._shortened.add(deleted)
                self._deleted_at.add((i, deleted))

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def misspelt(self, word: str) -> bool:
        """Is ``word`` one slip (a letter wrong, missing, extra, or two swapped) from a policy word?

        Short words are left alone: "iso" is one slip from "is", and it is not a typo. A word of three
        letters counts only as a policy word with a letter missing ("lng").
        """
        if len(word) < 3 or word in self.words:
            return False
        if word in self._shortened:  # a letter missing ("lng")
            return True
        if len(word) < 4:
            return False
        for i in range(len(word)):
            deleted = word[:i] + word[i + 1 :]
            if deleted in self.words or (i, deleted) in self._deleted_at:  # a letter extra, or wrong
                return True
        return any(
            word[:i] + word[i + 1] + word[i] + word[i + 2 :] in self.words for i in range(len(word) - 1)
        )
