"""5-fold cross-validation of the intake classifier on its TRAINING file: how its thresholds were chosen.

Run ``python -m evals.intake_cv`` (``--write`` stores the fitted thresholds, with their provenance, in
``assistant/intake/thresholds.json``); ``privacy-assistant eval intake`` reports it as the dev split.
The eval sets (evals/datasets/) are never read here.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime

import numpy as np

from assistant.intake.classifier import (
    THRESHOLDS,
    Classification,
    RightsClassifier,
    fit_digest,
    in_english,
    read_training,
)
from assistant.intake.rights import RIGHTS
from assistant.retrieval.embeddings import LocalEmbeddings
from assistant.retrieval.vector_cache import VectorCache
from assistant.settings import Settings
from evals.metrics import false_request_rate, macro_f1


def held_out_verdicts(
    folds: int = 5, seed: int = 0, overrides: dict[str, float] | None = None
) -> tuple[list[dict], list[Classification], list[RightsClassifier]]:
    """Each training row, the verdict on it of a classifier trained on the other folds, and that
    classifier (``overrides`` replace its fitted thresholds, to fit them)."""
    rows = read_training()
    # The training files are shipped text: their vectors come from the machine's cache, as in the product.
    embeddings = LocalEmbeddings(cache=VectorCache(Settings().cache_dir))
    probe = RightsClassifier.__new__(RightsClassifier)
    probe.embeddings = embeddings
    features = probe.features([r["text"] for r in rows], shipped=True)
    order = np.random.default_rng(seed).permutation(len(rows))
    held_rows: list[dict] = []
    verdicts: list[Classification] = []
    deciders: list[RightsClassifier] = []
    for part in np.array_split(order, folds):
        held = sorted(part.tolist())
        kept = [i for i in range(len(rows)) if i not in set(held)]
        classifier = RightsClassifier(embeddings, [rows[i] for i in kept], features[kept])
        classifier.overrides.update(overrides or {})
        held_rows += [rows[i] for i in held]
        verdicts += classifier.classify_many([rows[i]["text"] for i in held], features[held])
        deciders += [classifier] * len(held)
    return held_rows, verdicts, deciders


def cross_validate(
    folds: int = 5, seed: int = 0, overrides: dict[str, float] | None = None
) -> tuple[list[set[str]], list[set[str]], list[bool], list[bool]]:
    """Gold rights, predicted rights, gold is-request and predicted is-request of each held-out message.
    An uncertain message goes to the chat's "which right?" and then to triage: taken, with no right."""
    rows, verdicts, _ = held_out_verdicts(folds, seed, overrides)
    gold = [set(r["rights"]) if r["request"] else set() for r in rows]
    predicted = [set(v.rights) if v.is_request else set() for v in verdicts]
    is_request = [bool(r["request"]) for r in rows]
    predicted_request = [v.taken for v in verdicts]
    return gold, predicted, is_request, predicted_request


def fit_rule_floor(folds: int = 5, seed: int = 0) -> tuple[float, dict[str, int]]:
    """The is-a-request probability below which a chat message the rules take for a clear request is not
    taken: of the floors 0.00 to the request threshold, the one with the fewest held-out errors (false
    requests and dropped requests alike), the lowest of equals; with the errors with no floor and at it."""
    rows, verdicts, deciders = held_out_verdicts(folds, seed, {"rule_floor": 0.0})
    english = in_english([r["text"] for r in rows])
    wrong = [bool(r["request"]) != v.taken for r, v in zip(rows, verdicts, strict=True)]
    # Only a request the model gave less than the request threshold can change with the floor.
    ceiling = RightsClassifier.request_threshold
    changeable = [i for i, v in enumerate(verdicts) if v.is_request and v.request_probability < ceiling]

    def errors(floor: float) -> int:
        total = sum(wrong) - sum(wrong[i] for i in changeable)
        for i in changeable:
            deciders[i].overrides["rule_floor"] = floor
            v = deciders[i].decide(
                english[i], verdicts[i].request_probability, verdicts[i].right_probabilities
            )
            total += bool(rows[i]["request"]) != v.taken
        return total

    floors = [n / 100 for n in range(0, int(ceiling * 100) + 1)]
    counted = [errors(floor) for floor in floors]
    best = floors[int(np.argmin(counted))]
    return best, {"errors_without_floor": counted[0], "errors_at_floor": min(counted)}


def fit_triage_threshold(folds: int = 5, seed: int = 0, rule_floor: float = 0.0) -> tuple[float, int]:
    """The lowest request probability (to two decimals) at which no held-out not-a-request message is
    uncertain, so the band adds no false request; and how many held-out requests it saves from
    being dropped."""
    overrides = {"rule_floor": rule_floor, "triage_threshold": 0.0}
    rows, verdicts, _ = held_out_verdicts(folds, seed, overrides)
    candidates = [
        (v.request_probability, bool(r["request"]))
        for r, v in zip(rows, verdicts, strict=True)
        if v.uncertain
    ]
    highest_wrong = max((p for p, request in candidates if not request), default=0.0)
    threshold = math.floor(highest_wrong * 100 + 1) / 100
    return threshold, sum(1 for p, request in candidates if request and p >= threshold)


if __name__ == "__main__":
    floor, floor_errors = fit_rule_floor()
    threshold, saved = fit_triage_threshold(rule_floor=floor)
    gold, predicted, is_request, predicted_request = cross_validate(
        overrides={"rule_floor": floor, "triage_threshold": threshold}
    )
    figures = {
        "messages": len(gold),
        "macro_f1": round(macro_f1(gold, predicted, RIGHTS), 3),
        "false_request_rate": round(false_request_rate(is_request, predicted_request), 3),
        "dropped_requests": sum(g and not p for g, p in zip(is_request, predicted_request, strict=True)),
    }
    print(
        f"training messages: {figures['messages']}\n"
        f"5-fold macro-F1: {figures['macro_f1']:.3f}\n"
        f"5-fold false-request rate: {figures['false_request_rate']:.3f}\n"
        f"5-fold dropped requests: {figures['dropped_requests']}\n"
        f"rule floor: {floor:.2f} (held-out errors {floor_errors['errors_without_floor']} without it, "
        f"{floor_errors['errors_at_floor']} with it)\n"
        f"triage threshold: {threshold:.2f} (saves {saved} held-out requests from being dropped)"
    )
    if "--write" in sys.argv[1:]:
        fit = {
            "rule_floor": floor,
            "triage_threshold": threshold,
            "digest": fit_digest(),
            "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m evals.intake_cv --write",
            "chosen": {
                "rule_floor": "of the floors 0.00 to 0.50, the one with the fewest held-out errors of the "
                "5-fold cross-validation of the training files (false and dropped requests alike)",
                "triage_threshold": "the lowest request probability (to two decimals) at which no held-out "
                "not-a-request message is uncertain",
            },
            "rule_floor_errors": floor_errors,
            "triage_saves_held_out_requests": saved,
            "cross_validation": figures,
        }
        THRESHOLDS.write_text(json.dumps(fit, indent=2) + "\n", encoding="utf-8")
        print(f"written to {THRESHOLDS}")
