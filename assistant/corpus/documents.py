"""Policy documents on disk: ``corpus/<document-id>/<YYYY-MM-DD>.md`` with YAML front matter, and
beside them, optionally, ``policy.yaml``, what is specific to that policy beyond its text (its pack),
and ``questions.jsonl``, its question bank (``retrieval/question_bank.py`` reads it).

A corpus is loaded whole or not at all: one malformed file fails the load with its path and problem,
so an index is never built from half a corpus.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from assistant.exceptions import CorpusError, UnknownDocumentError

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_DOCUMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
REQUIRED_FIELDS = ("document", "title", "effective")
PACK = "policy.yaml"
BANK = "questions.jsonl"


@dataclass(frozen=True)
class PolicyVersion:
    """One version of one policy document, as it took effect on ``effective``."""

    document: str
    effective: date
    title: str
    body: str
    path: Path
    digest: str
    organization: str | None = None
    source_url: str | None = None
    meta: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def version(self) -> str:
        """The version's name: the ISO date it took effect."""
        return self.effective.isoformat()


@dataclass(frozen=True)
class PolicyPack:
    """What one policy defines beyond its text, read from its ``policy.yaml`` so that a privacy team can
    read and change it and no organisation's knowledge sits in code."""

    document: str
    # The policy's own names for the kinds of data it collects, each with the words that show a message
    # touches it ("Technical": IP address, browser, ...). A request records the ones it names.
    data_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The policy's own words for what visitors say ("dpo" -> "data privacy manager"), added to the
    # shared vocabulary (retrieval/vocabulary.py) for questions about this policy.
    vocabulary: tuple[tuple[str, str], ...] = ()
    source: str | None = None  # where the pack's content comes from (provenance)


def read_pack(path: Path) -> PolicyPack:
    """``<document-id>/policy.yaml``, checked: a malformed pack fails the corpus load, naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(path, f"cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusError(path, "must be a mapping (data_categories:, vocabulary:, source:)")
    unknown = set(data) - {"data_categories", "vocabulary", "source"}
    if unknown:
        raise CorpusError(
            path, f"has unknown keys {sorted(unknown)}; known: data_categories, vocabulary, source"
        )
    categories = data.get("data_categories") or {}
    if not isinstance(categories, dict) or not all(
        isinstance(name, str)
        and isinstance(words, list)
        and words
        and all(isinstance(w, str) and w.strip() for w in words)
        for name, words in categories.items()
    ):
        raise CorpusError(path, "data_categories must map each category's name to a list of words")
    vocabulary = data.get("vocabulary") or {}
    if not isinstance(vocabulary, dict) or not all(
        isinstance(said, str) and said.strip() and isinstance(meant, str) and meant.strip()
        for said, meant in vocabulary.items()
    ):
        raise CorpusError(path, "vocabulary must map a visitor's words to the policy's words (text to text)")
    return PolicyPack(
        document=path.parent.name,
        data_categories={name: tuple(w.strip() for w in words) for name, words in categories.items()},
        vocabulary=tuple((said.strip().lower(), meant.strip()) for said, meant in vocabulary.items()),
        source=_optional(data.get("source")),
    )


def organization_of(versions: Sequence[PolicyVersion]) -> str | None:
    """The organization whose policy ``versions`` are, when they name one and only one."""
    names = {v.organization for v in versions if v.organization}
    return names.pop() if len(names) == 1 else None


def read_version(path: Path) -> PolicyVersion:
    """Read and validate one corpus file; raise CorpusError naming the file and the problem."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CorpusError(path, "is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise CorpusError(path, f"cannot be read ({exc.strerror})") from None
    text = text.replace("\r\n", "\n")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CorpusError(path, "has no YAML front matter; start the file with a '---' block")
    try:
        # BaseLoader keeps every value a string, so a bad date is our error to word, not a crash.
        meta = yaml.load(match.group(1), Loader=yaml.BaseLoader) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(path, f"front matter is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise CorpusError(path, "front matter must be a mapping of fields")
    missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
    if missing:
        raise CorpusError(path, f"front matter lacks {', '.join(missing)}")

    document = str(meta["document"])
    if not _DOCUMENT_ID.match(document):
        raise CorpusError(path, f"document id {document!r} must be lower-case letters, digits and dashes")
    if path.parent.name != document:
        raise CorpusError(path, f"document id {document!r} does not match its folder {path.parent.name!r}")
    effective = _parse_date(meta["effective"], path)
    if path.stem != effective.isoformat():
        raise CorpusError(path, f"file name must be the effective date, {effective.isoformat()}.md")
    body = text[match.end() :]
    if not body.strip():
        raise CorpusError(path, "has an empty body; a version needs the policy text")
    return PolicyVersion(
        document=document,
        effective=effective,
        title=str(meta["title"]),
        body=body,
        path=path,
        digest=hashlib.sha256(raw).hexdigest(),
        organization=_optional(meta.get("organization")),
        source_url=_optional(meta.get("source_url")),
        meta=meta,
    )


def _parse_date(value: object, path: Path) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CorpusError(path, f"effective date {value!r} is not a date like 2024-06-01") from None


def _optional(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


class Corpus:
    """Every version of every policy document, sorted by effective date."""

    def __init__(
        self,
        versions: list[PolicyVersion],
        root: Path | None = None,
        packs: Sequence[PolicyPack] = (),
        question_banks: dict[str, Path] | None = None,
    ) -> None:
        self.root = root
        self.packs = {pack.document: pack for pack in packs}
        # Each document's question bank (document id -> questions.jsonl), where it has one.
        self.question_banks = dict(question_banks or {})
        self._by_document: dict[str, list[PolicyVersion]] = {}
        for version in sorted(versions, key=lambda v: (v.document, v.effective)):
            self._by_document.setdefault(version.document, []).append(version)

    @classmethod
    def load(cls, root: Path | str) -> Corpus:
        root = Path(root)
        if not root.is_dir():
            raise CorpusError(root, "is not a folder; set PRIVACY_ASSISTANT_CORPUS_DIR to the corpus folder")
        versions: list[PolicyVersion] = []
        packs: list[PolicyPack] = []
        banks: dict[str, Path] = {}
        seen: dict[tuple[str, date], Path] = {}
        for path in sorted(root.glob("*/*")):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.name == PACK:
                packs.append(read_pack(path))
                continue
            if path.name == BANK:
                banks[path.parent.name] = path
                continue
            if path.suffix != ".md":
                raise CorpusError(
                    path,
                    "is not a Markdown file; corpus files are <document-id>/<YYYY-MM-DD>.md "
                    f"(and {PACK}, {BANK})",
                )
            version = read_version(path)
            key = (version.document, version.effective)
            if key in seen:
                raise CorpusError(path, f"has the same document and date as {seen[key]}")
            seen[key] = path
            versions.append(version)
        if not versions:
            raise CorpusError(root, "holds no policy versions (<document-id>/<YYYY-MM-DD>.md)")
        documents = {v.document for v in versions}
        for document, path in banks.items():
            if document not in documents:
                raise CorpusError(path, "is a question bank for a folder that holds no policy version")
        return cls(versions, root, packs, banks)

    def data_categories(self, first: str | None = None) -> dict[str, tuple[str, ...]]:
        """Every pack's data categories, ``first``'s (the default document) before the others'."""
        merged: dict[str, tuple[str, ...]] = {}
        for document in sorted(self.packs, key=lambda d: d != first):
            for name, words in self.packs[document].data_categories.items():
                merged.setdefault(name, words)
        return merged

    def vocabulary_of(self, versions: Sequence[PolicyVersion]) -> tuple[tuple[str, str], ...]:
        """The pack vocabulary of the one document ``versions`` belong to; none across documents."""
        documents = {v.document for v in versions}
        pack = self.packs.get(documents.pop()) if len(documents) == 1 else None
        return pack.vocabulary if pack else ()

    @property
    def documents(self) -> list[str]:
        return list(self._by_document)

    @property
    def sole_document(self) -> str | None:
        """The document, when the corpus holds one only: what a question naming none is about."""
        return self.documents[0] if len(self._by_document) == 1 else None

    def all_versions(self) -> list[PolicyVersion]:
        return [v for versions in self._by_document.values() for v in versions]

    def versions(self, document: str) -> list[PolicyVersion]:
        try:
            return list(self._by_document[document])
        except KeyError:
            known = ", ".join(self._by_document) or "none"
            raise UnknownDocumentError(f"no document {document!r}; known documents: {known}") from None

    def get(self, document: str, version: str | date) -> PolicyVersion:
        wanted = version if isinstance(version, date) else _parse_user_date(version)
        for candidate in self.versions(document):
            if candidate.effective == wanted:
                return candidate
        known = ", ".join(v.version for v in self.versions(document))
        raise UnknownDocumentError(f"{document} has no version {wanted.isoformat()}; versions: {known}")

    def in_force(self, document: str, on: date) -> PolicyVersion | None:
        """The version that was in force on ``on``: the latest that took effect on or before it."""
        current = None
        for candidate in self.versions(document):
            if candidate.effective <= on:
                current = candidate
        return current


def _parse_user_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UnknownDocumentError(f"{value!r} is not a version date like 2024-06-01") from None
