"""Property-based tests of every route in ``/openapi.json`` (Schemathesis over Hypothesis): whatever a
client sends, valid or not, no response is a 5xx, a success matches its documented schema, and every
4xx is JSON ``{"error": ...}`` that says what was wrong. Real model, Chroma and SQLite, in-process."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from assistant import Assistant
from assistant.intake.draft import RequestDraft
from tests.conftest import CORPUS
from tests.web_team_support import enrol

pytestmark = pytest.mark.slow  # each test starts processes or servers, or drives them hard

# Per operation. Hypothesis stops early on an operation with few distinct inputs (GET /healthz), so the
# total is counted, not assumed; the routes that run the model get fewer. Each run draws new inputs
# (no example database), so what one run leaves untried the next one may try.
EXAMPLES = 70
MODEL_ROUTES, MODEL_EXAMPLES = ("/api/ask", "/api/chat"), 30
sent: list[tuple[str, str, int]] = []  # (method, path, status) of every request sent
ADMIN_HEADERS: dict[str, str] = {}  # the team admin's token, once the app's database has them


@pytest.fixture(scope="module")
def fuzz_app(data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    from assistant.web import create_app

    db = tmp_path_factory.mktemp("fuzz") / "requests.db"
    assistant = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, database_url=f"sqlite:///{db}")
    assistant.index()
    # A few real requests, so generated references sometimes meet one (DSAR-YYYY-00000N).
    for n in range(3):
        draft = RequestDraft(rights=["erasure"], name="Fuzz Person", email=f"fuzz{n}@example.com")
        assistant.requests.submit(draft.refresh_missing(), idempotency_key=f"fuzz:{n}", channel="api")
    ADMIN_HEADERS.update(enrol(assistant))
    app_settings = assistant.settings.model_copy(
        update={"rate_limit": 0, "transcript_purge_interval_seconds": 0}
    )
    return create_app(assistant, app_settings)


def error_says_what_was_wrong(response, case) -> None:
    """A 4xx is JSON with one non-empty ``error`` and nothing else (no echo of the input as markup)."""
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), where
    body = json.loads(response.content)
    assert isinstance(body, dict) and list(body) == ["error"], f"{where}: {body}"
    assert isinstance(body["error"], str) and len(body["error"]) >= 10, f"{where}: {body}"


def fuzz(operation: APIOperation, examples: int) -> None:
    """``examples`` requests to ``operation``, valid ones and ones that break its schema, mixed."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,  # the model's forward pass on a busy machine is no failure
        database=None,  # nothing written into the project folder
        suppress_health_check=list(HealthCheck),
    )
    def send_and_check(case) -> None:
        # OpenAPI matches a concrete path before a templated one: "/requests/export" is the export, not
        # the request with the reference "export", so that case is no request to that operation.
        assume(
            not (
                case.path.endswith("/{reference}")
                and (case.path_parameters or {}).get("reference") == "export"
            )
        )
        response = case.call(headers=ADMIN_HEADERS)
        sent.append((case.method, case.path, response.status_code))
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
        )
        if 400 <= response.status_code < 500:
            error_says_what_was_wrong(response, case)

    send_and_check()


def test_every_route_answers_any_input_without_a_server_error(fuzz_app):
    # Schemathesis's own pytest integration does not run under this pytest; its strategies do.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/api/ask", "/api/chat", "/api/requests/verify", "/api/team/requests/{reference}/extend"} <= {
        operation.path for operation in operations
    }
    started = time.monotonic()
    for operation in operations:
        fuzz(operation, MODEL_EXAMPLES if operation.path in MODEL_ROUTES else EXAMPLES)
    by_operation = Counter(f"{method} {path}" for method, path, _ in sent)
    statuses = Counter(status for _, _, status in sent)
    print(f"\nfuzz: {len(sent)} requests in {time.monotonic() - started:.0f} s; by status {dict(statuses)}")
    assert len(sent) >= 600, by_operation
    assert len(by_operation) == len(operations)
    assert statuses[200] >= 50 and sum(n for s, n in statuses.items() if 400 <= s < 500) >= 100  # both sides
