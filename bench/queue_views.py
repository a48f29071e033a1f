"""How long the team's views of the queue take as it grows: the deadline report (console overview,
/metrics scrape, Slack digest), the closing days (the overview's chart), a search through the blind
index, and the full list with and without identity (decrypted or not), on SQLite with N requests of which half are closed. Medians of repeated runs.

    .venv/bin/python bench/queue_views.py [N ...]     (default: 1000 5000)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.intake.draft import RequestDraft
from assistant.prompts import load_prompts
from assistant.requests import RequestQueue
from assistant.settings import get_settings

RUNS = 15


def filled(folder: Path, n: int) -> RequestQueue:
    settings = get_settings().model_copy(update={"data_dir": folder, "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    start = datetime.now(UTC) - timedelta(days=120)
    for i in range(n):
        draft = RequestDraft(rights=["access", "erasure"][i % 2 : i % 2 + 1], name=f"Person {i} Bench",
                             email=f"p{i}@example.com").refresh_missing()  # fmt: skip
        at = start + timedelta(minutes=150 * i * 500 // n)
        reference = queue.submit(draft, f"bench-{i}", now=at).request.reference
        if i % 2:
            queue.transition(reference, "withdrawn", actor="bench", now=at + timedelta(days=3))
    return queue


def median_ms(call) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(sizes: list[int]) -> None:
    print(f"{'requests':>8}  {'report':>9}  {'closing days':>12}  {'search':>9}  {'list':>9}  {'no identity':>11}"
          "   (median ms)")  # fmt: skip
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            queue = filled(Path(folder), n)
            figures = [
                median_ms(lambda q=queue: q.report()),
                median_ms(lambda q=queue: q.closing_days()),
                median_ms(lambda q=queue, who=f"p{n // 2}@example.com": q.search(who)),
                median_ms(lambda q=queue: q.list()),
                median_ms(lambda q=queue: q.list(identity=False)),
            ]
            queue.close()
        print(
            f"{n:>8}  {figures[0]:>9.1f}  {figures[1]:>12.1f}  {figures[2]:>9.1f}  {figures[3]:>9.1f}  {figures[4]:>11.1f}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000])
