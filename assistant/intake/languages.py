"""Messages in other languages: which language a message is in, and an English rendering of it that
the request reader can read.

Each language is a file, ``vocabularies/<code>.yaml``: words that mark it, a bilingual privacy vocabulary
(phrase -> English) and what the chat calls each right. The reader's rules and its model read English,
so a German message is read as its rendering ("Bitte löschen Sie meine Daten" -> "please delete Sie
my data"); the fields (names, addresses) are still read from the message itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from assistant.exceptions import ConfigurationError
from assistant.intake.rights import RIGHT_LABELS, RIGHTS

VOCABULARIES = Path(__file__).resolve().parent / "vocabularies"
ENGLISH = "en"
_WORD = re.compile(r"\w+")
_VERBATIM = re.compile(r"\S+@\S+|https?://\S+|www\.\S+")
# Letters that do not decompose into a base letter and a mark, as people type them without.
_PLAIN = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ı": "i", "’": "'", "‘": "'"})


def fold(text: str) -> str:
    """Lower case without accents, one character for one ("Löschung" -> "loschung"), so positions in
    the folded text are positions in the text."""
    return "".join(unicodedata.normalize("NFD", c)[0] for c in text.lower().translate(_PLAIN))


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    markers: frozenset[str]
    gloss: dict[str, str] = field(default_factory=dict)
    rights: dict[str, str] = field(default_factory=dict)

    @cached_property
    def folded_markers(self) -> frozenset[str]:
        return frozenset(fold(m) for m in self.markers)

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """The vocabulary's phrases, folded, longest first: built once per language, not per message."""
        keys = sorted(self.gloss, key=len, reverse=True)
        if not keys:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(fold(k)) for k in keys) + r")(?!\w)")

    @cached_property
    def folded_gloss(self) -> dict[str, str]:
        return {fold(k): v for k, v in self.gloss.items()}

    def coverage(self, folded: str) -> int:
        """How many characters of a folded text the vocabulary's phrases cover."""
        pattern = self.pattern
        return sum(m.end() - m.start() for m in pattern.finditer(folded)) if pattern else 0

    def render(self, text: str) -> str:
        """``text`` with each phrase of the vocabulary replaced by its English, the rest kept."""
        kept = [m.span() for m in _VERBATIM.finditer(text)]  # addresses are never words to render
        return self.rendering(text, kept)[0]

    def rendering(self, text: str, kept: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
        """``text`` rendered as ``render`` does, leaving the ``kept`` spans as written; and for each
        character of the rendering, the span of ``text`` it comes from (a rendered phrase's characters,
        the whole phrase's), so a reader of the English can point back at the visitor's words."""
        pattern = self.pattern
        parts: list[str] = []
        origins: list[tuple[int, int]] = []
        end = 0
        for match in pattern.finditer(fold(text)) if pattern else ():
            if any(a < match.end() and match.start() < b for a, b in kept):
                continue
            english = self.folded_gloss[match.group(0)]
            parts += [text[end : match.start()], english]
            origins += [(i, i + 1) for i in range(end, match.start())]
            origins += [match.span()] * len(english)
            end = match.end()
        parts.append(text[end:])
        origins += [(i, i + 1) for i in range(end, len(text))]
        return "".join(parts), origins


class Languages:
    """The languages the request reader knows; English, which needs no rendering, among them."""

    def __init__(self, languages: dict[str, Language]) -> None:
        self.by_code = languages

    @classmethod
    def load(cls, folder: Path = VOCABULARIES) -> Languages:
        return _load(folder)

    @property
    def codes(self) -> list[str]:
        return sorted(self.by_code)

    @cached_property
    def english_words(self) -> frozenset[str]:
        """English words no other language writes: those of the vocabularies' renderings, less every
        word of another language's phrases and markers ("account" and "deleted", not "cookie"), and
        less English's own markers, which count already."""
        others = {
            word
            for code, language in self.by_code.items()
            if code != ENGLISH
            for phrase in (*language.folded_markers, *language.folded_gloss)
            for word in _WORD.findall(phrase)
        }
        english = {
            w
            for language in self.by_code.values()
            for v in language.gloss.values()
            for w in _WORD.findall(fold(v))
        }
        markers = self.by_code[ENGLISH].folded_markers if ENGLISH in self.by_code else frozenset()
        return frozenset(english - others - markers)

    def detect(self, text: str) -> str:
        """The language ``text`` is most likely in: the one whose marker words it uses most, English's
        privacy words counting as its markers (a terse "Uber account deleted" has none of its function
        words); between languages it marks alike (a short "Parem de me mandar e-mail de propaganda" has
        one marker of Italian and one of Portuguese), the one whose privacy vocabulary covers most of it.
        English when none stands out (a message of names and addresses alone)."""
        folded = fold(text)
        words = _WORD.findall(folded)
        scores = {
            code: sum(w in language.folded_markers for w in words) for code, language in self.by_code.items()
        }
        if ENGLISH in scores:
            scores[ENGLISH] += sum(w in self.english_words for w in words)
        top = max(scores.values(), default=0)
        english = scores.get(ENGLISH, 0)
        if top > english and list(scores.values()).count(top) == 1:
            return max(scores, key=scores.__getitem__)  # one language stands out: no tie to break
        # A tie (English's markers among them, or none at all): reading the vocabularies decides.
        covered = {c: self.by_code[c].coverage(folded) for c, score in scores.items() if score == top}
        best = max(covered, key=lambda c: (covered[c], c == ENGLISH))
        wins = top > english or covered[best] > 0
        return best if wins else ENGLISH

    def render(self, text: str, code: str | None = None) -> str:
        """``text`` as the English the reader reads (itself when it is English)."""
        code = code or self.detect(text)
        language = self.by_code.get(code)
        return text if language is None or code == ENGLISH else language.render(text)

    def label(self, right: str, code: str | None) -> str:
        """What the chat calls ``right`` in language ``code`` (English when it has no word for it)."""
        language = self.by_code.get(code or ENGLISH)
        return (language.rights.get(right) if language else None) or RIGHT_LABELS.get(right, right)


@lru_cache(maxsize=4)
def _load(folder: Path) -> Languages:
    languages: dict[str, Language] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{path}: not valid YAML ({exc})") from None
        code = data.get("language")
        if code != path.stem:
            raise ConfigurationError(f"{path}: 'language' must be {path.stem!r}, the file's name")
        unknown = set(data.get("rights") or {}) - set(RIGHTS)
        if unknown:
            raise ConfigurationError(f"{path}: unknown rights {sorted(unknown)}; use {', '.join(RIGHTS)}")
        languages[code] = Language(
            code=code,
            name=str(data.get("name") or code),
            markers=frozenset(str(m).lower() for m in data.get("markers") or ()),
            gloss={str(k).lower(): str(v) for k, v in (data.get("gloss") or {}).items()},
            rights={str(k): str(v) for k, v in (data.get("rights") or {}).items()},
        )
    return Languages(languages)
