"""What the web API's tests share (tests/test_web_api.py, test_web_edge.py): the seed's version, a
customer's site allowed by CORS, and a client of the real app for it (real model, real Chroma).

A test module imports the fixture by name, ``from tests.web_api_support import client as client``:
pytest then finds it there, and makes it once for each test module."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app

VERSION = "2024-06-01"
SITE = "https://www.customer.example"


@pytest.fixture(scope="module")
def client(assistant: Assistant):
    settings = assistant.settings.model_copy(update={"cors_origins": [SITE], "rate_limit": 1000})
    with TestClient(create_app(assistant, settings)) as c:  # runs start-up: model warm, index open
        yield c
