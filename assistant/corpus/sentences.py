"""Sentence boundaries that survive the abbreviations and numbering policies are full of."""

from __future__ import annotations

import re

# Words that end in a full stop without ending a sentence. Compared lower-cased, without the stop.
ABBREVIATIONS = frozenset(
    """
    ltd inc co corp llc plc gmbh bv ag sa ste st rd ave blvd no nos vs etc e.g i.e cf al approx incl
    mr mrs ms dr prof jr sr dept est fig art sec para pp p u.s u.k u.s.a e.u eea jan feb mar apr jun
    jul aug sep sept oct nov dec
    """.split()
)

# A candidate boundary: terminal punctuation, optional closing quotes or brackets, then white space.
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+)""")
# What may start the next sentence: a capital, a digit, an opening quote or bracket, a list label.
_NEXT_START = re.compile(r"""\s+["'“‘(\[]?[A-Z0-9]""")
_WORD_BEFORE = re.compile(r"""([\w.]+)[.!?]*["'”’)\]]*$""")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of each sentence of ``text``, trimmed of white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if not _NEXT_START.match(text, end):
            continue
        if match.group().startswith(".") and _is_abbreviation(text[start : match.start() + 1]):
            continue
        spans.append(_trim(text, start, end))
        start = end
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return [span for span in spans if span[1] > span[0]]


def _is_abbreviation(before: str) -> bool:
    word = _WORD_BEFORE.search(before)
    if not word:
        return False
    token = word.group(1).rstrip(".").lower()
    # A single letter is an initial or a list label ("a.", "J. Smith"), never a sentence.
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
