"""What in a policy page is document structure rather than policy prose, judged from its shape alone.

Pages converted from HTML carry their furniture into the Markdown: tables of contents (links to the
page's own anchors), headings written as plain or bold lines, lone numbers and underlines, tables whose
first row is a title. Quoting those answers nobody's question, so the parser leaves them out of the
quotable units and records what it left out, which ``lint`` reports. The readable text of an inline
token is read here too: a line break (``<br>`` in a table cell) is a space between words, not nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from markdown_it.token import Token

CleanedKind = Literal[
    "table of contents",
    "heading-only text",
    "table title row",
    "table header row",  # a header row written as the first row of the table's body
    "repeated header row",
    "text without words",
    "run-in heading",  # a bold label opening a paragraph: quoted with the sentence it introduces
]
# What could be left in place only, for a person to look at.
LeftKind = Literal["table without header row", "run-in heading left as a unit"]

MAX_TITLE_WORDS = 12
MAX_LABEL_WORDS = 8
_NUMBERING = re.compile(r"^(?:\d{1,3}|[A-Z])(?:\.\d{1,3})*[.)]\s+")  # "1. ", "2.3 ", "A) "


_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.I)
_BULLET = re.compile(r"^[*•-]\s+")  # a list marker written inside a table cell


def inline_lines(token: Token) -> list[str]:
    """The readable lines of an inline token (split at hard breaks and ``<br>``): link text kept, markup
    and URLs of links dropped, a bullet that starts a line dropped."""
    lines: list[str] = [""]
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            lines[-1] += child.content
        elif child.type == "hardbreak" or (
            child.type == "html_inline" and _LINE_BREAK_TAG.match(child.content)
        ):
            lines.append("")
        elif child.type == "softbreak":
            lines[-1] += " "
        elif child.type == "image":
            lines[-1] += child.content
    tidy = (re.sub(r"\s+", " ", line).strip() for line in lines)
    return [_BULLET.sub("", line) for line in tidy if line]


def inline_text(token: Token) -> str:
    """The readable text of an inline token on one line: a line break is a space between words."""
    return " ".join(inline_lines(token))


def inline_links(token: Token) -> tuple[str, ...]:
    """The targets of the links in an inline token."""
    return tuple(
        str(child.attrs.get("href", "")) for child in token.children or [] if child.type == "link_open"
    )


def looks_like_title(text: str) -> bool:
    """A line that reads as a heading: short, capitalised, no closing punctuation, no digits (which would
    make it an address, a date or a figure), no colon (a label of what follows) and no address."""
    text = _NUMBERING.sub("", text)
    words = text.split()
    return (
        0 < len(words) <= MAX_TITLE_WORDS
        and text[0].isupper()
        and not re.search(r"[.:;,!?…]$", text)
        and not re.search(r"\d|:|@|https?://|www\.", text)
    )


def is_run_in_label(sentence: str) -> bool:
    """``Usage Information.`` opening a paragraph: a heading run into the text it introduces."""
    return (
        sentence.endswith(".")
        and "." not in sentence[:-1]  # "Example Inc." is a name, not a label
        and len(sentence.split()) <= MAX_LABEL_WORDS
        and looks_like_title(sentence[:-1].rstrip())
    )


def is_title_case(text: str) -> bool:
    """``Account and Profile Data``: every word of four letters or more capitalised, as headings are
    written and sentences are not."""
    long_words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", text) if len(w) >= 4]
    return bool(long_words) and all(w[0].isupper() for w in long_words)


def bold_lead(token: Token) -> str:
    """The bold text an inline token opens with, when more text follows it: ``**Cookies.** We use``."""
    children = [c for c in token.children or [] if c.type != "text" or c.content.strip()]
    if not children or children[0].type != "strong_open":
        return ""
    close = next((i for i, c in enumerate(children) if c.type == "strong_close"), len(children))
    lead = "".join(c.content for c in children[1:close] if c.type == "text").strip()
    rest = "".join(c.content for c in children[close + 1 :] if c.type == "text").strip()
    return lead if rest else ""


def has_no_words(text: str) -> bool:
    """A lone number, an underline or a stray marker: ``1.``, ``==========``, ``**5.``."""
    return not re.search(r"[^\W\d_]{2}", text)


def is_in_page_navigation(token: Token) -> bool:
    """An inline token that is nothing but links to the page's own anchors (a table-of-contents entry,
    "back to top"): numbering and separators around the links are allowed, words are not."""
    outside: list[str] = []
    links = 0
    depth = 0
    for child in token.children or []:
        if child.type == "link_open":
            if not str(child.attrs.get("href", "")).startswith("#"):
                return False
            links += 1
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        elif depth == 0 and child.type == "text":
            outside.append(child.content)
    return links > 0 and has_no_words(" ".join(outside))
