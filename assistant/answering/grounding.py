"""Does the policy support a lead line an LLM wrote? A strict word-level check, no model.

A lead is shown only when every one of these holds; otherwise the extractive lead stands in (a good
lead rejected costs a little; an unsupported one shown is the failure). Words are compared by their
Snowball stems, with no synonyms: the writer is asked to use the quotes' own words.

- Every content word of the lead occurs in the quotes (the organization's name aside). The question
  is no support: "Do you sell my data?" must not make "we sell your data" true.
- Every number, e-mail address and web address occurs in the quotes, verbatim ("one" is "1").
- Each two neighbouring content words of a lead sentence occur together in one quote sentence, so
  words from unrelated sentences cannot be recombined into a new claim ("we sell your personal
  information" from "to whom we may choose to sell ... our business" and "your personal information").
- Negation agrees: each word counts as negated or not, and the pairs above must agree on it, so a lead
  asserting what the quotes deny is rejected, and so is one denying what they assert ("we never sell").
  A negation's scope runs to the end of its clause, or of its sentence: the lead must pass with both
  readings (where a scope ends is the check's weakest guess). The negation itself is a word of the
  pair check ("..., but not you"). "Outside", "except" and "unless" turn what follows them around as a
  negation does.

Measured on doctored and faithful leads over real Numecent answers (``bench/writer_check.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import Stemmer

MAX_LEAD_CHARS = 400
MAX_LEAD_SENTENCES = 2

_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)[^\s<>()\"”]+", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['’][^\W\d_]+)?")
# A sentence ends at . ! ? or ; before a capital ("Numecent Inc. 18565 Jamboree Rd" is one).
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[\"“(]?[A-Z])|\n+")
# Where a negation's scope ends is read two ways, and a lead must pass both (``SCOPES``). Narrow: at a
# clause boundary or the end of a parenthesis (its opening does not end it: "we do not collect special
# data (your health, ...)" negates what it explains). Wide: only where the sentence turns ("but",
# "however", ...), so "do not use or provide any information on this Website or ..., use any of its
# features" negates the whole list. The word that opens a clause stays in it ("except" is a claim).
_NARROW = re.compile(r"[,;:)\]]|\b(?=(?:and|but|however|which|whereas|although|unless|except)\b)", re.I)
_WIDE = re.compile(r"[;:]|\b(?=(?:but|however|whereas|although|unless|except)\b)", re.I)
SCOPES = (_NARROW, _WIDE)

NEGATIONS = frozenset(
    {"not", "no", "never", "none", "nor", "neither", "nobody", "nothing", "nowhere", "cannot", "without"}
)
# Words that, like a negation, turn what follows them around: "based outside the EEA" is not "based in
# the EEA". A claim under one of them in the quotes is not the same claim outside it in the lead.
OPPOSING = frozenset({"outside", "except", "excluding", "unless", "instead"})
NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90", "hundred": "100"}
# Function words carry no claim of their own. Modal verbs, quantifiers ("all", "only", "always") and
# negations are not among them: they change what a sentence claims.
STOPWORDS = frozenset(
    """a an the this that these those there here it its it's they them their theirs we us our ours you your
    yours he she his her him i me my mine who whom whose which what when where why how whether
    is are was were be been being am do does did doing done have has had having get gets got
    of in on at to for from by with about as into onto over under between through during before after
    above below up down out off again further then once so than too very just also even still yet
    and or but if because while until though although however thus therefore
    such other others own same both either more most less much many few
    s t d ll ve re m o""".split()
)


Word = tuple[str, bool]  # a content word's stem, and whether a negation governs it


def problems(lead: str, quotes: Sequence[str], allowed: Iterable[str] = ()) -> list[str]:
    """Why the quotes do not support ``lead``, one phrase per reason; empty when they do.

    ``allowed``: names the lead may use although the quotes do not (the organization's)."""
    lead = " ".join(lead.split())
    if not lead:
        return ["the lead is empty"]
    if len(lead) > MAX_LEAD_CHARS:
        return [f"the lead is {len(lead)} characters long, more than {MAX_LEAD_CHARS}"]
    source = " ".join(" ".join(quotes).split())
    found = []
    folded = source.casefold()
    for address in _ADDRESS.findall(lead):
        if address.rstrip(".,;:").casefold() not in folded:
            found.append(f"the address {address!r} is not in the quotes")
    names = {stem for name in allowed for stem, _ in words(name)}
    lead_text, source_text = sentences(_ADDRESS.sub(" ", lead)), sentences(_ADDRESS.sub(" ", source))
    if len(lead_text) > MAX_LEAD_SENTENCES:
        found.append(f"the lead has {len(lead_text)} sentences, more than {MAX_LEAD_SENTENCES}")
    for scope in SCOPES:
        lead_sentences = [[w for w in words(s, scope) if w[0] not in names] for s in lead_text]
        quote_sentences = [set(words(s, scope)) for s in source_text]
        known = {stem for q in quote_sentences for stem, _ in q}
        unsupported = sorted({stem for w in lead_sentences for stem, _ in w if stem not in known})
        if unsupported:
            return [*found, "not in the quotes: " + ", ".join(unsupported)]
        for sentence in lead_sentences:
            # Each word with its neighbour, each negated or not as the lead has it, in one quote sentence.
            for pair in zip(sentence, sentence[1:] or sentence, strict=False):
                if not any(pair[0] in q and pair[1] in q for q in quote_sentences):
                    said = " with ".join(_shown(w) for w in dict.fromkeys(pair))
                    found.append(f"no quote sentence says {said}")
                    break
        if found:
            return found
    return found


def supported(lead: str, quotes: Sequence[str], allowed: Iterable[str] = ()) -> bool:
    return not problems(lead, quotes, allowed)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if _TOKEN.search(s)]


def words(sentence: str, scope: re.Pattern[str] = _NARROW) -> list[Word]:
    """The content words of ``sentence`` as stems, in order; those after a negation, to the end of its
    ``scope``, are negated."""
    found: list[Word] = []
    for clause in scope.split(sentence):
        under_negation = False
        for token in _TOKEN.findall(clause.replace("’", "'")):
            token = token.casefold()
            if token.endswith("n't"):  # don't, won't, can't: the verb, then the negation
                base = {"won": "will", "ca": "can", "sha": "shall"}.get(token[:-3], token[:-3])
                if base not in STOPWORDS:
                    found.append((_stem(base), under_negation))
                found.append(("not", True))
                under_negation = True
                continue
            if token in NEGATIONS:
                if token == "cannot":
                    found.append(("can", under_negation))
                # The negation is a word of its own: "we notify the regulator, but not you" must find a
                # quote sentence that negates something next to "regulator".
                found.append(("not", True))
                under_negation = True
                continue
            if token in OPPOSING:
                found.append((token, under_negation))
                under_negation = True
                continue
            token = NUMBER_WORDS.get(token, token)
            if token not in STOPWORDS:
                found.append((token if token[0].isdigit() else _stem(token), under_negation))
    return found


def _shown(word: Word) -> str:
    return f"not {word[0]!r}" if word[1] else repr(word[0])


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


_STEMMER = Stemmer.Stemmer("english")
