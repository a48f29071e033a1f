"""Visitors' words mapped to the words privacy policies use.

A visitor asks "can you delete my stuff"; the policy says "erasure". Each entry adds the policy's terms
to the query (lexical and dense), so the retriever meets the policy where it is. Keys are matched as
whole words or phrases, case-insensitively.

The table here is what privacy policies in general say. What one policy says its own way ("DPO" is
Numecent's "data privacy manager") is in that policy's pack (``corpus/<document>/policy.yaml``,
``vocabulary:``), added to this table for questions about that policy, its entries winning.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A policy's own entries, as its pack gives them: (visitor words, the policy's words) pairs.
PolicyTerms = tuple[tuple[str, str], ...]

VISITOR_TERMS: dict[str, str] = {
    # rights
    "delete": "erasure erase delete remove",
    "deleted": "erasure erase delete remove",
    "deleting": "erasure erase delete remove",
    "remove": "erasure delete remove",
    "wipe": "erasure delete remove",
    "forget": "erasure delete remove",
    "forgotten": "erasure delete remove",
    "erase": "erasure delete",
    "copy of my data": "request access copy of the personal information we hold",
    "what data do you have": "request access personal information we hold about you",
    "can i see my data": "request access copy personal information",
    "download my data": "request transfer structured machine-readable format access",
    "export": "transfer structured commonly used machine-readable format",
    "move my data": "transfer third party machine-readable format",
    "fix": "correction incomplete inaccurate corrected",
    "wrong": "correction inaccurate corrected",
    "update my": "correction accurate current inform us of changes",
    "incorrect": "correction inaccurate",
    "stop processing": "restriction suspend processing object",
    "pause": "restriction suspend processing",
    "object": "object to processing legitimate interest",
    "complain": "object regulator",
    "gdpr rights": "information access rights data protection laws request access correction erasure",
    "my rights": "information access rights request access correction erasure object restriction transfer",
    "rights": "information access rights",
    "consent": "withdraw consent",
    "portability": "request transfer structured commonly used machine-readable format third party",
    "portable": "request transfer machine-readable format",
    "dsar": "data subject access request respond",
    "subject access": "data subject access request",
    "verify": "verify confirm your identity",
    "verification": "verify confirm your identity",
    "prove who i am": "confirm your identity",
    "identity check": "confirm your identity",
    "controller": "controller responsible",
    "in charge of my data": "controller responsible",
    # marketing
    "unsubscribe": "opt-out opting out stop sending marketing messages",
    "opt out": "opting out opt-out marketing messages",
    "spam": "marketing messages opt-out",
    "newsletter": "newsletter marketing communications",
    "emails": "marketing messages email",
    "ads": "advertisements advertising interest-based",
    "targeted": "interest-based advertising targeted ads",
    "retargeting": "interest-based advertising advertisements third parties",
    "remarketing": "interest-based advertising advertisements third parties",
    "promos": "marketing communications promotional offers",
    "promo": "marketing communications promotional offers",
    "justification": "lawful basis legitimate interest",
    "married": "marital status",
    "birthday": "date of birth",
    # people
    "kids": "children child",
    "kid": "children child",
    "child": "children",
    "minor": "children",
    "minors": "children",
    "teen": "children",
    "teenager": "children",
    "son": "children child",
    "daughter": "children child",
    # sharing and selling
    "sell": "sell sale third parties",
    "selling": "sell transfer third parties",
    "share": "disclosures third parties",
    "sharing": "disclosures third parties",
    "give my data": "disclosures third parties",
    "who sees": "disclosures third parties",
    "partners": "third parties",
    "vendors": "service providers processors",
    "abroad": "international transfers",
    "overseas": "international transfers",
    "another country": "international transfers",
    # tracking
    "tracking": "cookies tracking technologies",
    "track": "cookies tracking technologies",
    "dnt": "Do Not Track DNT browser signals",
    "ip address": "internet protocol (IP) address",
    # keeping and protecting
    "how long": "retain retention periods",
    "keep": "retain retention",
    "store": "retain retention storage",
    "stored": "retain retention storage",
    "retention": "retain retention periods",
    "hacked": "breach security",
    "hack": "breach security",
    "breach": "personal data breach notify",
    "safe": "security protect",
    "secure": "security",
    "encrypt": "security transmission storage",
    # money and contact
    "cost": "fee pay",
    "charge": "fee pay",
    "free": "fee pay",
    "pay": "fee",
    "how fast": "time limit respond",
    "how quickly": "time limit respond",
    "how long will it take": "time limit respond",
    "contact you": "contact details email",
    "reach you": "contact details email",
    "dpo": "data protection officer",
    "address": "postal address contact details",
    "info": "information",  # visitors' everyday short form; the policy always writes it out
    "who is responsible": "controller responsible",
    "who owns": "controller responsible",
    "legal basis": "lawful basis legitimate interest performance of contract",
    "why do you": "purposes lawful basis",
    "sensitive": "Special Categories of Personal Data",
    "health": "Special Categories health genetic biometric",
    "religion": "Special Categories religious beliefs",
    "criminal": "criminal convictions and offenses",
    "changes": "changes to the privacy policy last updated",
    "updated": "last updated version",
}


@lru_cache(maxsize=16)
def _table(own: PolicyTerms) -> tuple[dict[str, str], re.Pattern[str]]:
    terms = {**VISITOR_TERMS, **{key.lower(): words for key, words in own}}
    keys = sorted(terms, key=len, reverse=True)
    return terms, re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)


def expand(question: str, own: PolicyTerms = ()) -> str:
    """The policy's terms for the visitor's words in ``question`` (empty when none match); ``own``: the
    policy's own entries (its pack's), which win over the shared ones."""
    terms, pattern = _table(own)
    seen: list[str] = []
    for match in pattern.finditer(question):
        words = terms[match.group(1).lower()]
        if words not in seen:
            seen.append(words)
    return " ".join(seen)


@lru_cache(maxsize=16)
def _name_pattern(organization: str) -> re.Pattern[str]:
    # Not inside a web or mail address: "acme.com" names the website, not the company.
    return re.compile(rf"(?<![\w.@]){re.escape(organization)}(['’]s)?\b(?!\.\w)", re.IGNORECASE)


def in_our_voice(question: str, organization: str | None) -> str:
    """``question`` with the organization's name as the policy says it: "we" and "our".

    A policy names its company in a few sentences (the controller, the welcome) and says "we" in all
    the others, so "Does Acme sell my data?" met the welcome before "We do not sell ...".
    """
    if not organization:
        return question
    return _name_pattern(organization).sub(lambda m: "our" if m.group(1) else "we", question)
