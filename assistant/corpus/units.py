"""A policy version split into sections and citable units (sentences, list items, table rows).

Each unit's ``text`` is verbatim policy text (Markdown markup dropped, words and punctuation kept) and
``ParsedPolicy.text[unit.start:unit.end] == unit.text``: the offsets are into the version's readable text.
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


@dataclass
class ParsedPolicy:
    version: PolicyVersion
    text: str
    sections: list[Section] = field(default_factory=list)
    units: list[PolicyUnit] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].rstrip("-") or "section"


def inline_text(token: Token) -> str:
    """The readable text of an inline token: link text kept, markup and URLs of links dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content if child.type != "html_inline" else "")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def inline_links(token: Token) -> tuple[str, ...]:
    """The targets of the links in an inline token."""
    return tuple(
        str(child.attrs.get("href", "")) for child in token.children or [] if child.type == "link_open"
    )


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
                kind = "list_item" if self.list_depth else "paragraph"
                self._paragraph(inline_text(token), kind, inline_links(token))
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

    def _heading(self, level: int, title: str) -> None:
        if not title:
            return
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

    # -- units ----------------------------------------------------------------------------------
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
        self, text: str, kind: Literal["paragraph", "list_item"], links: tuple[str, ...] = ()
    ) -> None:
        if not text:
            return
        base = self._append_text(text)
        unit_kind: UnitKind = "list_item" if kind == "list_item" else "sentence"
        units: list[PolicyUnit] = []
        for s, e in split_sentences(text):
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
        rows: list[list[str]] = []
        row_links: list[tuple[str, ...]] = []
        current: list[str] = []
        links: list[str] = []
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                current, links = [], []
            elif token.type == "inline":
                current.append(inline_text(token))
                links.extend(inline_links(token))
            elif token.type == "tr_close":
                rows.append(current)
                row_links.append(tuple(links))
            i += 1
        if rows:
            headers = tuple(rows[0])
            self._append_text(" | ".join(headers))
            self.parsed.blocks.append(Block("table_header", self.section, 0, cells=headers))
            for row, links_of_row in zip(rows[1:], row_links[1:], strict=True):
                text = " | ".join(cell for cell in row)
                if not text.replace("|", "").strip():
                    continue
                start = self._append_text(text)
                unit = self._unit("table_row", text, start, headers)
                self.parsed.blocks.append(
                    Block("table_row", self.section, 0, units=(unit,), cells=tuple(row), links=links_of_row)
                )
        return i + 1
