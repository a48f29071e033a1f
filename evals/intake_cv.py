"""5-fold cross-validation of the intake classifier on its TRAINING file: how its thresholds were chosen.

Run ``python -m evals.intake_cv`` (``--write`` stores the fitted triage threshold in
``assistant/intake/triage.json``); ``privacy-assistant eval intake`` reports it as the dev split.
The eval set (evals/datasets/intake.jsonl) is never read here.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime

import numpy as np

from assistant.intake.classifier import TRIAGE, Classification, RightsClassifier, fit_digest, read_training
from assistant.intake.rights import RIGHTS
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.vector_cache import VectorCache
from assistant.settings import Settings
from evals.metrics import false_request_rate, macro_f1


def held_out_verdicts(
    folds: int = 5, seed: int = 0, triage_threshold: float | None = None
) -> tuple[list[dict], list[Classification]]:
    """Each training row and the verdict on it of a classifier trained on the other folds
    (``triage_threshold`` replaces the shipped one, to fit it)."""
    rows = read_training()
    # The training files are shipped text: their vectors come from the machine's cache, as in the product.
    embeddings = LocalEmbeddings(cache=VectorCache(Settings().cache_dir))
    probe = RightsClassifier.__new__(RightsClassifier)
    probe.embeddings = embeddings
    features = probe.features([r["text"] for r in rows], shipped=True)
    order = np.random.default_rng(seed).permutation(len(rows))
    held_rows: list[dict] = []
    verdicts: list[Classification] = []
    for part in np.array_split(order, folds):
        held = sorted(part.tolist())
        kept = [i for i in range(len(rows)) if i not in set(held)]
        classifier = RightsClassifier(embeddings, [rows[i] for i in kept], features[kept])
        if triage_threshold is not None:
            classifier.triage_threshold = triage_threshold
        held_rows += [rows[i] for i in held]
        verdicts += classifier.classify_many([rows[i]["text"] for i in held], features[held])
    return held_rows, verdicts


def cross_validate(
    folds: int = 5, seed: int = 0
) -> tuple[list[set[str]], list[set[str]], list[bool], list[bool]]:
    """Gold rights, predicted rights, gold is-request and predicted is-request of each held-out message.
    An uncertain message goes to the chat's "which right?" and then to triage: taken, with no right."""
    rows, verdicts = held_out_verdicts(folds, seed)
    gold = [set(r["rights"]) if r["request"] else set() for r in rows]
    predicted = [set(v.rights) if v.is_request else set() for v in verdicts]
    is_request = [bool(r["request"]) for r in rows]
    predicted_request = [v.is_request or v.uncertain for v in verdicts]
    return gold, predicted, is_request, predicted_request


def fit_triage_threshold(folds: int = 5, seed: int = 0) -> tuple[float, int]:
    """The lowest request probability (to two decimals) at which no held-out not-a-request message is
    uncertain, so the band adds no false request; and how many held-out requests it saves from
    being dropped."""
    rows, verdicts = held_out_verdicts(folds, seed, triage_threshold=0.0)
    candidates = [
        (v.request_probability, bool(r["request"]))
        for r, v in zip(rows, verdicts, strict=True)
        if v.uncertain
    ]
    highest_wrong = max((p for p, request in candidates if not request), default=0.0)
    threshold = math.floor(highest_wrong * 100 + 1) / 100
    return threshold, sum(1 for p, request in candidates if request and p >= threshold)


def write_triage_fit(threshold: float, saved: int, figures: dict[str, float]) -> None:
    """The fitted threshold into ``TRIAGE``, with the digest of the reader it was fitted for."""
    fit = {
        "threshold": threshold,
        "saves_held_out_requests": saved,
        "digest": fit_digest(),
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m evals.intake_cv --write",
        "chosen": "the lowest request probability (to two decimals) at which no held-out not-a-request "
        "message of the 5-fold cross-validation of the training files is uncertain",
        "cross_validation": figures,
    }
    TRIAGE.write_text(json.dumps(fit, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    gold, predicted, is_request, predicted_request = cross_validate()
    threshold, saved = fit_triage_threshold()
    figures = {
        "messages": len(gold),
        "macro_f1": round(macro_f1(gold, predicted, RIGHTS), 3),
        "false_request_rate": round(false_request_rate(is_request, predicted_request), 3),
    }
    print(
        f"training messages: {figures['messages']}\n"
        f"5-fold macro-F1: {figures['macro_f1']:.3f}\n"
        f"5-fold false-request rate: {figures['false_request_rate']:.3f}\n"
        f"triage threshold: {threshold:.2f} (saves {saved} held-out requests from being dropped)"
    )
    if "--write" in sys.argv[1:]:
        write_triage_fit(threshold, saved, figures)
        print(f"written to {TRIAGE}")
