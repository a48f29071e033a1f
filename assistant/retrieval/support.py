"""Does the policy use anything like each word of a question?

"Do you comply with HIPAA?" lands near the policy's sentences about complying with the law, and they
score well on the rest of the question; but no word of the policy comes near "HIPAA". The policy is
silent on it, and quoting the nearest sentence would suggest that it answers. Each word piece of the
question is matched with every word piece of the version (MiniLM's contextual vectors, by cosine); the
weakest match is the question's support. Below ``Settings.min_term_support`` the assistant abstains.
A misspelling of a word the policy uses ("lnog", "adress") is not a new term, so it is not judged
(``misspelt``; the share of known words, ``PolicyRetriever.coverage``, forgives it too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.corpus.units import PolicyUnit
from assistant.retrieval.embeddings import Encoded, LocalEmbeddings
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
        policy_words: frozenset[str],
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
        support = np.max([_best_matches(vectors, matrix) for matrix in policies], axis=0)
        by_word: dict[str, float] = {}
        for i, value in zip(judged, support, strict=True):
            word = _word_at(pieces, i)
            by_word[word] = min(by_word.get(word, 1.0), float(value))
        for word, value in sorted(by_word.items(), key=lambda item: item[1]):
            if not misspelt(word, policy_words):
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


def _best_matches(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """For each row of ``vectors``, its largest dot product with a row of ``matrix``.

    Multiplied by torch, in the model's own thread pool: numpy's BLAS threads keep spinning after the
    product and slowed the next forward pass threefold on two cores.
    """
    import torch  # loaded with the model already; importing it here keeps `import assistant` light

    with torch.inference_mode():
        return (torch.from_numpy(vectors) @ torch.from_numpy(matrix).T).amax(dim=1).numpy()


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


def misspelt(word: str, policy_words: frozenset[str]) -> bool:
    """Is ``word`` one typing slip (a letter wrong, missing, extra or two swapped) from a policy word?

    Short words are left alone: "iso" is one slip from "is", and it is not a typo.
    """
    if len(word) < 4 or word in policy_words:
        return False
    return any(abs(len(w) - len(word)) <= 1 and _one_slip(word, w) for w in policy_words)


def _one_slip(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    if len(a) < len(b):  # one letter missing from ``a``
        i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
        return a[i:] == b[i + 1 :]
    differ = [k for k in range(len(a)) if a[k] != b[k]]
    if len(differ) == 1:
        return True
    i = differ[0] if differ else 0
    return len(differ) == 2 and differ[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
