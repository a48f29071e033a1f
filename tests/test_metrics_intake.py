"""The intake metrics on tiny hand-made cases."""

import math

from evals.metrics import email_accuracy, false_request_rate, macro_f1, precision_recall_f1


def test_precision_recall_f1_of_one_label():
    gold = [{"access"}, {"access", "erasure"}, set(), {"erasure"}]
    predicted = [{"access"}, {"erasure"}, {"access"}, {"erasure"}]
    p, r, f = precision_recall_f1(gold, predicted, "access")
    assert (p, r) == (0.5, 0.5) and f == 0.5
    assert precision_recall_f1(gold, predicted, "erasure") == (1.0, 1.0, 1.0)
    assert all(math.isnan(v) for v in precision_recall_f1(gold, predicted, "portability"))
    assert precision_recall_f1([{"access"}], [set()], "access") == (0.0, 0.0, 0.0)


def test_macro_f1_averages_labels_that_occur():
    gold = [{"access"}, {"erasure"}]
    predicted = [{"access"}, set()]
    assert macro_f1(gold, predicted, ["access", "erasure", "portability"]) == 0.5
    assert math.isnan(macro_f1([set()], [set()], ["access"]))


def test_false_request_rate_counts_only_non_requests():
    assert false_request_rate([True, False, False, False], [True, True, False, False]) == 1 / 3
    assert math.isnan(false_request_rate([True], [False]))


def test_email_accuracy_folds_case_and_requires_none_for_none():
    assert email_accuracy(["Jo@Example.com", None, "a@b.co"], ["jo@example.com", None, None]) == 2 / 3
    assert email_accuracy([None], ["invented@example.com"]) == 0.0
