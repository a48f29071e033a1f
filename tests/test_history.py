"""History questions on the real model and real Chroma, over the three-version fixture history."""

from datetime import date, timedelta

import pytest

from assistant import Assistant, UnknownDocumentError
from assistant.corpus.units import parse_policy
from assistant.history import read_history_question
from evals.datasets_io import DATASETS, read_jsonl
from tests.conftest import SEED_DOCUMENT
from tests.fixtures import HISTORY

VERSIONS = ["2023-01-15", "2023-08-29", "2024-06-01"]
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Assistant:
    a = Assistant.open(corpus_dir=HISTORY, data_dir=tmp_path_factory.mktemp("history-data"))
    a.index()
    return a


def assert_verbatim(assistant: Assistant, answer) -> None:
    for c in answer.citations:
        assert c.quote in parse_policy(assistant.corpus.get(c.document, c.version)).text
        assert f"/policy/{c.document}/{c.version}" in c.url


# -- as of: a test for each boundary day --------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "version"),
    [
        ("2023-01-15", "2023-01-15"),  # first day of the first version
        ("2023-08-28", "2023-01-15"),  # last day of the first version
        ("2023-08-29", "2023-08-29"),  # first day of the second
        ("2024-05-31", "2023-08-29"),  # last day of the second
        ("2024-06-01", "2024-06-01"),  # first day of the third
    ],
)
def test_as_of_cites_only_the_version_in_force_that_day(history, day, version):
    answer = history.ask("How quickly do you respond to requests?", as_of=day)
    assert answer.answerable
    assert {c.version for c in answer.citations} == {version}
    assert answer.as_of == day
    assert f"version of {version}" in answer.text
    assert_verbatim(history, answer)


@pytest.mark.parametrize(
    ("day", "version"),
    [
        ("2023-08-28", "2023-01-15"),
        ("2023-08-29", "2023-08-29"),
        ("2024-05-31", "2023-08-29"),
        ("2024-06-01", "2024-06-01"),
    ],
)
def test_a_date_named_in_the_question_is_a_boundary_too(history, day, version):
    answer = history.ask(f"On {day}, what was the minimum age to use the website?")
    assert {c.version for c in answer.citations} == {version}


def test_the_day_before_the_first_version_has_no_version(history):
    with pytest.raises(UnknownDocumentError, match="was in force on 2023-01-14"):
        history.ask("How quickly do you respond to requests?", as_of="2023-01-14")
    answer = history.ask("What did the policy say about requests on 2023-01-14?")
    assert not answer.answerable and "2023-01-15" in answer.text and not answer.citations


def test_without_a_time_answers_cite_the_version_in_force_today(history):
    answer = history.ask("How quickly do you respond to requests?")
    assert {c.version for c in answer.citations} == {"2024-06-01"}
    assert any("one month" in c.quote for c in answer.citations)


def test_a_period_with_several_versions_says_which_one_it_quotes(history):
    answer = history.ask("What did the policy say about analytics in 2023?")
    assert {c.version for c in answer.citations} == {"2023-08-29"}
    assert "2 versions of the policy were in force in 2023 (2023-01-15, 2023-08-29)" in answer.text


def test_the_previous_version(history):
    answer = history.ask("What did the previous version say about third-party marketing?")
    assert {c.version for c in answer.citations} == {"2023-08-29"}
    assert any("express opt-in consent" in c.quote for c in answer.citations)


# -- what changed --------------------------------------------------------------------------------
def test_what_changed_in_the_last_version_cites_both_versions(history):
    answer = history.ask("What changed in the last version?")
    assert answer.answerable
    assert {c.version for c in answer.citations} == {"2023-08-29", "2024-06-01"}
    assert (
        "From the version of 2023-08-29 to the version of 2024-06-01, the policy changed in 7 places"
        in answer.text
    )
    # Five changes of substance shown; the date line and a moved sentence counted on their own line.
    assert answer.text.endswith(
        "Only dates, link text, formatting or the order of passages changed in the other 2 places."
    )
    assert "last updated on" not in answer.text
    assert_verbatim(history, answer)
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text


def test_what_changed_over_a_long_span_leads_with_substance(history):
    # In document order the first five changes of 2023-01-15 -> 2024-06-01 include a "last updated on"
    # date line; the answer lists changes of substance instead and counts the minor ones apart.
    answer = history.ask("What changed since January 2023?")
    assert "the policy changed in 16 places" in answer.text
    assert "last updated on" not in answer.text
    assert answer.text.endswith(
        "and 7 more. Only dates, link text, formatting or the order of passages changed in the other 4 places."
    )
    assert_verbatim(history, answer)


def test_what_changed_about_a_topic_since_a_date(history):
    answer = history.ask("What changed about the minimum age since January 2023?")
    old, new = answer.citations
    assert (old.version, new.version) == ("2023-01-15", "2024-06-01")
    assert "under age 16" in old.quote and "under age 18" in new.quote


def test_nothing_changed_within_one_version(history):
    answer = history.ask("What changed since July 2024?")
    assert answer.answerable and not answer.citations
    assert "Nothing has changed since July 2024" in answer.text


def test_with_one_version_on_record_it_does_not_claim_the_policy_never_changed(assistant):
    # The shipped corpus holds one version, whose own text says it replaced earlier ones.
    answer = assistant.ask("What changed in the privacy policy recently?")
    assert not answer.answerable  # what changed is not known here: an abstention, with the contact
    assert "no earlier version to compare" in answer.text
    assert [c.quote for c in answer.citations if "privacy@numecent.com" in c.quote] == [
        answer.citations[0].quote
    ]
    assert "privacy@numecent.com [1]" in answer.text
    assert "nothing has changed" not in answer.text.lower()


# -- since when ----------------------------------------------------------------------------------
def test_since_when_finds_the_earliest_version(history):
    answer = history.ask("Since when does the policy mention HubSpot?")
    assert [c.version for c in answer.citations] == ["2023-08-29"]
    assert "HubSpot" in answer.citations[0].quote
    assert "since the version of 2023-08-29" in answer.text


def test_did_it_always_say(history):
    yes = history.ask("Did the policy always mention the Privacy Shield?")
    assert [c.version for c in yes.citations] == ["2023-01-15"]
    assert "Every version of the policy on record says this" in yes.text
    no = history.ask("Did the policy always say you must be 18 to use the website?")
    assert [c.version for c in no.citations] == ["2023-08-29"]
    assert "under age 18" in no.citations[0].quote


def test_a_passage_that_was_later_removed(history):
    answer = history.ask(
        "Since when does the policy promise opt-in consent before sharing data with third parties for marketing?"
    )
    assert [c.version for c in answer.citations] == ["2023-01-15"]
    assert "until the version of 2023-08-29" in answer.text


# -- recognising history questions ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "intent", "start", "end", "relative"),
    [
        ("What did the policy say in 2023?", "as_of", date(2023, 1, 1), date(2023, 12, 31), None),
        (
            "when I signed up in March 2024 what did you collect",
            "as_of",
            date(2024, 3, 1),
            date(2024, 3, 31),
            None,
        ),
        ("What did it say on June 1, 2024?", "as_of", date(2024, 6, 1), date(2024, 6, 1), None),
        ("what about 3 May 2023", "as_of", date(2023, 5, 3), date(2023, 5, 3), None),
        ("What did the previous version say about cookies?", "as_of", None, None, "previous"),
        ("What changed since last year?", "changes", date(2025, 1, 1), date(2025, 12, 31), None),
        ("What's new in the latest version?", "changes", None, None, "current"),
        ("How has the policy changed since 2023-05-01?", "changes", date(2023, 5, 1), date(2023, 5, 1), None),
        ("Since when do you use HubSpot?", "since", None, None, None),
        # Any organization by name, not only the first customer's.
        ("When did Acme first start sharing data with advertisers?", "since", None, None, None),
        ("Has the policy always said you can delete your data?", "since", None, None, None),
        ("What did the policy say two years ago?", "as_of", date(2024, 11, 27), date(2024, 11, 27), None),
    ],
)
def test_reading_history_questions(question, intent, start, end, relative):
    h = read_history_question(question, TODAY)
    assert (h.intent, h.start, h.end, h.relative) == (intent, start, end, relative)


@pytest.mark.parametrize(
    "question",
    [
        "Can I see an older version of the policy to compare what changed?",
        "how do I get a copy of previous versions, I want to know what's different",
        "Where can I get hold of a prior edition of the policy? I want to compare what changed.",
        "My employer's data notice says something different from this policy. Which one applies?",
    ],
)
def test_asking_for_a_copy_of_an_old_version_is_a_plain_question(question: str):
    # The policy answers it ("historic versions can be obtained by contacting us"); a diff would not.
    assert read_history_question(question, TODAY) is None


@pytest.mark.parametrize(
    "question",
    [
        "Why do you email me about changes to your terms or this policy?",
        "Will I be told of changes to the privacy policy?",
    ],
)
def test_mails_about_changes_are_a_topic_not_a_question_of_what_changed(question: str):
    assert read_history_question(question, TODAY) is None


def test_what_changed_between_two_versions_is_a_question_of_changes():
    h = read_history_question(
        "What exactly changed between the August 2023 version and the June 2024 one?", TODAY
    )
    assert h.intent == "changes"
    assert (h.start, h.topic) == (date(2023, 8, 1), "June 2024")


def test_a_time_in_the_story_before_the_question_is_not_the_questions():
    assert (
        read_history_question(
            "Privacy Shield fell in 2020. Are you certified under something else now?", TODAY
        )
        is None
    )
    h = read_history_question("I signed up in March 2024. What did the policy say about cookies then?", TODAY)
    assert (h.intent, h.start) == ("as_of", date(2024, 3, 1))


def test_the_time_is_taken_out_of_what_is_searched():
    h = read_history_question("When I signed up in March 2024, how long did you keep my data?", TODAY)
    assert h.topic == ", how long did you keep my data"
    assert read_history_question("Since when does the policy mention HubSpot?", TODAY).topic == "HubSpot"
    # A framing word inside a hyphenated word is part of the topic: "opt-in" is not "opt-".
    h = read_history_question("Since when do you promise opt-in consent for sign-on data?", TODAY)
    assert h.topic == "promise opt-in consent for sign-on data"


@pytest.mark.parametrize("name", ["policy_qa.jsonl", "policy_qa_dev.jsonl"])
def test_no_plain_question_of_the_qa_sets_is_read_as_a_history_question(name):
    for row in read_jsonl(DATASETS / name):
        assert read_history_question(row["question"], TODAY) is None, row["question"]


def test_an_impossible_date_is_not_a_time():
    assert read_history_question("what did it say on February 30, 2024", TODAY) is None


@pytest.mark.slow
def test_a_future_scheduled_version_is_not_quoted_today(history, tmp_path):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(HISTORY, corpus)
    a = Assistant.open(corpus_dir=corpus, data_dir=tmp_path / "data")
    future = date.today() + timedelta(days=10)
    a.add_version(HISTORY / SEED_DOCUMENT / "2023-01-15.md", SEED_DOCUMENT, future, scheduled=True)
    answer = a.ask("How quickly do you respond to requests?")
    assert {c.version for c in answer.citations} == {"2024-06-01"}
    assert {c.version for c in a.ask("How quickly do you respond to requests?", as_of=future).citations} == {
        future.isoformat()
    }


def test_the_banks_examples_vote_for_the_earlier_wording_of_their_evidence(history: Assistant):
    # The bank quotes today's "within one month"; in 2023 the same sentence said "within 30 days".
    retriever = history.retriever
    [old] = retriever.versions_for(SEED_DOCUMENT, date(2023, 9, 1))
    units = retriever.units_of(old)
    thirty_days = next(u for u in units if "requests within 30 days" in u.text)
    assert "within one month" in retriever.reworded(old)[thirty_days.id]
    assert retriever.reworded(retriever.versions_for(SEED_DOCUMENT)[0]) == {}  # the latest: its own words
    vector = history.embeddings.encode_query("How long do you take to respond to a request?")
    found = history.question_bank.precedents(
        vector, [(old, units)], retriever.bank_floor, {(old.document, old.version): retriever.reworded(old)}
    )
    assert thirty_days.id in found.votes
    assert (
        thirty_days.id
        not in history.question_bank.precedents(vector, [(old, units)], retriever.bank_floor).votes
    )
