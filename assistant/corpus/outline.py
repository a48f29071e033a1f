"""A policy version as an outline of sections holding comparable items (sentences, table rows), and
the sections two versions share: matched by heading path, by title, then by what they say.

Items compare by ``content_key``: their words, case-folded, so formatting never counts as content.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from assistant.corpus.units import ParsedPolicy, PolicyUnit, Section

# A section whose heading was reworded keeps at least this share of its words (difflib ratio).
RENAMED_SECTION_OVERLAP = 0.5

_WORD = re.compile(r"\w+")


def content_key(text: str) -> str:
    """What a sentence says, without its formatting: its words, case-folded, in order."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def similarity(a: list[str], b: list[str], floor: float) -> float:
    """difflib's ratio of ``a`` to ``b``, or 0 when its quick bounds are already below ``floor``."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


@dataclass
class OutlineEntry:
    section: int
    position: int  # order within its section
    text: str
    key: str
    unit: PolicyUnit | None  # None for a table's header row


@dataclass
class OutlineSection:
    index: int
    section: Section
    parent: int | None
    items: list[OutlineEntry] = field(default_factory=list)
    weight: int = 1  # items in it and in its subsections, plus one: how much a move of it weighs

    @property
    def name(self) -> str:
        return self.section.name


def outline(parsed: ParsedPolicy) -> list[OutlineSection]:
    sections = [OutlineSection(i, s, None) for i, s in enumerate(parsed.sections)]
    by_slug = {s.section.slug: s for s in sections}
    last_with_path: dict[tuple[str, ...], int] = {}
    for s in sections:
        path = s.section.path
        s.parent = last_with_path.get(path[:-1]) if len(path) > 1 else None
        last_with_path[path] = s.index
    for block in parsed.blocks:
        owner = by_slug[block.section.slug]
        if block.kind == "table_header":
            text = " | ".join(block.cells)
            owner.items.append(OutlineEntry(owner.index, len(owner.items), text, content_key(text), None))
        for unit in block.units:
            owner.items.append(
                OutlineEntry(owner.index, len(owner.items), unit.text, content_key(unit.text), unit)
            )
    for s in reversed(sections):
        s.weight += len(s.items)
        if s.parent is not None:
            sections[s.parent].weight += s.weight
    return sections


def match_sections(old: list[OutlineSection], new: list[OutlineSection]) -> dict[int, int]:
    """Old section index -> new section index, for the sections both versions have."""
    matched: dict[int, int] = {}
    taken: set[int] = set()

    def pair_by(key_of) -> None:
        waiting: dict[object, list[int]] = defaultdict(list)
        for s in new:
            if s.index not in taken:
                waiting[key_of(s)].append(s.index)
        for s in old:
            if s.index in matched:
                continue
            candidates = waiting.get(key_of(s))
            if candidates:
                j = candidates.pop(0)
                matched[s.index] = j
                taken.add(j)

    pair_by(lambda s: tuple(content_key(t) for t in s.section.path))
    pair_by(lambda s: content_key(s.section.title))
    # A reworded heading: the section is recognised by what it says.
    scored: list[tuple[float, int, int]] = []
    for o in old:
        if o.index in matched or not o.items:
            continue
        old_words = " ".join(i.key for i in o.items).split()
        for n in new:
            if n.index in taken or not n.items:
                continue
            overlap = similarity(old_words, " ".join(i.key for i in n.items).split(), RENAMED_SECTION_OVERLAP)
            if overlap >= RENAMED_SECTION_OVERLAP:
                scored.append((overlap, o.index, n.index))
    for _, o_index, n_index in sorted(scored, reverse=True):
        if o_index not in matched and n_index not in taken:
            matched[o_index] = n_index
            taken.add(n_index)
    # The opening of the document (its title and introduction) is the same section whatever its title.
    if old and new and 0 not in matched and 0 not in taken:
        matched[0] = 0
    return matched


def _heaviest_in_order(indices: list[int], weights: list[int]) -> set[int]:
    """Positions of the heaviest subsequence of ``indices`` that is increasing: what stayed in place."""
    n = len(indices)
    best = list(weights)
    previous = [-1] * n
    for i in range(n):
        for j in range(i):
            if indices[j] < indices[i] and best[j] + weights[i] > best[i]:
                best[i], previous[i] = best[j] + weights[i], j
    kept: set[int] = set()
    i = max(range(n), key=best.__getitem__) if n else -1
    while i >= 0:
        kept.add(i)
        i = previous[i]
    return kept


def moved_sections(
    old: list[OutlineSection], new: list[OutlineSection], matched: dict[int, int]
) -> list[int]:
    """Old indices of the matched sections that moved: to another parent, or among their siblings."""
    moved: list[int] = []
    siblings: dict[int | None, list[int]] = defaultdict(list)
    for o_index, n_index in matched.items():
        o_parent, n_parent = old[o_index].parent, new[n_index].parent
        same_parent = (o_parent is None and n_parent is None) or (
            o_parent is not None and matched.get(o_parent) == n_parent and n_parent is not None
        )
        if same_parent:
            siblings[n_parent].append(o_index)
        else:
            moved.append(o_index)
    for group in siblings.values():
        group.sort(key=lambda o: matched[o])
        kept = _heaviest_in_order(group, [old[o].weight for o in group])
        moved.extend(o for i, o in enumerate(group) if i not in kept)
    return moved
