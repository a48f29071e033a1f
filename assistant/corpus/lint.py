"""The policy health check: problems a privacy team wants to know about before publishing a version.

Each finding has a stable code (tools and reviewers key on it), a severity, the section, and the quoted
passage it is about (verbatim policy text, or the heading for an empty section). Beside the findings,
:func:`cleaning_report` says what the parser left out of the quotable units and what it could not judge.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Literal

from assistant.corpus.documents import PolicyVersion
from assistant.corpus.outline import content_key
from assistant.corpus.structure import CleanedKind, LeftKind
from assistant.corpus.units import Block, ParsedPolicy, PolicyUnit, Section, parse_policy

Severity = Literal["error", "warning"]

# code: (name, severity). Codes are never reused or renumbered.
RULES: dict[str, tuple[str, Severity]] = {
    "PL001": ("conflicting-last-updated", "error"),
    "PL002": ("empty-section", "warning"),
    "PL003": ("dangling-reference", "warning"),
    "PL004": ("undefined-data-category", "warning"),
    "PL005": ("invalid-transfer-mechanism", "error"),
    "PL006": ("inconsistent-contact", "warning"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    section: str
    quote: str
    message: str
    anchor: str | None = None  # the unit on the rendered policy page, when the finding is about one

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _finding(code: str, section: Section, quote: str, message: str, unit: PolicyUnit | None) -> Finding:
    name, severity = RULES[code]
    return Finding(code, name, severity, section.name, quote, message, unit.anchor if unit else None)


def lint_version(version: PolicyVersion) -> list[Finding]:
    """Every finding of every rule on one version, in the order of the policy."""
    parsed = parse_policy(version)
    findings = [
        *_conflicting_last_updated(parsed),
        *_empty_sections(parsed),
        *_dangling_references(parsed),
        *_undefined_data_categories(parsed),
        *_invalid_transfer_mechanisms(parsed),
        *_inconsistent_contacts(parsed),
    ]
    order = {s.slug: i for i, s in enumerate(parsed.sections)}
    slug_of = {s.name: s.slug for s in parsed.sections}
    return sorted(findings, key=lambda f: (order.get(slug_of.get(f.section, ""), 0), f.code))


# -- PL001: two different "last updated" dates ------------------------------------------------------
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = rf"(?:(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
_LAST_UPDATED = re.compile(
    rf"\b(?:last\s+(?:updated|revised|modified|amended)|updated\s+last)\s*(?:on|:)?\s*({_DATE})", re.I
)


def _read_date(text: str) -> date | None:
    text = re.sub(r"\s+", " ", text.replace(".", "").replace(",", "")).strip()
    for pattern in ("%B %d %Y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _conflicting_last_updated(parsed: ParsedPolicy) -> list[Finding]:
    statements = [
        (unit, day)
        for unit in parsed.units
        for match in _LAST_UPDATED.finditer(unit.text)
        if (day := _read_date(match.group(1))) is not None
    ]
    days = sorted({day for _, day in statements})
    if len(days) < 2:
        return []
    return [
        _finding(
            "PL001",
            unit.section,
            unit.text,
            f"says it was last updated on {day.isoformat()}, but the policy also gives "
            + ", ".join(d.isoformat() for d in days if d != day)
            + "; give one date",
            unit,
        )
        for unit, day in statements
    ]


# -- PL002: a heading with no text under it --------------------------------------------------------
def _empty_sections(parsed: ParsedPolicy) -> list[Finding]:
    with_content = {b.section.slug for b in parsed.blocks if b.kind != "heading"}
    # A table of contents is reported as cleaned; its heading is not an empty section.
    with_content |= {c.section.slug for c in parsed.cleaned if c.kind == "table of contents"}
    findings = []
    for i, section in enumerate(parsed.sections):
        if section.slug in with_content:
            continue
        following = parsed.sections[i + 1] if i + 1 < len(parsed.sections) else None
        has_subsections = following is not None and following.path[: len(section.path)] == section.path
        if has_subsections and len(following.path) > len(section.path):
            continue
        findings.append(
            _finding(
                "PL002",
                section,
                section.title,
                "is a heading with no text under it; write the section or remove the heading",
                None,
            )
        )
    return findings


# -- PL003: "click here" / "see below" that point nowhere ------------------------------------------
_CLICK = re.compile(r"\bclick\s+(?:here|on\s+the\s+links?\s+below|the\s+links?\s+below|this\s+link)\b", re.I)
_SEE_NAMED = re.compile(r"\bsee\s+(?:\[([^\]]+)\]|[“\"]([^”\"]+)[”\"])\s+(below|above)\b", re.I)
_SEE_DOCUMENT = re.compile(r"\bsee\s+our\s+((?:[\w-]+\s+){0,3}?)(notice|policy|statement)\b", re.I)


def _dangling_references(parsed: ParsedPolicy) -> list[Finding]:
    findings = []
    headings = [(i, content_key(b.text)) for i, b in enumerate(parsed.blocks) if b.kind == "heading"]
    starts = [(i, content_key(b.text)) for i, b in enumerate(parsed.blocks) if b.kind != "heading"]
    sections_with_text = {b.section.slug for b in parsed.blocks if b.kind != "heading"}
    for index, block in enumerate(parsed.blocks):
        for unit in block.units:
            if not block.links and (match := _CLICK.search(unit.text)):
                findings.append(
                    _finding(
                        "PL003",
                        unit.section,
                        unit.text,
                        f"says “{match.group()}” but there is no link here; add the link or reword",
                        unit,
                    )
                )
            for match in _SEE_NAMED.finditer(unit.text):
                name = content_key(match.group(1) or match.group(2))
                below = match.group(3).lower() == "below"
                found = any(
                    (i > index if below else i < index) and key.startswith(name)
                    for i, key in [*headings, *starts]
                )
                if not found:
                    findings.append(
                        _finding(
                            "PL003",
                            unit.section,
                            unit.text,
                            f"refers to “{match.group(1) or match.group(2)}” {match.group(3)}, "
                            "but no heading or passage there has that name",
                            unit,
                        )
                    )
            if not block.links and (match := _SEE_DOCUMENT.search(unit.text)):
                topic = content_key(match.group(1)).split()
                stem = topic[0][:5] if topic else ""
                described = stem and any(
                    stem in content_key(s.title) and s.slug in sections_with_text for s in parsed.sections
                )
                if not described:
                    findings.append(
                        _finding(
                            "PL003",
                            unit.section,
                            unit.text,
                            f"refers to “our {match.group(1)}{match.group(2)}” but neither links to it "
                            "nor has a section with text about it",
                            unit,
                        )
                    )
    return findings


# -- PL004: a data category used but never defined -------------------------------------------------
_DEFINITION = re.compile(
    r"^\s*([A-Z][\w-]*(?:\s+(?:and\s+)?[A-Z][\w-]*)*)\s+Data\s+(?:includes|means|is|are|covers)\b"
)
_LABELLED = re.compile(r"\(([a-z])\)\s*")
_IN_TEXT = re.compile(r"\byour\s+((?:[A-Z][\w-]*(?:,\s+|\s+and\s+|\s+or\s+))*[A-Z][\w-]*)\s+Data\b")


def _undefined_data_categories(parsed: ParsedPolicy) -> list[Finding]:
    defined = {m.group(1) for u in parsed.units if (m := _DEFINITION.match(u.text))}
    if not defined:
        return []  # a policy without a list of categories uses the words loosely; nothing to check
    uses: list[tuple[str, PolicyUnit, str]] = []  # (category, unit, where)
    for block in parsed.blocks:
        if block.kind == "table_row":
            uses.extend(_table_uses(block))
        for unit in block.units:
            if block.kind != "table_row":
                for match in _IN_TEXT.finditer(unit.text):
                    uses.extend((name, unit, "text") for name in _split_names(match.group(1), defined))
    findings = []
    seen: set[str] = set()
    for name, unit, where in uses:
        if name in defined or name in seen:
            continue
        seen.add(name)
        place = "the table" if where == "table" else "the text"
        findings.append(
            _finding(
                "PL004",
                unit.section,
                unit.text,
                f"uses the data category “{name}” in {place} but never defines {name} Data; "
                f"defined: {', '.join(sorted(defined))}",
                unit,
            )
        )
    return findings


def _table_uses(block: Block) -> list[tuple[str, PolicyUnit, str]]:
    unit = block.units[0]
    uses = []
    for header, cell in zip(unit.headers, block.cells, strict=False):
        if "data" not in header.lower() or not _LABELLED.search(cell):
            continue
        for name in _LABELLED.split(cell)[2::2]:
            name = name.strip().rstrip(",;.")
            if name:
                uses.append((name, unit, "table"))
    return uses


def _split_names(phrase: str, defined: set[str]) -> list[str]:
    """``Identity, Contact and Marketing and Communications`` -> the category names, longest known first."""
    names = []
    rest = phrase
    for known in sorted(defined, key=len, reverse=True):
        if known in rest:
            names.append(known)
            rest = rest.replace(known, ",")
    names.extend(n.strip() for n in re.split(r",|\band\b|\bor\b", rest) if n.strip())
    return names


# -- PL005: transfer mechanisms that are no longer valid ---------------------------------------------
_INVALID_MECHANISMS = (
    (
        re.compile(r"\bPrivacy\s+Shield\b", re.I),
        "relies on the EU-U.S. Privacy Shield, which the Court of Justice of the EU invalidated on "
        "16 July 2020 (Schrems II); use the EU-U.S. Data Privacy Framework or standard contractual clauses",
    ),
    (
        re.compile(r"\bSafe\s+Harbou?r\b", re.I),
        "relies on the Safe Harbor framework, invalidated on 6 October 2015 (Schrems I)",
    ),
)
_NO_LONGER = re.compile(r"\b(?:no longer|invalidated|replaced|superseded|instead of|formerly)\b", re.I)


def _invalid_transfer_mechanisms(parsed: ParsedPolicy) -> list[Finding]:
    findings = []
    for unit in parsed.units:
        if _NO_LONGER.search(unit.text):
            continue
        for pattern, message in _INVALID_MECHANISMS:
            if pattern.search(unit.text):
                findings.append(_finding("PL005", unit.section, unit.text, message, unit))
                break
    return findings


# -- PL006: contact addresses that differ across sections ------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTACT_CONTEXT = re.compile(r"\b(?:contact|e-?mail(?:ing)?\s+(?:us|our)|write\s+to|reach|send)\b", re.I)


def _inconsistent_contacts(parsed: ParsedPolicy) -> list[Finding]:
    uses = [
        (m.group().rstrip(".").lower(), unit)
        for unit in parsed.units
        if _CONTACT_CONTEXT.search(unit.text)
        for m in _EMAIL.finditer(unit.text)
    ]
    counts = Counter(address for address, _ in uses)
    if len(counts) < 2:
        return []
    usual, times = counts.most_common(1)[0]
    findings = []
    for address, unit in uses:
        if address != usual:
            findings.append(
                _finding(
                    "PL006",
                    unit.section,
                    unit.text,
                    f"gives {address} as the contact, but {usual} is given in {times} other place(s); "
                    "use one address or say why they differ",
                    unit,
                )
            )
    return findings


def format_findings(findings: list[Finding], document: str, version: str) -> str:
    if not findings:
        return f"{document} {version}: no problems found."
    lines = [f"{document} {version}: {len(findings)} finding(s)"]
    for f in findings:
        lines.append(f"\n{f.code} {f.severity} {f.name}: {f.section}")
        lines.append(f"  “{f.quote}”")
        lines.append(f"  {f.message}")
    return "\n".join(lines)


# -- what the parser cleaned, and what it could not ------------------------------------------------
_CLEANED: dict[CleanedKind | LeftKind, str] = {
    "table of contents": "entries not quotable",
    "heading-only text": "lines that are only a heading, made headings",
    "table title row": "rows with one filled cell, made headings of the rows below",
    "table header row": "header rows written in the table's body, used as column headers",
    "repeated header row": "repeated header rows not quotable",
    "text without words": "lone numbers or underlines not quotable",
    "run-in heading": "heading labels quoted with the sentence they introduce",
    "table without header row": "tables quoted without column headers: add a header row",
    "run-in heading left as a unit": (
        "short opening sentences shaped like a heading label, kept as quotable units: "
        "bold the label if it is one"
    ),
}
_LEFT: tuple[LeftKind, ...] = ("table without header row", "run-in heading left as a unit")
_EXAMPLES = 3


@dataclass(frozen=True)
class CleaningNote:
    """How many pieces of one kind the parser left out of the units (or could not judge), with examples."""

    kind: str
    count: int
    message: str
    examples: tuple[str, ...]
    cleaned: bool  # False: left as it was, for a person to look at

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def cleaning_report(version: PolicyVersion) -> list[CleaningNote]:
    """What the parser cleaned on one version, kind by kind, then what it could not."""
    cleaned = parse_policy(version).cleaned
    notes = []
    for kind, message in _CLEANED.items():
        texts = [c.text for c in cleaned if c.kind == kind]
        if texts:
            examples = tuple(dict.fromkeys(texts))[:_EXAMPLES]
            notes.append(CleaningNote(kind, len(texts), message, examples, kind not in _LEFT))
    return notes


def format_cleaning(notes: list[CleaningNote]) -> str:
    if not notes:
        return "Nothing to clean: every paragraph, list item and table row is policy text."
    lines = []
    for cleaned, title in ((True, "Cleaned (not quotable):"), (False, "Could not clean (still quotable):")):
        chosen = [n for n in notes if n.cleaned == cleaned]
        if chosen:
            lines.append(title)
        for note in chosen:
            examples = ", ".join(f"“{_shorten(e)}”" for e in note.examples)
            lines.append(f"  {note.kind}: {note.count} {note.message}; e.g. {examples}")
    return "\n".join(lines)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
