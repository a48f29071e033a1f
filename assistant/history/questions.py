"""Reading a history question by its words alone (no model): as of a time, what changed, since when.

A question without a time or a history phrase is not one, and goes down the plain Q&A path untouched.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from assistant.retrieval.lexical import preamble

Intent = Literal["as_of", "changes", "since"]
Relative = Literal["previous", "current", "first"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_YEAR = r"((?:19|20)\d{2})"

# Time phrases, most specific first. Each yields a period (first day, last day) or a relative version.
_ISO = re.compile(r"\b(?:on|as of|since|from|before|in)?\s*(\d{4}-\d{2}-\d{2})\b", re.I)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?:on|as of|since|from|in)?\s*{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?:on|as of|since|from|in)?\s*(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+{_YEAR}\b", re.I
)
_MONTH_YEAR = re.compile(
    rf"\b(?:in|during|since|from|as of|back in|by)?\s*(?:early|mid|late)?\s*{_MONTH},?\s+{_YEAR}\b", re.I
)
_YEAR_ONLY = re.compile(
    rf"\b(?:back\s+)?(?:in|during|since|from|as of|by|throughout|around)\s+(?:early\s+|mid\s+|late\s+)?{_YEAR}\b",
    re.I,
)
_LAST_YEAR = re.compile(r"\b(?:since\s+|in\s+|during\s+)?(last|this)\s+year\b", re.I)
_YEARS_AGO = re.compile(r"\b(?:since\s+)?(a|one|two|three|four|five|\d+)\s+years?\s+ago\b", re.I)
_RELATIVE = re.compile(
    r"\b(?:in\s+|of\s+|from\s+|since\s+)?(?:the|your|this)\s+"
    r"(previous|prior|earlier|older|old|last|latest|newest|most recent|current|first|original|earliest)\s+"
    r"(?:version|policy|privacy policy|update|revision)(?:\s+of\s+the\s+(?:privacy\s+)?policy)?\b",
    re.I,
)
_SIGNED_UP = re.compile(
    r"\b(?:when|after|before)\s+I\s+(?:first\s+)?(?:signed\s+up|joined|registered|subscribed|started|"
    r"created\s+(?:my|an)\s+account|became\s+a\s+customer)\b",
    re.I,
)
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}

_CHANGES = re.compile(
    r"\bwhat(?:'s|’s|\s+has|\s+have|\s+is|\s+was|\s+were)?\s+(?:exactly\s+|precisely\s+|actually\s+)?(?:been\s+)?"
    r"(?:chang|new\b|different|differ|updat|added|removed)"
    # "mails about changes to our terms" is a topic (a purpose of the table), not a question of what changed
    r"|(?<!about\s)(?<!\bof\s)\bchang(?:e|es|ed)\s+(?:since|in|to|from|between|made)\b"
    r"|\bhow\s+(?:has|have|did)\s+(?:the\s+|your\s+)?(?:privacy\s+)?policy\s+chang"
    r"|\bhas\s+(?:the\s+|your\s+)?(?:privacy\s+)?policy\s+changed\b"
    r"|\bdifferen(?:t|ce|ces)\s+(?:between|since)\b"
    # "different from the last version", not "a notice that says something different from this policy"
    r"|\bdifferen(?:t|ce|ces)\s+from\s+(?:the\s+|your\s+|its\s+|an?\s+)?"
    r"(?:previous|prior|earlier|older|old|last|original|first|past|\d{4})\b",
    re.I,
)
_SINCE = re.compile(
    r"\bsince\s+when\b"
    r"|\bwhen\s+did\s+(?:the\s+|your\s+)?(?:privacy\s+)?(?:policy|you|it|they|we|[\w&.-]+)\s+(?:first\s+)?(?:start|begin|began|first)"
    r"|\b(?:did|has|have|does|was|were)\s+(?:the\s+|your\s+)?(?:privacy\s+)?(?:policy|it|you)\s+always\b"
    r"|\bhow\s+long\s+(?:has|have)\s+(?:the\s+|your\s+)?(?:privacy\s+)?(?:policy|you)\s+(?:mentioned|said|used|been)"
    r"|\bwhen\s+(?:was|were)\b.{0,80}\b(?:added|introduced)\b"
    r"|\bfirst\s+mention",
    re.I,
)
# "Can I see an older version?" asks for a copy, which the policy itself says how to get; not a diff.
_COPY_OF_OLD_VERSION = re.compile(
    r"\b(?:see|get|obtain|access|view|read|request|download|copy\s+of)\b.{0,40}?"
    r"\b(?:older|old|previous|earlier|past|historic|archived|prior)\s+"
    r"(?:versions?|editions?|revisions?|copies|cop(?:y|ies)\s+of)\b",
    re.I,
)
_BACK_THEN = re.compile(r"\b(?:then|at\s+(?:that|the)\s+time|back\s+then)\b", re.I)
# Words that frame a history question but say nothing about its topic; whole words only, so the "in" of
# "opt-in" stays.
_FRAME = re.compile(
    r"(?<![\w-])(?:since\s+when|when\s+did|did|does|do|has|have|was|were|the|your|(?:privacy\s+)?polic(?:y|ies)|version|versions|"
    r"always|mention|mentions|mentioned|mentioning|say|says|said|saying|start|started|starting|begin|first|"
    r"what|what's|whats|changed?|changes|new|different|difference|differ|updated?|since|in|about|regarding|"
    r"of|on|to|from|it|you|is|there|any|how|anything|tell|me|introduced|added|exactly|precisely|actually|"
    r"between|and|one)(?![\w-])",
    re.I,
)


@dataclass(frozen=True)
class HistoryQuestion:
    intent: Intent
    topic: str  # the question without its time and history phrasing: what to search for
    start: date | None = None  # the period the question names, when it names one
    end: date | None = None
    relative: Relative | None = None
    phrase: str = ""  # the time as the visitor wrote it
    # The period runs on to today ("since January 2025"), rather than being the period asked about ("in 2023").
    onward: bool = False
    spans: tuple[tuple[int, int], ...] = ()  # where the time is in the question
    language: str = "en"  # the question's: the answer's own words are in it
    said: str = ""  # the topic as the visitor wrote it, when not in English: what the answer repeats


def read_history_question(question: str, today: date) -> HistoryQuestion | None:
    """The history question in ``question``, or None for a question about the policy as it is."""
    period, relative, spans = _read_time(question, today)
    story = len(preamble(question))
    if spans and all(end <= story for _, end in spans) and not _BACK_THEN.search(question[story:]):
        # "Privacy Shield fell in 2020. Are you certified now?": the time is the story's, not the question's.
        period, relative, spans = None, None, []
    changes = _CHANGES.search(question) if not _COPY_OF_OLD_VERSION.search(question) else None
    since = _SINCE.search(question)
    if since:
        intent: Intent = "since"
    elif changes and (period or relative or re.search(r"\b(?:version|policy|update)\b", question, re.I)):
        intent = "changes"
    elif period or relative:
        intent = "as_of"
    else:
        return None
    topic = question
    for start, end in sorted(spans, reverse=True):
        topic = topic[:start] + " " + topic[end:]
    topic = _SIGNED_UP.sub(" ", topic)
    if intent != "as_of":
        topic = _FRAME.sub(" ", topic)
    topic = " ".join(topic.replace("?", " ").split())
    phrase = " ".join(question[s:e].strip() for s, e in sorted(spans))
    phrase = phrase[:1].lower() + phrase[1:]  # it goes mid-sentence: "were in force back in 2023"
    start, end = period if period else (None, None)
    onward = "since" in phrase.lower()
    return HistoryQuestion(intent, topic, start, end, relative, phrase, onward, tuple(sorted(spans)))


def _read_time(
    question: str, today: date
) -> tuple[tuple[date, date] | None, Relative | None, list[tuple[int, int]]]:
    for pattern, to_period in (
        (_ISO, lambda m: _day(date.fromisoformat(m.group(1)))),
        (
            _MONTH_DAY_YEAR,
            lambda m: _day(date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))),
        ),
        (
            _DAY_MONTH_YEAR,
            lambda m: _day(date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))),
        ),
        (_MONTH_YEAR, lambda m: _month(int(m.group(2)), _MONTHS[m.group(1).lower()])),
        (_YEAR_ONLY, lambda m: _year(int(m.group(1)))),
        (_LAST_YEAR, lambda m: _year(today.year - (1 if m.group(1).lower() == "last" else 0))),
        (
            _YEARS_AGO,
            lambda m: _day(_years_before(today, _NUMBERS.get(m.group(1).lower()) or int(m.group(1)))),
        ),
    ):
        match = pattern.search(question)
        if match:
            try:
                return to_period(match), None, [match.span()]
            except ValueError:  # "February 30, 2024": not a date, so not a time phrase
                continue
    match = _RELATIVE.search(question)
    if match:
        word = match.group(1).lower()
        relative: Relative = (
            "first"
            if word in ("first", "original", "earliest")
            else "current"
            if word in ("last", "latest", "newest", "most recent", "current")
            else "previous"
        )
        return None, relative, [match.span()]
    return None, None, []


def _day(day: date) -> tuple[date, date]:
    return day, day


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)
