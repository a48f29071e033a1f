"""A new verification code on request, and what each door says about it.

The queue does the sending (``RequestQueue.resend_verification``: the old code stops working, a few
mails an hour at most); the chat, the API, the ``/verify`` page and the CLI all word the outcome with
the same templates.
"""

from __future__ import annotations

import math

from assistant.exceptions import ResendLimitError, VerificationError
from assistant.redaction import mask_email
from assistant.requests.queue import RequestQueue


def resend_code(queue: RequestQueue, reference: str, actor: str, show_address: bool) -> str:
    """Send ``reference`` a new code and say so; ``show_address`` shows the address masked.

    Where the caller has not shown that the request is theirs (the public API and page know only a
    reference), the address stays out of the reply altogether. Raises what the queue raises.
    """
    request = queue.resend_verification(reference, actor=actor)
    return queue.prompts.line(
        "verification_resent",
        request.language,
        reference=request.reference,
        email=mask_email(request.email) if show_address else None,
        minutes=queue.settings.verification_ttl_minutes,
    )


def why_not_resent(queue: RequestQueue, reference: str, problem: VerificationError) -> str:
    """The requester's reply when no code could be sent: the hour's limit (and when to ask again), or
    a request that no longer waits for a code."""
    request = queue.get(reference)
    if isinstance(problem, ResendLimitError):
        return queue.prompts.line(
            "verification_resend_limit",
            request.language,
            sends=queue.settings.verification_max_sends,
            at=f"{problem.retry_at:%H:%M}",
            minutes=math.ceil(problem.retry_after / 60),
        )
    return queue.prompts.line(
        "verification_nothing_to_resend", request.language, reference=reference, status=request.status
    )
