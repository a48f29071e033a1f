"""Tuning record: how the fusion weight of BM25 (``PolicyRetriever.lexical_weight``) and the question
bank's vote (``bank_floor``, ``bank_weight``) were chosen.

For each BM25 weight it prints unit-level evidence hit@1 / hit@3 of the retriever (before answer
composition) on the dev questions (``evals/datasets/policy_qa_dev.jsonl``, the split tuning may look at)
and, when ``../shared/data`` is beside the checkout, the answer span in the top 3 units on a PolicyQA
sample (no question bank there). Then the same dev numbers for each bank floor and weight (the bank
holds none of the dev questions). The test split is never read here.

Run: .venv/bin/python bench/tune_retrieval.py [--weights 0,0.1,0.3,0.5,1] [--policyqa 500]
     [--bank-floors 0.55,0.6,0.65] [--bank-weights 0,1,2,3,4]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from policyqa import DATA, write_corpus
from tqdm import tqdm

from assistant import Assistant
from evals.datasets_io import read_jsonl
from evals.metrics import evidence_hit
from evals.qa import DEV_DATASET

Question = tuple[str | None, str, list[str]]  # document, question, gold strings


def hit_rates(assistant: Assistant, questions: list[Question], weight: float) -> tuple[float, float]:
    retriever = assistant.retriever
    retriever.lexical_weight = weight
    return unit_hits(assistant, questions, f"weight {weight}")


def unit_hits(assistant: Assistant, questions: list[Question], label: str) -> tuple[float, float]:
    retriever = assistant.retriever
    top1 = top3 = 0
    for document, question, gold in tqdm(questions, desc=label, file=sys.stderr, leave=False):
        versions = retriever.versions_for(document)
        texts = [s.unit.text for s in retriever.search(question, versions, k=3)]
        top1 += evidence_hit(texts, gold, 1)
        top3 += evidence_hit(texts, gold, 3)
    return top1 / len(questions), top3 / len(questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="0,0.1,0.2,0.3,0.5,1", help="comma-separated BM25 weights")
    parser.add_argument("--policyqa", type=int, default=500, help="PolicyQA questions to sample (0: none)")
    parser.add_argument("--bank-floors", default="0.55,0.6,0.65", help="comma-separated bank floors")
    parser.add_argument("--bank-weights", default="0,1,2,3,4", help="comma-separated bank weights")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]

    dev_rows = [r for r in read_jsonl(DEV_DATASET) if r["answerable"]]
    dev = Assistant.open()
    dev.index()
    dev_questions = [(r.get("document"), r["question"], r["evidence"]) for r in dev_rows]
    print(f"dev: {len(dev_questions)} answerable questions; PolicyQA: ", end="")

    with tempfile.TemporaryDirectory() as tmp:
        outside: Assistant | None = None
        outside_questions: list[Question] = []
        if args.policyqa and DATA.exists():
            policies = json.loads(DATA.read_text(encoding="utf-8"))["data"]
            ids = write_corpus(policies, Path(tmp) / "corpus")
            pool = [
                (ids[p["title"]], qa["question"], [a["text"] for a in qa["answers"]])
                for p in policies
                for paragraph in p["paragraphs"]
                for qa in paragraph["qas"]
            ]
            outside_questions = random.Random(7).sample(pool, min(args.policyqa, len(pool)))
            outside = Assistant.open(corpus_dir=Path(tmp) / "corpus", data_dir=Path(tmp) / "data")
            outside.index()
            print(f"{len(outside_questions)} sampled questions")
        else:
            print(f"skipped ({DATA} is not here)" if args.policyqa else "skipped")

        print(f"{'weight':>6}  {'dev hit@1':>9}  {'dev hit@3':>9}  {'PolicyQA top-3':>14}")
        for weight in weights:
            h1, h3 = hit_rates(dev, dev_questions, weight)
            pqa = f"{hit_rates(outside, outside_questions, weight)[1]:.3f}" if outside else "-"
            print(f"{weight:>6}  {h1:>9.3f}  {h3:>9.3f}  {pqa:>14}")

    retriever = dev.retriever
    retriever.lexical_weight = type(retriever).model_fields["lexical_weight"].default
    print(f"\nquestion bank, {len(dev.question_bank.examples.get('numecent-privacy-policy', []))} examples")
    print(f"{'floor':>6}  {'weight':>6}  {'dev hit@1':>9}  {'dev hit@3':>9}")
    for floor in (float(f) for f in args.bank_floors.split(",")):
        for bank_weight in (float(w) for w in args.bank_weights.split(",")):
            retriever.bank_floor, retriever.bank_weight = floor, bank_weight
            h1, h3 = unit_hits(dev, dev_questions, f"bank {floor}/{bank_weight}")
            print(f"{floor:>6}  {bank_weight:>6}  {h1:>9.3f}  {h3:>9.3f}")


if __name__ == "__main__":
    main()
