"""How well each signal of the answer decision tells an answerable question from one the policy does not
answer, on policies nobody tuned for (issue 16, item 1), and what a decision fit on them does, held out
by policy.

Reads the dev split only: Numecent's dev questions (with its question bank) and the dev policies of
``evals/datasets/policies/sources.json`` (onboarded as ``eval policies`` does, no bank). The test
policies are never read here. Prints each signal's ROC AUC on the dev policies, then the current rule
beside a logistic regression over all the signals, each policy's questions scored by a model fit on the
other policies (leave one policy out).

Run: .venv/bin/python bench/answer_signals.py [--threshold 0.5]    (needs ../shared/data)
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from assistant import Assistant
from assistant.history import read_history_question
from assistant.settings import get_settings
from evals.datasets_io import read_jsonl
from evals.policies import POLICY_SETS, SHARED_DATA, onboard, read_sources
from evals.qa import DEV_DATASET

SIGNALS = (
    "score",
    "margin",
    "similarity",
    "similarity_margin",
    "similarity_top5",
    "coverage",
    "term_support",
    "passage_support",
    "privacy",
    "bank_answered",
    "bank_unanswered",
    "bank_unanswerable",
    "missing_detail",
    "words",
)


def signals(assistant: Assistant, question: str, document: str | None) -> tuple[list[float], bool]:
    """The decision's inputs for ``question``, and whether the current rule answers it."""
    versions = assistant.retriever.versions_for(document or assistant.settings.default_document)
    found = assistant.retriever.retrieve(question, versions)
    privacy = assistant.scope.probability(found.query_vector)
    scores = [r.score for r in found.results] + [0.0, 0.0]
    sims = [r.similarity for r in found.results] + [0.0] * 5
    p = found.precedents
    values = [
        scores[0],
        scores[0] - scores[1],
        sims[0],
        sims[0] - sims[1],
        sum(sims[:5]) / 5,
        found.coverage,
        found.support,
        found.passage_support,
        privacy,
        p.answered,
        p.unanswered,
        p.unanswerable,
        float(bool(found.missing_detail)),
        float(len(question.split())),
    ]
    return values, not assistant.answerer.should_abstain(found, privacy)


def collect(assistant: Assistant, rows: list[dict], group: str, document: str | None, out: dict) -> None:
    for row in tqdm(rows, desc=group, unit="q", file=sys.stderr, leave=False):
        if read_history_question(row["question"], date.today()) is not None:
            continue  # answered from the history, not by this decision
        values, answered = signals(assistant, row["question"], document or row.get("document"))
        out["x"].append(values)
        out["y"].append(bool(row["answerable"]))
        out["rule"].append(answered)
        out["group"].append(group)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5, help="answer when P(answerable) >= this")
    args = parser.parse_args()
    sources = {d: s for d, s in read_sources().items() if s["split"] == "dev"}
    if not all((SHARED_DATA / s["file"]).is_file() for s in sources.values()):
        print(f"skipped: {SHARED_DATA} does not hold the dev policies", file=sys.stderr)
        return 0
    data: dict[str, list] = {"x": [], "y": [], "rule": [], "group": []}
    numecent = Assistant.open()
    numecent.index()
    collect(numecent, read_jsonl(DEV_DATASET), "numecent", None, data)
    others = onboard(get_settings(), SHARED_DATA, sources)
    others.index()
    for document, source in sources.items():
        collect(others, read_jsonl(POLICY_SETS / source["questions"]), document, document, data)

    x, y = np.array(data["x"]), np.array(data["y"])
    rule, groups = np.array(data["rule"]), np.array(data["group"])
    other = groups != "numecent"
    print(f"{len(y)} dev questions ({other.sum()} on {len(sources)} other policies)\n")
    print("ROC AUC of each signal on the other policies (0.5 = no better than chance):")
    for i, name in enumerate(SIGNALS):
        if len(set(x[other, i])) > 1:
            print(f"  {name:<18} {roc_auc_score(y[other], x[other, i]):.3f}")
        else:
            print(f"  {name:<18} constant there")

    answered = np.zeros(len(y), dtype=bool)
    for group in sorted(set(groups)):
        held = groups == group
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))
        model.fit(x[~held], y[~held])
        answered[held] = model.predict_proba(x[held])[:, 1] >= args.threshold

    def rates(decision: np.ndarray, mask: np.ndarray) -> str:
        answer_rate = decision[mask & y].mean()
        abstention = (~decision[mask & ~y]).mean()
        return f"answers {answer_rate:.3f} of answerable, abstains on {abstention:.3f} of unanswerable"

    print(f"\nheld out by policy (logistic regression, threshold {args.threshold}):")
    for group in sorted(set(groups)):
        mask = groups == group
        print(f"  {group:<28} rule: {rates(rule, mask)}\n  {'':<28} fit:  {rates(answered, mask)}")
    print(f"  {'all other policies':<28} rule: {rates(rule, other)}")
    print(f"  {'':<28} fit:  {rates(answered, other)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
