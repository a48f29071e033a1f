"""Fit the answer model (``assistant/answering/model.py``) from labelled questions over many policies.

The training data, all of it read where it lies (nothing is copied into the project):

- the dev policies' blind question sets (``evals/datasets/policies``, split "dev"; the test policies are
  never read here) over their policies in ``../shared/data/policies``;
- every document's question bank (``corpus/<document>/questions.jsonl``), over the corpus;
- half of PolicyQA's development split (``../shared/data/policyqa-dev.json``, the policies at even
  places in title order); the other half is held out for ``bench/policyqa.py``.

Figures held out by policy come from two folds over the dev policies: each fold's policies are measured
by a model fit without them. Their margins also fix the operating point, the margin at which the model
answers. All is written, with digests of every input, into the provenance file.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from assistant import Assistant
from assistant.answering.model import PARAMETERS, PROVENANCE, AnswerModel
from assistant.corpus.documents import PACK, Corpus, PolicyVersion, organization_of
from assistant.corpus.units import slugify
from assistant.exceptions import InvalidInputError
from assistant.retrieval.embeddings import DIMENSIONS
from assistant.retrieval.lexical import LexicalIndexes, tokenize
from assistant.retrieval.question_bank import fold
from assistant.retrieval.scope import query_text
from assistant.retrieval.store import version_key
from assistant.settings import Settings
from evals.datasets_io import read_jsonl
from evals.metrics import evidence_hit
from evals.policies import POLICY_SETS, SHARED_DATA, onboard, read_sources

POLICYQA = "policyqa-dev.json"
CANDIDATES = 20  # BM25 keeps its best 20 units per question, as the retriever does
# Fitting: softmax over a policy's units and "no answer", temperature 0.05, the adapter pulled towards
# the identity. Chosen on the dev folds; none of these is read at answer time.
TEMPERATURE = 0.05
PULL_TO_IDENTITY = 0.1
LEARNING_RATE = 2e-3
EPOCHS = 8
BATCH = 64
_MARKDOWN_START = re.compile(r"^([#>*+\-=|`]|\d+[.)])")


@dataclass
class PolicyQuestions:
    """One policy's units and the questions asked of it, as vectors and BM25 scores."""

    name: str
    group: str  # "policies" (blind sets), "bank" (question banks) or "policyqa"
    unit_vectors: np.ndarray
    query_vectors: np.ndarray
    lexical: np.ndarray  # question x unit: BM25 scaled to the question's best unit, best CANDIDATES only
    gold: list[list[int]]  # the units holding each question's evidence; [] when the policy does not answer


def read_examples(
    assistant: Assistant,
    version: PolicyVersion,
    rows: Iterable[dict[str, Any]],
    name: str,
    group: str,
    lexical: LexicalIndexes,
) -> PolicyQuestions:
    units = assistant.retriever.units_of(version)
    folded = [fold(u.text) for u in units]
    index = lexical.get(version_key(version.document, version.version), units)
    organization = organization_of([version])
    queries, gold, scaled = [], [], []
    for row in rows:
        evidence = [fold(e) for e in row.get("evidence", []) if e.strip()]
        units_holding = [i for i, text in enumerate(folded) if any(e in text for e in evidence)]
        if row.get("answerable", True) and not units_holding:
            continue  # evidence across units, or text the import changed: no unit to learn from
        query = query_text(row["question"], organization, assistant.corpus.vocabulary_of([version]))
        scores = index.scores(tokenize(query))
        kept = np.zeros_like(scores)
        best = np.argsort(-scores)[:CANDIDATES]
        kept[best] = scores[best] / (scores.max() or 1.0)
        queries.append(query)
        gold.append(units_holding if row.get("answerable", True) else [])
        scaled.append(kept)
    return PolicyQuestions(
        name,
        group,
        assistant.embeddings.encode([u.context for u in units]).astype(
            np.float32
        ),  # as the store embeds them
        assistant.embeddings.encode(queries).astype(np.float32)
        if queries
        else np.zeros((0, DIMENSIONS), np.float32),
        np.array(scaled, dtype=np.float32).reshape(len(queries), len(units)),
        gold,
    )


def write_policyqa_corpus(policies: list[dict[str, Any]], folder: Path) -> dict[str, str]:
    """One Markdown document per PolicyQA policy; returns policy title -> document id."""
    ids: dict[str, str] = {}
    for policy in policies:
        document = slugify(policy["title"])[:50] or "policy"
        ids[policy["title"]] = document
        # PolicyQA is plain text: escape what Markdown would read as markup at a line's start.
        paragraphs = [
            _MARKDOWN_START.sub(r"\\\1", " ".join(p["context"].split())) for p in policy["paragraphs"]
        ]
        path = folder / document / "2020-01-01.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        front = (
            f"---\ndocument: {document}\ntitle: {json.dumps(policy['title'])}\neffective: 2020-01-01\n---\n"
        )
        path.write_text(front + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return ids


def policyqa_split(policies: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """PolicyQA's policies to fit on, and the ones held out for ``bench/policyqa.py``."""
    ordered = sorted(policies, key=lambda p: p["title"])
    return ordered[::2], ordered[1::2]


def dev_sources() -> dict[str, dict[str, Any]]:
    """The dev policies' sources (``evals/datasets/policies/sources.json``): the ones fit on."""
    return {d: s for d, s in read_sources().items() if s["split"] == "dev"}


def gather(
    settings: Settings, shared: Path, progress: bool = True
) -> tuple[list[PolicyQuestions], dict[str, str], Assistant]:
    """Every policy's training questions, the SHA-256 of every file they came from, and the assistant
    the dev policies were onboarded into (``shown_quotes`` asks it again)."""
    policyqa_file = shared / POLICYQA
    sources = dev_sources()
    missing = [shared / s["file"] for s in sources.values() if not (shared / s["file"]).is_file()]
    if missing or not policyqa_file.is_file():
        raise InvalidInputError(
            f"the training data is not here ({(missing or [policyqa_file])[0]}): `train` reads the public "
            f"data folder beside the checkout (../shared/data); pass --shared to point at it"
        )
    digests: dict[str, str] = {}
    lexical = LexicalIndexes()
    found: list[PolicyQuestions] = []
    say: Callable[[str], None] = (lambda m: print(m, file=sys.stderr)) if progress else (lambda m: None)

    say(f"training data: {len(sources)} dev policies (blind questions)")
    onboarded = onboard(settings, shared, sources)
    for document, source in sorted(sources.items()):
        questions = POLICY_SETS / source["questions"]
        digests[f"policies/{source['questions']}"] = _digest(questions)
        digests[source["file"]] = _digest(shared / source["file"])
        version = onboarded.corpus.versions(document)[-1]
        found.append(read_examples(onboarded, version, read_jsonl(questions), document, "policies", lexical))

    say("training data: question banks")
    own = Assistant.open(settings=settings)
    for document in sorted(own.corpus.packs):
        digests[f"corpus/{document}/{PACK}"] = _digest(own.corpus.root / document / PACK)  # its vocabulary
    for document, bank in sorted(own.corpus.question_banks.items()):
        digests[f"corpus/{document}/{bank.name}"] = _digest(bank)
        version = own.corpus.versions(document)[-1]
        found.append(read_examples(own, version, read_jsonl(bank), document, "bank", lexical))

    say("training data: PolicyQA (the half at even places)")
    digests[POLICYQA] = _digest(policyqa_file)
    fitting, _ = policyqa_split(json.loads(policyqa_file.read_text(encoding="utf-8"))["data"])
    with tempfile.TemporaryDirectory() as scratch:
        ids = write_policyqa_corpus(fitting, Path(scratch))
        corpus = Corpus.load(scratch)
        for policy in fitting:
            version = corpus.versions(ids[policy["title"]])[-1]
            rows = [
                {"question": qa["question"], "evidence": [a["text"] for a in qa["answers"]]}
                for paragraph in policy["paragraphs"]
                for qa in paragraph["qas"]
            ]
            found.append(read_examples(own, version, rows, ids[policy["title"]], "policyqa", lexical))
    return found, digests, onboarded


def fit(policies: list[PolicyQuestions], seed: int = 0, start: AnswerModel | None = None) -> AnswerModel:
    """The model that best ranks each question's gold units (or "no answer") first among its policy's units."""
    import torch

    torch.manual_seed(seed)
    dimensions = policies[0].unit_vectors.shape[1]
    start = start or AnswerModel.identity(dimensions)
    identity = torch.eye(dimensions)
    adapter = torch.nn.Parameter(torch.from_numpy(start.adapter.copy()))
    lexical_weight = torch.nn.Parameter(torch.tensor(start.lexical_weight))
    no_answer = torch.nn.Parameter(torch.tensor(start.no_answer))
    optimiser = torch.optim.Adam([adapter, lexical_weight, no_answer], lr=LEARNING_RATE)
    batches = []
    for policy in policies:
        units = torch.from_numpy(policy.unit_vectors)
        for first in range(0, len(policy.gold), BATCH):
            rows = slice(first, first + BATCH)
            target = torch.full((len(policy.gold[rows]), len(units) + 1), float("-inf"))
            for i, gold in enumerate(policy.gold[rows]):
                target[i, gold or [len(units)]] = 0.0
            batches.append(
                (
                    units,
                    torch.from_numpy(policy.query_vectors[rows]),
                    torch.from_numpy(policy.lexical[rows]),
                    target,
                )
            )
    order = random.Random(seed)
    for _ in range(EPOCHS):
        order.shuffle(batches)
        for units, queries, lexical, target in batches:
            adapted = torch.nn.functional.normalize(queries @ adapter, dim=1)
            scores = adapted @ units.T + lexical_weight * lexical
            logits = torch.cat([scores, no_answer.expand(len(queries), 1)], dim=1) / TEMPERATURE
            loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits + target, 1)).mean()
            loss = loss + PULL_TO_IDENTITY * ((adapter - identity) ** 2).sum() / dimensions
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return AnswerModel(adapter.detach().numpy().copy(), float(lexical_weight.item()), float(no_answer.item()))


def judge(model: AnswerModel, policies: list[PolicyQuestions]) -> dict[str, np.ndarray]:
    """Per question: the model's margin, whether the policy answers it, and whether the gold evidence is
    the model's first unit (hit@1) or among its first three (hit@3)."""
    margins, answerable, hit1, hit3, gaps, golden = [], [], [], [], [], []
    for policy in policies:
        adapted = policy.query_vectors @ model.adapter
        adapted /= np.maximum(np.linalg.norm(adapted, axis=1, keepdims=True), 1e-12)
        scores = adapted @ policy.unit_vectors.T + model.lexical_weight * policy.lexical
        for row, gold in enumerate(policy.gold):
            top = np.argsort(-scores[row])[:3]
            margins.append(model.margin(float(scores[row, top[0]])))
            answerable.append(bool(gold))
            hit1.append(int(top[0]) in gold)
            hit3.append(bool(set(top.tolist()) & set(gold)))
            gaps.append(scores[row, top] - scores[row, top[0]])
            golden.append([int(u) in gold for u in top])
    return {
        "margin": np.array(margins, dtype=np.float64),
        "answerable": np.array(answerable, dtype=bool),
        "hit@1": np.array(hit1, dtype=bool),
        "hit@3": np.array(hit3, dtype=bool),
        "gaps": np.array(gaps, dtype=np.float64).reshape(
            -1, 3
        ),  # each of the first three units' score - the first's
        "golden": np.array(golden, dtype=bool).reshape(-1, 3),  # whether it holds the evidence
    }


def measure(model: AnswerModel, policies: list[PolicyQuestions], offset: float = 0.0) -> dict[str, Any]:
    """``figures`` of ``model`` on ``policies``."""
    return figures(judge(model, policies), offset)


def figures(judged: dict[str, np.ndarray], offset: float = 0.0) -> dict[str, Any]:
    """hit@1 and hit@3 over answerable questions; answered share, abstention accuracy (the policy answers
    when the margin is at least ``offset``) and ROC AUC of the margin for telling answerable from not."""
    flags, answered = judged["answerable"], judged["margin"] >= offset
    found: dict[str, Any] = {
        "questions": len(flags),
        "hit@1": round(float(judged["hit@1"][flags].mean()), 3),
        "hit@3": round(float(judged["hit@3"][flags].mean()), 3),
        "answered_when_answerable": round(float(answered[flags].mean()), 3),
    }
    if (~flags).any():
        found["abstention_accuracy"] = round(float((~answered[~flags]).mean()), 3)
        found["auc"] = round(float(roc_auc_score(flags, judged["margin"])), 3)
    return found


def operating_point(judged: dict[str, np.ndarray]) -> float:
    """The margin to answer at that handles the most questions right: an answerable one answered with its
    evidence in the first three units, or an unanswerable one declined. Midway between two observed
    margins, so the choice does not sit on one question; or at either end: answer all, or none."""
    margins = np.unique(judged["margin"])
    cuts = np.concatenate([margins[:1], (margins[1:] + margins[:-1]) / 2, np.nextafter(margins[-1:], np.inf)])
    right = judged["answerable"] & judged["hit@3"]
    handled = [
        int(
            (right & (judged["margin"] >= cut)).sum()
            + (~judged["answerable"] & (judged["margin"] < cut)).sum()
        )
        for cut in cuts
    ]
    return float(cuts[int(np.argmax(handled))])


def shown_quotes(
    assistant: Assistant, held_out: list[tuple[AnswerModel, list[str]]], sources: dict[str, dict[str, Any]]
) -> list[list[tuple[float, bool, bool]]]:
    """Per answerable question of a left-out dev policy that its fold's model answers: each passage the
    answer may quote (``Answerer.passages``, likeliest first), as its margin below the likeliest's,
    whether it holds the retriever's best-ranked unit (always quoted), and whether it holds the
    evidence. Retrieved and composed as ``Assistant.ask`` does for an English question, so the quote gap
    is fit on the passages visitors would be shown, widened to paragraphs and lists, not on single units."""
    assistant.index()  # the policies' vectors in its store, as ``ask`` makes sure (embedded once per machine)
    shown = []
    for model, names in held_out:
        assistant.retriever.model = model
        for document in names:
            versions = assistant.retriever.versions_for(document)
            for row in read_jsonl(POLICY_SETS / sources[document]["questions"]):
                if not row.get("answerable", True):
                    continue
                found = assistant.retriever.retrieve(row["question"], versions)
                privacy = assistant.scope.probability(found.query_vector)
                if assistant.answerer.reasons_to_abstain(found, privacy):
                    continue
                passages = assistant.answerer.passages(found.results, versions, found.precedents.votes)
                shown.append(
                    [
                        (
                            passages[0].margin - p.margin,
                            p.best_ranked,
                            evidence_hit([p.citation.quote], row["evidence"], 1),
                        )
                        for p in passages
                    ]
                )
    return shown


def quote_gap(shown: list[list[tuple[float, bool, bool]]]) -> tuple[float, dict[str, float]]:
    """How far below the likeliest passage's margin another is still quoted (beside the one holding the
    retriever's best-ranked unit, always quoted): the smallest gap at which as many answers quote their
    evidence as when every passage is quoted (recall), over ``shown_quotes``; every quote beyond it adds
    words and no answer. Midway between two observed gaps, as ``operating_point``; with the quotes'
    precision (share holding the evidence) and recall at that gap and when every passage is quoted."""
    if not shown:
        raise InvalidInputError("no left-out dev question was answered, so there is no quote gap to fit")
    observed = np.unique([gap for passages in shown for gap, _, _ in passages])
    cuts = np.concatenate([(observed[1:] + observed[:-1]) / 2, np.nextafter(observed[-1:], np.inf)])

    def scored(cut: float) -> tuple[float, float]:
        kept = [[holds for gap, best, holds in passages if best or gap <= cut] for passages in shown]
        return float(np.mean([h for k in kept for h in k])), float(np.mean([any(k) for k in kept]))

    every = scored(float("inf"))
    cut = next(float(c) for c in cuts if scored(c)[1] >= every[1])
    precision, recall = scored(cut)
    return cut, {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "precision_quoting_all": round(every[0], 3),
        "recall_quoting_all": round(every[1], 3),
    }


def train(
    settings: Settings, shared: Path = SHARED_DATA, out: Path = PARAMETERS, progress: bool = True
) -> AnswerModel:
    """Gather, measure by policy on two folds of the dev policies, fit on everything, write with provenance."""
    policies, digests, onboarded = gather(settings, shared, progress)
    blind = sorted(p.name for p in policies if p.group == "policies")
    folds = [blind[0::2], blind[1::2]]
    held_out: dict[str, Any] = {}
    fold_models = [(fit([p for p in policies if p.name not in names]), names) for names in folds]
    judged = [judge(model, [p for p in policies if p.name in names]) for model, names in fold_models]
    # The one threshold is fit too: the final model's "no answer" score moves by the offset, so margin 0
    # is where the left-out policies' questions were handled best.
    offset = operating_point({key: np.concatenate([j[key] for j in judged]) for key in judged[0]})
    for number, (model, names) in enumerate(fold_models):
        held = [p for p in policies if p.name in names]
        held_out[f"fold {number + 1}"] = {
            "policies": names,
            "untrained": measure(AnswerModel.identity(model.adapter.shape[0]), held),
            "fitted": figures(judged[number], offset),
        }
        if progress:
            print(
                f"fold {number + 1} held out {names}: {held_out[f'fold {number + 1}']['fitted']}",
                file=sys.stderr,
            )
    # The fold models, moved by the offset, answer their left-out policies as the product would.
    held = [
        (AnswerModel(m.adapter, m.lexical_weight, m.no_answer + offset), names) for m, names in fold_models
    ]
    gap, gap_figures = quote_gap(shown_quotes(onboarded, held, dev_sources()))
    model = fit(policies)
    about = {
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "privacy-assistant train",
        "data": digests,
        "questions": {
            group: sum(len(p.gold) for p in policies if p.group == group)
            for group in ("policies", "bank", "policyqa")
        },
        "held_out_by_policy": held_out,
        "fitting": {
            "temperature": TEMPERATURE,
            "pull_to_identity": PULL_TO_IDENTITY,
            "learning_rate": LEARNING_RATE,
            "epochs": EPOCHS,
            "batch": BATCH,
        },
        "operating_point": {
            "offset": round(offset, 4),
            "chosen": "the margin that handles the most left-out dev policies' questions right (answerable: "
            "answered with the evidence in the first three units; unanswerable: declined), over both "
            "folds; the folds' answered and abstention figures above are at this margin, so they are "
            "tuned on, not held out",
        },
        "lexical_weight": round(model.lexical_weight, 4),
        "no_answer": round(model.no_answer + offset, 4),
        "quote_gap": {
            "gap": round(gap, 4),
            "chosen": "the smallest gap below the likeliest passage's margin within which another passage "
            "is quoted (the one holding the retriever's best-ranked unit always is) that quotes the "
            "evidence of as many of the left-out dev policies' answered answerable questions as quoting "
            "every passage the answer may quote (both folds, at the operating point, composed as the "
            "product composes them); the quotes' precision and recall at that gap, and quoting every passage",
            **gap_figures,
        },
    }
    model = AnswerModel(model.adapter, model.lexical_weight, model.no_answer + offset, about, gap)
    model.save(out, out.with_suffix(".json") if out != PARAMETERS else PROVENANCE)
    return model


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
