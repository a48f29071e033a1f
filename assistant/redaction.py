"""Personal data out of the logs: e-mail addresses, phone numbers and verification codes become
placeholders before any handler writes a record.

Install ``RedactingFilter`` on handlers (not loggers): a logger's filters do not see the records its
children propagate, a handler's see them all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# A code named as such, in prose, a query string or JSON: ``code=123456``, ``"token": "Ab3..."``.
_NAMED_CODE = re.compile(
    r"""(?P<key>\b(?:code|otp|token|verification[_ ]code|pin)\b["']?\s*(?:[:=]|is)?\s*["']?)(?P<value>[\w-]{4,})""",
    re.IGNORECASE,
)
# Seven or more digits, possibly with a leading + and separators: phone numbers, also as they appear
# URL-encoded in a logged query string (``%2B44+20+7946+0958``).
_PHONE = re.compile(r"(?<![\w%])(?:\+|%2B)?\d(?:[\d\s().+-]|%20){5,}\d(?![\w])", re.IGNORECASE)
_URL_ESCAPE = re.compile(r"%2[0B]", re.IGNORECASE)
# A bare run of 6 to 8 digits, the length verification codes are sent in; shorter numbers (counts,
# ports, most process ids) stay, and dates keep their dashes so they never match as one run.
_DIGIT_CODE = re.compile(r"(?<![\w.:/-])\d{6,8}(?![\w.:/-])")
# Long random tokens (verification links, bearer tokens): letters and digits mixed, 20 or more.
_TOKEN = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}\b")

EMAIL = "[email]"
PHONE = "[phone]"
CODE = "[code]"


def redact(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and codes replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _NAMED_CODE.sub(lambda m: m.group("key") + CODE, text)
    text = _TOKEN.sub(CODE, text)
    text = _PHONE.sub(lambda m: PHONE if _is_phone(m.group()) else m.group(), text)
    return _DIGIT_CODE.sub(CODE, text)


def mask_email(address: str) -> str:
    """``jo.bloggs@example.com`` as ``j•••@example.com``: enough for its owner to recognise it (and spot
    a typo in the domain), too little for anyone else to read it out."""
    local, at, domain = (address or "").strip().partition("@")
    return f"{local[:1]}•••@{domain}" if at and local and domain else "•••"


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in _URL_ESCAPE.sub("", candidate))
    # ISO dates and times have the shape but not the digits of a phone number.
    return digits >= 7 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T][\d:.]+)?", candidate.strip())


class RedactingFilter(logging.Filter):
    """Redacts a record's message, its arguments and its traceback in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, dict):
            record.args = {key: _redact_arg(value) for key, value in args.items()}
        elif isinstance(args, tuple):
            # Arguments keep their place where they can (uvicorn's access formatter unpacks them); a
            # number that is itself a code or phone is formatted into the message and redacted there.
            if any(not isinstance(a, str) and redact(str(a)) != str(a) for a in args):
                record.msg, record.args = redact(record.getMessage()), ()
            else:
                record.args = tuple(_redact_arg(value) for value in args)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def _redact_arg(value: object) -> object:
    if isinstance(value, (int, float)) and redact(str(value)) == str(value):
        return value
    return redact(str(value))


def install_redaction(loggers: Iterable[str] = ("", "uvicorn", "uvicorn.access", "uvicorn.error")) -> None:
    """Put a ``RedactingFilter`` on every handler of ``loggers`` that lacks one."""
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
