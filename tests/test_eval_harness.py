"""The eval harness end to end on the real assistant: datasets, the gate, and the HTML report in Chromium."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.retrieval.hybrid import PolicyRetriever, Retrieval, ScoredUnit
from evals.datasets_io import read_jsonl
from evals.intake import IntakeSuite
from evals.qa import DEFAULT_DATASET as QA_TEST
from evals.qa import QASuite
from evals.report import SHOWN_GAPS, write_report
from evals.runner import BASELINE, compare, read_baseline, run_suites, suites
from evals.targets import InProcessTarget, Targets
from evals.validate import format_validation, validate, validate_all
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, CORPUS


@pytest.fixture(scope="module")
def main_report(assistant: Assistant) -> dict:
    """The held-out QA and intake suites on the session's assistant (the code of this branch)."""
    return run_suites([QASuite(), IntakeSuite()], Targets(default=InProcessTarget(assistant)))


# -- dataset hygiene ---------------------------------------------------------------------------------
def test_shipped_datasets_are_clean():
    results = validate_all()
    assert {p.name for p in results} >= {
        "policy_qa.jsonl",
        "policy_qa_dev.jsonl",
        "history_qa.jsonl",
        "intake.jsonl",
    }
    assert not any(results.values()), format_validation(results)


def test_validator_finds_each_kind_of_problem(tmp_path: Path):
    bad = tmp_path / "policy_qa_broken.jsonl"
    rows = [
        {
            "id": "a",
            "question": "For how many years is my info retained?",
            "answerable": True,
            "evidence": ["We will only retain your personal information"],
        },
        {
            "id": "a",
            "question": "for how many  years is my info retained?",
            "answerable": True,
            "evidence": ["We keep it forever"],
        },
        {
            "id": "c",
            "question": "what personal data does the site collect",
            "answerable": False,
            "evidence": [],
        },
        {"id": "d", "question": 42, "answerable": "yes"},
    ]
    bad.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    problems = "\n".join(validate(bad))
    assert "(a): duplicate id" in problems
    assert "duplicate question" in problems
    assert "'We keep it forever' does not occur in the cited version (2024-06-01)" in problems
    assert "(c): the question appears verbatim in training data" in problems
    assert "(d): lacks 'evidence'" in problems and "'question' must be str" in problems
    assert not any(p.startswith("policy_qa_broken.jsonl:1 ") for p in validate(bad))


def test_validate_command_fails_with_one_line(tmp_path: Path):
    bad = tmp_path / "intake_broken.jsonl"
    bad.write_text('{"id": "x", "message": "delete me", "is_request": true, "rights": ["teleport"]}\n{oops\n')
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "eval", "validate", str(bad)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: the datasets have problems (listed above)"
    assert "not valid JSON" in result.stdout


def test_split_dev_never_runs_the_held_out_set():
    every = ["qa", "history", "intake", "policies"]
    dev = suites(every, split="dev")
    assert dev and {suite.split for suite in dev} <= {"dev", "train-cv"}
    assert {suite.split for suite in suites(every, split="test")} == {"test"}
    assert len(suites(every)) == len(dev) + len(suites(every, split="test"))
    # `make test`'s gate runs the dev split through the command line; a suite without one says so.
    empty = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "eval", "history", "--split", "dev"],
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 2
    assert empty.stderr.strip() == "error: history has no dev split; use --split test or both"


def test_a_refused_message_scores_as_no_request(assistant: Assistant):
    """An emoji-only message is refused with a clear error; for intake scoring, nothing was started."""
    observed = InProcessTarget(assistant).intake("🙂🙂🙂")
    assert not observed.is_request and observed.rights == set()


@pytest.mark.slow
# -- metrics on the real assistant, and the gate -----------------------------------------------------
def test_default_answerer_is_faithful(main_report: dict):
    qa = next(r for r in main_report["runs"] if r["suite"] == "qa")
    assert qa["metrics"]["faithfulness"] == 1.0
    assert qa["metrics"]["questions"] == len(read_jsonl(QA_TEST))


@pytest.mark.slow
def test_gate_passes_on_this_branch(main_report: dict):
    lines, ok = compare(main_report, read_baseline(BASELINE))
    assert ok, "\n".join(lines)
    assert any("qa/test/hit@1" in line for line in lines) and any(
        "intake/test/macro_f1" in line for line in lines
    )


class RandomRetriever(PolicyRetriever):
    """Deliberately broken: keeps the real scores (so abstention is unchanged) but returns random units."""

    def retrieve(self, question: str, versions, k: int | None = None) -> Retrieval:
        real = super().retrieve(question, versions, k)
        units = [u for v in versions for u in self.units_of(v)]
        picked = random.Random(question).sample(units, len(real.results))
        results = [
            ScoredUnit(u, s.score, s.similarity, s.lexical, s.margin)
            for u, s in zip(picked, real.results, strict=True)
        ]
        return Retrieval(results, real.query_vector, real.precedents, real.missing_detail, real.margin)


@pytest.mark.slow
def test_gate_fails_with_a_broken_retriever(assistant: Assistant, data_dir: Path):
    broken = Assistant.open(corpus_dir=CORPUS, data_dir=data_dir)
    real = broken.retriever
    broken._retriever = RandomRetriever(
        corpus=real.corpus,
        store=real.store,
        embeddings=real.embeddings,
        model=real.model,
        candidates=real.candidates,
        k=real.k,
    )
    report = run_suites([QASuite()], Targets(default=InProcessTarget(broken)))
    lines, ok = compare(report, read_baseline(BASELINE))
    assert not ok
    assert any("qa/test/hit@1" in line and "REGRESSION" in line for line in lines), "\n".join(lines)


def test_compare_respects_tolerance_and_direction():
    report = {
        "runs": [
            {"suite": "intake", "split": "test", "metrics": {"macro_f1": 0.80, "false_request_rate": 0.10}}
        ]
    }
    baseline = {
        "schema_version": 1,
        "metrics": {
            "intake/test/macro_f1": {"value": 0.81, "tolerance": 0.02},
            "intake/test/false_request_rate": {"value": 0.05, "tolerance": 0.02},
            "qa/test/hit@1": {"value": 0.9, "tolerance": 0.02},  # suite not run: not compared
        },
    }
    lines, ok = compare(report, baseline)
    assert not ok and len(lines) == 2
    assert "ok" in lines[0] and lines[0].endswith("ok")  # macro-F1 fell 0.01, within 0.02
    assert lines[1].endswith("REGRESSION")  # false requests rose by 0.05
    baseline["metrics"]["intake/test/false_request_rate"]["tolerance"] = 0.1
    assert compare(report, baseline)[1]


@pytest.mark.slow
# -- the report ----------------------------------------------------------------------------------------
@pytest.mark.browser
def test_report_html_shows_every_chart_in_chromium(main_report: dict, tmp_path: Path):
    written = write_report(main_report, tmp_path / "report")
    assert [p.name for p in written] == ["report.json", "report.md", "report.html"]
    data = json.loads(written[0].read_text())
    assert data["schema_version"] == 1 and [r["split"] for r in data["runs"]] == ["test", "test"]
    html = written[2].read_text()
    assert "http://" not in html.split("<table>")[0]  # self-contained: nothing fetched from outside
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    failures = sum(len(r["failures"]) for r in main_report["runs"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(written[2].as_uri())
            images = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0}))"
            )
            rows = page.locator("table").nth(0).locator("tr").count()
            gap_rows = page.locator("table").nth(1).locator("tr").count()
        finally:
            browser.close()
    alts = [i["alt"] for i in images]
    # bars for each run, the latency histogram, the intake confusion matrix
    assert len(images) == 4, alts
    assert all(i["ok"] for i in images), images
    assert any(a.startswith("confusion matrix") for a in alts) and "latency" in alts
    assert rows == failures + 1  # a row per failure under the header
    gaps = next(r for r in main_report["runs"] if r["suite"] == "qa")["details"]["gaps"]
    assert gaps and gap_rows == min(len(gaps), SHOWN_GAPS) + 1
    assert "Knowledge gaps" in written[1].read_text()


def test_knowledge_gaps_group_what_was_declined_or_missed(assistant: Assistant):
    from evals.qa import knowledge_gaps
    from evals.targets import Cited, Observed

    rows = [
        {"question": "Do you sell my data to advertisers?", "answerable": False, "evidence": []},
        {"question": "Is my personal data sold to advertisers?", "answerable": False, "evidence": []},
        {"question": "How long do you keep my data?", "answerable": True, "evidence": ["retain"]},
        {"question": "What is your DPO's phone number?", "answerable": True, "evidence": ["0800"]},
    ]
    declined = Observed(False, "", [], 0.0)
    answered = Observed(
        True, "", [Cited("numecent-privacy-policy", "v", "we retain it", "Data retention")], 0.0
    )
    gaps = knowledge_gaps(rows, [declined, declined, answered, answered], assistant.gap_finder)
    # The two questions about selling are one gap; the answer that quotes its evidence is none; the
    # answer without it is one, with the section it cited.
    assert sorted((g["count"], g["declined"], g["unhelpful"]) for g in gaps) == [(1, 0, 1), (2, 2, 0)]
    missed = next(g for g in gaps if g["unhelpful"])
    assert missed["question"] == "What is your DPO's phone number?"
    assert missed["sections"] == ["numecent-privacy-policy § Data retention"]
