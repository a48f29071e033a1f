"""Compare two versions of a policy, section by section and sentence by sentence.

Sentences are compared on their words alone: case, punctuation, Markdown markup and link targets are
ignored, so a change of formatting never shows up as a change of content. Sections are matched by
heading (then by content, for a renamed heading); a section that sits under another heading or in
another order among its siblings is reported once as a move, and so is a sentence that went to another
section. Every other difference is one added, removed or modified sentence (or table row), or one whole
section added or removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Literal

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.outline import (
    OutlineEntry,
    content_key,
    match_sections,
    moved_sections,
    outline,
    similarity,
)
from assistant.corpus.substance import score_changes
from assistant.corpus.units import parse_policy

ChangeKind = Literal["added", "removed", "modified", "moved"]
ChangeScope = Literal["sentence", "section", "heading"]

# A reworded sentence shares at least this share of its words with what it replaced (difflib ratio).
MODIFIED_SIMILARITY = 0.5
# A sentence that went to another section and was reworded on the way must stay this close.
MOVED_SIMILARITY = 0.75
# Above this many leftover pairs, reworded moves are not searched for (a rewrite, not an edit).
_MAX_MOVE_PAIRS = 40_000

_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class Change:
    """One difference between two versions.

    ``section`` is where the change is in the new version (in the old one for a removal). For a
    ``moved`` change ``old_section`` and ``new_section`` say from where to where. ``scope`` is
    ``sentence`` (a sentence, list item or table row), ``section`` (a whole section: its sentences in
    the text, empty for a heading with no text) or ``heading`` (a reworded heading). A modified
    sentence lists the runs of words that went (``words_removed``) and came (``words_added``).
    ``old_anchor``/``new_anchor`` locate the unit on the rendered policy page of each version.
    ``substance`` is how much the change changes what the policy says (see ``substance.py``): 0 for a
    change of dates, link text, formatting or order only.
    """

    kind: ChangeKind
    section: str
    old_text: str | None
    new_text: str | None
    scope: ChangeScope = "sentence"
    old_section: str | None = None
    new_section: str | None = None
    words_removed: tuple[str, ...] = ()
    words_added: tuple[str, ...] = ()
    old_anchor: str | None = None
    new_anchor: str | None = None
    substance: float = 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["words_removed"] = list(self.words_removed)
        data["words_added"] = list(self.words_added)
        return data


def word_diff(old: str, new: str) -> list[tuple[Literal["equal", "delete", "insert"], str]]:
    """``old`` turned into ``new`` as runs of verbatim text: kept, deleted and inserted words."""
    old_spans = [m.span() for m in _TOKEN.finditer(old)]
    new_spans = [m.span() for m in _TOKEN.finditer(new)]
    old_words = [old[s:e].casefold() for s, e in old_spans]
    new_words = [new[s:e].casefold() for s, e in new_spans]
    runs: list[tuple[Literal["equal", "delete", "insert"], str]] = []

    def text_of(source: str, spans: list[tuple[int, int]], i: int, j: int, upto_next: bool) -> str:
        if i >= j:
            return ""
        end = spans[j][0] if upto_next and j < len(spans) else spans[j - 1][1]
        return source[spans[i][0] : end]

    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("equal", text_of(new, new_spans, j1, j2, upto_next=True)))
            continue
        if i2 > i1:
            runs.append(("delete", text_of(old, old_spans, i1, i2, upto_next=False)))
        if j2 > j1:
            runs.append(("insert", text_of(new, new_spans, j1, j2, upto_next=False)))
            if j2 < len(new_spans):
                runs.append(("equal", new[new_spans[j2 - 1][1] : new_spans[j2][0]]))
    return [(op, text) for op, text in runs if text]


def changed_words(old: str, new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    runs = word_diff(old, new)
    return (
        tuple(t for op, t in runs if op == "delete"),
        tuple(t for op, t in runs if op == "insert"),
    )


# -- the diff ------------------------------------------------------------------------------------
def diff_versions(old_version: PolicyVersion, new_version: PolicyVersion) -> list[Change]:
    """Every difference of content from ``old_version`` to ``new_version``, in the new version's order,
    each with its substance (``by_substance`` orders them by it)."""
    old = outline(parse_policy(old_version))
    new = outline(parse_policy(new_version))
    matched = match_sections(old, new)
    changes: list[tuple[tuple[float, float], Change]] = []

    def new_position(n_index: int) -> float:
        return float(n_index)

    # Where a section of the old version would sit in the new one: after its last matched predecessor.
    old_position: dict[int, float] = {}
    last = -1.0
    for s in old:
        last = float(matched[s.index]) if s.index in matched else last
        old_position[s.index] = matched.get(s.index, last + 0.5)

    for o_index in moved_sections(old, new, matched):
        o, n = old[o_index], new[matched[o_index]]
        change = Change(
            kind="moved",
            section=n.name,
            old_text=o.section.title,
            new_text=n.section.title,
            scope="section",
            old_section=o.name,
            new_section=n.name,
        )
        changes.append(((new_position(n.index), -2.0), change))

    for o_index, n_index in matched.items():
        o, n = old[o_index], new[n_index]
        if content_key(o.section.title) != content_key(n.section.title):
            change = Change(
                kind="modified",
                section=n.name,
                old_text=o.section.title,
                new_text=n.section.title,
                scope="heading",
                old_section=o.name,
                new_section=n.name,
                words_removed=changed_words(o.section.title, n.section.title)[0],
                words_added=changed_words(o.section.title, n.section.title)[1],
            )
            changes.append(((new_position(n_index), -1.0), change))

    # Sentences: aligned within each matched section; what is left over is paired up below.
    old_left: list[OutlineEntry] = []
    new_left: list[OutlineEntry] = []
    anchor_of: dict[int, float] = {}  # id(old item) -> its place among the new section's items
    for o_index, n_index in matched.items():
        old_items, new_items = old[o_index].items, new[n_index].items
        matcher = SequenceMatcher(
            None, [i.key for i in old_items], [i.key for i in new_items], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            for item in old_items[i1:i2]:
                anchor_of[id(item)] = j1 - 0.5
                old_left.append(item)
            new_left.extend(new_items[j1:j2])
    for s in old:
        if s.index not in matched:
            old_left.extend(s.items)
    for s in new:
        if s.index not in matched.values():
            new_left.extend(s.items)

    def position_of_old(item: OutlineEntry) -> tuple[float, float]:
        if item.section in matched:
            return (float(matched[item.section]), anchor_of.get(id(item), item.position))
        return (old_position[item.section], item.position)

    def position_of_new(item: OutlineEntry) -> tuple[float, float]:
        return (float(item.section), float(item.position))

    def sentence_change(kind: ChangeKind, o: OutlineEntry | None, n: OutlineEntry | None) -> Change:
        removed, added = changed_words(o.text, n.text) if o and n and o.text != n.text else ((), ())
        return Change(
            kind=kind,
            section=new[n.section].name if n else old[o.section].name,  # type: ignore[union-attr]
            old_text=o.text if o else None,
            new_text=n.text if n else None,
            old_section=old[o.section].name if o else None,
            new_section=new[n.section].name if n else None,
            words_removed=removed,
            words_added=added,
            old_anchor=o.unit.anchor if o and o.unit else None,
            new_anchor=n.unit.anchor if n and n.unit else None,
        )

    # 1. The same sentence elsewhere: a move (its own section first, so a reordering stays local).
    waiting: dict[str, list[OutlineEntry]] = defaultdict(list)
    for item in new_left:
        waiting[item.key].append(item)
    paired_new: set[int] = set()
    unpaired_old: list[OutlineEntry] = []
    for item in old_left:
        candidates = [c for c in waiting.get(item.key, []) if id(c) not in paired_new]
        if not candidates:
            unpaired_old.append(item)
            continue
        home = matched.get(item.section)
        target = next((c for c in candidates if c.section == home), candidates[0])
        paired_new.add(id(target))
        changes.append((position_of_new(target), sentence_change("moved", item, target)))
    remaining_new = [i for i in new_left if id(i) not in paired_new]

    # 2. A reworded sentence in the same section: modified.
    by_section_new: dict[int, list[OutlineEntry]] = defaultdict(list)
    for item in remaining_new:
        by_section_new[item.section].append(item)
    scored: list[tuple[float, int, int, OutlineEntry, OutlineEntry]] = []
    for o_item in unpaired_old:
        home = matched.get(o_item.section)
        if home is None:
            continue
        o_words = o_item.key.split()
        for n_item in by_section_new.get(home, []):
            ratio = similarity(o_words, n_item.key.split(), MODIFIED_SIMILARITY)
            if ratio >= MODIFIED_SIMILARITY:
                scored.append((ratio, -o_item.position, -n_item.position, o_item, n_item))
    paired_old = _pair_greedily(scored, paired_new, changes, position_of_new, sentence_change, "modified")

    # 3. A reworded sentence that also went to another section: a move, with the words that changed.
    left_old = [i for i in unpaired_old if id(i) not in paired_old]
    left_new = [i for i in remaining_new if id(i) not in paired_new]
    if len(left_old) * len(left_new) <= _MAX_MOVE_PAIRS:
        scored = []
        for o_item in left_old:
            o_words = o_item.key.split()
            for n_item in left_new:
                ratio = similarity(o_words, n_item.key.split(), MOVED_SIMILARITY)
                if ratio >= MOVED_SIMILARITY:
                    scored.append((ratio, -o_item.position, -n_item.position, o_item, n_item))
        paired_old |= _pair_greedily(scored, paired_new, changes, position_of_new, sentence_change, "moved")

    # 4. The rest was removed or added: a sentence, or a whole section that one version lacks.
    whole_old: dict[int, list[OutlineEntry]] = defaultdict(list)
    for item in unpaired_old:
        if id(item) in paired_old:
            continue
        if item.section in matched:
            changes.append((position_of_old(item), sentence_change("removed", item, None)))
        else:
            whole_old[item.section].append(item)
    whole_new: dict[int, list[OutlineEntry]] = defaultdict(list)
    for item in remaining_new:
        if id(item) in paired_new:
            continue
        if item.section in matched.values():
            changes.append((position_of_new(item), sentence_change("added", None, item)))
        else:
            whole_new[item.section].append(item)
    for s in old:
        if s.index not in matched:
            text = _joined(whole_old[s.index])
            change = Change("removed", s.name, text, None, "section", old_section=s.name)
            changes.append(((old_position[s.index], -1.0), change))
    matched_new = set(matched.values())
    for s in new:
        if s.index not in matched_new:
            text = _joined(whole_new[s.index])
            change = Change("added", s.name, None, text, "section", new_section=s.name)
            changes.append(((float(s.index), -1.0), change))

    changes.sort(key=lambda pair: pair[0])
    return score_changes([change for _, change in changes], old_version, new_version)


def _pair_greedily(scored, paired_new, changes, position_of_new, sentence_change, kind) -> set[int]:
    """Pair the closest old and new sentences first; each sentence is used once."""
    paired_old: set[int] = set()
    for _ratio, _, _, o_item, n_item in sorted(scored, key=lambda t: t[:3], reverse=True):
        if id(o_item) in paired_old or id(n_item) in paired_new:
            continue
        paired_old.add(id(o_item))
        paired_new.add(id(n_item))
        changes.append((position_of_new(n_item), sentence_change(kind, o_item, n_item)))
    return paired_old


def _joined(items: list[OutlineEntry]) -> str:
    """Sentences of one section as text: sentences of one paragraph on a line, paragraphs on their own."""
    lines: list[str] = []
    block = None
    for item in items:
        item_block = item.unit.block if item.unit else -1
        if lines and item_block == block and item_block >= 0:
            lines[-1] += " " + item.text
        else:
            lines.append(item.text)
        block = item_block
    return "\n".join(lines)


def summarize(changes: list[Change]) -> dict[str, int]:
    """How many changes of each kind."""
    counts = {"added": 0, "removed": 0, "modified": 0, "moved": 0}
    for change in changes:
        counts[change.kind] += 1
    return counts
