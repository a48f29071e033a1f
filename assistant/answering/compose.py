"""Grounded answers: composed of verbatim policy units with [n] markers, or an honest abstention."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.units import PolicyUnit, parse_policy
from assistant.exceptions import InvalidInputError
from assistant.prompts import Prompts
from assistant.retrieval.hybrid import Retrieval, ScoredUnit

# A paragraph this short is quoted whole rather than sentence by sentence.
SHORT_PARAGRAPH_UNITS = 3
SHORT_PARAGRAPH_CHARS = 500
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TAG = re.compile(r"<[^>]{0,200}>")
# "Jo <jo@example.com>", "<mailto:jo@example.com>": an address in brackets is text, not a tag.
_BRACKETED_EMAIL = re.compile(r"<\s*(?:mailto:)?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)\s*>", re.IGNORECASE)

LeadSource = Literal["extractive", "writer"]


@dataclass(frozen=True)
class Citation:
    """One verbatim quote of the policy backing an answer's ``[n]`` marker."""

    n: int
    document: str
    version: str
    section: str
    quote: str
    url: str


@dataclass(frozen=True)
class Answer:
    question: str
    answerable: bool
    text: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    as_of: str | None = None
    reasons: list[str] = field(default_factory=list)  # why it answered or declined, strongest first
    # The line that answers, shown before the quotes: plain text, "" when declined or nothing fits.
    lead: str = ""
    lead_source: LeadSource = "extractive"  # a verbatim span of a quote, or the checked words of the writer

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def clean_question(question: object, max_chars: int, noun: str = "question", keep_lines: bool = False) -> str:
    """The question (or chat message) as text worth reading, or InvalidInputError saying what is wrong.
    ``keep_lines``: a message keeps its line breaks (one blank line at most between paragraphs), for a
    letter is read by its lines: its subject line, its greeting, its lists, its sign-off."""
    if not isinstance(question, str):
        raise InvalidInputError(f"the {noun} must be text")
    if len(question) > max_chars:
        raise InvalidInputError(
            f"the {noun} is {len(question):,} characters long; write at most {max_chars:,} characters"
        )
    text = _TAG.sub(" ", _BRACKETED_EMAIL.sub(r" \1 ", question))
    lines = text.splitlines() if keep_lines else [text]
    # Control and format characters (NUL, bidi overrides, zero-width) carry no meaning for a search.
    lines = [
        " ".join("".join(c if unicodedata.category(c)[0] != "C" else " " for c in line).split())
        for line in lines
    ]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not any(ch.isalnum() for ch in text):
        raise InvalidInputError(f"the {noun} is empty; ask something about the privacy policy")
    return text


class Answerer:
    def __init__(
        self,
        prompts: Prompts,
        base_url: str,
        threshold: float,
        min_privacy: float,
        max_citations: int,
        max_unanswerable: float = 1.0,
    ) -> None:
        self.prompts = prompts
        self.base_url = base_url.rstrip("/")
        self.threshold = threshold
        self.min_privacy = min_privacy
        self.max_citations = max_citations
        self.max_unanswerable = max_unanswerable

    def compose(
        self,
        question: str,
        found: Retrieval,
        versions: list[PolicyVersion],
        as_of: date | None,
        privacy: float = 1.0,
    ) -> Answer:
        """An answer quoting what the retriever ``found``, or an abstention (``should_abstain``)."""
        results = found.results
        confidence = results[0].score if results else 0.0
        if declined := self.reasons_to_abstain(found, privacy):
            return self.abstain(question, versions, confidence, as_of, declined)
        citations = self._select(results, versions)
        version = citations[0].version
        intro = self.prompts.line(
            "answer_intro",
            organization=_organization(versions),
            title=versions[0].title,
            version=version,
            as_of=as_of.isoformat() if as_of else None,
        )
        quotes = " ".join(f"“{c.quote}” [{c.n}]" for c in citations)
        return Answer(
            question=question,
            answerable=True,
            text=f"{intro} {quotes}",
            citations=citations,
            confidence=round(confidence, 4),
            as_of=as_of.isoformat() if as_of else None,
            reasons=[f"answer model: margin {found.margin:+.3f}, at least {self.threshold:+.3f}"],
            lead=extractive_lead(results, citations),
        )

    def should_abstain(self, found: Retrieval, privacy: float) -> bool:
        """Abstain when the answer model finds no unit that answers the question (its margin is below the
        threshold); and, as categorical vetoes, when the question is not about privacy, when the question
        bank's neighbours make it likely the policy does not answer it, or when it asks for a kind of fact
        the passages to be quoted do not hold (a phone number)."""
        return bool(self.reasons_to_abstain(found, privacy))

    def reasons_to_abstain(self, found: Retrieval, privacy: float) -> list[str]:
        """Why the answer is declined, one phrase per reason; empty when it is given."""
        reasons = []
        if found.margin < self.threshold:
            reasons.append(f"answer model: margin {found.margin:+.3f} below {self.threshold:+.3f}")
        if privacy < self.min_privacy:
            reasons.append(f"not about privacy: probability {privacy:.2f}")
        if found.precedents.unanswerable >= self.max_unanswerable:
            reasons.append(f"question bank: unanswered with probability {found.precedents.unanswerable:.2f}")
        if found.missing_detail:
            reasons.append(f"the passages hold no {found.missing_detail}")
        return reasons

    def abstain(
        self,
        question: str,
        versions: list[PolicyVersion],
        confidence: float,
        as_of: date | None,
        reasons: list[str] | None = None,
    ) -> Answer:
        contact = privacy_contact(versions[0]) if versions else None
        citations = [self.cite(1, contact[1])] if contact else []
        text = self.prompts.line(
            "abstain",
            organization=_organization(versions),
            contact=contact[0] if contact else None,
            marker="[1]" if contact else "",
        )
        return Answer(
            question=question,
            answerable=False,
            text=text,
            citations=citations,
            confidence=round(confidence, 4),
            as_of=as_of.isoformat() if as_of else None,
            reasons=reasons or [],
        )

    def cite(
        self, n: int, unit: PolicyUnit, last: PolicyUnit | None = None, version: PolicyVersion | None = None
    ) -> Citation:
        """A citation of ``unit``, or of the passage from ``unit`` to ``last`` of ``version``."""
        url = f"{self.base_url}{unit.href}"
        quote = unit.text
        if last is not None and last is not unit and version is not None:
            quote = parse_policy(version).text[unit.start : last.end]
            url = f"{self.base_url}/policy/{unit.document}/{unit.version}?through={last.anchor}#{unit.anchor}"
        return Citation(
            n=n, document=unit.document, version=unit.version, section=unit.section.name, quote=quote, url=url
        )

    def _select(self, results: list[ScoredUnit], versions: list[PolicyVersion]) -> list[Citation]:
        """Passages to quote: the best unit and relevant runner-ups, each widened to the
        neighbouring sentences of its paragraph that also ranked; a unit opening a list brings its items.
        """
        by_key = {(v.document, v.version): v for v in versions}

        def version_of(unit: PolicyUnit) -> PolicyVersion:
            return by_key[(unit.document, unit.version)]

        best = results[0]
        ranked = [r.unit for r in results]
        # Runner-ups relevant enough to answer on their own are quoted after the best, up to
        # max_citations: the passage that answers is often the second (hit@3 on dev 0.90 -> 0.94).
        seeds = [best.unit] + [r.unit for r in results[1:] if r.margin >= self.threshold]
        citations: list[Citation] = []
        covered: set[str] = set()

        def quote(first: PolicyUnit, last: PolicyUnit) -> None:
            citation = self.cite(len(citations) + 1, first, last, version_of(first))
            # The same words in two sections are quoted once, and leave the slot to another passage.
            if all(c.quote != citation.quote for c in citations):
                citations.append(citation)

        for seed in seeds:
            if seed.id in covered or len(citations) >= self.max_citations:
                continue
            block_units = [u for u in parse_policy(version_of(seed)).units if u.block == seed.block]
            if (
                len(block_units) <= SHORT_PARAGRAPH_UNITS
                and sum(len(u.text) for u in block_units) <= SHORT_PARAGRAPH_CHARS
            ):
                members = block_units  # a short paragraph is quoted whole: its sentences explain each other
            else:
                members = [u for u in ranked if u.block == seed.block and u.version == seed.version]
            first = min(members, key=lambda u: u.n)
            last = max(members, key=lambda u: u.n)
            covered.update(u.id for u in block_units if first.n <= u.n <= last.n)
            quote(first, last)
        if best.unit.text.rstrip().endswith(":") and len(citations) < self.max_citations:
            units = parse_policy(version_of(best.unit)).units
            items = [u for u in units if u.section == best.unit.section and u.block > best.unit.block]
            for item in items:
                if len(citations) >= self.max_citations:
                    break
                if item.id not in covered:
                    quote(item, item)
        return citations


def extractive_lead(results: list[ScoredUnit], citations: list[Citation]) -> str:
    """The quoted unit (a sentence, list item or table row) the answer model finds most likely to answer:
    verbatim, so always supported. The highest margin rather than the best fused score: on the dev
    questions its lead alone holds the gold evidence for 0.935 of answers, the best-ranked unit's 0.900."""
    quoted = [r for r in results if any(r.unit.text in c.quote for c in citations)]
    if not quoted:
        return ""
    return max(quoted, key=lambda r: (r.margin, r.score)).unit.text


def privacy_contact(version: PolicyVersion) -> tuple[str, PolicyUnit] | None:
    """The e-mail address the policy gives most often, and the first unit that gives it."""
    units = parse_policy(version).units
    counts = Counter(m.group().rstrip(".").lower() for u in units for m in _EMAIL.finditer(u.text))
    if not counts:
        return None
    email = counts.most_common(1)[0][0]
    unit = next(u for u in units if email in u.text.lower())
    return email, unit


def _organization(versions: list[PolicyVersion]) -> str:
    for version in versions:
        if version.organization:
            return version.organization
    return "the company"
