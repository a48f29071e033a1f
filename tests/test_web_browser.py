"""The website chat as a visitor uses it: Debian's chromium, driven by Playwright, against a real server.

Screenshots are saved in tests/artifacts/ (git-ignored): chat-answer.png, policy-quote.png, chat-phone.png,
hostile-input.png, chat-request.png, chat-resend.png.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, SEED_DOCUMENT

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.problems = []  # console errors, page errors and dialogs: none is expected
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield page
    context.close()


def open_chat(page, live_server):
    page.goto(f"{live_server.url}/")
    launcher = page.get_by_role("button", name="Open the privacy assistant chat")
    launcher.click()
    page.get_by_role("dialog", name="Privacy assistant").wait_for()
    page.locator(".message.bot").first.wait_for()  # the greeting, fetched cross-origin
    return page.get_by_label("Your message")


def ask(page, live_server, question: str) -> dict:
    box = page.get_by_label("Your message")
    with page.expect_response(f"{live_server.api_origin}/api/chat") as reply:
        box.fill(question)
        box.press("Enter")
    turn = reply.value.json()
    page.locator(".message.bot").nth(-1).locator("p").first.wait_for()
    page.locator(".typing").wait_for(state="detached")
    return turn


def assert_reply_shown(message, turn: dict) -> None:
    """The reply is shown whole: after its lead line (bold, first) when it has one, without saying the
    lead twice when the reply begins with it."""
    lead, reply = (turn.get("lead") or "").strip(), turn["reply"]
    shown = message.locator("p.lead, p.reply").all_inner_texts()
    if not lead:
        assert shown == [reply]
    elif reply.startswith(lead):
        assert shown[0] == lead and " ".join(shown).split() == reply.split()
    else:
        assert shown == [lead, reply]


def test_visitor_asks_sees_a_cited_answer_and_lands_on_the_quote(page, live_server):
    open_chat(page, live_server)
    notice = page.locator(".notice").inner_text()
    assert "deleted after 30 days" in notice

    turn = ask(page, live_server, "How long do you keep my data?")
    assert turn["answerable"] and turn["citations"]
    answer = page.locator(".message.bot").nth(-1)
    assert_reply_shown(answer, turn)
    # The line that answers comes first, in bold.
    lead = answer.locator("p.lead")
    assert turn["lead"] and lead.inner_text() == turn["lead"]
    assert int(lead.evaluate("e => getComputedStyle(e).fontWeight")) >= 700
    chips = answer.locator("a.chip")
    assert chips.count() == len(turn["citations"])
    first = turn["citations"][0]
    assert chips.first.inner_text() == f"[1] {first['section']}"
    assert chips.first.get_attribute("href") == first["url"]
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))

    with page.expect_popup() as popup_info:
        chips.first.click()
    policy = popup_info.value
    policy.wait_for_load_state("load")
    policy.locator(".unit.quoted").first.wait_for()
    quoted = policy.locator(".unit.quoted")
    texts = [quoted.nth(i).inner_text() for i in range(quoted.count())]
    assert " ".join(texts) == first["quote"]
    box = quoted.first.bounding_box()
    assert box is not None and 0 <= box["y"] <= policy.viewport_size["height"]  # scrolled into view
    background = quoted.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    policy.screenshot(path=str(ARTIFACTS / "policy-quote.png"))
    assert page.problems == []


def test_the_widget_works_by_keyboard_and_at_phone_width(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        launcher = page.get_by_role("button", name="Open the privacy assistant chat")
        launcher.focus()
        page.keyboard.press("Enter")
        box = page.get_by_label("Your message")
        page.locator(".message.bot").first.wait_for()
        assert box.evaluate("e => e.getRootNode().activeElement === e")  # focus moved into the chat
        panel = page.get_by_role("dialog", name="Privacy assistant").bounding_box()
        assert panel["width"] == 375
        page.keyboard.type("Can I get a copy of my data?")
        with page.expect_response(f"{live_server.api_origin}/api/chat"):
            page.keyboard.press("Enter")
        page.locator(".message.bot a.chip").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))
        page.keyboard.press("Escape")
        assert launcher.is_visible()
        assert launcher.evaluate("e => e.getRootNode().activeElement === e")
    finally:
        context.close()


def test_visitor_files_an_erasure_request_confirms_and_sees_the_reference(page, live_server, assistant):
    open_chat(page, live_server)
    turn = ask(page, live_server, "Please delete all my data, my email is ann@example.com")
    assert turn["intake"]["rights"] == ["erasure"]
    if turn["intake"]["stage"] == "collecting":  # the assistant asks for what is missing: the name
        assert turn["intake"]["missing"] == ["name"], turn
        assert page.locator(".message.bot").nth(-1).locator("p").first.inner_text() == turn["reply"]
        turn = ask(page, live_server, "Ann Example")
    assert turn["intake"]["stage"] == "confirming", turn

    card = page.get_by_role("group", name="Confirm your request")
    card.wait_for()
    summary = card.locator(".summary").inner_text()
    assert summary == turn["intake"]["summary"]
    assert "ann@example.com" in summary and "Ann Example" in summary
    assert assistant.requests.find(f"conversation:{turn['conversation_id']}:1") is None  # not before Confirm

    with page.expect_response(f"{live_server.api_origin}/api/chat") as reply:
        card.get_by_role("button", name="Confirm").click()
    submitted = reply.value.json()
    reference, due_at = submitted["intake"]["reference"], submitted["intake"]["due_at"]
    assert re.fullmatch(r"DSAR-\d{4}-\d{6}", reference)
    shown = page.get_by_role("definition").filter(has_text=reference).locator("xpath=..")
    shown.wait_for()
    assert shown.locator(".reference").inner_text() == reference
    assert shown.locator("time").get_attribute("datetime") == due_at
    assert shown.locator("time").inner_text() == due_at
    assert card.get_by_role("button", name="Confirm").is_disabled()  # no second submission from the card
    page.screenshot(path=str(ARTIFACTS / "chat-request.png"))

    # On the queue exactly once, from the web, as the visitor gave it.
    filed = [r for r in assistant.requests.list() if r.email == "ann@example.com"]
    assert [r.reference for r in filed] == [reference]
    (request,) = filed
    assert request.channel == "web" and request.rights == ["erasure"] and request.name == "Ann Example"
    assert request.status == "pending_verification" and request.due_at.isoformat() == due_at
    assert page.problems == []


def mailed_codes(assistant, to: str, at_least: int) -> list[str]:
    """The codes the server mailed to ``to`` (its outbox folder), waiting for the ``at_least``-th."""
    deadline = time.monotonic() + 30  # the server may send from a background worker
    while True:
        codes = []
        for message in assistant.outbox.folder.messages():  # the server's files, under the same key
            if message["To"] == to:
                codes.append(re.search(r"^\s+(\d{6})\s*$", message.get_content(), re.MULTILINE).group(1))
        if len(codes) >= at_least or time.monotonic() > deadline:
            return codes
        time.sleep(0.2)


def test_visitor_presses_send_a_new_code_and_verifies_with_the_new_one(page, live_server, assistant):
    open_chat(page, live_server)
    turn = ask(page, live_server, "Please delete all my data, my email is bea.button@example.com")
    if turn["intake"]["stage"] == "collecting":
        turn = ask(page, live_server, "Bea Button")
    card = page.get_by_role("group", name="Confirm your request")
    with page.expect_response(f"{live_server.api_origin}/api/chat") as reply:
        card.get_by_role("button", name="Confirm").click()
    assert reply.value.json()["actions"] == ["resend"]
    [old] = mailed_codes(assistant, "bea.button@example.com", 1)

    button = page.get_by_role("button", name="Send a new code")
    button.wait_for()
    with page.expect_response(f"{live_server.api_origin}/api/chat") as reply:
        button.click()
    turn = reply.value.json()
    assert "b•••@example.com" in turn["reply"] and "bea.button@" not in turn["reply"]
    latest = page.locator(".message.bot").nth(-1)
    latest.locator("p").first.wait_for()
    assert latest.locator("p").first.inner_text() == turn["reply"]
    buttons = page.get_by_role("button", name="Send a new code")
    assert [buttons.nth(i).is_enabled() for i in range(buttons.count())] == [False, True]  # one live
    page.screenshot(path=str(ARTIFACTS / "chat-resend.png"))

    codes = mailed_codes(assistant, "bea.button@example.com", 2)
    assert len(codes) == 2
    if codes[-1] != old:
        assert 'reply "new code" or press "Send a new code"' in ask(page, live_server, old)["reply"]
    turn = ask(page, live_server, codes[-1])
    assert "confirmed" in turn["reply"] and turn["actions"] == []
    buttons = page.get_by_role("button", name="Send a new code")
    assert not any(buttons.nth(i).is_enabled() for i in range(buttons.count()))
    assert assistant.requests.get(turn["intake"]["reference"]).status == "verified"
    assert page.problems == []


HOSTILE_MESSAGE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> cookies?'


def test_hostile_input_gets_clean_4xx_and_runs_no_script(page, live_server):
    api = live_server.api_origin
    with httpx.Client(timeout=30) as http:
        cases = {
            "script tags": http.post(f"{api}/api/chat", json={"message": HOSTILE_MESSAGE}),
            "1 MB body": http.post(
                f"{api}/api/chat",
                content=b'{"message": "' + b"a" * 1_000_000 + b'"}',
                headers={"Content-Type": "application/json"},
            ),
            "malformed JSON": http.post(
                f"{api}/api/chat", content=b'{"message": ', headers={"Content-Type": "application/json"}
            ),
            "deeply nested JSON": http.post(
                f"{api}/api/ask",
                content=b"[" * 8000 + b"]" * 8000,
                headers={"Content-Type": "application/json"},
            ),
            "not JSON at all": http.post(
                f"{api}/api/ask", content=b"question=cookies", headers={"Content-Type": "text/plain"}
            ),
            "binary garbage": http.post(f"{api}/api/ask", content=bytes(range(256)) * 8),
            "NUL and bidi characters": http.post(
                f"{api}/api/ask", json={"question": "\x00\u202e\u200b how long \x1b[31m"}
            ),
            "message too long": http.post(f"{api}/api/chat", json={"message": "b" * 10_001}),
            "unknown route": http.get(f"{api}/wp-admin/install.php"),
            "unknown API route": http.post(f"{api}/api/delete-everything", json={}),
            "wrong method": http.delete(f"{api}/api/chat"),
            "path traversal": http.get(f"{api}/static/..%2f..%2fsettings.py"),
            "markup in policy path": http.get(f"{api}/policy/%3Cscript%3E/2024-06-01"),
        }
    for name, response in cases.items():
        assert response.status_code < 500, f"{name}: {response.status_code} {response.text[:200]}"
        assert response.headers["content-type"].startswith("application/json"), name
        if response.status_code >= 400:
            assert json.loads(response.text)["error"], name
    assert cases["script tags"].status_code == 200  # a polite reply
    assert "<script>" not in cases["script tags"].json()["reply"]
    assert cases["1 MB body"].status_code == 413
    assert cases["malformed JSON"].status_code == 400
    assert cases["not JSON at all"].status_code == 415
    assert cases["message too long"].status_code == 422
    assert cases["deeply nested JSON"].status_code in (400, 422)
    assert cases["unknown route"].status_code == 404
    assert cases["wrong method"].status_code == 405

    # In the browser: the visitor's markup is shown as text and never runs.
    open_chat(page, live_server)
    ask(page, live_server, HOSTILE_MESSAGE)
    mine = page.locator(".message.user").nth(-1).inner_text()
    assert mine == HOSTILE_MESSAGE
    page.screenshot(path=str(ARTIFACTS / "hostile-input.png"))
    page.goto(
        f"{api}/policy/{SEED_DOCUMENT}/2024-06-01?through=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        "#%3Cscript%3Ewindow.__pwned%3D3%3C%2Fscript%3E"
    )
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.__pwned") is None
    assert [p for p in page.problems if not p.startswith("console: Failed to load resource")] == []


def test_server_logs_carry_no_email_phone_or_code(live_server):
    httpx.get(
        f"{live_server.api_origin}/api/requests/verify",
        params={"email": "jo.private@example.com", "phone": "+44 20 7946 0958", "code": "482913"},
    )
    httpx.post(
        f"{live_server.api_origin}/api/chat", json={"message": "delete my data, I am jo.private@example.com"}
    )
    log = live_server.log_text()
    assert "/api/requests/verify" in log  # the request was logged ...
    for secret in ("jo.private", "7946", "482913"):
        assert secret not in log  # ... without the personal data
    assert re.search(r"email=\[email\]", log)


def test_api_docs_render_offline_under_the_csp(page, live_server):
    page.goto(f"{live_server.url}/docs")
    page.get_by_text("/api/ask").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() >= 4
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert [p for p in page.problems if "Content Security Policy" in p] == []
