"""Answering a history question: from the version in force then, from the diff, or from the earliest
version holding the passage. Every sentence that is not a quote comes from ``prompts/``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from assistant.answering.compose import Answer, Citation
from assistant.corpus.diff import Change, diff_versions
from assistant.corpus.documents import PolicyVersion
from assistant.corpus.outline import content_key
from assistant.corpus.substance import by_substance, is_minor
from assistant.corpus.units import PolicyUnit, parse_policy
from assistant.history.questions import HistoryQuestion, Relative
from assistant.retrieval.lexical import tokenize
from assistant.retrieval.vocabulary import expand

if TYPE_CHECKING:
    from assistant.answering.compose import Answerer
    from assistant.prompts import Prompts
    from assistant.retrieval.hybrid import PolicyRetriever

# Most changes one answer lists; the rest are counted and left to the diff page.
MAX_CHANGES_IN_ANSWER = 5
# A sentence of another version still says the same when it is this close (difflib ratio on words).
SAME_PASSAGE = 0.6


class HistoryAnswerer:
    """Answers history questions from the corpus the retriever searches (kept current when a version is
    added), composing as the answerer does, in the prompts' words."""

    def __init__(
        self,
        retriever: PolicyRetriever,
        answerer: Answerer,
        prompts: Prompts,
        base_url: str,
        default_document: str | None = None,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.prompts = prompts
        self.base_url = base_url.rstrip("/")
        self.default_document = default_document

    def answer(
        self, question: str, history: HistoryQuestion, document: str | None, as_of: date | None, today: date
    ) -> Answer:
        """The answer in the question's language (``prompts/<language>/``), its quotes as the policy words
        them."""
        language = history.language
        current_day = as_of or today
        documents = self._documents(document, history.topic or question, current_day)
        if history.intent == "as_of":
            answer = self._as_of(question, history, documents, current_day, language)
        elif history.intent == "changes":
            answer = self._changes(question, history, documents[0], current_day, language)
        else:
            answer = self._since(question, history, documents[0], current_day, language)
        return replace(answer, language=language)

    def _documents(self, document: str | None, topic: str, day: date) -> list[str]:
        corpus = self.retriever.corpus
        chosen = document or self.default_document
        if chosen:
            corpus.versions(chosen)  # an unknown document is an error worth saying
            return [chosen]
        if len(corpus.documents) == 1:
            return corpus.documents
        # Several documents and none named: the one whose text answers the topic best comes first.
        versions = self.retriever.versions_for(None, day)
        results = self.retriever.search(topic, versions, k=1)
        best = results[0].unit.document if results else corpus.documents[0]
        return [best, *[d for d in corpus.documents if d != best]]

    # -- as of a time ----------------------------------------------------------------------------
    def _as_of(
        self, question: str, history: HistoryQuestion, documents: list[str], today: date, language: str
    ) -> Answer:
        corpus = self.retriever.corpus
        document = documents[0]
        history_of = [v for v in corpus.versions(document) if v.effective <= today]
        if history.relative:
            version = self._relative(history_of, history.relative, today, document)
            if version is None:
                return self._no_version(question, document, history, None, language)
            day = version.effective
        else:
            day = min(history.end or today, today)
        in_force = corpus.in_force(document, day)
        if in_force is None:
            return self._no_version(question, document, history, day, language)
        topic = history.topic or question
        versions = [in_force]
        found = self.retriever.retrieve(topic, versions)
        answer = self.answerer.compose(question, found, versions, day, language=language)
        during = [
            v.version
            for v in history_of
            if history.start and history.end and history.start < v.effective <= history.end
        ]
        if history.start and corpus.in_force(document, history.start) not in (None, in_force):
            during.insert(0, corpus.in_force(document, history.start).version)  # type: ignore[union-attr]
        if len(set(during) | {in_force.version}) > 1:
            note = self.prompts.line(
                "history_several_in_force",
                language,
                phrase=history.phrase,
                versions=sorted(set(during) | {in_force.version}),
                day=day.isoformat(),
                version=in_force.version,
            )
            answer = replace(answer, text=f"{note} {answer.text}")
        return answer

    def _relative(
        self, versions: list[PolicyVersion], relative: Relative, today: date, document: str
    ) -> PolicyVersion | None:
        if not versions:
            return None
        if relative == "first":
            return versions[0]
        if relative == "current":
            return versions[-1]
        return versions[-2] if len(versions) > 1 else None

    def _no_version(
        self, question: str, document: str, history: HistoryQuestion, day: date | None, language: str
    ) -> Answer:
        versions = self.retriever.corpus.versions(document)
        text = self.prompts.line(
            "history_no_version",
            language,
            phrase=history.phrase,
            day=day.isoformat() if day else None,
            first=versions[0].version,
            relative=history.relative,
        )
        return Answer(question=question, answerable=False, text=text, as_of=day.isoformat() if day else None)

    # -- what changed ----------------------------------------------------------------------------
    def _changes(
        self, question: str, history: HistoryQuestion, document: str, today: date, language: str
    ) -> Answer:
        versions = [v for v in self.retriever.corpus.versions(document) if v.effective <= today]
        corpus = self.retriever.corpus
        if not versions:
            return self._no_version(question, document, history, today, language)
        new = versions[-1]
        if history.start is not None and not history.onward and history.end and history.end < today:
            # "What changed in 2023?": from the version in force as the period began to the one at its end.
            old = corpus.in_force(document, history.start - _ONE_DAY) or versions[0]
            new = corpus.in_force(document, history.end) or versions[0]
        elif history.start is not None:
            old = corpus.in_force(document, history.start) or versions[0]
        elif history.relative == "first":
            old = versions[0]
        else:  # "in the last version", "since the previous version", or no time at all: the latest change
            old = versions[-2] if len(versions) > 1 else versions[-1]
        if old == new:
            # With one version on record, what changed is not known here: an abstention, pointing to the
            # privacy team, who keep the older versions.
            only = len(versions) == 1
            contact = self.answerer.contact(new) if only else None
            text = self.prompts.line(
                "history_no_changes",
                language,
                version=new.version,
                only=only,
                phrase=history.phrase,
                organization=new.organization or "the company",
                contact=contact[0] if contact else None,
                marker="[1]" if contact else "",
            )
            citations = [self.answerer.cite(1, contact[1])] if contact else []
            return Answer(question, answerable=not only, text=text, citations=citations, as_of=new.version)
        changes = diff_versions(old, new)
        topic_tokens = _topic_tokens(history.topic)
        relevant = [c for c in changes if _about(c, topic_tokens)] if topic_tokens else changes
        # What the policy now says differently first (the changes most about the topic asked, if any,
        # then the most substantial); dates, link text, formatting and moves after, as a group, and only
        # when the answer has room left.
        major = by_substance(c for c in relevant if not is_minor(c))
        if topic_tokens:
            major.sort(key=lambda c: -_about(c, topic_tokens))
        minor = [c for c in relevant if is_minor(c)]
        shown = major[:MAX_CHANGES_IN_ANSWER]
        shown += minor[: MAX_CHANGES_IN_ANSWER - len(shown)]
        citations: list[Citation] = []
        items = []
        for change in shown:
            item = {
                "minor": is_minor(change),
                "first_minor": bool(minor) and change is minor[0],
                "kind": change.kind,
                "scope": change.scope,
                "section": change.section,
                "old_section": change.old_section,
                "new_section": change.new_section,
                "old_quote": None,
                "new_quote": None,
                "old_marker": "",
                "new_marker": "",
            }
            for side, version, anchor, section_name in (
                ("old", old, change.old_anchor, change.old_section or change.section),
                ("new", new, change.new_anchor, change.new_section or change.section),
            ):
                passage = _passage(version, change, side, anchor, section_name)
                if passage is None:
                    continue
                first, last = passage
                citation = self._cite(len(citations) + 1, version, first, last)
                citations.append(citation)
                item[f"{side}_quote"] = citation.quote
                item[f"{side}_marker"] = f"[{citation.n}]"
            items.append(item)
        text = self.prompts.line(
            "history_changes",
            language,
            old=old.version,
            new=new.version,
            total=len(changes),
            shown=items,
            relevant=len(relevant),
            more=len(major) - sum(1 for i in items if not i["minor"]),
            minor=len(minor),
            shown_minor=sum(1 for i in items if i["minor"]),
            topic=(history.said or history.topic) if topic_tokens else None,
        )
        return Answer(
            question=question,
            answerable=True,
            text=text,
            citations=citations,
            confidence=1.0,
            as_of=new.version,
        )

    # -- since when ------------------------------------------------------------------------------
    def _since(
        self, question: str, history: HistoryQuestion, document: str, today: date, language: str
    ) -> Answer:
        versions = [v for v in self.retriever.corpus.versions(document) if v.effective <= today]
        if not versions:
            return self._no_version(question, document, history, today, language)
        topic = history.topic or question
        # The topic is words of the policy, not a visitor's question; and the bank's examples vote for the
        # passages of today's version, never for one a later version removed.
        found = self.retriever.retrieve(topic, versions, precedents=False)
        results = found.results
        # "Mention X" is a question about words: a passage holding every topic word answers it, however
        # low a one-word topic ("ChatGPT") scores against whole sentences.
        wanted = set(_topic_tokens(topic))
        naming = [r for r in results if wanted and wanted <= set(tokenize(r.unit.text))]
        if naming:
            best = naming[0]
        elif results and found.margin >= self.answerer.threshold:
            best = results[0]
        else:
            confidence = results[0].score if results else 0.0
            return self.answerer.abstain(question, [versions[-1]], confidence, None, language=language)
        passage = best.unit
        required = set(_topic_tokens(topic)) & set(tokenize(passage.text))
        holding = [(v, unit) for v in versions if (unit := _same_passage(v, passage, required)) is not None]
        first_version, first_unit = holding[0]
        last_version, last_unit = holding[-1]
        citations = [self._cite(1, first_version, first_unit)]
        if last_version == versions[-1] and content_key(last_unit.text) != content_key(first_unit.text):
            citations.append(self._cite(2, last_version, last_unit))
        contiguous = [v for v, _ in holding] == versions[
            versions.index(first_version) : versions.index(last_version) + 1
        ]
        text = self.prompts.line(
            "history_since",
            language,
            first=first_version.version,
            oldest=versions[0].version,
            always=first_version == versions[0],
            until=None if last_version == versions[-1] else last_version.version,
            gaps=not contiguous,
            quotes=[{"quote": c.quote, "marker": f"[{c.n}]", "version": c.version} for c in citations],
        )
        return Answer(
            question=question,
            answerable=True,
            text=text,
            citations=citations,
            confidence=round(best.score, 4),
            as_of=versions[-1].version,
        )

    def _cite(
        self, n: int, version: PolicyVersion, first: PolicyUnit, last: PolicyUnit | None = None
    ) -> Citation:
        quote = first.text
        url = f"{self.base_url}{first.href}"
        if last is not None and last is not first:
            quote = parse_policy(version).text[first.start : last.end]
            url = f"{self.base_url}/policy/{first.document}/{first.version}?through={last.anchor}#{first.anchor}"
        return Citation(
            n=n,
            document=first.document,
            version=first.version,
            section=first.section.name,
            quote=quote,
            url=url,
        )


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
_GENERIC = frozenset(
    tokenize("policy privacy version versions change changes changed new update updated section")
)


def _topic_tokens(topic: str) -> list[str]:
    return [t for t in tokenize(f"{topic} {expand(topic)}") if t not in _GENERIC]


def _about(change: Change, tokens: list[str]) -> float:
    """How much ``change`` is about the topic: the share of its words that are topic words (0: not)."""
    words = tokenize(" ".join(filter(None, (change.old_text, change.new_text, change.section))))
    return sum(1 for w in words if w in tokens) / len(words) if words else 0.0


def _passage(
    version: PolicyVersion, change: Change, side: str, anchor: str | None, section_name: str
) -> tuple[PolicyUnit, PolicyUnit] | None:
    """The units of ``version`` a change's ``side`` quotes: its sentence, or the section's first to last."""
    if (side == "old" and change.old_text is None) or (side == "new" and change.new_text is None):
        return None
    units = parse_policy(version).units
    if anchor:
        unit = next((u for u in units if u.anchor == anchor), None)
        return (unit, unit) if unit else None
    in_section = [u for u in units if u.section.name == section_name]
    if not in_section:
        return None
    if change.scope == "section" and change.kind != "moved":
        return in_section[0], in_section[-1]
    return in_section[0], in_section[0]


def _same_passage(version: PolicyVersion, passage: PolicyUnit, required: set[str]) -> PolicyUnit | None:
    """The unit of ``version`` that says what ``passage`` says, if any: the same words, or close words
    that keep every topic word the passage has (an age changed from 16 to 18 is not the same)."""
    key = content_key(passage.text)
    words = key.split()
    best: tuple[float, PolicyUnit] | None = None
    for unit in parse_policy(version).units:
        unit_key = content_key(unit.text)
        if unit_key == key:
            return unit
        matcher = SequenceMatcher(None, words, unit_key.split(), autojunk=False)
        if matcher.real_quick_ratio() < SAME_PASSAGE or matcher.quick_ratio() < SAME_PASSAGE:
            continue
        ratio = matcher.ratio()
        if (
            ratio >= SAME_PASSAGE
            and required <= set(tokenize(unit.text))
            and (best is None or ratio > best[0])
        ):
            best = (ratio, unit)
    return best[1] if best else None
