"""``POST /api/ask``: one question, one cited answer, no conversation (the eval harness uses it)."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.web.deps import AssistantDep, MetricsDep, RateLimited
from assistant.web.schemas import AnswerOut, AskRequest, error_responses

router = APIRouter(tags=["questions"])


@router.post(
    "/api/ask",
    response_model=AnswerOut,
    dependencies=[RateLimited],
    responses=error_responses(400, 404, 413, 415, 422, 429),
)
def ask(body: AskRequest, assistant: AssistantDep, metrics: MetricsDep) -> AnswerOut:
    """Answer a question from the policy, quoting it; ``answerable`` is false when the policy is silent."""
    answer = assistant.ask(body.question, document=body.document, as_of=body.as_of)
    metrics.record_answer(answer, channel="api")
    return AnswerOut.of(answer)
