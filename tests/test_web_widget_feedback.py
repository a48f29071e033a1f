"""The widget's answers as a visitor reads them, in Debian's chromium driven by Playwright against a real
server: thumbs up / down with a reason, section names in full, the start of a new answer in view, the
conversation back after a reload, the lead line first. Screenshots in tests/artifacts/ (git-ignored):
widget-answer-1280.png, widget-rated-1280.png, widget-answer-390.png, widget-restored.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.requests.models import AnswerRecord
from tests.test_web_browser import ARTIFACTS, ask, assert_reply_shown, open_chat
from tests.test_web_browser import browser as browser
from tests.test_web_browser import page as page

pytestmark = pytest.mark.browser

LONG_ANSWER = "How do you use my personal information?"  # three quotes, long section names


def vote_of(assistant, answer_id: str) -> tuple[str | None, str | None]:
    with assistant.requests.storage.sessions() as session:
        row = session.scalars(select(AnswerRecord).where(AnswerRecord.answer_id == answer_id)).one()
        return row.vote, row.reason


def assert_start_in_view(page) -> None:
    """The newest answer's first line is in view at the top of the log: an answer longer than the log is
    not scrolled past to its end; a shorter one is seen whole."""
    box = page.locator(".messages").evaluate(
        """log => {
            const answers = log.querySelectorAll('.message.bot');
            const answer = answers[answers.length - 1].getBoundingClientRect();
            const view = log.getBoundingClientRect();
            return {top: answer.top - view.top, bottom: answer.bottom - view.bottom,
                    scrollTop: log.scrollTop, end: log.scrollHeight - log.clientHeight};
        }"""
    )
    if box["bottom"] > 0:  # longer than the view
        assert 0 <= box["top"] <= 12 and box["scrollTop"] < box["end"], box
    else:
        assert box["top"] >= 0 and box["scrollTop"] == box["end"], box


def assert_chips_whole(message, citations: list[dict]) -> int:
    """Every section name is there in full and wraps inside its chip; returns how many take 2+ lines."""
    chips = message.locator("a.chip")
    assert chips.count() == len(citations)
    wrapped = 0
    for i, citation in enumerate(citations):
        chip = chips.nth(i)
        assert chip.inner_text() == f"[{citation['n']}] {citation['section']}"
        shape = chip.evaluate(
            """c => { const s = getComputedStyle(c); return {scroll: c.scrollWidth, client: c.clientWidth,
                 overflow: s.textOverflow, space: s.whiteSpace, lines: c.getClientRects().length,
                 height: c.getBoundingClientRect().height, line: parseFloat(s.lineHeight)}; }"""
        )
        assert shape["scroll"] <= shape["client"] and shape["overflow"] != "ellipsis", shape
        wrapped += shape["height"] > 1.5 * shape["line"]
    return wrapped


def test_visitor_rates_an_answer_reads_it_from_its_start_and_finds_it_again_after_a_reload(
    page, live_server, assistant
):
    page.set_viewport_size({"width": 1280, "height": 560})  # a laptop's window: the answer outgrows the log
    open_chat(page, live_server)
    ask(page, live_server, "Do you use cookies?")
    turn = ask(page, live_server, LONG_ANSWER)
    assert turn["answerable"] and turn["answer_id"]
    answer = page.locator(".message.bot").nth(-1)
    assert_start_in_view(page)
    log_height = page.locator(".messages").bounding_box()["height"]
    assert answer.bounding_box()["height"] > log_height  # so the log could have scrolled past its start
    assert assert_chips_whole(answer, turn["citations"]) >= 1  # a long section name wraps, uncut
    page.screenshot(path=str(ARTIFACTS / "widget-answer-1280.png"))

    rating = answer.get_by_role("group", name="Was this answer helpful?")
    with page.expect_response(f"{live_server.api_origin}/api/feedback") as voted:
        rating.get_by_role("button", name="Helpful", exact=True).click()
    assert voted.value.status == 200
    assert rating.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed") == "true"
    assert vote_of(assistant, turn["answer_id"]) == ("up", None)

    with page.expect_response(f"{live_server.api_origin}/api/feedback"):
        rating.get_by_role("button", name="Not helpful").click()
    reason = answer.get_by_label("What was missing or wrong? (optional)")
    reason.wait_for()
    assert vote_of(assistant, turn["answer_id"]) == ("down", None)
    reason.fill("Too long; mail me at jo@example.com")
    with page.expect_response(f"{live_server.api_origin}/api/feedback") as given:
        reason.press("Enter")
    assert given.value.json()["reason"] == "Too long; mail me at [email]"
    assert answer.get_by_role("status").inner_text() == "Thanks for your feedback."
    assert vote_of(assistant, turn["answer_id"]) == ("down", "Too long; mail me at [email]")
    rating.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "widget-rated-1280.png"))

    # A reload: the same conversation, drawn again from the server, its answers still rated by id.
    page.reload()
    with page.expect_response(f"{live_server.api_origin}/api/chat/history") as restored:
        page.get_by_role("button", name="Open the privacy assistant chat").click()
    assert restored.value.status == 200
    page.locator(".message.bot a.chip").first.wait_for()
    users = page.locator(".message.user")
    assert [users.nth(i).inner_text() for i in range(users.count())] == ["Do you use cookies?", LONG_ANSWER]
    again = page.locator(".message.bot").nth(-1)
    assert_reply_shown(again, turn)
    assert assert_chips_whole(again, turn["citations"]) >= 1
    assert again.get_by_role("group", name="Was this answer helpful?").is_visible()
    assert_start_in_view(page)
    page.screenshot(path=str(ARTIFACTS / "widget-restored.png"))
    follow = ask(page, live_server, "And do you share it with anyone?")
    assert follow["conversation_id"] == turn["conversation_id"]
    assert page.problems == []


def test_a_conversation_no_longer_kept_starts_afresh_after_a_reload(page, live_server):
    open_chat(page, live_server)
    page.evaluate("sessionStorage.setItem('privacy-assistant:conversation', 'Q'.repeat(22))")
    page.reload()
    with page.expect_response(f"{live_server.api_origin}/api/chat/history") as restored:
        page.get_by_role("button", name="Open the privacy assistant chat").click()
    assert restored.value.status == 404
    turn = ask(page, live_server, "Do you use cookies?")
    assert turn["conversation_id"] != "Q" * 22
    assert page.locator(".message.error").count() == 0
    assert [p for p in page.problems if "404" not in p] == []  # the refused restore is logged, nothing else


def test_the_lead_line_comes_first_and_bold_at_phone_width(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, live_server)
        for question in ("Do you use cookies?", LONG_ANSWER):
            turn = ask(page, live_server, question)
            answer = page.locator(".message.bot").nth(-1)
            first = answer.locator("p").first
            assert turn["lead"] and first.inner_text() == turn["lead"]
            assert first.evaluate("p => getComputedStyle(p).fontWeight") == "700"
            assert_reply_shown(answer, turn)  # then the reply, whole, the lead not said twice
            assert " ".join(turn["lead"].split()) in " ".join(turn["reply"].split())  # a verbatim quote
        assert page.get_by_role("dialog", name="Privacy assistant").bounding_box()["width"] == 390
        assert_start_in_view(page)
        assert assert_chips_whole(answer, turn["citations"]) >= 1
        page.screenshot(path=str(ARTIFACTS / "widget-answer-390.png"))
    finally:
        context.close()
