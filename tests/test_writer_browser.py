"""The widget with the LLM writer on, as a visitor sees it: Debian's chromium, driven by Playwright,
against a real server whose writer is the local chat-completions stand-in (tests/llm_standin.py). The
lead appears as it is written; a lead the quotes do not support is replaced by the extractive one.

Screenshot: tests/artifacts/chat-streamed-lead.png.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import free_port, serving
from tests.llm_standin import llm_standin
from tests.test_web_browser import ARTIFACTS
from tests.test_web_browser import browser as browser
from tests.test_web_browser import page as page

pytestmark = pytest.mark.browser

QUESTION = "How long do you keep my data?"
FAITHFUL = (
    "We only retain your personal information for as long as necessary to fulfill the purposes we "
    "collected it for, including legal, accounting or reporting requirements."
)
DOCTORED = "We retain your personal information for six years, then delete it."


@pytest.fixture(scope="module")
def writing_server(assistant, data_dir, tmp_path_factory):
    """``serve`` on the session's index, its lead written by the stand-in, slowly (a token per 0.1 s)."""
    with llm_standin(token_delay=0.1) as model:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            "PATH": "/usr/bin:/bin",
            "HF_HUB_OFFLINE": "1",
            "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),
            "PRIVACY_ASSISTANT_PORT": str(port),
            "PRIVACY_ASSISTANT_PUBLIC_BASE_URL": url,
            "PRIVACY_ASSISTANT_RATE_LIMIT": "600",
            "PRIVACY_ASSISTANT_LLM": f"openai:{model.openai_url}#standin-1",
            "PRIVACY_ASSISTANT_LLM_TIMEOUT": "6",  # time to watch it write: 25 tokens, 0.1 s apart
        }
        log = tmp_path_factory.mktemp("writer-server") / "server.log"
        with serving(env, log, url):
            model.url = url
            yield model


def _ask(page, url: str, question: str) -> tuple[dict, str]:
    """Asks in the widget; returns the final turn and the lead as it stood while it was being written."""
    box = page.get_by_label("Your message")
    with page.expect_response(f"{url}/api/chat/stream") as reply:
        box.fill(question)
        box.press("Enter")
        draft = page.locator(".message.bot p.lead.draft")
        draft.wait_for()
        page.wait_for_timeout(400)  # a few tokens in
        streamed = draft.inner_text() if draft.count() else ""
    events = [json.loads(line) for line in reply.value.text().splitlines() if line.strip()]
    page.locator(".message.bot p.lead.draft").wait_for(state="detached")
    return events[-1]["turn"], streamed


def test_the_widget_streams_the_lead_and_keeps_only_a_checked_one(page, writing_server):
    model = writing_server
    page.goto(f"{model.url}/")
    page.get_by_role("button", name="Open the privacy assistant chat").click()
    page.locator(".message.bot").first.wait_for()

    model.reply = lambda prompt: FAITHFUL
    turn, streamed = _ask(page, model.url, QUESTION)
    assert turn["lead_source"] == "writer" and turn["lead"] == FAITHFUL
    assert streamed and FAITHFUL.startswith(streamed) and streamed != FAITHFUL  # seen while written
    answer = page.locator(".message.bot").nth(-1)
    assert answer.locator("p").first.inner_text() == FAITHFUL
    assert answer.locator("a.chip").count() == len(turn["citations"])
    page.screenshot(path=str(ARTIFACTS / "chat-streamed-lead.png"))

    model.reply = lambda prompt: DOCTORED
    turn, streamed = _ask(page, model.url, QUESTION)
    assert streamed and DOCTORED.startswith(streamed)
    assert turn["lead_source"] == "extractive" and turn["lead"] != DOCTORED
    answer = page.locator(".message.bot").nth(-1)
    assert answer.locator("p").first.inner_text() == turn["lead"]
    assert not re.search("six years", answer.inner_text())
    assert page.locator(".message.bot p.lead.draft").count() == 0
    assert page.problems == []
