"""How much a change changes what the policy says, read from the words the change itself touches.

The words a change touches are its inserted and deleted runs (a reworded sentence) or its whole text (an
added or removed one). Of those, four kinds say nothing new about the data: words of a date ("June 1,
2024"), the text of a link ("click here"), words that carry no meaning on their own ("the", "please"),
and punctuation, which the diff already sets aside. What is left is the substance: each of its words
counts fully when it is new to the document (a word the other version never uses: a new data
category, recipient, purpose or right, or one that is gone entirely) or is a quantity (an age, a
retention period), and a little when it is a known word reworded.

A change whose substance is at most half of what it touches is minor: a date line, a link's text, a
move or a change of formatting. Minor changes score 0; the others score the sum above, so ordering by
score puts new data, recipients, ages and rights before rewordings, and minor changes last.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.corpus.units import parse_policy
from assistant.retrieval.lexical import tokenize, words

if TYPE_CHECKING:
    from assistant.corpus.diff import Change
    from assistant.corpus.documents import PolicyVersion

# A word the other version also uses weighs this much against one new to the document.
KNOWN_WORD_WEIGHT = 0.25

# Names of months and days as dates write them (capitalised), so "under 16 may provide" is no date.
_NAMES = (*calendar.month_name[1:], *calendar.month_abbr[1:])
_MONTH = "|".join(sorted({*_NAMES, *(n.upper() for n in _NAMES)}, key=len, reverse=True))
_WEEKDAY = "|".join((*calendar.day_name, *(d.upper() for d in calendar.day_name)))
_DATE = re.compile(
    rf"\b(?:(?:{_WEEKDAY}),?\s+)?(?:"
    rf"(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # June 1, 2024
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})\.?,?\s+\d{{4}}"  # 1 June 2024
    rf"|(?:{_MONTH})\.?,?\s+\d{{4}}"  # June 2024
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?"  # June 1
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})"  # 1 June
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2024-06-01
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"  # 06/01/2024
    r")\b"
)
_LINK_TEXT = re.compile(r"(?<!!)\[([^\]\n]+)\]\s*[(\[]")
_NUMBER = re.compile(r"\d")


def score_changes(changes: list[Change], old: PolicyVersion, new: PolicyVersion) -> list[Change]:
    """``changes`` (from ``old`` to ``new``) with their ``substance`` set."""
    sides = {"old": _Side(old), "new": _Side(new)}
    return [replace(c, substance=round(_substance(c, sides), 3)) for c in changes]


def by_substance(changes: Iterable[Change]) -> list[Change]:
    """The most substantive change first; equals, and the minor changes, in document order."""
    return sorted(changes, key=lambda c: -c.substance)


def is_minor(change: Change) -> bool:
    """Only dates, link text, formatting or order changed."""
    return change.substance <= 0


class _Side:
    """What a change is measured against on one side: the version's words and its links' texts."""

    def __init__(self, version: PolicyVersion) -> None:
        parsed = parse_policy(version)
        self.vocabulary = frozenset(
            token
            for text in (*(u.text for u in parsed.units), *(s.title for s in parsed.sections))
            for token in tokenize(text)
        )
        self.link_texts = tuple(" ".join(words(m.group(1))) for m in _LINK_TEXT.finditer(version.body))

    def is_link_text(self, run: str) -> bool:
        phrase = " ".join(words(run))
        return bool(phrase) and any(f" {phrase} " in f" {link} " for link in self.link_texts)


def _substance(change: Change, sides: dict[str, _Side]) -> float:
    if change.kind == "moved" and not (change.words_added or change.words_removed):
        return 0.0  # the same words elsewhere: an order, not a content
    touched: list[tuple[str, str, bool]] = []  # (text, its side, whether it is a run of a reworded text)
    if change.words_added or change.words_removed:
        touched += [(run, "new", True) for run in change.words_added]
        touched += [(run, "old", True) for run in change.words_removed]
    else:
        touched += [(change.new_text, "new", False)] if change.new_text else []
        touched += [(change.old_text, "old", False)] if change.old_text else []
    # A run holds a piece of a date ("August 29" of "August 29, 2023"): its words are those of the dates
    # in the whole sentence.
    date_words = {
        side: {w for m in _DATE.finditer(text or "") for w in words(m.group(0))}
        for side, text in (("old", change.old_text), ("new", change.new_text))
    }
    total = kept = 0
    substance: dict[str, float] = {}
    for text, side, is_run in touched:
        other = sides["old" if side == "new" else "new"]
        total += len(words(text))
        if is_run and sides[side].is_link_text(text):
            continue
        for word in words(text):
            token = tokenize(word)
            if not token or word in date_words[side]:
                continue
            stem = token[0]
            kept += 1
            weight = 1.0 if _NUMBER.search(stem) or stem not in other.vocabulary else KNOWN_WORD_WEIGHT
            substance[stem] = max(substance.get(stem, 0.0), weight)
    if kept * 2 <= total:
        return 0.0
    return sum(substance.values())
