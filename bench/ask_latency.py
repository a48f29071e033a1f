"""Benchmark: index build time, re-index of an unchanged corpus, and warm `ask` latency.

Run: .venv/bin/python bench/ask_latency.py [--rounds 5]
Prints medians over rounds; the machine is shared and noisy, so compare medians and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from assistant import Assistant
from evals.datasets_io import DATASETS, read_jsonl
from evals.metrics import percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions (default 5)")
    args = parser.parse_args()

    questions = [row["question"] for row in read_jsonl(DATASETS / "policy_qa.jsonl")]
    questions += [row["question"] for row in read_jsonl(DATASETS / "policy_qa_dev.jsonl")]

    with tempfile.TemporaryDirectory() as data_dir:
        start = time.perf_counter()
        assistant = Assistant.open(data_dir=data_dir)
        assistant.embeddings.model  # noqa: B018  (load the model outside the index timing)
        load_seconds = time.perf_counter() - start

        start = time.perf_counter()
        report = assistant.index()
        build_seconds = time.perf_counter() - start

        reindex = []
        for _ in range(args.rounds):
            fresh = Assistant.open(data_dir=data_dir)
            start = time.perf_counter()
            again = fresh.index()
            reindex.append(time.perf_counter() - start)
            assert again.units_embedded == 0

        for question in questions[:10]:
            assistant.ask(question)  # warm caches and lazy structures
        per_round_p50, per_round_p95, all_ms = [], [], []
        for _ in range(args.rounds):
            timings = []
            for question in questions:
                start = time.perf_counter()
                assistant.ask(question)
                timings.append((time.perf_counter() - start) * 1000)
            per_round_p50.append(percentile(timings, 50))
            per_round_p95.append(percentile(timings, 95))
            all_ms.extend(timings)

        embed_ms = []
        for question in questions:
            start = time.perf_counter()
            assistant.embeddings.embed_query(question)
            embed_ms.append((time.perf_counter() - start) * 1000)

    print(f"model load: {load_seconds:.2f} s")
    print(f"index build (fresh store): {build_seconds:.2f} s for {report.units_embedded} units")
    print(
        f"re-index unchanged corpus: median {statistics.median(reindex) * 1000:.0f} ms over {args.rounds} runs"
    )
    print(
        f"warm ask over {len(questions)} distinct questions x {args.rounds} rounds: "
        f"p50 {statistics.median(per_round_p50):.1f} ms, p95 {statistics.median(per_round_p95):.1f} ms "
        f"(medians of per-round percentiles; pooled p99 {percentile(all_ms, 99):.1f} ms)"
    )
    print(f"query embedding alone: p50 {percentile(embed_ms, 50):.1f} ms")


if __name__ == "__main__":
    main()
