"""Adding versions: the import of Markdown, text and HTML, its refusals, and the CLI around it."""

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant import Assistant, InvalidInputError
from assistant.corpus.documents import Corpus
from assistant.corpus.importing import add_version, html_to_markdown
from assistant.corpus.units import parse_policy
from tests.conftest import CORPUS, SEED_DOCUMENT
from tests.fixtures import FIXTURES, HISTORY

PAGE = FIXTURES / "pages" / "privacy.html"
SEED_TEXT = Path(__file__).resolve().parent / "data" / "numecent-privacy-policy.seed.txt"
TODAY = date(2025, 1, 1)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    return root


def test_html_keeps_headings_and_text_and_drops_page_furniture():
    markdown = html_to_markdown(PAGE.read_text(encoding="utf-8"))
    assert markdown.startswith("# Privacy Policy\n")
    assert "## Data retention" in markdown
    assert "### How long will you use my personal information for?" in markdown
    assert "- Request erasure of your personal information." in markdown
    for furniture in (
        "Accept all cookies",
        "We use cookies to improve",
        "Products",
        "Sitemap",
        "All rights reserved",
        "dataLayer",
        "trackPageView",
        "Home",
    ):
        assert furniture not in markdown


def test_an_html_page_becomes_a_valid_version(corpus_dir):
    version = add_version(corpus_dir, PAGE, SEED_DOCUMENT, date(2024, 9, 1), today=TODAY)
    assert version.path == corpus_dir / SEED_DOCUMENT / "2024-09-01.md"
    assert version.title == "Numecent Privacy Policy"  # the document's title, kept from its history
    assert version.organization == "Numecent"
    sections = [s.name for s in parse_policy(version).sections]
    assert "Data retention › How long will you use my personal information for?" in sections
    assert len(Corpus.load(corpus_dir).versions(SEED_DOCUMENT)) == 2


def test_plain_text_becomes_markdown_with_headings(corpus_dir):
    version = add_version(corpus_dir, SEED_TEXT, SEED_DOCUMENT, date(2024, 9, 1), today=TODAY)
    names = {s.name for s in parse_policy(version).sections}
    assert "Data retention" in names and "Glossary" in names
    units = [u.text for u in parse_policy(version).units]
    assert "We try to respond to all legitimate requests within one month." in units
    assert "This version was last updated on June 1, 2024" in units  # a last line is never a heading


def test_a_new_document_takes_its_title_from_the_first_heading(corpus_dir, tmp_path):
    source = tmp_path / "p.md"
    source.write_text("# Acme Cookie Notice\n\nWe use cookies.\n", encoding="utf-8")
    version = add_version(corpus_dir, source, "acme-cookie-notice", date(2024, 1, 1), today=TODAY)
    assert version.title == "Acme Cookie Notice"


@pytest.mark.parametrize(
    ("content", "day", "scheduled", "problem"),
    [
        ("# P\n\nText.\n", "2024-06-01", False, "already has a version of 2024-06-01"),
        ("# P\n\nText.\n", "2025-02-01", False, "is in the future; add --scheduled"),
        ("# P\n\nText.\n", "2024-02-01", True, "is not in the future; drop --scheduled"),
        ("", "2024-09-01", False, "holds no policy text"),
        ("   \n\n", "2024-09-01", False, "holds no policy text"),
        ("# Only a heading\n\n## And another\n", "2024-09-01", False, "holds headings but no policy text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "2024-09-01", False, "is a binary file"),
        (b"caf\xe9 policy", "2024-09-01", False, "is not UTF-8"),
        (
            "<html><body><nav>Home</nav><script>x()</script></body></html>",
            "2024-09-01",
            False,
            "holds no policy text",
        ),
    ],
)
def test_refusals_leave_the_corpus_as_it_was(corpus_dir, tmp_path, content, day, scheduled, problem):
    source = tmp_path / ("page.html" if isinstance(content, str) and content.startswith("<html") else "v.md")
    source.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = sorted(p.name for p in (corpus_dir / SEED_DOCUMENT).iterdir())
    with pytest.raises(InvalidInputError, match=problem):
        add_version(
            corpus_dir, source, SEED_DOCUMENT, date.fromisoformat(day), scheduled=scheduled, today=TODAY
        )
    assert sorted(p.name for p in (corpus_dir / SEED_DOCUMENT).iterdir()) == before


def test_a_bad_document_id_or_missing_file_is_refused(corpus_dir, tmp_path):
    with pytest.raises(InvalidInputError, match="lower-case letters"):
        add_version(corpus_dir, PAGE, "Bad Id", date(2024, 1, 1), today=TODAY)
    with pytest.raises(InvalidInputError, match="does not exist"):
        add_version(corpus_dir, tmp_path / "nope.md", SEED_DOCUMENT, date(2024, 1, 1), today=TODAY)


def test_a_scheduled_version_is_not_in_force_until_its_day(corpus_dir):
    future = date.today() + timedelta(days=30)
    add_version(corpus_dir, PAGE, SEED_DOCUMENT, future, scheduled=True)
    corpus = Corpus.load(corpus_dir)
    assert corpus.in_force(SEED_DOCUMENT, date.today()).version == "2024-06-01"
    assert corpus.in_force(SEED_DOCUMENT, future).version == future.isoformat()


@pytest.mark.slow
def test_index_picks_up_an_added_version_incrementally(tmp_path):
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(HISTORY, corpus_dir)
    (corpus_dir / SEED_DOCUMENT / "2024-06-01.md").unlink()
    assistant = Assistant.open(corpus_dir=corpus_dir, data_dir=tmp_path / "data")
    first = assistant.index()
    assert sorted(first.embedded) == [f"{SEED_DOCUMENT}@2023-01-15", f"{SEED_DOCUMENT}@2023-08-29"]
    assistant.add_version(HISTORY / SEED_DOCUMENT / "2024-06-01.md", SEED_DOCUMENT, "2024-06-01")
    second = assistant.index()
    assert second.embedded == [f"{SEED_DOCUMENT}@2024-06-01"]
    assert len(second.unchanged) == 2
    answer = assistant.ask("Do you honor Do Not Track signals?")
    assert answer.citations[0].version == "2024-06-01"


def cli(
    *args: str, env_corpus: Path | None = None, tmp_path: Path | None = None
) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    if env_corpus:
        env["PRIVACY_ASSISTANT_CORPUS_DIR"] = str(env_corpus)
    if tmp_path:
        env["PRIVACY_ASSISTANT_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.slow
def test_cli_add_list_diff_and_lint(corpus_dir, tmp_path):
    added = cli(
        "corpus",
        "add",
        str(PAGE),
        "--document",
        SEED_DOCUMENT,
        "--effective",
        "2024-09-01",
        "--no-bank-review",  # tests/test_bank_review.py covers it; here it would load the model
        env_corpus=corpus_dir,
        tmp_path=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "added numecent-privacy-policy 2024-09-01" in added.stdout
    listed = cli("corpus", "list", env_corpus=corpus_dir, tmp_path=tmp_path)
    assert "  2024-06-01" in listed.stdout and "2024-09-01  in force" in listed.stdout
    again = cli(
        "corpus",
        "add",
        str(PAGE),
        "--document",
        SEED_DOCUMENT,
        "--effective",
        "2024-09-01",
        env_corpus=corpus_dir,
        tmp_path=tmp_path,
    )
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"error: {SEED_DOCUMENT} already has a version of 2024-09-01 ({corpus_dir / SEED_DOCUMENT / '2024-09-01.md'})"
    ]
    bad_date = cli(
        "corpus",
        "add",
        str(PAGE),
        "--document",
        SEED_DOCUMENT,
        "--effective",
        "June 2024",
        env_corpus=corpus_dir,
        tmp_path=tmp_path,
    )
    assert bad_date.returncode == 2 and bad_date.stderr.startswith(
        "error: --effective 'June 2024' is not a date"
    )

    diff = cli(
        "diff",
        SEED_DOCUMENT,
        "2023-08-29",
        "2024-06-01",
        "--format",
        "json",
        env_corpus=HISTORY,
        tmp_path=tmp_path,
    )
    assert diff.returncode == 0, diff.stderr
    assert json.loads(diff.stdout)["summary"]["modified"] == 4
    html = cli(
        "diff",
        SEED_DOCUMENT,
        "2023-08-29",
        "2024-06-01",
        "--format",
        "html",
        env_corpus=HISTORY,
        tmp_path=tmp_path,
    )
    assert html.stdout.startswith("<!doctype html>")
    same = cli("diff", SEED_DOCUMENT, "2024-06-01", "2024-06-01", env_corpus=HISTORY, tmp_path=tmp_path)
    assert "No changes of content." in same.stdout
    missing = cli("diff", SEED_DOCUMENT, "2022-01-01", "2024-06-01", env_corpus=HISTORY, tmp_path=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith(
        "error: numecent-privacy-policy has no version 2022-01-01"
    )

    lint = cli("lint", SEED_DOCUMENT, "--json", env_corpus=CORPUS, tmp_path=tmp_path)
    assert lint.returncode == 1
    codes = {f["code"] for f in json.loads(lint.stdout)["findings"]}
    assert codes == {"PL001", "PL002", "PL003", "PL004", "PL005"}
    (note,) = json.loads(lint.stdout)["cleaning"]
    assert (note["kind"], note["count"], note["cleaned"]) == ("run-in heading left as a unit", 5, False)
    clean = cli("lint", SEED_DOCUMENT, env_corpus=FIXTURES / "clean", tmp_path=tmp_path)
    assert clean.returncode == 0 and "no problems found" in clean.stdout
    assert "Could not clean (still quotable):\n  run-in heading left as a unit: 5 " in clean.stdout
    unknown = cli("lint", "nope", env_corpus=CORPUS, tmp_path=tmp_path)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: no document 'nope'")


def test_a_new_customers_first_version_goes_into_a_missing_corpus_folder(tmp_path):
    source = tmp_path / "acme.md"
    source.write_text(
        "Acme Privacy Notice\n===================\n\nEffective: 1 May 2024\n\n"
        "- [What we collect](#what-we-collect)\n\n"
        "What we collect\n---------------\n\nWe collect your e-mail address when you sign up.\n",
        encoding="utf-8",
    )
    corpus = tmp_path / "new-corpus"  # does not exist yet
    added = cli(
        "corpus",
        "add",
        str(source),
        "--document",
        "acme-privacy-notice",
        "--effective",
        "2024-05-01",
        "--organization",
        "Acme",
        "--source-url",
        "https://acme.example/privacy",
        env_corpus=corpus,
        tmp_path=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "added acme-privacy-notice 2024-05-01" in added.stdout
    assert "2 quotable units" in added.stdout
    assert "cleaned: table of contents 1" in added.stdout
    version = Corpus.load(corpus).versions("acme-privacy-notice")[0]
    assert (version.title, version.organization, version.source_url) == (
        "Acme Privacy Notice",
        "Acme",
        "https://acme.example/privacy",
    )
    later = tmp_path / "acme-2.md"
    later.write_text("# Acme Privacy Notice\n\nWe collect your e-mail address.\n", encoding="utf-8")
    second = add_version(corpus, later, "acme-privacy-notice", date(2024, 6, 1), today=TODAY)
    assert (second.organization, second.source_url) == ("Acme", "https://acme.example/privacy")


def test_a_source_url_that_is_not_a_web_address_is_refused(tmp_path):
    source = tmp_path / "p.md"
    source.write_text("# P\n\nText.\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="must be a web address"):
        add_version(tmp_path / "c", source, "p", date(2024, 1, 1), today=TODAY, source_url="acme.example")
    assert not (tmp_path / "c" / "p").exists() or not any((tmp_path / "c" / "p").iterdir())


def test_text_in_angle_brackets_stays_text_and_real_tags_stay_tags(tmp_path):
    # "<EU Representative>" opening an address would make Markdown drop the whole address as HTML.
    source = tmp_path / "p.md"
    source.write_text(
        "# Acme Privacy Notice\n\nOur representatives:\n\n<EU Representative>  \nPLANIT LEGAL  \n"
        "Jungfernstieg 1, 20095 Hamburg, Germany\n\nWrite to <privacy@acme.example> or see "
        "<https://acme.example/privacy>.<br>\n",
        encoding="utf-8",
    )
    version = add_version(tmp_path / "c", source, "acme-privacy-notice", date(2024, 1, 1), today=TODAY)
    text = parse_policy(version).text
    assert "<EU Representative>" in text and "Jungfernstieg 1, 20095 Hamburg, Germany" in text
    assert "privacy@acme.example" in text and "<br>" not in text


def test_the_index_fingerprint_follows_the_units_as_stored(monkeypatch: pytest.MonkeyPatch):
    """A parser change that alters a version's units re-embeds it, with no schema constant to bump."""
    import dataclasses

    from assistant.retrieval import store

    version = Corpus.load(CORPUS).versions(SEED_DOCUMENT)[-1]
    before = store.fingerprint(version)
    assert store.fingerprint(version) == before  # the same units, the same fingerprint
    parse = store.parse_policy

    def one_unit_fewer(v):
        parsed = parse(v)
        return dataclasses.replace(parsed, units=parsed.units[1:])

    monkeypatch.setattr(store, "parse_policy", one_unit_fewer)
    assert store.fingerprint(version) != before
