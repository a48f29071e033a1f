"""The team console (/console) through the real app: signing in with a member's token (good, wrong,
revoked, removed), the session cookie and its CSRF token, roles (a viewer reads every page and changes
nothing), every action recorded under the signed-in member, refusals that change nothing, the list's
filters and the overview's counts and chart. On SQLite and PostgreSQL. Then the story in Debian's
chromium, by keyboard: a letter logged, verified, extended, worked and completed, the requester told.

Screenshots are saved in tests/artifacts/ (git-ignored): console-overview.png, console-request.png,
console-phone.png.
"""

from __future__ import annotations

import html
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.web import create_app
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, CORPUS, free_port
from tests.requests_support import draft, mails
from tests.web_team_support import ADMIN, enrol, submit, trail

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HANDLER = "bo@numecent.com"
VIEWER = "vic@numecent.com"
ROW = re.compile(r'<th scope="row"><a href="/console/requests/(DSAR-\d{4}-\d{6})">')


@pytest.fixture
def console_assistant(tmp_path: Path, database_url: str) -> Iterator[Assistant]:
    """A request database of the test's own (SQLite or PostgreSQL) with its admin enrolled. The console
    needs no model or index, so the app is used without its start-up (which loads them)."""
    a = Assistant.open(corpus_dir=CORPUS, data_dir=tmp_path / "data", database_url=database_url)
    enrol(a)
    yield a
    a.requests.close()


def app_client(
    assistant: Assistant, rate_limit: int = 1000, base_url: str = "http://testserver"
) -> TestClient:
    settings = assistant.settings.model_copy(update={"rate_limit": rate_limit})
    return TestClient(create_app(assistant, settings), base_url=base_url)


@pytest.fixture
def client(console_assistant: Assistant) -> TestClient:
    return app_client(console_assistant)


def token_of(assistant: Assistant, name: str, role: str) -> str:
    return enrol(assistant, name, role)["Authorization"].split()[1]


def sign_in(client: TestClient, assistant: Assistant, name: str = HANDLER, role: str = "handler") -> str:
    """Sign ``name`` in on ``client``; returns the CSRF token the console's forms carry."""
    response = client.post("/console/sign-in", data={"token": token_of(assistant, name, role)})
    assert response.status_code == 200 and response.url.path == "/console", response.text
    return csrf_of(response.text)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)


def problem_on(page: str) -> str:
    """The page's error message, as read (lower case: the page starts it as a sentence)."""
    return html.unescape(re.search(r'class="problem" role="alert"[^>]*>([^<]*)<', page).group(1)).lower()


def listed(client: TestClient, **filters: str) -> list[str]:
    response = client.get("/console/requests", params=filters)
    assert response.status_code == 200, response.text
    return ROW.findall(response.text)


def logged(assistant: Assistant, days_ago: int, jurisdiction: str = "gdpr", **changes) -> str:
    """A request the team logged, received ``days_ago`` days ago (so due, or overdue, as its law says)."""
    received = datetime.now(UTC) - timedelta(days=days_ago)
    return assistant.requests.log_received(
        draft(**changes), "post", received, actor=ADMIN, jurisdiction=jurisdiction
    ).request.reference


# -- signing in ----------------------------------------------------------------------------------------
def test_signed_out_pages_go_to_sign_in_and_posts_are_refused(client, console_assistant):
    reference = submit(console_assistant)
    before = trail(console_assistant, reference)
    for path in (
        "/console",
        "/console/requests?status=verified",
        "/console/requests/new",
        f"/console/requests/{reference}",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/sign-in?next=%2Fconsole")
        assert response.headers["cache-control"] == "no-store"
    posted = client.post(f"/console/requests/{reference}/assign", data={"assignee": "x", "csrf": "0" * 64})
    assert posted.status_code == 401 and "Sign in" in posted.text
    assert "jo@example.com" not in posted.text
    assert trail(console_assistant, reference) == before


def test_a_good_token_signs_in_with_a_strict_http_only_cookie(client, console_assistant):
    token = token_of(console_assistant, HANDLER, "handler")
    page = client.get("/console/sign-in")
    assert page.status_code == 200 and "<title>Sign in · Privacy team console</title>" in page.text
    assert page.headers["cache-control"] == "no-store"
    response = client.post(
        "/console/sign-in", data={"token": token, "next": "/console/requests"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/requests"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"console_session={token};")
    assert {"HttpOnly", "Path=/console", "SameSite=strict"} <= {p.strip() for p in cookie.split(";")}
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    overview = client.get("/console")
    assert overview.status_code == 200 and HANDLER in overview.text
    assert overview.headers["cache-control"] == "no-store"


def test_a_sign_in_form_from_another_site_is_refused(client, console_assistant):
    token = token_of(console_assistant, HANDLER, "handler")
    forged = client.post("/console/sign-in", data={"token": token}, headers={"Origin": "https://evil.example"},
                         follow_redirects=False)  # fmt: skip
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    own = client.post("/console/sign-in", data={"token": token}, headers={"Origin": "http://testserver"},
                      follow_redirects=False)  # fmt: skip
    assert own.status_code == 303 and own.headers["set-cookie"].startswith("console_session=")


def test_the_cookie_is_secure_over_https(console_assistant):
    token = token_of(console_assistant, HANDLER, "handler")
    client = app_client(console_assistant, base_url="https://testserver")
    response = client.post("/console/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "next_page", ["https://evil.example/", "//evil.example", "/api/team/members", "/console/../api"]
)
def test_sign_in_only_sends_back_to_a_console_page(client, console_assistant, next_page):
    token = token_of(console_assistant, HANDLER, "handler")
    response = client.post(
        "/console/sign-in", data={"token": token, "next": next_page}, follow_redirects=False
    )
    assert response.headers["location"] == "/console"


def test_a_wrong_token_is_refused_and_counts_against_the_rate_limit(console_assistant):
    client = app_client(console_assistant, rate_limit=3)
    statuses = [client.post("/console/sign-in", data={"token": t}).status_code for t in ("", "pat_x")]
    wrong = client.post("/console/sign-in", data={"token": "pat_guess"})
    refused = client.post("/console/sign-in", data={"token": "pat_again"})
    assert statuses == [401, 401]
    assert wrong.status_code == 401 and "not a live team token" in wrong.text
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "<title>Error: Sign in" in refused.text  # a page, not JSON


def test_a_wrong_cookie_counts_against_the_rate_limit_too(console_assistant):
    client = app_client(console_assistant, rate_limit=2)
    answers = []
    for _ in range(3):
        client.cookies.set("console_session", "pat_guessed", path="/console")
        answers.append(client.get("/console", follow_redirects=False))
    assert [a.status_code for a in answers] == [303, 303, 429]
    assert "Too many wrong tokens" in answers[-1].text
    assert all('console_session=""' in a.headers["set-cookie"] for a in answers)


def test_a_revoked_token_or_a_removed_member_is_signed_out_at_once(client, console_assistant):
    members = console_assistant.requests.members
    reference = submit(console_assistant)
    token = token_of(console_assistant, HANDLER, "handler")
    assert client.post("/console/sign-in", data={"token": token}).status_code == 200
    csrf = csrf_of(client.get("/console").text)
    (live,) = [t for t in members.tokens(HANDLER) if not t["revoked_at"]]
    members.revoke_token(live["id"], actor=ADMIN)
    response = client.get(f"/console/requests/{reference}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/sign-in")
    assert 'console_session=""' in response.headers["set-cookie"]  # the dead cookie is dropped
    before = trail(console_assistant, reference)
    client.cookies.set("console_session", token, path="/console")  # kept by a client that ignores that
    posted = client.post(f"/console/requests/{reference}/assign", data={"assignee": "x", "csrf": csrf})
    assert posted.status_code == 401 and "Your session has ended" in posted.text
    assert trail(console_assistant, reference) == before
    client.cookies.clear()
    assert client.post("/console/sign-in", data={"token": token}).status_code == 401

    # Signing in again with the revoked token fails; a removed member's live token too.
    other = token_of(console_assistant, "left@numecent.com", "handler")
    members.remove("left@numecent.com", actor=ADMIN)
    assert client.post("/console/sign-in", data={"token": other}).status_code == 401


def test_a_session_whose_member_leaves_ends_on_the_next_page(client, console_assistant):
    sign_in(client, console_assistant, "left@numecent.com")
    assert client.get("/console", follow_redirects=False).status_code == 200
    console_assistant.requests.members.remove("left@numecent.com", actor=ADMIN)
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_signing_out_clears_the_cookie_and_needs_the_csrf_token(client, console_assistant):
    csrf = sign_in(client, console_assistant)
    assert client.post("/console/sign-out", data={"csrf": "f" * 64}).status_code == 403
    assert client.get("/console", follow_redirects=False).status_code == 200  # still signed in
    response = client.post("/console/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and 'console_session=""' in response.headers["set-cookie"]
    assert client.get("/console", follow_redirects=False).status_code == 303


# -- roles and CSRF ------------------------------------------------------------------------------------
def _today() -> str:
    return date.today().isoformat()


POSTS = [
    ("", {"channel": "post", "received": "today", "name": "Vi Ewer", "rights": "access", "key": "k" * 22}),
    ("/verify-identity", {"method": "id_document"}),
    ("/assign", {"assignee": VIEWER}),
    ("/classify", {"rights": ["access"]}),
    ("/transition", {"status": "rejected", "note": "n"}),
    ("/extend", {"reason": "busy", "length": "1 month"}),
    ("/jurisdiction", {"jurisdiction": "ccpa"}),
    ("/package", {}),  # multipart; refused before the file is read
]
POST_IDS = [path.strip("/") or "log" for path, _ in POSTS]


def _post(client: TestClient, reference: str, path: str, body: dict, csrf: str | None):
    data = {**body, **({"csrf": csrf} if csrf is not None else {})}
    if data.get("received") == "today":
        data["received"] = _today()
    target = f"/console/requests/{reference}{path}" if path else "/console/requests"
    return client.post(target, data=data, follow_redirects=False)


def _everything(assistant: Assistant) -> tuple:
    return tuple((r, tuple(assistant.requests.events(r.reference))) for r in assistant.requests.list())


def test_every_console_post_that_changes_a_request_is_in_the_role_table():
    from assistant.web.routes import console

    posts = {route.path for route in console.router.routes if "POST" in route.methods}
    covered = {f"/console/requests{'/{reference}' + path if path else ''}" for path, _ in POSTS}
    assert posts == covered | {"/console/sign-in", "/console/sign-out"}


@pytest.mark.parametrize(("path", "body"), POSTS, ids=POST_IDS)
def test_a_viewer_reads_every_page_but_every_post_is_refused(client, console_assistant, path, body):
    reference = submit(console_assistant, "viewer.case@example.com")
    csrf = sign_in(client, console_assistant, VIEWER, "viewer")
    before = _everything(console_assistant)
    response = _post(client, reference, path, body, csrf)
    assert response.status_code == 403, response.text
    assert "signed in as vic@numecent.com, a viewer" in response.text
    assert _everything(console_assistant) == before
    for page in ("/console", "/console/requests", "/console/requests/new", f"/console/requests/{reference}"):
        shown = client.get(page)
        assert shown.status_code == 200
        assert 'method="post" action="/console/requests' not in shown.text  # no action forms at all
    assert "viewer.case@example.com" in client.get(f"/console/requests/{reference}").text


@pytest.mark.parametrize("csrf", ["missing", "wrong", "another session's"])
@pytest.mark.parametrize(("path", "body"), POSTS[2:4], ids=POST_IDS[2:4])
def test_a_post_without_its_csrf_token_is_refused(client, console_assistant, csrf, path, body):
    reference = submit(console_assistant)
    sign_in(client, console_assistant)
    others = sign_in(app_client(console_assistant), console_assistant, "hal@numecent.com")
    given = {"missing": None, "wrong": "0" * 64, "another session's": others}[csrf]
    before = _everything(console_assistant)
    response = _post(client, reference, path, body, given)
    assert response.status_code == 403 and "security token is missing or wrong" in problem_on(response.text)
    assert _everything(console_assistant) == before


def test_the_csrf_token_is_keyed_by_the_vault_and_the_session(client, console_assistant):
    csrf = sign_in(client, console_assistant)
    token = client.cookies.get("console_session")
    assert csrf == console_assistant.requests.vault.digest("console-csrf\n" + token)
    assert token not in client.get("/console").text  # the token itself is never on a page


# -- the work ------------------------------------------------------------------------------------------
def test_a_handlers_actions_are_recorded_under_their_name(client, console_assistant):
    reference = logged(console_assistant, 2, email="case@example.com", name="Cy Case")
    csrf = sign_in(client, console_assistant)
    steps = [
        ("/verify-identity", {"method": "signed_letter", "note": "signature matches"}, "verified"),
        ("/assign", {"assignee": HANDLER}, "assigned"),
        ("/classify", {"rights": ["access", "portability"]}, "classified"),
        ("/jurisdiction", {"jurisdiction": "uk_gdpr"}, "jurisdiction"),
        ("/extend", {"length": "1 month", "reason": "many systems"}, "extended"),
        ("/transition", {"status": "in_progress"}, "moved"),
        ("/transition", {"status": "completed", "note": "sent by secure link"}, "moved"),
    ]
    for path, body, done in steps:
        response = _post(client, reference, path, body, csrf)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/console/requests/{reference}?done={done}"
    page = client.get(f"/console/requests/{reference}?done=moved")
    assert "The request&#39;s status was changed." in page.text and 'role="status"' in page.text

    request = console_assistant.requests.get(reference)
    assert (request.status, request.assignee, request.rights, request.jurisdiction) == (
        "completed", HANDLER, ["access", "portability"], "uk_gdpr",
    )  # fmt: skip
    assert request.extension_months == 1 and request.extension_reason == "many systems"
    mine = [(kind, actor) for kind, actor, _ in trail(console_assistant, reference)[2:]]
    assert {actor for _, actor in mine} == {HANDLER}
    assert [kind for kind, _ in mine] == [
        "status_changed", "requester_notified", "assigned", "classified", "jurisdiction_set",
        "extended", "requester_notified", "status_changed", "status_changed", "requester_notified",
    ]  # fmt: skip
    verified = trail(console_assistant, reference)[2][2]
    assert verified == {"from": "pending_verification", "to": "verified", "method": "signed_letter",
                        "note": "signature matches"}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/transition", {"status": "completed"}, 409, "cannot become completed"),
        ("/transition", {"status": "done"}, 409, "unknown status"),
        ("/extend", {"reason": "busy", "length": "soon"}, 422, "write it like"),
        ("/extend", {"reason": "busy", "length": "3 months"}, 422, "GDPR allows 2 months in all"),
        ("/extend", {"reason": "  "}, 422, "needs a reason"),
        ("/assign", {"assignee": ""}, 422, "assignee is required"),
        ("/classify", {}, 422, "name at least one right"),
        ("/jurisdiction", {"jurisdiction": "mars"}, 422, "unknown jurisdiction"),
        ("/verify-identity", {"method": "vibes"}, 422, "unknown verification method"),
        ("/transition", {"status": "rejected", "note": "x" * 1001}, 422, "too long"),
    ],
)
def test_a_refused_action_shows_why_with_a_4xx_and_changes_nothing(
    client, console_assistant, path, body, status, message
):
    reference = submit(console_assistant)
    csrf = sign_in(client, console_assistant)
    before = _everything(console_assistant)
    response = _post(client, reference, path, body, csrf)
    assert response.status_code == status, response.text
    assert message.lower() in problem_on(response.text)
    assert "<title>Error: " in response.text and reference in response.text
    assert _everything(console_assistant) == before


def test_rejecting_a_verified_request_needs_a_reason_and_an_unknown_one_is_404(client, console_assistant):
    reference = submit(console_assistant)
    console_assistant.requests.verify_identity(reference, "id_document", actor=ADMIN)
    csrf = sign_in(client, console_assistant)
    refused = _post(client, reference, "/transition", {"status": "rejected"}, csrf)
    assert refused.status_code == 422 and "needs a reason" in problem_on(refused.text)
    kept = _post(client, reference, "/transition", {"status": "rejected", "note": "not our customer"}, csrf)
    assert kept.status_code == 303
    assert console_assistant.requests.get(reference).status == "rejected"
    unknown = _post(client, "DSAR-2020-999999", "/assign", {"assignee": "x"}, csrf)
    assert unknown.status_code == 404 and "no request has the reference" in problem_on(unknown.text)
    assert client.get("/console/requests/not-a-reference").status_code == 404


def test_logging_a_letter_once_even_when_the_form_is_sent_twice(client, console_assistant):
    csrf = sign_in(client, console_assistant)
    form = client.get("/console/requests/new").text
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    received = (date.today() - timedelta(days=3)).isoformat()
    body = {
        "csrf": csrf, "key": key, "channel": "post", "received": received, "rights": ["access", "erasure"],
        "name": "Pat Post", "email": "pat.post@example.com", "details": "letter of 3 March", "verified_by": "",
    }  # fmt: skip
    first = client.post("/console/requests", data=body, follow_redirects=False)
    assert first.status_code == 303, first.text
    reference = re.fullmatch(r"/console/requests/(DSAR-\d{4}-\d{6})\?done=logged", first.headers["location"])[
        1
    ]
    again = client.post("/console/requests", data=body, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"]
    assert [r.reference for r in console_assistant.requests.list() if r.email == "pat.post@example.com"] == [
        reference
    ]
    request = console_assistant.requests.get(reference)
    assert (request.channel, request.status, request.received_at.date().isoformat(), request.rights) == (
        "post", "pending_verification", received, ["access", "erasure"],
    )  # fmt: skip
    assert request.data_concerned == "letter of 3 March"
    assert trail(console_assistant, reference)[0][:2] == ("submitted", HANDLER)

    refused = client.post(
        "/console/requests", data={**body, "key": "n" * 22, "received": "2020-01-01"}, follow_redirects=False
    )
    assert refused.status_code == 422 and "within the last year" in problem_on(refused.text)
    assert 'value="Pat Post"' in refused.text  # what was typed is kept


def test_what_requesters_wrote_is_shown_as_text(client, console_assistant):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    reference = submit(console_assistant, name=hostile, data_concerned=hostile)
    sign_in(client, console_assistant)
    for page in (f"/console/requests/{reference}", "/console/requests"):
        text = client.get(page).text
        assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/console/requests/{reference}").text


# -- the list and the overview -------------------------------------------------------------------------
def test_the_list_filters_and_marks_overdue_requests(client, console_assistant):
    queue = console_assistant.requests
    late = logged(console_assistant, 50, "ccpa", rights=["access"])  # due 5 days ago
    soon = logged(console_assistant, 40, "ccpa", rights=["erasure"])  # due in 5 days
    later = submit(console_assistant, rights=["erasure"])  # due in a month
    done = submit(console_assistant, rights=["access"])
    queue.assign(soon, HANDLER, actor=ADMIN)
    queue.transition(done, "withdrawn", actor=ADMIN)
    sign_in(client, console_assistant, VIEWER, "viewer")

    assert listed(client) == [late, soon, later, done]  # soonest due first (submitted ones on the same day)
    assert listed(client, status="withdrawn") == [done]
    assert listed(client, status="open") == [late, soon, later]
    assert listed(client, right="access") == [late, done]
    assert listed(client, channel="post") == [late, soon]
    assert listed(client, channel="api", right="erasure") == [later]
    assert listed(client, overdue="yes") == [late]
    assert listed(client, due_soon="yes") == [soon]
    assert listed(client, assignee=HANDLER) == [soon]
    page = client.get("/console/requests").text
    (late_row,) = re.findall(r'<tr class="overdue">.*?</tr>', page, re.DOTALL)
    assert late in late_row and "Overdue" in late_row
    refused = client.get("/console/requests", params={"status": "lost"})
    assert refused.status_code == 422 and "unknown status" in problem_on(refused.text)


def test_the_overview_counts_and_draws_the_last_twelve_weeks(client, console_assistant):
    queue = console_assistant.requests
    late = logged(console_assistant, 50, "ccpa")  # open 50 days, overdue for the last 5
    logged(console_assistant, 40, "ccpa")  # due within the week
    closed = submit(console_assistant)
    queue.transition(closed, "withdrawn", actor=ADMIN)
    sign_in(client, console_assistant, VIEWER, "viewer")
    page = client.get("/console").text

    counts = dict(re.findall(r'status=(\w+)">[^<]+</a></th>\s*<td class="number">(\d+)</td>', page))
    assert counts == {"pending_verification": "2", "verified": "0", "in_progress": "0", "completed": "0",
                      "rejected": "0", "withdrawn": "1"}  # fmt: skip
    assert re.search(r"<strong>2</strong> open", page) and re.search(r"<strong>1</strong> overdue", page)
    assert re.search(r"<strong>1</strong> due within 7 days", page)
    assert '<svg viewBox="0 0 720 260" role="img" aria-labelledby="chart-title chart-desc"' in page
    weeks = re.findall(
        r'<time datetime="([\d-]+)">[\d-]+</time></th>\s*<td class="number">(\d+)</td><td class="number">(\d+)</td>',
        page,
    )
    assert len(weeks) == 12 and weeks[-1] == (date.today().isoformat(), "2", "1")
    assert weeks[-2][1:] == ("2", "0")  # a week ago: both open, neither yet late
    assert weeks[-7][1:] == ("1", "0")  # six weeks ago: only the one received 50 days ago
    assert weeks[0][1:] == ("0", "0")
    assert page.count('<rect class="bar open"') == 12 and page.count('<rect class="bar overdue"') == 12
    assert late not in page  # the overview names no request
    # The deadlines kept: the withdrawn request closed in the last 90 days, none open past due yet kept.
    kept = re.search(r"<th scope=\"row\">all requests</th>\s*<td class=\"number\">(\d+)</td>", page)
    assert kept and kept.group(1) == "1"


# -- the story in a browser ----------------------------------------------------------------------------
@contextmanager
def served(assistant: Assistant) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread of this process (so it runs this
    worktree's code over the test's own assistant). No start-up: the console needs neither the model nor
    the outbox thread, and the test delivers the mail itself."""
    import uvicorn

    settings = assistant.settings.model_copy(update={"rate_limit": 1000})
    config = uvicorn.Config(
        create_app(assistant, settings),
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console's server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


DATA = b'{"orders": 3, "newsletter": true}'


@pytest.mark.browser
def test_a_postal_request_from_the_console_to_the_requesters_one_download(tmp_path):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    assistant = Assistant.open(
        corpus_dir=CORPUS, data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'r.db'}"
    )
    enrol(assistant)
    # A queue with some history, so the overview's chart has weeks to draw.
    for days_ago, law in ((80, "gdpr"), (60, "ccpa"), (45, "gdpr"), (30, "ccpa"), (20, "gdpr"), (9, "gdpr")):
        earlier = logged(assistant, days_ago, law)
    assistant.requests.transition(earlier, "withdrawn", actor=ADMIN)
    token = token_of(assistant, HANDLER, "handler")
    address = "lou.letter@example.com"
    received = (date.today() - timedelta(days=3)).isoformat()
    with served(assistant) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        problems: list[str] = []
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))

        def press(key: str, then: str | None = None) -> None:
            if then is None:
                page.keyboard.press(key)
                return
            with page.expect_navigation(url=re.compile(then)):
                page.keyboard.press(key)

        def to(label: str):
            """Focus a control by its label, as Tab would reach it."""
            control = page.get_by_label(label, exact=True)
            control.focus()
            return control

        # Signed out, the console sends to the sign-in page; its token field has the focus.
        page.goto(f"{url}/console")
        assert page.url.startswith(f"{url}/console/sign-in")
        assert page.evaluate("document.activeElement.id") == "token"
        page.keyboard.type(token)
        press("Enter", r"/console$")
        assert page.title() == "Overview · Privacy team console"

        # The skip link comes first and moves the focus to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        page.get_by_role("link", name="Log a request").focus()
        press("Enter", r"/console/requests/new$")
        to("How it came in").select_option("post")
        page.get_by_label("Date received").fill(received)
        page.get_by_role("checkbox", name=re.compile(r"^access ")).focus()
        page.keyboard.press("Space")
        to("Requester's name")
        page.keyboard.type("Lou Letter")
        page.keyboard.press("Tab")  # on to the e-mail address
        page.keyboard.type(address)
        page.keyboard.press("Tab")
        page.keyboard.type("Letter asking for a copy of everything held on me.")
        to("Identity already checked?")  # not yet: the team verifies it below
        page.get_by_role("button", name="Log the request").focus()
        press("Enter", r"done=logged")
        reference = re.search(r"(DSAR-\d{4}-\d{6})", page.url).group(1)
        assert page.get_by_role("status").inner_text() == "The request was logged."

        to("How you checked who the requester is").select_option("signed_letter")
        to("Note (optional; never the requester's name)")
        page.keyboard.type("signature matches the account")
        page.get_by_role("button", name="Mark verified").focus()
        press("Enter", r"done=verified")

        to("By how long (optional)")
        page.keyboard.type("1 month")
        page.keyboard.press("Tab")  # past the hint, on to the reason
        page.keyboard.type("the data sits in five systems")
        page.get_by_role("button", name="Extend").focus()
        press("Enter", r"done=extended")
        assert "the data sits in five systems" in page.get_by_role("region", name="Extensions").inner_text()

        to("New status").select_option("in_progress")
        page.get_by_role("button", name="Change the status").focus()
        press("Enter", r"done=moved")
        package = tmp_path / "lou-letter-data.json"
        package.write_bytes(DATA)
        to("The data package").set_input_files(str(package))
        page.get_by_role("button", name="Attach").focus()
        press("Enter", r"done=packaged")
        to("New status").select_option("completed")
        to("Note")
        page.keyboard.type("copy sent by secure link")
        page.get_by_role("button", name="Change the status").focus()
        press("Enter", r"done=moved")
        assert "completed" in page.get_by_role("heading", level=1).inner_text()
        page.screenshot(path=str(ARTIFACTS / "console-request.png"), full_page=True)
        trail_rows = page.get_by_role("region", name="Audit trail").locator("tbody tr")
        shown = [trail_rows.nth(i).locator("td").nth(1).inner_text() for i in range(trail_rows.count())]
        assert set(shown) == {HANDLER}

        page.get_by_role("link", name="Overview").focus()
        press("Enter", r"/console$")
        page.screenshot(path=str(ARTIFACTS / "console-overview.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{url}/console/requests/{reference}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing spills sideways
        page.screenshot(path=str(ARTIFACTS / "console-phone.png"))

        # The requester, in a browser of their own: the link from the mail, a code mailed again, once.
        ready = next(m for m in mails(assistant.requests) if m["Subject"].startswith("Your data from"))
        link = re.search(r"(http://\S+/download\?ref=\S+)", ready.get_content()).group(1)
        requester = browser.new_context(
            viewport={"width": 390, "height": 844}, accept_downloads=True
        ).new_page()
        requester.goto(link.replace(assistant.settings.public_base_url.rstrip("/"), url))
        requester.get_by_role("button", name="E-mail me a code").click()
        assert "e-mailed you a code" in requester.get_by_role("status").inner_text()
        code_mail = next(
            m for m in mails(assistant.requests) if m["Subject"].startswith("Your download code")
        )
        code = re.search(r"^\s+(\d{6})\s*$", code_mail.get_content(), re.M).group(1)
        requester.get_by_label("Code from the e-mail").fill(code)
        with requester.expect_download() as got:
            requester.get_by_role("button", name="Download").click()
        assert got.value.suggested_filename == "lou-letter-data.json"
        assert Path(got.value.path()).read_bytes() == DATA
        requester.get_by_label("Code from the e-mail").fill(code)
        requester.get_by_role("button", name="Download").click()
        assert "it works once" in requester.get_by_role("alert").inner_text()  # a second download is refused
        browser.close()
    assert problems == []

    told = [m["Subject"] for m in mails(assistant.requests) if m["To"] == address]
    assert told == [
        f"We received your privacy request {reference}",
        f"Your privacy request {reference} is confirmed",
        f"More time for your privacy request {reference}",
        f"Your privacy request {reference} is complete",
        f"Your data from privacy request {reference} is ready",
        f"Your download code for privacy request {reference}",
    ]
    steps = [(kind, actor, detail) for kind, actor, detail in trail(assistant, reference)]
    assert {actor for _, actor, _ in steps[:-2]} == {HANDLER}
    assert {actor for _, actor, _ in steps[-2:]} == {"requester"}
    assert [
        (kind, detail.get("to") or detail.get("message") or detail.get("length")) for kind, _, detail in steps
    ] == [
        ("submitted", None),
        ("requester_notified", "received"),
        ("status_changed", "verified"),
        ("requester_notified", "verified"),
        ("extended", "1 month"),
        ("requester_notified", "extended"),
        ("status_changed", "in_progress"),
        ("package_attached", None),
        ("status_changed", "completed"),
        ("requester_notified", "completed"),
        ("requester_notified", "package_ready"),
        ("download_code_sent", None),
        ("package_downloaded", None),
    ]
    assert steps[2][2]["method"] == "signed_letter"
    assistant.requests.close()
