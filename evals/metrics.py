"""Every metric of the harness, defined once. Each takes plain values, so tiny cases test it."""

from __future__ import annotations

import math
from collections.abc import Sequence


def evidence_hit(quotes: Sequence[str], evidence: Sequence[str], k: int) -> bool:
    """True when one of the first ``k`` quoted passages contains one of the gold evidence strings.

    Compared with white space folded, so a quote that wraps differently still counts.
    """
    gold = [_fold(e) for e in evidence if e.strip()]
    return any(g in _fold(q) for q in quotes[:k] for g in gold)


def abstention_accuracy(expected_answerable: Sequence[bool], answered: Sequence[bool]) -> float:
    """Share of questions the policy does not answer on which the assistant abstained."""
    pairs = [(e, a) for e, a in zip(expected_answerable, answered, strict=True) if not e]
    if not pairs:
        return math.nan
    return sum(1 for _, a in pairs if not a) / len(pairs)


def rate(flags: Sequence[bool]) -> float:
    """The share of true flags; NaN for an empty sequence, so an empty suite never looks perfect."""
    return sum(flags) / len(flags) if flags else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _fold(text: str) -> str:
    return " ".join(text.split()).lower()
