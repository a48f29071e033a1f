"""The policy health check on the real shipped policy, a clean fixture, and small made-up pages."""

from dataclasses import replace

import pytest

from assistant.corpus.documents import read_version
from assistant.corpus.lint import RULES, cleaning_report, format_cleaning, lint_version
from assistant.corpus.units import parse_policy
from tests.conftest import CORPUS, SEED_DOCUMENT
from tests.fixtures import FIXTURES

SHIPPED = CORPUS / SEED_DOCUMENT / "2024-06-01.md"
CLEAN = FIXTURES / "clean" / SEED_DOCUMENT / "2025-03-01.md"


@pytest.fixture(scope="module")
def findings():
    return lint_version(read_version(SHIPPED))


def of(findings, code):
    return [f for f in findings if f.code == code]


def test_the_two_last_updated_dates_of_the_real_policy(findings):
    dates = of(findings, "PL001")
    assert {f.quote for f in dates} == {
        "This version was last updated on August 29, 2023 and historic versions can be obtained by contacting us.",
        "This version was last updated on June 1, 2024",
    }
    assert all(f.severity == "error" for f in dates)
    assert {f.section for f in dates} == {
        "Important information and who we are › Changes to the Privacy Policy and your duty to inform us of changes",
        "Glossary › YOUR INFORMATION ACCESS RIGHTS",
    }


def test_the_empty_headings_of_the_real_policy(findings):
    assert [f.quote for f in of(findings, "PL002")] == [
        "Social Media Features",
        "Third-party marketing",
        "Cookies",
    ]
    # A heading followed by its own subsections is not empty.
    assert not any(f.quote == "Important information and who we are" for f in findings)


def test_the_privacy_shield_reliance_of_the_real_policy(findings):
    shield = of(findings, "PL005")
    assert len(shield) == 1
    assert shield[0].section == "International transfers"
    assert "part of the Privacy Shield" in shield[0].quote
    assert "2020" in shield[0].message


def test_financial_and_transaction_data_are_used_but_never_defined(findings):
    undefined = of(findings, "PL004")
    assert sorted(f.message.split("“")[1].split("”")[0] for f in undefined) == ["Financial", "Transaction"]
    assert all("(c) Financial (d) Transaction" in f.quote for f in undefined)


def test_click_here_without_a_link(findings):
    quotes = [f.quote for f in of(findings, "PL003")]
    assert any(q.startswith("Click here to find out more about the types of lawful basis") for q in quotes)
    assert "Please click on the links below to find out more about these rights:" in quotes
    # "see [Request erasure] below" does point at something: the glossary entry "Request erasure of ...".
    assert not any("[Request erasure]" in q for q in quotes)


def test_every_quote_is_policy_text_and_every_finding_has_a_stable_code(findings):
    parsed = parse_policy(read_version(SHIPPED))
    headings = {s.title for s in parsed.sections}
    for f in findings:
        assert f.code in RULES and (f.name, f.severity) == RULES[f.code]
        assert f.quote in parsed.text or f.quote in headings
        assert f.section in {s.name for s in parsed.sections}


def test_a_clean_fixture_has_no_findings():
    assert lint_version(read_version(CLEAN)) == []


def rewrite(old: str, new: str):
    clean = read_version(CLEAN)
    assert old in clean.body
    return replace(clean, body=clean.body.replace(old, new), digest=new)


def test_contact_addresses_that_differ_across_sections():
    version = rewrite(
        "If you have any questions about the security of your personal information, you can contact us at privacy@numecent.com.",
        "If you have any questions about the security of your personal information, you can contact us at security@numecent.com.",
    )
    (finding,) = lint_version(version)
    assert finding.code == "PL006"
    assert finding.section == "Data security"
    assert "security@numecent.com" in finding.quote and "privacy@numecent.com" in finding.message


def test_a_named_reference_to_nothing():
    version = rewrite("see [Request erasure] below", "see [Request deletion] below")
    (finding,) = lint_version(version)
    assert finding.code == "PL003"
    assert "Request deletion" in finding.message


def test_a_mechanism_said_to_be_replaced_is_not_reliance():
    version = rewrite(
        "if they are certified under the EU-U.S. Data Privacy Framework,",
        "if they are certified under the EU-U.S. Data Privacy Framework (which replaced the Privacy Shield),",
    )
    assert lint_version(version) == []


def test_an_undefined_category_in_the_text():
    version = rewrite(
        "We may use your Identity, Contact, Technical, Usage and Profile Data",
        "We may use your Identity, Contact, Device and Profile Data",
    )
    (finding,) = lint_version(version)
    assert finding.code == "PL004" and "“Device”" in finding.message


def test_lint_reports_what_was_cleaned_and_what_could_not_be():
    version = rewrite(
        "## Important information and who we are\n",
        "Table of Contents\n\n"
        "- [Important information](#important-information-and-who-we-are)\n- [Glossary](#glossary)\n\n"
        "## Important information and who we are\n\n"
        "| | |\n| --- | --- |\n| Cookies | We use cookies to remember your settings. |\n",
    )
    assert [f.code for f in lint_version(version)] == []  # the contents' heading is not an empty section
    notes = cleaning_report(version)
    assert [(n.kind, n.count, n.cleaned) for n in notes] == [
        ("table of contents", 2, True),
        ("heading-only text", 1, True),
        ("table without header row", 1, False),
        ("run-in heading left as a unit", 5, False),
    ]
    assert format_cleaning(notes).splitlines()[:-1] == [
        "Cleaned (not quotable):",
        "  table of contents: 2 entries not quotable; e.g. “Important information”, “Glossary”",
        "  heading-only text: 1 lines that are only a heading, made headings; e.g. “Table of Contents”",
        "Could not clean (still quotable):",
        "  table without header row: 1 tables quoted without column headers: add a header row; "
        "e.g. “Cookies | We use cookies to remember your settings.”",
    ]


def test_the_real_policy_is_not_cleaned_and_its_unmarked_labels_are_reported():
    (note,) = cleaning_report(read_version(SHIPPED))
    assert (note.kind, note.count, note.cleaned) == ("run-in heading left as a unit", 5, False)
    assert note.examples[0] == "Direct interactions."
