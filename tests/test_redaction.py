"""E-mail addresses, phone numbers and verification codes never reach a log line."""

from __future__ import annotations

import io
import logging

import pytest

from assistant.redaction import RedactingFilter, redact
from assistant.web.server import uvicorn_log_config


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("please delete jo.smith+news@example.co.uk now", "jo.smith+news@example.co.uk"),
        ("GET /api/requests/verify?email=jo%40example.com HTTP/1.1", "jo%40example.com"),
        ("call me on +44 20 7946 0958", "7946 0958"),
        ("my number is (415) 555-0134", "555-0134"),
        ("phone 07700900123", "07700900123"),
        ("GET /verify?phone=%2B44+20+7946+0958&x=1", "7946"),
        ("your code is 482913", "482913"),
        ("verify?code=93A7KQ", "93A7KQ"),
        ('{"token": "hT4x-9QeWv2LmB7sPz0aYc"}', "hT4x-9QeWv2LmB7sPz0aYc"),
        ("link /verify/Zx81kPq0Lm3Nw7Rt5Yv2Bc9D", "Zx81kPq0Lm3Nw7Rt5Yv2Bc9D"),
        ("entered 729104", "729104"),
    ],
)
def test_personal_data_is_redacted(text, secret):
    redacted = redact(text)
    assert secret not in redacted
    assert "[email]" in redacted or "[phone]" in redacted or "[code]" in redacted


@pytest.mark.parametrize(
    "text",
    [
        '127.0.0.1:54321 - "POST /api/chat HTTP/1.1" 200',
        "policy version 2024-06-01 answered in 0.0123 s",
        "Uvicorn running on http://127.0.0.1:8000",
        "in force since 2024",
        "Started server process [48213]",
        "Embedding policy units: 180/180",
    ],
)
def test_ordinary_log_lines_are_left_alone(text):
    assert redact(text) == text


def test_the_filter_redacts_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("request from %s with code %s", "jo@example.com", 123456)
        logger.info("call %(phone)s", {"phone": "+1 415 555 0134"})
        try:
            raise ValueError("bad address ann@example.org")
        except ValueError:
            logger.exception("failed for mia@example.net")
        child = logging.getLogger("tests.redaction.child")  # propagated records meet the handler too
        child.error("from child: bo@example.com")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for secret in (
        "jo@example.com",
        "123456",
        "555 0134",
        "ann@example.org",
        "mia@example.net",
        "bo@example.com",
    ):
        assert secret not in out
    # Four records name an address; the traceback shows the raising line too.
    assert out.count("[email]") == 5 and "[phone]" in out and "[code]" in out
    assert "ValueError" in out  # the traceback is kept, only redacted


def test_uvicorns_access_log_still_formats_with_the_filter():
    """uvicorn's access formatter unpacks the record's arguments: redaction must keep their places."""
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["redact"]
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/x?email=jo@example.com", "1.1", 404),
        None,
    )
    RedactingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(
        record
    )
    assert line == '127.0.0.1:5000 - "GET /x?email=[email] HTTP/1.1" 404 Not Found'
