"""Benchmark: retrieval on PolicyQA (other companies' policies, crowd questions), as an outside check.

Each of the 20 policies in PolicyQA's development split becomes one corpus document, indexed by the
real pipeline (MiniLM in Chroma + BM25). A question counts as found when one of the top 3 units contains
its answer span. Peers on a comparable split: dense MiniLM ~23% of questions, BM25 ~16%.

Run: .venv/bin/python bench/policyqa.py [--limit N]   (needs ../shared/data/policyqa-dev.json)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.retrieval.lexical import tokenize
from assistant.retrieval.store import version_key
from evals.metrics import evidence_hit, percentile
from evals.train import policyqa_split, write_policyqa_corpus

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "policyqa-dev.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="sample this many questions (default: all)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is not here (it sits beside a developer's checkout, not in a user's clone)")
        return
    policies = json.loads(DATA.read_text(encoding="utf-8"))["data"]
    questions = [
        (policy["title"], qa["question"], [a["text"] for a in qa["answers"]])
        for policy in policies
        for paragraph in policy["paragraphs"]
        for qa in paragraph["qas"]
    ]
    if args.limit:
        questions = random.Random(7).sample(questions, min(args.limit, len(questions)))

    with tempfile.TemporaryDirectory() as tmp:
        ids = write_policyqa_corpus(policies, Path(tmp) / "corpus")
        assistant = Assistant.open(corpus_dir=Path(tmp) / "corpus", data_dir=Path(tmp) / "data")
        start = time.perf_counter()
        from tqdm import tqdm

        bar = tqdm(desc="Embedding PolicyQA units", unit="unit", file=sys.stderr)
        report = assistant.index(
            progress=lambda done, total: (setattr(bar, "total", total), bar.update(done - bar.n))
        )
        bar.close()
        index_seconds = time.perf_counter() - start
        retriever = assistant.retriever

        found = {"hybrid": [], "dense": [], "bm25": []}
        # The answer model was fit on half of PolicyQA's policies (evals/train.py): the other half is the
        # held-out figure, and there the answer counts only when the assistant answers.
        held_out = {p["title"] for p in policyqa_split(policies)[1]}
        threshold = assistant.answerer.threshold
        answered_held_out: list[bool] = []
        found_held_out: list[bool] = []
        timings = []
        for title, question, answers in tqdm(questions, desc="Asking", unit="question", file=sys.stderr):
            version = assistant.corpus.versions(ids[title])[-1]
            units = retriever.units_of(version)
            start = time.perf_counter()
            retrieved = retriever.retrieve(question, [version], k=3)
            timings.append((time.perf_counter() - start) * 1000)
            hybrid = retrieved.results
            found["hybrid"].append(evidence_hit([s.unit.text for s in hybrid], answers, 3))
            if title in held_out:
                answered_held_out.append(retrieved.margin >= threshold)
                found_held_out.append(answered_held_out[-1] and found["hybrid"][-1])

            vector = assistant.embeddings.embed_query(question)
            dense = retriever.store.search(vector, [version_key(version.document, version.version)], 3)
            texts = {u.id: u.text for u in units}
            found["dense"].append(evidence_hit([texts[i] for i, _ in dense], answers, 3))

            scores = retriever._lexical.get(version_key(version.document, version.version), units).scores(
                tokenize(question)
            )
            found["bm25"].append(evidence_hit([units[i].text for i in np.argsort(-scores)[:3]], answers, 3))

    print(
        f"PolicyQA dev: {len(questions)} questions over {len(policies)} policies, {report.units_embedded} units"
    )
    print(f"index build: {index_seconds:.1f} s")
    for name, flags in found.items():
        print(f"answer span in top-3 units, {name:6s}: {sum(flags) / len(flags):.3f}")
    if found_held_out:
        print(
            f"held out of the answer model ({len(held_out)} policies, {len(found_held_out)} questions): "
            f"answered {sum(answered_held_out) / len(answered_held_out):.3f}, "
            f"answered with the span in the top 3: {sum(found_held_out) / len(found_held_out):.3f}"
        )
    print(
        f"hybrid search latency: p50 {percentile(timings, 50):.1f} ms, p95 {percentile(timings, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
