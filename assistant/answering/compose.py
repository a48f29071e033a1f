"""Grounded answers: composed of verbatim policy units with [n] markers, or an honest abstention."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
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
# Of some units of a version, the one the answer model finds likeliest to answer a question.
LikeliestAnswer = Callable[[str, PolicyVersion, list[PolicyUnit]], PolicyUnit]


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
class Passage:
    """A passage an answer may quote, before it is chosen or left out."""

    citation: Citation
    margin: float  # the answer model's margin for the likeliest of its units
    best_ranked: bool  # it holds the retriever's best-ranked unit


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
    # The question's language: the assistant's own sentences are in it, the quotes in the policy's.
    language: str = "en"

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
        likeliest: LikeliestAnswer | None = None,
        quote_gap: float = float("inf"),
    ) -> None:
        self.prompts = prompts
        self.quote_gap = quote_gap
        self.likeliest = likeliest
        self._contacts: dict[tuple[str, str], tuple[str, PolicyUnit] | None] = {}
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
        language: str = "en",
    ) -> Answer:
        """An answer quoting what the retriever ``found``, or an abstention (``should_abstain``); its own
        words in ``language`` (``prompts/<language>/``), its quotes as the policy words them."""
        results = found.results
        confidence = results[0].score if results else 0.0
        if declined := self.reasons_to_abstain(found, privacy):
            return self.abstain(question, versions, confidence, as_of, declined, language)
        citations = self._select(results, versions, found.precedents.votes)
        version = citations[0].version
        intro = self.prompts.line(
            "answer_intro",
            language,
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
            language=language,
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
        language: str = "en",
    ) -> Answer:
        contact = self.contact(versions[0]) if versions else None
        citations = [self.cite(1, contact[1])] if contact else []
        text = self.prompts.line(
            "abstain",
            language,
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
            language=language,
        )

    def contact(self, version: PolicyVersion) -> tuple[str, PolicyUnit] | None:
        """The privacy address, cited by the sentence that gives it as the way to ask about the policy
        (``prompts/contact_question.txt``), not merely the first that names it ("if you believe we hold
        a child's data, contact us at ...")."""
        if self.likeliest is None:
            return privacy_contact(version)
        key = (version.document, version.version)
        if key not in self._contacts:  # the same for every abstention on this version
            likeliest, question = self.likeliest, self.prompts.line("contact_question")
            self._contacts[key] = privacy_contact(version, lambda units: likeliest(question, version, units))
        return self._contacts[key]

    def cite(
        self, n: int, unit: PolicyUnit, last: PolicyUnit | None = None, version: PolicyVersion | None = None
    ) -> Citation:
        """A citation of ``unit``, or of the passage from ``unit`` to ``last`` of ``version``."""
        url = f"{self.base_url}{unit.href}"
        quote = unit.text
        if last is not None and last is not unit and version is not None:
            # Its units' words, one space between paragraphs or list items too: a list reads compactly.
            quote = " ".join(parse_policy(version).text[unit.start : last.end].split())
            url = f"{self.base_url}/policy/{unit.document}/{unit.version}?through={last.anchor}#{unit.anchor}"
        return Citation(
            n=n, document=unit.document, version=unit.version, section=unit.section.name, quote=quote, url=url
        )

    def _select(
        self, results: list[ScoredUnit], versions: list[PolicyVersion], votes: dict[str, float] | None = None
    ) -> list[Citation]:
        """The ``passages`` to quote, likeliest first: the one the answer model finds likeliest to answer,
        and the one holding the retriever's best-ranked unit (when the two disagree, either may be the
        answer); any other only when the answer model finds it nearly as likely (``AnswerModel.quote_gap``,
        fit from data): a quote that adds nothing is left out."""
        passages = self.passages(results, versions, votes)
        top = passages[0].margin
        kept = [p.citation for p in passages if p.best_ranked or p.margin >= top - self.quote_gap]
        return [replace(c, n=n) for n, c in enumerate(kept, start=1)]

    def passages(
        self, results: list[ScoredUnit], versions: list[PolicyVersion], votes: dict[str, float] | None = None
    ) -> list[Passage]:
        """Passages that may be quoted, likeliest first (by the answer model's margin): the best unit and
        relevant runner-ups, each widened to the neighbouring sentences of its paragraph that also ranked,
        or to its whole list when several of its items ranked; a passage opening a list brings the list.
        ``votes``: the question bank's votes for units (``Precedents.votes``), when the document has a
        bank. ``train`` fits the quote gap on these."""
        by_key = {(v.document, v.version): v for v in versions}

        def version_of(unit: PolicyUnit) -> PolicyVersion:
            return by_key[(unit.document, unit.version)]

        best = results[0]
        ranked = [r.unit for r in results]
        margins = {r.unit.id: r.margin for r in results}
        quoted: list[Passage] = []
        # Runner-ups relevant enough to answer on their own are quoted after the best, up to
        # max_citations: the passage that answers is often the second (hit@3 on dev 0.90 -> 0.94).
        # When the bank's examples like the question point to the best unit, they say which passages
        # visitors asking this were answered with: a runner-up none of them points to is not quoted.
        banked = bool(votes) and best.unit.id in votes
        seeds = [best.unit] + [
            r.unit for r in results[1:] if r.margin >= self.threshold and (not banked or r.unit.id in votes)
        ]
        citations: list[Citation] = []
        covered: set[str] = set()

        def quote(first: PolicyUnit, last: PolicyUnit, margin: float, best_ranked: bool) -> None:
            citation = self.cite(len(citations) + 1, first, last, version_of(first))
            # The same words in two sections, or within a list quoted whole, are quoted once (in the
            # longer passage, as likely as the likelier of the two), and leave the slot to another.
            if any(citation.quote in c.quote for c in citations):
                return
            within = [p for p in quoted if p.citation.quote in citation.quote]
            for passage in within:
                quoted.remove(passage)
                citations.remove(passage.citation)
            citations.append(citation)
            quoted.append(
                Passage(
                    citation,
                    max([margin, *(p.margin for p in within)]),
                    best_ranked or any(p.best_ranked for p in within),
                )
            )

        for seed in seeds:
            if seed.id in covered or len(citations) >= self.max_citations:
                continue
            units = parse_policy(version_of(seed)).units
            place = {u.id: i for i, u in enumerate(units)}
            block = [i for i, u in enumerate(units) if u.block == seed.block]
            if (
                len(block) <= SHORT_PARAGRAPH_UNITS
                and sum(len(units[i].text) for i in block) <= SHORT_PARAGRAPH_CHARS
            ):
                span = block  # a short paragraph is quoted whole: its sentences explain each other
            else:
                span = [place[u.id] for u in ranked if u.id in place and u.block == seed.block]
            items = list_run(units, place[seed.id])
            if sum(u in items for u in ranked) >= 2:
                # Several items of one list answer: the question is about the list ("what rights do I
                # have?"), which is quoted whole, as one passage, rather than the items that ranked.
                span = [place[u.id] for u in items]
            first, last = min(span), max(span)
            if units[last].text.rstrip().endswith(":") and (opened := list_run(units, last + 1)):
                # A passage that opens a list ("you have these rights:") is quoted with the whole list.
                last = place[opened[-1].id]
            inside = units[first : last + 1]
            covered.update(u.id for u in inside)
            quote(
                units[first],
                units[last],
                max(margins.get(u.id, float("-inf")) for u in inside),
                any(u.id == best.unit.id for u in inside),
            )
        return sorted(quoted, key=lambda p: -p.margin)


def list_run(units: list[PolicyUnit], at: int) -> list[PolicyUnit]:
    """The run of list items around ``units[at]`` (a version's units, in document order) within its
    section: a whole list, nested items and items of several sentences included; [] when it is no item."""
    if not 0 <= at < len(units) or units[at].kind != "list_item":
        return []

    def item(i: int) -> bool:
        return 0 <= i < len(units) and units[i].kind == "list_item" and units[i].section == units[at].section

    first, last = at, at
    while item(first - 1):
        first -= 1
    while item(last + 1):
        last += 1
    return units[first : last + 1]


def extractive_lead(results: list[ScoredUnit], citations: list[Citation]) -> str:
    """The quoted unit (a sentence, list item or table row) the answer model finds most likely to answer:
    verbatim, so always supported. The highest margin rather than the best fused score: on the dev
    questions its lead alone holds the gold evidence for 0.935 of answers, the best-ranked unit's 0.900."""
    quoted = [r for r in results if any(r.unit.text in c.quote for c in citations)]
    if not quoted:
        return ""
    return max(quoted, key=lambda r: (r.margin, r.score)).unit.text


def privacy_contact(
    version: PolicyVersion, choose: Callable[[list[PolicyUnit]], PolicyUnit] | None = None
) -> tuple[str, PolicyUnit] | None:
    """The e-mail address the policy gives most often, and the unit that gives it (``choose``'s pick of
    them, by default the first)."""
    units = parse_policy(version).units
    counts = Counter(m.group().rstrip(".").lower() for u in units for m in _EMAIL.finditer(u.text))
    if not counts:
        return None
    email = counts.most_common(1)[0][0]
    giving = [u for u in units if email in u.text.lower()]
    return email, (choose(giving) if choose and len(giving) > 1 else giving[0])


def _organization(versions: list[PolicyVersion]) -> str:
    for version in versions:
        if version.organization:
            return version.organization
    return "the company"
