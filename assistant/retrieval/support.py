"""Does the policy use anything like each word of a question?

"Do you comply with HIPAA?" lands near the policy's sentences about complying with the law, and they
score well on the rest of the question; but no word of the policy comes near "HIPAA". The policy is
silent on it, and quoting the nearest sentence would suggest that it answers. Each word piece of the
question is matched with every word piece of the version (MiniLM's contextual vectors, by cosine); the
weakest match is the question's support. Below ``Settings.min_term_support`` the assistant abstains.
A misspelling of a word the policy uses ("lnog", "adress") is not a new term, so it is not judged
(``PolicyWords.misspelt``; the share of known words, ``PolicyRetriever.coverage``, forgives it too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.corpus.units import PolicyUnit
from assistant.retrieval.embeddings import Encoded, LocalEmbeddings, best_matches
from assistant.retrieval.lexical import tokenize

CACHED_VERSIONS = 4  # Numecent's policy is about 6,000 word pieces: 9 MB of float32 each


class TermSupport:
    """The weakest-matched word of a question, against the word pieces of the versions it is asked of."""

    def __init__(self, embeddings: LocalEmbeddings) -> None:
        self.embeddings = embeddings
        self._pieces: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def weakest(
        self,
        question: str,
        query: Encoded,
        versions: Sequence[tuple[str, Sequence[PolicyUnit]]],
        policy_words: PolicyWords,
    ) -> tuple[str, float]:
        """(word, support) for the question's least supported content word; ("", 1.0) when it has none.

        ``query`` is the encoded query text, which starts with the question (the visitor vocabulary's
        words follow it and are not judged: they are the policy's own).
        """
        count = len(self.embeddings.model.tokenizer.tokenize(question))
        pieces = query.pieces[:count]
        judged = [i for i, piece in enumerate(pieces) if _is_content(piece)]
        if not judged:
            return "", 1.0
        policies = [self.pieces_of(key, units) for key, units in versions]
        vectors = query.piece_vectors[judged]
        support = np.max([best_matches(vectors, matrix) for matrix in policies], axis=0)
        by_word: dict[str, float] = {}
        for i, value in zip(judged, support, strict=True):
            word = _word_at(pieces, i)
            by_word[word] = min(by_word.get(word, 1.0), float(value))
        for word, value in sorted(by_word.items(), key=lambda item: item[1]):
            if not policy_words.misspelt(word):
                return word, value
        return "", 1.0

    def pieces_of(self, key: str, units: Sequence[PolicyUnit]) -> np.ndarray:
        """Every word-piece vector of a version's units (as embedded: with their context), cached."""
        with self._lock:
            cached = self._pieces.get(key)
            if cached is not None:
                self._pieces.move_to_end(key)
                return cached
        encoded = self.embeddings.encode_pieces([u.context for u in units])
        # Punctuation is near everything a little; only pieces of words may support a word.
        matrix = np.vstack(
            [e.piece_vectors[[p.removeprefix("##").isalnum() for p in e.pieces]] for e in encoded]
        ).astype(np.float32)
        with self._lock:
            self._pieces[key] = matrix
            while len(self._pieces) > CACHED_VERSIONS:
                self._pieces.popitem(last=False)
        return matrix


def _is_content(piece: str) -> bool:
    """A piece of a word that carries meaning: not punctuation, not a stop word ("do", "you", "my")."""
    word = piece.removeprefix("##")
    return word.isalnum() and (piece.startswith("##") or bool(tokenize(word)))


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

        Short words are left alone: "iso" is one slip from "is", and it is not a typo.
        """
        if len(word) < 4 or word in self.words:
            return False
        if word in self._shortened:  # a letter missing
            return True
        for i in range(len(word)):
            deleted = word[:i] + word[i + 1 :]
            if deleted in self.words or (i, deleted) in self._deleted_at:  # a letter extra, or wrong
                return True
        return any(
            word[:i] + word[i + 1] + word[i] + word[i + 2 :] in self.words for i in range(len(word) - 1)
        )
