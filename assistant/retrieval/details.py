"""Questions that ask for one kind of fact: a phone number, a person's name, a number, a span of time, a date,
an event.

"What's the name of your data privacy manager?" lands on the sentence that says to contact the data
privacy manager: the same subject and the same words, but no name. When a question asks for a kind of
fact and none of the passages found holds one, the policy does not answer it, however well they match.
The patterns are narrow on purpose: "do you keep my phone number?" asks about a phone number, not for
one, and is not matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_NUMBER = (
    r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|sixty|ninety"
    r"|hundred|a (?:day|week|month|year)"
)
_MONTH = r"January|February|March|April|May|June|July|August|September|October|November|December"
_SPAN = (
    rf"\b({_NUMBER}|an?|fourteen|eighteen|few|couple of)[\s-]*"
    r"(hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?)\b"
)


@dataclass(frozen=True)
class AskedDetail:
    kind: str
    asked: re.Pattern[str]  # the question asks for this kind of fact
    held: re.Pattern[str] | None  # a passage states one; None: a policy never does

    def holds(self, text: str) -> bool:
        return self.held is not None and self.held.search(text) is not None


DETAILS = (
    AskedDetail(
        "phone number",
        re.compile(
            r"\b(whats|what('s| is)|is there|do you have|give me|need|find|get|got|share|list|provide|publish)\b"
            r"[^.?!]{0,25}\b(a|an|any|your|the)\s+([\w']+\s+){0,2}(phone|telephone|contact|support|hotline|helpline"
            r"|fax)[ -]?(number|no\b|#|line)"
            r"|\bnumber (i|we) (can|could) (call|ring|phone|text)"
            r"|\bcan (i|we) (call|ring|phone) (you|someone|somebody|your|the)\b"
            r"|\bcall (you|someone|somebody) (instead|directly|about|to)\b"
            r"|\b(hotline|helpline)\b"
            r"|\btalk to (someone|somebody|a person|a human) (on|over|by) (the )?phone",
            re.IGNORECASE,
        ),
        re.compile(r"\+?\(?\d{2,4}\)?[\s.-]?\d{3}[\s.-]?\d{3,4}"),
    ),
    AskedDetail(
        "person's name",
        re.compile(
            # "the name of your contact", not "my name and contact info"
            r"\b(named|name of)\b[^.?!]{0,40}\b(manager|officer|dpo|ceo|cto|director|head|lead|person|contact)\b"
            r"|\b(manager|officer|dpo|ceo|cto|director|head|lead|person)('s|s)? (full )?name\b"
            r"|\bwho (exactly )?(is|are) (your|the) ([\w-]+ ){0,3}(manager|officer|dpo|ceo|cto|director|head)\b",
            re.IGNORECASE,
        ),
        re.compile(r"\b(Mr|Ms|Mrs|Dr)\.? [A-Z]"),
    ),
    AskedDetail(
        "number",
        re.compile(
            r"\bhow many\b|\bwhat percent(age)?\b|\b(exact|specific) (number|figure|amount)\b"
            r"|\b(give|tell) me a number\b"
            r"|\b(how long|how much time) exactly\b|\bexactly how (long|much time)\b"
            r"|\bnumber of (days|weeks|months|years|hours)\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\b({_NUMBER})\b(?! of\b)|%", re.IGNORECASE),  # "one of our positions" is no number
    ),
    AskedDetail(
        # "Is my CV deleted after 6 months?" asks the policy to confirm a span it may never state. An age
        # ("my 15 year old", and as most languages say it, rendered: "my son has 16 years", "il a 16 ans")
        # or a time in the story ("two years ago", "in the past 12 months") is no such span.
        "span of time",
        re.compile(
            rf"(?<!past )(?<!last )(?<!\bhas )(?<!\bhave )(?<!\ba ){_SPAN}"
            r"(?![\s-]+(ago|back|old|later|earlier))",
            re.IGNORECASE,
        ),
        re.compile(_SPAN, re.IGNORECASE),
    ),
    AskedDetail(
        "date",
        re.compile(
            r"\bwhen (did|was|were|has|have)\b|\bwhat (date|year)\b|\bsince when\b|\bwhich year\b", re.I
        ),
        re.compile(rf"\b(19|20)\d\d\b|\b({_MONTH})\b"),
    ),
    AskedDetail(
        "past event",
        re.compile(
            r"\b(have|has|had) (\w+ ){1,2}ever\b"
            r"|\bever been (hacked|breached|fined|sued|investigated|penali[sz]ed)\b"
            r"|\bany (past|previous|prior) (data )?(breach|breaches|incidents?|fines?|lawsuits?)\b",
            re.IGNORECASE,
        ),
        None,
    ),
)


def missing_detail(question: str, passages: Iterable[str]) -> str:
    """The kind of fact ``question`` asks for that none of ``passages`` holds; "" when none is missing."""
    asked = [d for d in DETAILS if d.asked.search(question)]
    if not asked:
        return ""
    texts = list(passages)
    return next((d.kind for d in asked if not any(d.holds(t) for t in texts)), "")
