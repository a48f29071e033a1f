"""Adding a version to the corpus: Markdown, plain text or an HTML page in, a valid corpus file out.

The new file is written next to the others only once it has been read back as a valid version, and
never over an existing one, so a failed or repeated add leaves the corpus as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from markdownify import markdownify

from assistant.corpus.documents import _DOCUMENT_ID, Corpus, PolicyVersion, read_version
from assistant.corpus.units import parse_policy
from assistant.exceptions import CorpusError, InvalidInputError, PrivacyAssistantError

SourceFormat = str  # "markdown" | "text" | "html"

# Page furniture that is not policy text.
_BOILERPLATE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "iframe",
    "form",
    "svg",
    "button",
)
_BOILERPLATE_ROLES = ("navigation", "banner", "contentinfo", "dialog", "alertdialog", "search")
_BOILERPLATE_NAME = re.compile(
    r"cookie[-_ ]?(?:banner|consent|notice|bar|popup|modal|law)|consent[-_ ]?(?:banner|manager)|onetrust|"
    r"cookiebot|gdpr[-_ ]?banner|cc[-_]window|skip[-_]link|breadcrumb|site[-_]?(?:header|footer|nav)",
    re.I,
)
_MAX_BYTES = 5_000_000


def detect_format(path: Path, raw: str) -> SourceFormat:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if re.match(r"\s*(?:<!doctype\s+html|<html\b)", raw, re.I):
        return "html"
    return "text"


def html_to_markdown(html: str) -> str:
    """The page's policy text as Markdown: headings, lists, tables and links kept, page furniture dropped."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_BOILERPLATE_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        role = str(tag.get("role") or "").lower()
        names = " ".join([str(tag.get("id") or ""), *[str(c) for c in tag.get("class") or []]])
        if role in _BOILERPLATE_ROLES or _BOILERPLATE_NAME.search(names) or tag.get("aria-hidden") == "true":
            tag.decompose()
    for tag in soup.find_all("header"):
        if not tag.find(re.compile(r"^h[1-6]$")):
            tag.decompose()  # a site header; a header holding the policy's title stays
    root = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = markdownify(str(root), heading_style="ATX", bullets="-", strip=["img"])
    return _tidy(markdown)


def text_to_markdown(text: str) -> str:
    """Plain text as Markdown: short lines without closing punctuation become headings (a guess)."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    first_heading = True
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        following = next((ln for ln in lines[i + 1 :] if ln.strip()), None)
        if re.match(r"^\s*(?:[-*•]|\d+[.)])\s+", line):
            out.append(re.sub(r"^(\s*)[*•]\s+", r"\1- ", line))
            continue
        if _looks_like_heading(stripped) and following is not None:
            out.append(("# " if first_heading else "## ") + stripped)
            first_heading = False
        else:
            out.append(stripped)
        out.append("")
    return _tidy("\n".join(out))


def _looks_like_heading(line: str) -> bool:
    return (
        len(line.split()) <= 12
        and not re.search(r"[.:;,!?|]$", line)
        and ":" not in line
        and not re.search(r"@|https?://", line)
    )


def _tidy(markdown: str) -> str:
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return markdown.strip() + "\n"


def to_markdown(path: Path) -> tuple[str, SourceFormat]:
    """The file's policy text as Markdown, or InvalidInputError saying why it cannot be used."""
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist; give the path of the policy file to add") from None
    except OSError as exc:
        raise InvalidInputError(f"{path} cannot be read ({exc.strerror})") from None
    if len(raw_bytes) > _MAX_BYTES:
        raise InvalidInputError(f"{path} is over {_MAX_BYTES // 1_000_000} MB; a policy page is much smaller")
    if b"\x00" in raw_bytes:
        raise InvalidInputError(f"{path} is a binary file; give Markdown, plain text or an HTML page")
    try:
        raw = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text; save it as UTF-8 and try again") from None
    raw = raw.replace("\r\n", "\n")
    kind = detect_format(path, raw)
    if kind == "html":
        markdown = html_to_markdown(raw)
    elif kind == "text":
        markdown = text_to_markdown(raw)
    else:
        markdown = _escape_bracketed_text(_strip_front_matter(raw))
    if not markdown.strip():
        raise InvalidInputError(f"{path} holds no policy text ({kind}); nothing to add")
    return markdown, kind


# Elements a policy page's Markdown may really hold; any other "<Name ...>" is text in angle brackets.
_HTML_ELEMENTS = frozenset(
    "a abbr address article aside b blockquote br caption center cite code col colgroup dd del details "
    "div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i iframe img ins kbd li main "
    "mark nav ol p pre q s section small span strong style sub summary sup script table tbody td tfoot th "
    "thead time tr u ul".split()
)
_BRACKETED = re.compile(r"<(/?)([A-Za-z][\w-]*)([^<>\n]*)>")


def _escape_bracketed_text(markdown: str) -> str:
    """Escape "<EU Representative>" and the like: Markdown would read it as an HTML block and drop the
    whole paragraph after it (an address). Tags of real elements and autolinks are left as they are."""

    def escape(match: re.Match[str]) -> str:
        name, rest = match.group(2), match.group(3)
        if name.lower() in _HTML_ELEMENTS or ":" in name + rest[:1] or "@" in rest:
            return match.group(0)
        return "\\" + match.group(0)

    return _BRACKETED.sub(escape, markdown)


def _strip_front_matter(markdown: str) -> str:
    match = re.match(r"\A---[ \t]*\n.*?\n---[ \t]*\n", markdown, re.DOTALL)
    return markdown[match.end() :] if match else markdown


def _title_of(markdown: str) -> str | None:
    """The first heading, in either Markdown style: ``# Title`` or a line underlined with ``===``."""
    match = re.search(r"^#\s+(.+?)\s*#*\s*$|^(\S[^\n]*?)\s*\n=+[ \t]*$", markdown, re.M)
    return (match.group(1) or match.group(2)).strip() if match else None


def add_version(
    corpus_dir: Path,
    source: Path,
    document: str,
    effective: date,
    *,
    scheduled: bool = False,
    today: date | None = None,
    title: str | None = None,
    organization: str | None = None,
    source_url: str | None = None,
) -> PolicyVersion:
    """Write ``source`` as ``<corpus_dir>/<document>/<effective>.md`` and return the new version.

    ``title``, ``organization`` and ``source_url`` default to the previous version's; the title of a
    first version to the source's first heading.

    Refuses (InvalidInputError) a bad document id, a date the document already has, a future date
    without ``scheduled``, and a file that is empty, binary or holds no policy text.
    """
    today = today or date.today()
    if not _DOCUMENT_ID.match(document):
        raise InvalidInputError(
            f"document id {document!r} must be lower-case letters, digits and dashes, e.g. acme-privacy-policy"
        )
    if effective > today and not scheduled:
        raise InvalidInputError(
            f"{effective.isoformat()} is in the future; add --scheduled to publish it on that date"
        )
    if scheduled and effective <= today:
        raise InvalidInputError(f"{effective.isoformat()} is not in the future; drop --scheduled")
    folder = corpus_dir / document
    target = folder / f"{effective.isoformat()}.md"
    if target.exists():
        raise InvalidInputError(f"{document} already has a version of {effective.isoformat()} ({target})")

    markdown, kind = to_markdown(source)
    previous = _latest(corpus_dir, document)
    meta: dict[str, str] = {
        "document": document,
        "title": title or (previous.title if previous else None) or _title_of(markdown) or "",
        "effective": effective.isoformat(),
    }
    if not meta["title"]:
        raise InvalidInputError(f"{source} has no heading to take the title from; give --title")
    organization = organization or (previous.organization if previous else None)
    source_url = source_url or (previous.source_url if previous else None)
    if source_url and not re.match(r"https?://\S+$", source_url):
        raise InvalidInputError(
            f"--source-url {source_url!r} must be a web address like https://example.com/privacy"
        )
    if organization:
        meta["organization"] = organization.strip()
    if source_url:
        meta["source_url"] = source_url
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n\n" + markdown

    folder.mkdir(parents=True, exist_ok=True)
    fd, scratch_name = tempfile.mkstemp(prefix=".adding-", suffix=".md", dir=folder)
    scratch = Path(scratch_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # Validate under its final name without occupying it: link, read, and unlink on failure.
        try:
            os.link(scratch, target)  # fails if a concurrent add took the date first
        except FileExistsError:
            raise InvalidInputError(
                f"{document} already has a version of {effective.isoformat()} ({target})"
            ) from None
        try:
            version = read_version(target)
            if not parse_policy(version).units:
                raise InvalidInputError(
                    f"{source} ({kind}) holds headings but no policy text; nothing to add"
                )
        except CorpusError as exc:
            target.unlink()
            raise InvalidInputError(f"{source} cannot be added: {exc.problem}") from None
        except InvalidInputError:
            target.unlink()
            raise
    finally:
        scratch.unlink(missing_ok=True)
    return version


def _latest(corpus_dir: Path, document: str) -> PolicyVersion | None:
    if not (corpus_dir / document).is_dir():
        return None
    try:
        versions = Corpus.load(corpus_dir).versions(document)
    except (
        PrivacyAssistantError
    ):  # a broken neighbour is reported when the corpus loads; here it costs metadata
        return None
    return versions[-1] if versions else None
