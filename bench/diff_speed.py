"""How long a diff of two ~30 KB policy versions takes: median and p95 over repeated runs.

Cold runs parse both versions first (what the CLI pays); warm runs reuse the parsed versions (what a
server that keeps them pays). Uses the fixture history always, and two real 30 KB Reddit versions when
../shared/data is beside the checkout.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from pathlib import Path

from assistant.corpus.diff import diff_versions
from assistant.corpus.documents import Corpus, PolicyVersion
from assistant.corpus.units import parse_policy
from assistant.settings import PROJECT_ROOT
from evals.metrics import percentile

RUNS = 50
HISTORY = PROJECT_ROOT / "tests" / "fixtures" / "history"
REDDIT = PROJECT_ROOT.parent / "shared" / "data" / "reddit-privacy-policy"


def reddit_version(path: Path) -> PolicyVersion:
    from datetime import date

    body = path.read_text(encoding="utf-8")
    return PolicyVersion(
        document="reddit-privacy-policy",
        effective=date.fromisoformat(path.stem),
        title="Reddit Privacy Policy",
        body=body,
        path=path,
        digest=path.stem,
    )


def measure(label: str, old: PolicyVersion, new: PolicyVersion) -> None:
    cold: list[float] = []
    warm: list[float] = []
    changes = 0
    for run in range(RUNS):
        # A fresh digest makes the parse cache miss: a cold run parses both versions.
        fresh_old = replace(old, digest=f"{old.digest}-{run}")
        fresh_new = replace(new, digest=f"{new.digest}-{run}")
        start = time.perf_counter()
        changes = len(diff_versions(fresh_old, fresh_new))
        cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        diff_versions(fresh_old, fresh_new)
        warm.append((time.perf_counter() - start) * 1000)
    parse_policy.cache_clear()
    size = f"{len(old.body.encode()) / 1000:.1f} KB → {len(new.body.encode()) / 1000:.1f} KB"
    print(f"{label} ({size}, {changes} changes, {RUNS} runs)")
    print(
        f"  cold (parse + diff): median {statistics.median(cold):6.1f} ms  p95 {percentile(cold, 95):6.1f} ms"
    )
    print(
        f"  warm (diff only):    median {statistics.median(warm):6.1f} ms  p95 {percentile(warm, 95):6.1f} ms"
    )


def main() -> None:
    versions = Corpus.load(HISTORY).versions("numecent-privacy-policy")
    measure("fixture history 2023-08-29 → 2024-06-01", versions[1], versions[2])
    measure("fixture history 2023-01-15 → 2024-06-01", versions[0], versions[2])
    if not REDDIT.is_dir():
        print(f"skipped the Reddit versions: {REDDIT} is not beside this checkout")
        return
    measure(
        "reddit 2022-07-11 → 2022-09-20",
        reddit_version(REDDIT / "2022-07-11.md"),
        reddit_version(REDDIT / "2022-09-20.md"),
    )
    measure(
        "reddit 2024-10-04 → 2025-06-02",
        reddit_version(REDDIT / "2024-10-04.md"),
        reddit_version(REDDIT / "2025-06-02.md"),
    )


if __name__ == "__main__":
    main()
