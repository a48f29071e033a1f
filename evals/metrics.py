"""Every metric of the harness, defined once. Each takes plain values, so tiny cases test it."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from assistant.retrieval.question_bank import fold


def evidence_hit(quotes: Sequence[str], evidence: Sequence[str], k: int) -> bool:
    """True when one of the first ``k`` quoted passages contains one of the gold evidence strings.

    Compared with white space folded, so a quote that wraps differently still counts.
    """
    gold = [fold(e) for e in evidence if e.strip()]
    return any(g in fold(q) for q in quotes[:k] for g in gold)


def lead_hit(leads: Sequence[str], evidence: Sequence[Sequence[str]]) -> float:
    """Share of answers whose lead line alone contains one of their gold evidence strings.

    ``leads[i]`` is the lead of answered question ``i`` and ``evidence[i]`` its gold strings; an empty
    lead misses. NaN when nothing was answered.
    """
    return rate(
        [bool(lead) and evidence_hit([lead], gold, 1) for lead, gold in zip(leads, evidence, strict=True)]
    )


def abstention_accuracy(expected_answerable: Sequence[bool], answered: Sequence[bool]) -> float:
    """Share of questions the policy does not answer on which the assistant abstained."""
    pairs = [(e, a) for e, a in zip(expected_answerable, answered, strict=True) if not e]
    if not pairs:
        return math.nan
    return sum(1 for _, a in pairs if not a) / len(pairs)


def citation_precision(citation_quotes: Sequence[Sequence[str]], evidence: Sequence[Sequence[str]]) -> float:
    """Share of all citations, pooled over the answered questions, whose quote contains gold evidence.

    ``citation_quotes[i]`` are the quotes cited for question ``i`` and ``evidence[i]`` its gold strings.
    Pooled (micro-averaged), so an answer with five citations weighs five times one with a single one.
    """
    flags = [
        evidence_hit([quote], gold, 1)
        for quotes, gold in zip(citation_quotes, evidence, strict=True)
        for quote in quotes
    ]
    return rate(flags)


def abstention_precision_recall(
    expected_answerable: Sequence[bool], answered: Sequence[bool]
) -> tuple[float, float]:
    """Precision and recall of abstaining, the positive class being "the policy does not answer this".

    Precision: of the questions the assistant abstained on, the share the policy really does not answer.
    Recall: of the questions the policy does not answer, the share it abstained on. NaN when undefined.
    """
    pairs = list(zip(expected_answerable, answered, strict=True))
    abstained = [e for e, a in pairs if not a]
    unanswerable = [a for e, a in pairs if not e]
    precision = rate([not e for e in abstained])
    recall = rate([not a for a in unanswerable])
    return precision, recall


def version_correct(cited_versions: Sequence[str], expected_versions: Sequence[str]) -> bool:
    """True when the answer cites exactly the expected set of policy versions (no more, no fewer)."""
    return set(cited_versions) == set(expected_versions)


# Quoted policy text in an answer: “...” (the assistant's own quotation marks).
_QUOTE = re.compile(r"“([^”]*)”")
_QUOTE_END = re.compile(r"”(?=\s*\[\d+\])")
_MARKER = re.compile(r"\[\d+\]")
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")
_JINJA = re.compile(r"({{.*?}}|{%-?\s*(\w+).*?-?%})", re.DOTALL)


def template_pattern(source: str) -> str:
    """A regular expression matching every text the Jinja2 template ``source`` can render, line-folded.

    Literal text must appear as written; each ``{{ value }}`` matches any text; an ``if``/``elif``/
    ``else`` block matches one of its branches (or nothing when there is no ``else``); a ``for``
    block matches its body any number of times. Comments are dropped; white space is folded.
    """
    source = re.sub(r"{#.*?#}", "", source, flags=re.DOTALL)
    tokens: list[tuple[str, str]] = []
    position = 0
    for match in _JINJA.finditer(source):
        tokens.append(("text", source[position : match.start()]))
        tokens.append(("expr", "") if match.group(1).startswith("{{") else ("tag", match.group(2)))
        position = match.end()
    tokens.append(("text", source[position:]))

    def literal(text: str) -> str:
        words = text.split()
        edge = r"\s*"
        return (edge + r"\s+".join(re.escape(w) for w in words) + edge) if words else edge

    def block(i: int, stop: tuple[str, ...]) -> tuple[str, int]:
        out = ""
        while i < len(tokens):
            kind, value = tokens[i]
            if kind == "tag" and value in stop:
                return out, i
            if kind == "text":
                out += literal(value)
            elif kind == "expr":
                out += r".+?"
            elif value == "if":
                branches, has_else = [], False
                while True:
                    body, i = block(i + 1, ("elif", "else", "endif"))
                    branches.append(body)
                    ending = tokens[i][1]
                    has_else = has_else or ending == "else"
                    if ending == "endif":
                        break
                out += "(?:" + "|".join(branches + ([] if has_else else [""])) + ")"
            elif value == "for":
                body, i = block(i + 1, ("endfor",))
                out += f"(?:{body})*"
            i += 1
        return out, i

    return block(0, ())[0]


def faithfulness(answer: str, sources: Sequence[str], templates: Sequence[str]) -> float:
    """Share of an answer's sentences that are verbatim policy quotes or text a template produces.

    Each quoted span “...” [n] is one sentence: faithful when it occurs verbatim (white space folded) in one
    of ``sources`` (the texts of the versions the answer cites). The rest of the answer, with each quote
    replaced by “…” and markers [n] kept, is its frame: its sentences are faithful when the whole frame
    is a sequence of quotes and renderings of ``templates`` (patterns from ``template_pattern``); otherwise none
    of them is, since a sentence added or altered anywhere breaks the match. 1.0 for an empty answer
    would flatter, so an answer with no sentence gives NaN.
    """
    folded_sources = [fold(s) for s in sources]
    quotes: list[str] = []
    frame, position = "", 0
    for end in _QUOTE_END.finditer(answer):
        # The quote a marker closes opens at the earliest “ after the previous quote whose text the
        # sources hold (policy text may itself contain “...”); failing that, at the nearest “.
        opens = [i for i in range(position, end.start()) if answer[i] == "“"]
        if not opens:
            continue
        start = next(
            (i for i in opens if fold(answer[i + 1 : end.start()]) in "\n".join(folded_sources)), opens[-1]
        )
        quote = fold(answer[start + 1 : end.start()])
        quotes.append(quote)
        frame += answer[position:start] + "“…”"
        position = end.start() + 1
    frame = " ".join((frame + answer[position:]).split())
    faithful_quotes = sum(1 for q in quotes if q and any(q in s for s in folded_sources))
    frame_sentences = [s for s in _SENTENCE_END.split(_QUOTE.sub("", frame)) if _MARKER.sub("", s).strip()]
    total = len(quotes) + len(frame_sentences)
    if total == 0:
        return math.nan
    # The answer's own quotes may stand between template renderings ("says: “…” [1] “…” [2]").
    any_template = "(?:" + "|".join([*templates, r"“…”(?:\s*\[\d+\])?"]) + ")"
    frame_ok = re.fullmatch(rf"\s*{any_template}(?:\s*{any_template})*\s*", frame, re.DOTALL) is not None
    return (faithful_quotes + (len(frame_sentences) if frame_ok else 0)) / total


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


def field_accuracy(gold: Sequence[str | None], extracted: Sequence[str | None]) -> float:
    """Share of items whose extracted value equals the gold one, trimmed and case folded; None must
    match None (a value invented where the message gives none is wrong)."""

    def norm(value: str | None) -> str | None:
        return value.strip().lower() if value else None

    return rate([norm(g) == norm(e) for g, e in zip(gold, extracted, strict=True)])


NOT_A_REQUEST = "not a request"


def confusion_matrix(
    gold: Sequence[set[str]], predicted: Sequence[set[str]], labels: Sequence[str]
) -> list[list[int]]:
    """Counts of (gold label, predicted label) over ``labels`` plus a last row/column "not a request".

    An empty set stands for "not a request". A message with several gold or predicted rights adds one
    to every (gold, predicted) pair it makes, so single-right messages give the usual matrix.
    """
    names = [*labels, NOT_A_REQUEST]
    index = {name: i for i, name in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for g, p in zip(gold, predicted, strict=True):
        for row in sorted(g) or [NOT_A_REQUEST]:
            for column in sorted(p) or [NOT_A_REQUEST]:
                matrix[index[row]][index[column]] += 1
    return matrix


def email_accuracy(gold: Sequence[str | None], extracted: Sequence[str | None]) -> float:
    """Share of messages whose extracted e-mail equals the gold one (``field_accuracy`` of the e-mail)."""
    return field_accuracy(gold, extracted)


def bootstrap_interval(
    flags: Sequence[bool], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A percentile bootstrap interval for the rate of ``flags`` (NaN, NaN when there are none).

    Seeded, so the same answers always report the same interval.
    """
    import numpy as np

    if not flags:
        return math.nan, math.nan
    values = np.asarray(flags, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    rates = values[draws].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(rates, tail)), float(np.percentile(rates, 100 - tail))
