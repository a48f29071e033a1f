"""The answer metrics of the eval harness on tiny hand-made cases (intake ones: test_metrics_intake.py)."""

import math

from assistant.settings import PROJECT_ROOT
from evals.metrics import (
    NOT_A_REQUEST,
    abstention_precision_recall,
    citation_precision,
    confusion_matrix,
    evidence_hit,
    faithfulness,
    field_accuracy,
    lead_hit,
    percentile,
    template_pattern,
    version_correct,
)

POLICY = (
    "We keep data for six years. We try to respond to all legitimate requests within 30 days. Other text."
)
INTRO = template_pattern((PROJECT_ROOT / "prompts" / "answer_intro.txt").read_text())
ABSTAIN = template_pattern((PROJECT_ROOT / "prompts" / "abstain.txt").read_text())


def test_evidence_hit_at_k_looks_only_at_the_first_k_quotes():
    quotes = ["Something else.", "We keep data for  six\nyears."]
    assert not evidence_hit(quotes, ["keep data for six years"], 1)
    assert evidence_hit(quotes, ["keep data for six years"], 3)


def test_citation_precision_pools_citations():
    quotes = [["We keep data for six years.", "Other text."], ["within 30 days"]]
    assert citation_precision(quotes, [["six years"], ["30 days"]]) == 2 / 3
    assert math.isnan(citation_precision([], []))


def test_lead_hit_asks_the_lead_alone_to_hold_the_evidence():
    leads = ["We keep data for  six\nyears.", "Other text.", ""]
    evidence = [["keep data for six years"], ["within 30 days"], ["Other"]]
    assert lead_hit(leads, evidence) == 1 / 3  # an empty lead misses, whatever the gold
    assert math.isnan(lead_hit([], []))


def test_abstention_precision_and_recall():
    expected = [True, False, False, True]
    answered = [False, False, True, True]
    # abstained on 0 and 1: one of them unanswerable; two unanswerable: abstained on one
    assert abstention_precision_recall(expected, answered) == (0.5, 0.5)
    precision, recall = abstention_precision_recall([True], [True])
    assert math.isnan(precision) and math.isnan(recall)


def test_version_correct_wants_exactly_the_set():
    assert version_correct(["2023-01-15", "2024-06-01"], ["2024-06-01", "2023-01-15"])
    assert not version_correct(["2024-06-01"], ["2024-06-01", "2023-01-15"])
    assert not version_correct(["2024-06-01", "2023-01-15"], ["2024-06-01"])


def test_faithfulness_is_one_for_quotes_framed_by_a_template():
    answer = "The privacy policy says: “We keep data for six years.” [1] “We try to respond to all legitimate requests within 30 days.” [2]"
    assert faithfulness(answer, [POLICY], [INTRO]) == 1.0
    dated = "The privacy policy in force on 2023-03-01 (version of 2023-01-15) says: “Other text.” [1]"
    assert faithfulness(dated, [POLICY], [INTRO]) == 1.0
    abstention = "The privacy policy does not address that, so I can't answer it from the policy. You can ask Acme's privacy team at privacy@acme.test [1]."
    assert faithfulness(abstention, [POLICY], [INTRO, ABSTAIN]) == 1.0


def test_faithfulness_fails_on_doctored_answers():
    altered_quote = "The privacy policy says: “We keep data for ten years.” [1]"
    assert faithfulness(altered_quote, [POLICY], [INTRO]) == 0.5
    added_claim = "The privacy policy says: “We keep data for six years.” [1] We never sell your data."
    assert faithfulness(added_claim, [POLICY], [INTRO]) == 1 / 3
    unknown_frame = "Our lawyers say: “We keep data for six years.” [1]"
    assert faithfulness(unknown_frame, [POLICY], [INTRO]) == 0.5
    # a quote of another version than the one cited does not count
    assert (
        faithfulness("The privacy policy says: “Other text.” [1]", ["A different version."], [INTRO]) == 0.5
    )
    assert math.isnan(faithfulness("", [POLICY], [INTRO]))


def test_template_pattern_follows_branches_and_loops():
    pattern = template_pattern(
        "{# note #}{% if a %}Yes {{ x }}.{% else %}No.{% endif %}{% for i in l %} [{{ i }}]{% endfor %}"
    )
    import re

    assert re.fullmatch(pattern, "Yes sir. [1] [2]")
    assert re.fullmatch(pattern, "No.")
    assert not re.fullmatch(pattern, "No. Yes sir.")
    assert not re.fullmatch(pattern, "Yes.")  # a value is never empty
    assert not re.fullmatch(pattern, "Maybe.")


def test_confusion_matrix_counts_pairs_and_non_requests():
    labels = ["access", "erasure"]
    gold = [{"access"}, {"erasure"}, set(), {"access", "erasure"}]
    predicted = [{"access"}, {"access"}, {"erasure"}, {"access"}]
    matrix = confusion_matrix(gold, predicted, labels)
    # rows gold, columns predicted: access, erasure, not a request
    assert matrix == [[2, 0, 0], [2, 0, 0], [0, 1, 0]]
    assert confusion_matrix([set()], [set()], labels)[2][2] == 1 and NOT_A_REQUEST == "not a request"


def test_field_accuracy_folds_case_and_wants_none_for_none():
    assert field_accuracy(["A@B.com", None, "self"], ["a@b.com ", "x@y.z", "self"]) == 2 / 3
    assert math.isnan(field_accuracy([], []))


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([1, 2, 3, 4, 5], 95) == 4.8
    assert math.isnan(percentile([], 50))
