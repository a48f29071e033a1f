"""How the team keeps its deadlines, on SQLite and PostgreSQL: median days to close and the share closed
on time, overall and by right, channel and jurisdiction, with open and overdue counts."""

from __future__ import annotations

from datetime import timedelta

from assistant import RequestDraft
from assistant.requests.reporting import queue_report
from tests.requests_support import NOW, draft


def test_median_days_and_on_time_share_by_right_channel_and_law(queue):
    def closed_after(days: int, key: str, **changes) -> str:
        reference = queue.submit(draft(email=f"{key}@example.com", **changes), key, now=NOW).request.reference
        queue.transition(reference, "withdrawn", actor="ana", now=NOW + timedelta(days=days))
        return reference

    closed_after(10, "a")  # erasure, web, gdpr: on time
    closed_after(40, "b", rights=["access"])  # late: due after 31 days
    closed_after(20, "c", rights=["access", "erasure"])
    queue.log_received(RequestDraft(rights=["opt_out_sale_sharing"], name="Cal Ifornia"), "post",
                       NOW.date(), actor="ana", now=NOW)  # fmt: skip  # open, under ccpa
    report = queue_report(queue.storage, now=NOW + timedelta(days=50))
    overall = report.overall
    assert (overall.closed, overall.median_days_to_close, overall.on_time_share) == (3, 20.0, 0.667)
    assert (overall.open, overall.overdue) == (1, 1)  # 45 days under the CCPA, 50 days on
    rights = report.by["right"]
    assert (rights["access"].closed, rights["access"].median_days_to_close, rights["access"].on_time_share) == (
        2, 30.0, 0.5,
    )  # fmt: skip
    assert (rights["erasure"].closed, rights["erasure"].on_time_share) == (2, 1.0)
    assert report.by["channel"]["post"].open == 1 and report.by["channel"]["web"].closed == 3
    assert report.by["jurisdiction"]["ccpa"].overdue == 1 and report.by["jurisdiction"]["gdpr"].closed == 3
    # Only what closed in the window counts as closed; what is open always counts.
    recent = queue_report(
        queue.storage, since=(NOW + timedelta(days=15)).date(), now=NOW + timedelta(days=50)
    )
    assert (recent.overall.closed, recent.overall.open) == (2, 1)
    assert recent.to_dict()["by_right"]["access"]["closed"] == 2
