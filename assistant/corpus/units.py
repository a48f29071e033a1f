"""A policy version split into sections and citable units (sentences, list items, table rows).

Each unit's ``text`` is verbatim policy text (Markdown markup dropped, words and punctuation kept) and
``ParsedPolicy.text[unit.start:unit.end] == unit.text``: the offsets are into the version's readable text.
What is structure rather than prose (see :mod:`assistant.corpus.structure`) is not a unit: a table of
contents is dropped, a line that is only a heading becomes one, and ``ParsedPolicy.cleaned`` says what.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.sentences import split_sentences
from assistant.corpus.structure import (
    CleanedKind,
    LeftKind,
    bold_lead,
    has_no_words,
    inline_lines,
    inline_links,
    inline_text,
    is_in_page_navigation,
    is_run_in_label,
    is_title_case,
    looks_like_title,
)

UnitKind = Literal["sentence", "list_item", "table_row"]
SHORT_UNIT_CHARS = 60  # a sentence this short is embedded with the one before it
SECTION_SEPARATOR = " › "
_MARKDOWN = MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True)
class Section:
    slug: str
    path: tuple[str, ...]
    level: int

    @property
    def title(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def name(self) -> str:
        """The heading path as people read it: ``Data retention › How long ...``."""
        return SECTION_SEPARATOR.join(self.path)


@dataclass(frozen=True)
class PolicyUnit:
    """The smallest citable piece of a policy version."""

    document: str
    version: str
    section: Section
    n: int
    kind: UnitKind
    text: str
    start: int
    end: int
    block: int  # index of the paragraph, list item or row the unit belongs to
    headers: tuple[str, ...] = ()  # a table row's column headers
    lead_in: str = ""  # for a list item or a fragment: the sentence that introduces it

    @property
    def id(self) -> str:
        return f"{self.document}/{self.version}/{self.section.slug}/{self.n}"

    @property
    def anchor(self) -> str:
        return f"{self.section.slug}-{self.n}"

    @property
    def href(self) -> str:
        """Path of the rendered policy page, scrolled to this unit."""
        return f"/policy/{self.document}/{self.version}#{self.anchor}"

    @property
    def context(self) -> str:
        """What the unit is embedded and indexed with: its section heading, and a row's headers."""
        if self.kind == "table_row" and self.headers:
            cells = self.text.split(" | ")
            pairs = "; ".join(f"{h}: {c}" for h, c in zip(self.headers, cells, strict=False))
            return f"{self.section.title}. {pairs}"
        # "apply for one of our positions; or" means little alone: it is read with what introduces it.
        text = f"{self.lead_in} {self.text}" if self.lead_in else self.text
        return f"{self.section.title}. {text}" if self.section.title else text

    @property
    def views(self) -> tuple[str, ...]:
        """A table row is long, and a question asks about two of its cells ("on what grounds do you use
        my contact form messages?"): it is also searched by its first cell alone, and with each other
        cell under its header. Other units have no views."""
        if self.kind != "table_row" or not self.headers:
            return ()
        first, *others = self.text.split(" | ")
        return (first, *(f"{first}. {h}: {c}" for h, c in zip(self.headers[1:], others, strict=False)))


@dataclass(frozen=True)
class Block:
    """A rendered piece of the page: heading, paragraph, list item or table row, with its units."""

    kind: Literal["heading", "paragraph", "list_item", "table_header", "table_row"]
    section: Section
    depth: int
    units: tuple[PolicyUnit, ...] = ()
    text: str = ""
    cells: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # targets of the links in it (URLs are not part of the text)


@dataclass(frozen=True)
class Cleaned:
    """A piece of the page that is not quoted, and why (or a doubt ``lint`` reports)."""

    kind: CleanedKind | LeftKind
    text: str
    section: Section


@dataclass
class ParsedPolicy:
    version: PolicyVersion
    text: str
    sections: list[Section] = field(default_factory=list)
    units: list[PolicyUnit] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    cleaned: list[Cleaned] = field(default_factory=list)  # what was left out of the units, and why


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].rstrip("-") or "section"


@lru_cache(maxsize=256)
def parse_policy(version: PolicyVersion) -> ParsedPolicy:
    return _Parser(version).run()


class _Parser:
    def __init__(self, version: PolicyVersion) -> None:
        self.version = version
        self.parsed = ParsedPolicy(version=version, text="")
        self.pieces: list[str] = []
        self.offset = 0
        self.used_slugs: set[str] = set()
        self.heading_path: list[tuple[int, str]] = []
        self.section = self._new_section(version.title, level=1, path=(version.title,))
        self.counter = 0
        self.list_depth = 0
        self.lead_ins: list[str] = []  # per list depth, the sentence that introduced the list
        self.top_h1: str | None = None
        self.written_level = 1  # level of the last heading written as one (``#`` or underlined)

    def run(self) -> ParsedPolicy:
        tokens = _MARKDOWN.parse(self.version.body)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "heading_open":
                self._heading(int(token.tag[1]), inline_text(tokens[i + 1]))
                i += 3
                continue
            if token.type in ("bullet_list_open", "ordered_list_open"):
                self.list_depth += 1
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                self.list_depth -= 1
            elif token.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open":
                self._inline(token, is_last=i + 2 >= len(tokens))
            elif token.type == "table_open":
                i = self._table(tokens, i)
                continue
            i += 1
        self.parsed.text = "".join(self.pieces)
        return self.parsed

    # -- sections -------------------------------------------------------------------------------
    def _new_section(self, title: str, level: int, path: tuple[str, ...]) -> Section:
        base = slugify(title)
        slug, n = base, 2
        while slug in self.used_slugs:
            slug, n = f"{base}-{n}", n + 1
        self.used_slugs.add(slug)
        section = Section(slug=slug, path=path, level=level)
        self.parsed.sections.append(section)
        return section

    def _heading(self, level: int, title: str, written: bool = True) -> None:
        if not title:
            return
        if written:
            self.written_level = level
        if level == 1 and self.top_h1 is None and not self.parsed.units:
            # The document's own title: its intro keeps the title as section, sub-sections drop it.
            self.top_h1 = title
            self.parsed.sections.clear()
            self.used_slugs.clear()
            self.section = self._new_section(title, level=1, path=(title,))
        else:
            self.lead_ins = []
            self.heading_path = [(lvl, t) for lvl, t in self.heading_path if lvl < level]
            self.heading_path.append((level, title))
            self.section = self._new_section(title, level, tuple(t for _, t in self.heading_path))
            self.counter = 0
        self._append_text(title)
        self.parsed.blocks.append(Block("heading", self.section, level, text=title))

    def _heading_only(self, title: str, kind: CleanedKind) -> None:
        """A line that is only a heading becomes one, a level below the last heading written as such, so
        the text under it is read in its section; a run of such lines are siblings."""
        self._clean(kind, title)
        self._heading(min(self.written_level + 1, 6), title, written=False)

    def _clean(self, kind: CleanedKind | LeftKind, text: str) -> None:
        self.parsed.cleaned.append(Cleaned(kind, text, self.section))

    # -- units ----------------------------------------------------------------------------------
    def _inline(self, token: Token, is_last: bool) -> None:
        text = inline_text(token)
        links = inline_links(token)
        if not text:
            return
        if is_in_page_navigation(token):
            self._clean("table of contents", text)
        elif has_no_words(text):
            self._clean("text without words", text)
        elif not (self.list_depth or links or is_last or "\n" in token.content) and looks_like_title(text):
            self._heading_only(text, "heading-only text")
        else:
            self._paragraph(text, "list_item" if self.list_depth else "paragraph", links, bold_lead(token))

    def _append_text(self, text: str) -> int:
        if self.pieces:
            self.pieces.append("\n\n")
            self.offset += 2
        start = self.offset
        self.pieces.append(text)
        self.offset += len(text)
        return start

    def _unit(
        self, kind: UnitKind, text: str, start: int, headers: tuple[str, ...] = (), lead_in: str = ""
    ) -> PolicyUnit:
        self.counter += 1
        unit = PolicyUnit(
            document=self.version.document,
            version=self.version.version,
            section=self.section,
            n=self.counter,
            kind=kind,
            text=text,
            start=start,
            end=start + len(text),
            block=len(self.parsed.blocks),
            headers=headers,
            lead_in=lead_in,
        )
        self.parsed.units.append(unit)
        return unit

    def _paragraph(
        self,
        text: str,
        kind: Literal["paragraph", "list_item"],
        links: tuple[str, ...] = (),
        bold: str = "",
    ) -> None:
        if not text:
            return
        base = self._append_text(text)
        unit_kind: UnitKind = "list_item" if kind == "list_item" else "sentence"
        units: list[PolicyUnit] = []
        spans = split_sentences(text)
        label = text[spans[0][0] : spans[0][1]] if len(spans) > 1 else ""
        if label and is_run_in_label(label):
            if label == bold or is_title_case(label):  # a heading: quoted with the sentence it introduces
                self._clean("run-in heading", label)
                spans[:2] = [(spans[0][0], spans[1][1])]
            else:  # the same shape in plain text may be a short sentence; a person decides
                self._clean("run-in heading left as a unit", label)
        for s, e in spans:
            sentence = text[s:e]
            lead_in = ""
            if kind == "list_item" and self.lead_ins and not units:
                lead_in = self.lead_ins[min(self.list_depth, len(self.lead_ins)) - 1]
            elif len(sentence) < SHORT_UNIT_CHARS and units:
                lead_in = units[-1].text
            units.append(self._unit(unit_kind, sentence, base + s, lead_in=lead_in))
        if units and units[-1].text.endswith(":"):
            # What introduces the next list level: that list's items are read with it.
            self.lead_ins = [*self.lead_ins[: self.list_depth], units[-1].text]
        elif kind == "paragraph":
            self.lead_ins = []
        depth = self.list_depth
        self.parsed.blocks.append(
            Block(kind, self.section, depth, units=tuple(units), text=text, links=links)
        )

    def _table(self, tokens: list[Token], i: int) -> int:
        rows: list[list[list[str]]] = []  # row, cell, the cell's lines
        row_links: list[tuple[str, ...]] = []
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                rows.append([])
                row_links.append(())
            elif token.type == "inline":
                rows[-1].append(inline_lines(token))
                row_links[-1] += inline_links(token)
            i += 1
        if not rows:
            return i + 1
        # Columns empty in every row are layout, not data: "|   | Name |   | What |" pages.
        width = max(len(row) for row in rows)
        kept = [c for c in range(width) if any(c < len(row) and row[c] for row in rows)]
        rows = [[row[c] if c < len(row) else [] for c in kept] for row in rows]
        headers: tuple[str, ...] = tuple(" ".join(cell) for cell in rows[0])
        if any(headers):
            self._table_header(headers)
        else:
            headers = ()
        headless: list[str] = []  # rows quoted without column headers
        for row, links in zip(rows[1:], row_links[1:], strict=True):
            cells = tuple(" ".join(cell) for cell in row)
            filled = [cell for cell in row if cell]
            if not filled:
                continue
            if len(filled) == 1 and len(row) > 1:
                self._table_title(filled[0], headers)
            elif not headers and len(filled) > 1 and all(looks_like_title(c) for c in cells if c):
                headers = cells  # the header row is the body's first row, or comes after a title row
                self._clean("table header row", " | ".join(cells))
                self._table_header(headers)
            elif cells == headers:
                self._clean("repeated header row", " | ".join(cells))
            else:
                text = " | ".join(cells)
                unit = self._unit("table_row", text, self._append_text(text), headers)
                if not headers:
                    headless.append(text)
                self.parsed.blocks.append(
                    Block("table_row", self.section, 0, units=(unit,), cells=cells, links=links)
                )
        if headless:
            self._clean("table without header row", headless[0])
        return i + 1

    def _table_header(self, headers: tuple[str, ...]) -> None:
        self._append_text(" | ".join(headers))
        self.parsed.blocks.append(Block("table_header", self.section, 0, cells=headers))

    def _table_title(self, lines: list[str], headers: tuple[str, ...]) -> None:
        """A row with one filled cell titles the rows below it: its first line is their heading, what
        follows is prose. The table goes on under that heading with its header row."""
        title, *prose = lines
        if looks_like_title(title):
            self._heading_only(title, "table title row")
        else:
            prose = lines
        if prose:
            self._paragraph(" ".join(prose), "paragraph")
        if headers:
            self._table_header(headers)
