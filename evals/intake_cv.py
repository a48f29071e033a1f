"""5-fold cross-validation of the intake classifier on its TRAINING file: how its thresholds were chosen.

Run ``python -m evals.intake_cv``; ``privacy-assistant eval intake`` reports it as the dev split.
The eval set (evals/datasets/intake.jsonl) is never read here.
"""

from __future__ import annotations

import numpy as np

from assistant.intake.classifier import RightsClassifier, read_training
from assistant.intake.rights import RIGHTS
from assistant.retrieval.embeddings import LocalEmbeddings
from evals.metrics import false_request_rate, macro_f1


def cross_validate(
    folds: int = 5, seed: int = 0
) -> tuple[list[set[str]], list[set[str]], list[bool], list[bool]]:
    """Gold rights, predicted rights, gold is-request and predicted is-request of each held-out message."""
    rows = read_training()
    embeddings = LocalEmbeddings()
    probe = RightsClassifier.__new__(RightsClassifier)
    probe.embeddings = embeddings
    features = probe.features([r["text"] for r in rows])
    order = np.random.default_rng(seed).permutation(len(rows))
    gold: list[set[str]] = []
    predicted: list[set[str]] = []
    is_request: list[bool] = []
    predicted_request: list[bool] = []
    for part in np.array_split(order, folds):
        held = sorted(part.tolist())
        kept = [i for i in range(len(rows)) if i not in set(held)]
        classifier = RightsClassifier(embeddings, [rows[i] for i in kept], features[kept])
        for i, verdict in zip(
            held, classifier.classify_many([rows[i]["text"] for i in held], features[held]), strict=True
        ):
            gold.append(set(rows[i]["rights"]) if rows[i]["request"] else set())
            predicted.append(set(verdict.rights) if verdict.is_request else set())
            is_request.append(rows[i]["request"])
            predicted_request.append(verdict.is_request)
    return gold, predicted, is_request, predicted_request


if __name__ == "__main__":
    gold, predicted, is_request, predicted_request = cross_validate()
    print(
        f"training messages: {len(gold)}\n"
        f"5-fold macro-F1: {macro_f1(gold, predicted, RIGHTS):.3f}\n"
        f"5-fold false-request rate: {false_request_rate(is_request, predicted_request):.3f}"
    )
