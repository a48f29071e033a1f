"""The scope classifier and the eval data it must never have seen."""

import json

from assistant.retrieval.scope import TRAINING, query_text
from evals.datasets_io import DATASETS, read_jsonl


def test_scope_training_shares_no_question_with_the_eval_sets():
    training = {json.loads(line)["text"].lower().strip(" ?.") for line in TRAINING.read_text().splitlines()}
    for path in DATASETS.glob("*.jsonl"):
        for row in read_jsonl(path):
            text = row.get("question") or row.get("message") or ""
            assert text.lower().strip(" ?.") not in training, f"{path.name}: {text!r} is also training data"


def test_privacy_questions_score_above_company_questions(assistant):
    def probability(text: str) -> float:
        return assistant.scope.probability(assistant.embeddings.embed_query(query_text(text)))

    assert probability("Do you share my personal data with advertisers?") > 0.5
    assert probability("What is the price of your software?") < 0.3


def test_a_privacy_question_in_plain_sales_words_is_answered_and_sales_questions_are_not(assistant):
    # The scope classifier gives it 0.25: under the old least probability 0.3, it was refused.
    assert assistant.ask("How do you figure out which offers to push at me?").answerable
    assert not assistant.ask("Can I get a demo of your product?").answerable
