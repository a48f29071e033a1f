"""Diffs on the fixture history (three versions derived from the seed; see tests/fixtures/history): each
change reported once with its kind and section, moves, word changes, and the text, JSON and HTML
renderings. The ranking by substance is in tests/test_diff_substance.py."""

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from assistant import Change
from assistant.corpus.diff import diff_versions, word_diff
from assistant.corpus.diff_render import render_diff_html, render_diff_json, render_diff_text
from assistant.corpus.outline import content_key
from assistant.corpus.sentences import split_sentences
from assistant.corpus.units import parse_policy
from tests.conftest import SEED_DOCUMENT
from tests.diff_support import history as history
from tests.diff_support import version

# Every change made to derive the fixtures, written down by hand when they were written: (kind, scope,
# section, a phrase of the old text, a phrase of the new text).
V1_TO_V2 = [
    (
        "modified",
        "sentence",
        "Important information and who we are › Purpose of this Privacy Policy",
        "No one under age 16",
        "No one under age 18",
    ),
    (
        "modified",
        "sentence",
        "Important information and who we are › Purpose of this Privacy Policy",
        "If you are under 16",
        "If you are under 18",
    ),
    (
        "modified",
        "sentence",
        "Important information and who we are › Purpose of this Privacy Policy",
        "about a person under 16",
        "about a person under 18",
    ),
    (
        "modified",
        "sentence",
        "Important information and who we are › Changes to the Privacy Policy and your duty to inform us of changes",
        "last updated on January 15, 2023 and",
        "last updated on August 29, 2023 and",
    ),
    (
        "modified",
        "sentence",
        "How is your personal information collected?",
        "including Universal Analytics.",
        "and HubSpot.",
    ),
    (
        "removed",
        "section",
        "How is your personal information collected? › Universal Analytics",
        "Universal Analytics sets cookies",
        None,
    ),
    (
        "added",
        "sentence",
        "How we use your personal information › Purposes for which we will use your personal information",
        None,
        "To process your application for one of our available positions",
    ),
    ("moved", "section", "Data security", "Data security", "Data security"),
    (
        "modified",
        "heading",
        "Your information access rights › Time limit to respond",
        "How quickly we respond",
        "Time limit to respond",
    ),
    (
        "modified",
        "sentence",
        "Glossary › YOUR INFORMATION ACCESS RIGHTS",
        "This version was last updated on January 15, 2023",
        "This version was last updated on August 29, 2023",
    ),
]
V2_TO_V3 = [
    (
        "moved",
        "sentence",
        "How we use your personal information",
        "You have the right to withdraw consent to marketing",
        "You have the right to withdraw consent to marketing",
    ),
    (
        "modified",
        "sentence",
        "How we use your personal information › Purposes for which we will use your personal information",
        "(e) Marketing and Communications | Necessary",
        "(f) Technical",
    ),
    (
        "removed",
        "sentence",
        "How we use your personal information › Third-party marketing",
        "We will get your express opt-in consent",
        None,
    ),
    (
        "added",
        "section",
        "How we use your personal information › Do Not Track “DNT” Signals",
        None,
        "we have not implemented the necessary program changes",
    ),
    (
        "modified",
        "sentence",
        "Your information access rights › Time limit to respond",
        "within 30 days.",
        "within one month.",
    ),
    (
        "modified",
        "sentence",
        "Your information access rights › Time limit to respond",
        "longer than 30 days if",
        "longer than a month if",
    ),
    (
        "modified",
        "sentence",
        "Glossary › YOUR INFORMATION ACCESS RIGHTS",
        "last updated on August 29, 2023",
        "last updated on June 1, 2024",
    ),
]


def matches(change: Change, expected) -> bool:
    kind, scope, section, old_phrase, new_phrase = expected
    return (
        change.kind == kind
        and change.scope == scope
        and change.section == section
        and (old_phrase is None) == (change.old_text is None)
        and (new_phrase is None) == (change.new_text is None)
        and (old_phrase is None or old_phrase in change.old_text)
        and (new_phrase is None or new_phrase in change.new_text)
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [("2023-01-15", "2023-08-29", V1_TO_V2), ("2023-08-29", "2024-06-01", V2_TO_V3)],
)
def test_every_change_is_reported_exactly_once_with_kind_and_section(history, old, new, expected):
    changes = diff_versions(version(history, old), version(history, new))
    for item in expected:
        found = [c for c in changes if matches(c, item)]
        assert len(found) == 1, (item, found)
    assert len(changes) == len(expected), [c for c in changes if not any(matches(c, e) for e in expected)]


def test_every_changed_sentence_appears_in_exactly_one_change(history):
    """Sentence by sentence: each sentence only one side has is in the text of exactly one change."""
    for old, new in (
        ("2023-01-15", "2023-08-29"),
        ("2023-08-29", "2024-06-01"),
        ("2023-01-15", "2024-06-01"),
    ):
        old_units = {content_key(u.text) for u in parse_policy(version(history, old)).units}
        new_units = {content_key(u.text) for u in parse_policy(version(history, new)).units}
        changes = diff_versions(version(history, old), version(history, new))
        for gone in old_units - new_units:
            assert sum(gone in sentences_of(c.old_text) for c in changes) == 1, gone
        for came in new_units - old_units:
            assert sum(came in sentences_of(c.new_text) for c in changes) == 1, came


def sentences_of(text: str | None) -> set[str]:
    """The sentences a change's text holds (a sentence, a row, or a section's paragraphs)."""
    if not text:
        return set()
    keys = {content_key(text)}
    for line in text.splitlines():
        keys |= {content_key(line[s:e]) for s, e in split_sentences(line)}
    return keys


def test_a_moved_section_is_a_move_not_a_removal_and_an_addition(history):
    changes = diff_versions(version(history, "2023-01-15"), version(history, "2023-08-29"))
    security = [
        c for c in changes if "Data security" in c.section or "Data security" in (c.old_section or "")
    ]
    assert [(c.kind, c.scope) for c in security] == [("moved", "section")]
    assert not any("No method of transmission" in (c.old_text or c.new_text or "") for c in changes)


def test_a_sentence_moved_to_another_section_is_one_move(history):
    changes = diff_versions(version(history, "2023-08-29"), version(history, "2024-06-01"))
    moved = [c for c in changes if "withdraw consent to marketing" in (c.new_text or c.old_text or "")]
    assert len(moved) == 1
    assert moved[0].old_section == "How we use your personal information › Opting out"
    assert moved[0].new_section == "How we use your personal information"


def test_modified_sentences_carry_the_words_that_changed(history):
    changes = diff_versions(version(history, "2023-08-29"), version(history, "2024-06-01"))
    respond = next(c for c in changes if c.new_text and c.new_text.startswith("We try to respond"))
    assert respond.words_removed == ("30 days",)
    assert respond.words_added == ("one month",)


def test_skipping_a_version_composes_the_changes(history):
    changes = diff_versions(version(history, "2023-01-15"), version(history, "2024-06-01"))
    heading = [c for c in changes if c.scope == "heading"]
    assert [(c.old_text, c.new_text) for c in heading] == [
        ("How quickly we respond", "Time limit to respond")
    ]
    respond = [c for c in changes if c.section.endswith("Time limit to respond") and c.scope == "sentence"]
    assert [c.kind for c in respond] == ["modified", "modified"]


@pytest.mark.parametrize("day", ["2023-01-15", "2023-08-29", "2024-06-01"])
def test_identical_versions_give_an_empty_diff(history, day):
    assert diff_versions(version(history, day), version(history, day)) == []


def test_formatting_only_changes_are_not_content_changes(history):
    v3 = version(history, "2024-06-01")
    body = v3.body
    body = body.replace("## Data security", "Data security\n-------------")  # setext heading
    body = body.replace("privacy@numecent.com", "[privacy@numecent.com](mailto:privacy@numecent.com)")
    body = body.replace("Numecent respects your privacy", "**Numecent** respects your privacy")
    body = body.replace(
        "We will only retain your personal information", "We will only retain your personal information "
    )
    body = body.replace("- Identity Data includes", "* Identity Data includes")
    body = body.replace("Internal Third Parties as set out", "Internal Third Parties, as set out")
    assert body != v3.body
    restyled = replace(v3, body=body, digest="restyled")
    assert diff_versions(v3, restyled) == []


def test_word_diff_keeps_the_text_verbatim():
    old, new = "We keep data for 30 days, then delete it.", "We keep your data for one month, then delete it."
    runs = word_diff(old, new)
    assert "".join(t for op, t in runs if op != "delete") == new
    assert [t for op, t in runs if op == "insert"] == ["your", "one month"]
    assert [t for op, t in runs if op == "delete"] == ["30 days"]


def test_renderings_carry_every_change(history):
    old, new = version(history, "2023-08-29"), version(history, "2024-06-01")
    changes = diff_versions(old, new)
    text = render_diff_text(changes, SEED_DOCUMENT, old.version, new.version)
    assert f"{len(changes)} change(s)" in text
    assert "  - We try to respond to all legitimate requests within 30 days." in text
    assert "  + We try to respond to all legitimate requests within one month." in text
    payload = json.loads(render_diff_json(changes, SEED_DOCUMENT, old.version, new.version))
    assert payload["summary"] == {"added": 1, "removed": 1, "modified": 4, "moved": 1}
    assert [c["kind"] for c in payload["changes"]] == [c.kind for c in changes]
    page = render_diff_html(changes, SEED_DOCUMENT, old.version, new.version)
    assert page.count('<section class="change') == len(changes)
    assert "<del>30 days</del>" in page and "<ins>one month</ins>" in page
    assert "Do Not Track &#34;DNT&#34;" in page or "Do Not Track “DNT”" in page
    assert not re.search(r"<script|<link|src=", page)

    class Checker(HTMLParser):
        pass

    Checker().feed(page)  # parses


def test_html_escapes_policy_text(history):
    v3 = version(history, "2024-06-01")
    hostile = replace(
        v3,
        body=v3.body.replace(
            "Welcome to Numecent’s privacy policy.", "Welcome \\<img src=x onerror=alert(1)\\> here."
        ),
        digest="x",
    )
    page = render_diff_html(diff_versions(v3, hostile), SEED_DOCUMENT, "a", "b")
    assert "<img" not in page
    assert "&lt;img" in page
