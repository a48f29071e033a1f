"""Changes of substance first: a new data category or a new minimum age ranks before new dates, link
text, formatting and order, in the ranking and in every rendering; on an invented pair of versions and,
where it is at hand, Reddit's real policy history."""

import json
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from assistant import Change, Corpus
from assistant.corpus.diff import diff_versions
from assistant.corpus.diff_render import render_diff_html, render_diff_json, render_diff_text
from assistant.corpus.importing import add_version
from assistant.corpus.substance import by_substance
from evals.policies import SHARED_DATA
from tests.diff_support import history as history
from tests.diff_support import version

# -- changes of substance first ------------------------------------------------------------------
ACME_OLD = """# Acme Privacy Policy

Last updated: January 15, 2025.

## What we collect

We collect your name and email address when you sign up.

To change your cookie settings, [click here](https://acme.example/cookies).

## Children

You must be at least 13 years old to use Acme.

## Security

We review our security measures every year.

We protect your data with encryption at rest.
"""
# A new data category (date of birth) and a new minimum age, beside a new date line, new link text, a
# sentence moved within its section and a change of white space and markup.
ACME_NEW = """# Acme Privacy Policy

Last updated: June 1, 2025.

## What we collect

We collect your name, email address and date of birth when you sign up.

To change your cookie settings, [open the cookie settings page](https://acme.example/cookies).

## Children

You must be at least 16 years old to use Acme.

## Security

We   protect your data with **encryption** at rest.

We review our security measures every year.
"""


@pytest.fixture()
def acme(history):
    base = version(history, "2024-06-01")
    old = replace(base, body=ACME_OLD, digest="acme-old")
    new = replace(base, body=ACME_NEW, digest="acme-new")
    return old, new, diff_versions(old, new)


def find(changes: list[Change], phrase: str) -> Change:
    return next(c for c in changes if phrase in f"{c.old_text} {c.new_text}")


def test_new_data_and_a_new_age_rank_before_dates_link_text_and_order(acme):
    _, _, changes = acme
    data, age = find(changes, "date of birth"), find(changes, "16 years old")
    date_line, link, move = (
        find(changes, "June 1, 2025"),
        find(changes, "cookie settings"),
        find(changes, "encryption"),
    )
    assert move.kind == "moved"
    assert len(changes) == 5  # white space and markup are no change at all
    assert data.substance > 0 and age.substance > 0
    assert date_line.substance == link.substance == move.substance == 0
    ordered = by_substance(changes)
    assert ordered[:2] == [data, age] or ordered[:2] == [age, data]
    assert ordered[2:] == [date_line, link, move]  # the minor ones keep the document's order


def test_renderings_lead_with_substance_and_group_the_minor_changes(acme):
    changes = acme[2]
    text = render_diff_text(changes, "acme", "2025-01-15", "2025-06-01")
    heading = text.index("Only dates, link text, formatting or the order of passages (3):")
    for substantive in ("date of birth", "at least 16"):
        assert text.index(substantive) < heading
    for minor in ("June 1, 2025", "click here", "encryption at rest"):
        assert text.index(minor) > heading
    page = render_diff_html(changes, "acme", "2025-01-15", "2025-06-01")
    heading = page.index('<h2 class="minor"')
    assert page.index("date of birth") < heading < page.index("<ins>June 1</ins>")
    assert page.index("<ins>16</ins>") < heading < page.index("<del>click here</del>")
    payload = json.loads(render_diff_json(changes, "acme", "2025-01-15", "2025-06-01"))
    rows = payload["changes"]
    assert [r["new_text"] for r in rows] == [c.new_text for c in changes]  # the document's order
    ranks = {r["new_text"]: r["rank"] for r in rows}
    assert sorted(ranks.values()) == [1, 2, 3, 4, 5]
    assert max(ranks[find(changes, p).new_text] for p in ("birth", "16 years")) == 2
    assert [r["minor"] for r in rows] == [c.substance == 0 for c in changes]


# Beside the checkout (../shared/data), or where PRIVACY_ASSISTANT_SHARED_DATA says.
REDDIT = Path(os.environ.get("PRIVACY_ASSISTANT_SHARED_DATA", SHARED_DATA)) / "reddit-privacy-policy"


def test_a_real_history_leads_with_substance_not_date_lines(tmp_path):
    if not REDDIT.is_dir():
        pytest.skip(f"Reddit's policy history is not at {REDDIT} (set PRIVACY_ASSISTANT_SHARED_DATA)")
    files = sorted(REDDIT.glob("*.md"))
    for path in (files[0], files[-1]):
        add_version(tmp_path, path, "reddit", date.fromisoformat(path.stem), title="Reddit Privacy Policy")
    first, last = Corpus.load(tmp_path).versions("reddit")
    changes = diff_versions(first, last)
    ordered = by_substance(changes)
    dated = [c for c in changes if re.match(r"(Effective|Last Revised)\b", c.new_text or c.old_text or "")]
    assert dated and all(c.substance == 0 for c in dated)
    assert not [c for c in ordered[:10] if c.substance == 0]
    assert ordered.index(dated[0]) > len([c for c in changes if c.substance > 0]) - 1
