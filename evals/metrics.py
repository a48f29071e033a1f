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


# -- intake -----------------------------------------------------------------------------------------
def precision_recall_f1(
    gold: Sequence[set[str]], predicted: Sequence[set[str]], label: str
) -> tuple[float, float, float]:
    """Precision, recall and F1 of one label over multi-label predictions, message by message.

    A label neither in the gold nor predicted anywhere gives NaN for all three, so it cannot look perfect.
    """
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if label in g and label in p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if label not in g and label in p)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if label in g and label not in p)
    if tp + fp + fn == 0:
        return math.nan, math.nan, math.nan
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(gold: Sequence[set[str]], predicted: Sequence[set[str]], labels: Sequence[str]) -> float:
    """The mean F1 over ``labels`` that occur in the gold or the predictions (NaN labels left out)."""
    scores = [precision_recall_f1(gold, predicted, label)[2] for label in labels]
    scores = [s for s in scores if not math.isnan(s)]
    return sum(scores) / len(scores) if scores else math.nan


def false_request_rate(is_request: Sequence[bool], predicted_request: Sequence[bool]) -> float:
    """Share of messages that are not requests (questions, chit-chat, attacks) taken as a request."""
    flags = [p for g, p in zip(is_request, predicted_request, strict=True) if not g]
    return rate(flags)


def email_accuracy(gold: Sequence[str | None], extracted: Sequence[str | None]) -> float:
    """Share of messages whose extracted e-mail equals the gold one, case folded; "none" must match none."""

    def norm(value: str | None) -> str | None:
        return value.strip().lower() if value else None

    return rate([norm(g) == norm(e) for g, e in zip(gold, extracted, strict=True)])
