"""The cross-policy suite: a policy onboarded from a shared folder, asked its own questions, per-policy figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant import Assistant
from evals.metrics import bootstrap_interval
from evals.policies import PER_POLICY, PolicySuite, read_sources
from evals.runner import compare
from evals.targets import Targets

ACME = """Acme Privacy Notice
===================

Effective: 1 May 2024

What we collect
---------------

We collect your e-mail address and your name when you create an account.

How long we keep it
-------------------

We keep your account data for two years after you close your account.
"""

QUESTIONS = [
    {
        "question": "how long do you keep my stuff after I close my account?",
        "answerable": True,
        "evidence": ["We keep your account data for two years"],
    },
    {
        "question": "Do you collect my email?",
        "answerable": True,
        "evidence": ["We collect your e-mail address"],
    },
    {"question": "Which cloud provider hosts Acme's servers?", "answerable": False, "evidence": []},
]


def write_sets(root: Path, split: str) -> Path:
    shared = root / "shared"
    (shared / "policies").mkdir(parents=True)
    (shared / "policies" / "acme.md").write_text(ACME, encoding="utf-8")
    sets = root / "sets"
    sets.mkdir()
    with (sets / "acme.jsonl").open("w", encoding="utf-8") as out:
        for n, q in enumerate(QUESTIONS, 1):
            out.write(json.dumps({"id": f"qa-acme-{n:03d}", **q, "document": "acme-privacy-notice"}) + "\n")
    sources = {
        "policies": {
            "acme-privacy-notice": {
                "file": "policies/acme.md",
                "effective": "2024-05-01",
                "organization": "Acme",
                "questions": "acme.jsonl",
                "split": split,
            }
        }
    }
    (sets / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    return sets / "sources.json"


def test_a_policy_is_onboarded_and_scored_per_policy(assistant: Assistant, tmp_path: Path):
    sources = write_sets(tmp_path, "dev")
    settings = assistant.settings.model_copy(update={"cache_dir": tmp_path / "cache"})
    run = PolicySuite("dev", shared=tmp_path / "shared", dataset=sources).run(Targets(settings=settings))
    assert run.metrics["questions"] == 3
    figures = run.details["per_policy"]["acme-privacy-notice"]
    assert figures["questions"] == 3
    for name in ("hit@1", "hit@3", "abstention_accuracy"):
        low, value, high = figures[name]["low"], figures[name]["value"], figures[name]["high"]
        assert low <= value <= high
    assert figures["hit@3"]["value"] == 1.0  # two short sections: each answer is one of a handful of units
    # Each policy's figures are metrics of their own, so the gate compares them one by one.
    assert run.metrics["hit@3.acme-privacy-notice"] == 1.0
    assert {f"{n}.acme-privacy-notice" for n in PER_POLICY} <= run.metrics.keys()
    # Onboarded as `corpus add` does: into its own corpus, with the organization given.
    corpus = tmp_path / "cache" / "eval-policies" / "corpus" / "acme-privacy-notice"
    assert "organization: Acme" in next(corpus.glob("*.md")).read_text(encoding="utf-8")


def test_the_suite_scores_only_its_split_and_skips_without_the_shared_folder(
    assistant: Assistant, tmp_path: Path, capsys
):
    sources = write_sets(tmp_path, "test")
    settings = assistant.settings.model_copy(update={"cache_dir": tmp_path / "cache"})
    none_in_dev = PolicySuite("dev", shared=tmp_path / "shared", dataset=sources).run(
        Targets(settings=settings)
    )
    assert none_in_dev.metrics == {"questions": 0}
    absent = PolicySuite("test", shared=tmp_path / "nowhere", dataset=sources).run(Targets(settings=settings))
    assert absent.metrics == {"questions": 0}
    assert "skipped" in capsys.readouterr().err


def test_the_shipped_sources_name_a_question_set_for_every_policy_and_four_test_policies():
    sources = read_sources()
    assert sum(s["split"] == "test" for s in sources.values()) >= 4
    for source in sources.values():
        rows = (
            Path(__file__).resolve().parent.parent / "evals" / "datasets" / "policies" / source["questions"]
        )
        assert rows.is_file()


def test_bootstrap_interval_brackets_the_rate_and_is_repeatable():
    flags = [True] * 30 + [False] * 20
    low, high = bootstrap_interval(flags)
    assert low < 0.6 < high and (low, high) == bootstrap_interval(flags)
    assert bootstrap_interval([True] * 5) == (1.0, 1.0)
    assert all(math.isnan(x) for x in bootstrap_interval([]))


def test_the_gate_fails_when_one_policy_drops_though_the_pooled_figure_holds():
    def report(first: float, second: float) -> dict:
        metrics = {"hit@1": (first + second) / 2, "hit@1.first": first, "hit@1.second": second}
        return {"runs": [{"suite": "policies", "split": "dev", "metrics": metrics}]}

    accepted = report(0.8, 0.6)["runs"][0]["metrics"]
    baseline = {
        "metrics": {f"policies/dev/{k}": {"value": v, "tolerance": 0.02} for k, v in accepted.items()}
    }
    lines, ok = compare(report(0.9, 0.5), baseline)
    assert not ok
    assert [line.split()[0] for line in lines if line.endswith("REGRESSION")] == ["policies/dev/hit@1.second"]


def test_a_policys_figure_may_move_by_one_question_but_not_two():
    """Per-policy sets are small (37 answerable questions): one question is 0.027, above the pooled
    figures' 0.02, so the baseline's tolerance for them is one question of their own set."""
    from evals.runner import baseline_of

    def report(right: int) -> dict:
        figure = {"value": right / 37, "low": 0.0, "high": 1.0, "n": 37}
        return {
            "target": "in-process",
            "runs": [
                {
                    "suite": "policies",
                    "split": "dev",
                    "metrics": {"hit@1": right / 37, "hit@1.first": right / 37},
                    "details": {"per_policy": {"first": {"questions": 50, "hit@1": figure}}},
                }
            ],
        }

    baseline = baseline_of(report(30))
    assert baseline["metrics"]["policies/dev/hit@1.first"]["tolerance"] == pytest.approx(0.0272)
    assert baseline["metrics"]["policies/dev/hit@1"]["tolerance"] == 0.02  # pooled: the default
    lines, _ = compare(report(29), baseline)
    assert [line.split()[0] for line in lines if line.endswith("REGRESSION")] == ["policies/dev/hit@1"]
    lines, _ = compare(report(28), baseline)
    assert "policies/dev/hit@1.first" in [line.split()[0] for line in lines if line.endswith("REGRESSION")]
