"""A question that asks for one kind of fact is not answered by passages that hold none."""

from __future__ import annotations

import re

import pytest

from assistant import Assistant
from assistant.retrieval.details import missing_detail

NO_FACTS = "Please contact our data privacy manager using the details set out below."


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("could you give me your privacy team's phone number", "phone number"),
        ("Is there a helpline for data requests?", "phone number"),
        ("can I call someone about my account data", "phone number"),
        ("Tell me your privacy manager's full name", "person's name"),
        ("who exactly is your data protection officer?", "person's name"),
        ("What's the name of the contact person for privacy?", "person's name"),
        ("how many days until you reply to a request", "number"),
        ("whats the support line number for privacy questions", "phone number"),
        ("How much is the fee for a repeated request? Give me a number.", "number"),
        ("exactly how long is my data kept", "number"),
        ("when did you start using HubSpot", "date"),
        ("Has your company ever leaked customer data?", "past event"),
        ("any previous breaches I should know about?", "past event"),
        ("Is my CV deleted after 6 months, or after a year?", "span of time"),
        ("breach notification - within 72 hrs or what?", "span of time"),
    ],
)
def test_a_question_asking_for_a_fact_misses_it_in_passages_without_one(question: str, kind: str):
    assert missing_detail(question, [NO_FACTS]) == kind


@pytest.mark.parametrize(
    "question",
    [
        "do you keep my phone number?",  # about a phone number, not asking for one
        "can you fix the old phone number in my profile",
        "how long do you keep my data",  # "as long as necessary" answers it
        "When will you tell me about a breach?",
        "do you ever sell my data",
        "who do I contact about privacy",
        "can my 15 year old use your site",  # an age, not a span
        "my son has 16 years, can he use the contact form?",  # an age as most languages say it, rendered
        "my son a 16 years, can-il use le formulaire ?",  # French "il a 16 ans", rendered
        "I bought a licence two years ago and still get your emails. Why?",  # a time in the story
        "Which categories did you disclose in the past 12 months?",
        "what's the legal basis for using my name and contact info?",  # a name used, not asked for
    ],
)
def test_a_question_not_asking_for_a_kind_of_fact_misses_nothing(question: str):
    assert missing_detail(question, [NO_FACTS]) == ""


@pytest.mark.parametrize(
    ("question", "passage"),
    [
        (
            "how many days until you reply to a request",
            "We try to respond to all legitimate requests within one month.",
        ),
        ("in what year was the policy last changed?", "This version was last updated on June 1, 2024."),
        ("is there a phone number I can ring?", "Call us on +1 949 555 0100 during office hours."),
        ("will you reply within 30 days?", "We try to respond to all legitimate requests within one month."),
    ],
)
def test_a_passage_holding_the_fact_answers(question: str, passage: str):
    assert missing_detail(question, [NO_FACTS, passage]) == ""


def test_one_of_many_is_no_number():
    passage = "To process your application for one of our available positions"
    assert missing_detail("how many months do you keep my CV?", [passage]) == "number"


def test_the_assistant_says_the_policy_does_not_name_its_privacy_manager(assistant: Assistant):
    question = "Tell me your privacy manager's full name"
    versions = assistant.retriever.versions_for()
    found = assistant.retriever.retrieve(question, versions)
    assert found.missing_detail == "person's name"
    answer = assistant.ask(question)
    assert not answer.answerable
    # The same subject without asking for a name is answered.
    assert assistant.ask("how do I reach your privacy manager?").answerable


def test_a_date_question_is_answered_from_the_passage_that_holds_the_date(assistant: Assistant):
    answer = assistant.ask("in what year was the privacy notice last changed?")
    assert answer.answerable
    assert re.search(r"\b20\d\d\b", answer.citations[0].quote)


def test_a_fact_asked_for_stays_missing_however_like_an_answered_example(assistant: Assistant):
    # The bank answers "how long do you keep my CV?"; the policy names no number of months.
    question = "I didn't get the job. Exactly how many months will you hang on to my CV?"
    found = assistant.retriever.retrieve(question, assistant.retriever.versions_for())
    assert found.missing_detail == "number" and found.precedents.answered >= 0.8
    assert not assistant.ask(question).answerable
    assert assistant.ask("I didn't get the job. How long will you hang on to my CV?").answerable
