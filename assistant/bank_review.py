"""What a new policy version does to the document's question bank: examples it leaves without evidence,
and examples the bank says the policy does not answer that the new text may answer now.

The bank's examples quote the policy; a new version can delete or reword their evidence (the example
then votes for nothing) or start answering a question the bank marks unanswerable (the example then
talks the assistant out of a right answer). Both are reported when a version is added, for a person to
review; nothing in the bank is changed automatically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.units import parse_policy
from assistant.retrieval.question_bank import ExampleQuestion, fold


@dataclass(frozen=True)
class BankReview:
    version: PolicyVersion
    stale: list[ExampleQuestion] = field(default_factory=list)  # none of its evidence is in the version
    now_answered: list[ExampleQuestion] = field(default_factory=list)  # unanswerable, but answered now

    def lines(self) -> list[str]:
        """The review as text for a privacy team: what to look at in the bank file."""
        where = f"{self.version.document} {self.version.version}"
        out = [
            f"question bank: {len(self.stale)} example(s) whose evidence {where} no longer holds"
            + (":" if self.stale else ""),
            *(f"  - {e.question!r} (evidence: {e.evidence[0][:70]!r})" for e in self.stale),
            f"question bank: {len(self.now_answered)} example(s) marked unanswerable that {where} may answer"
            + (":" if self.now_answered else ""),
            *(f"  - {e.question!r}" for e in self.now_answered),
        ]
        return out


def stale_examples(examples: list[ExampleQuestion], version: PolicyVersion) -> list[ExampleQuestion]:
    """The answerable examples none of whose evidence occurs in ``version`` (white space and case folded)."""
    text = fold(parse_policy(version).text)
    return [e for e in examples if e.answerable and not any(fold(x) in text for x in e.evidence)]


def review_bank(
    examples: list[ExampleQuestion],
    version: PolicyVersion,
    previous: PolicyVersion | None,
    answers: Callable[[int, PolicyVersion], bool],
) -> BankReview:
    """``answers(n, version)``: whether the assistant, without the bank's votes, answers the ``n``-th
    example there."""
    now_answered = [
        e
        for n, e in enumerate(examples)
        if not e.answerable and answers(n, version) and (previous is None or not answers(n, previous))
    ]
    return BankReview(version, stale_examples(examples, version), now_answered)
