import re
from pathlib import Path

import pytest

from assistant import Corpus, CorpusError
from assistant.corpus.documents import read_version
from assistant.corpus.sentences import split_sentences
from assistant.corpus.units import parse_policy
from tests.conftest import CORPUS, SEED_DOCUMENT

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "numecent-privacy-policy.txt"
SEED_COPY = Path(__file__).resolve().parent / "data" / "numecent-privacy-policy.seed.txt"
SHIPPED = CORPUS / SEED_DOCUMENT / "2024-06-01.md"


def words(text: str) -> list[str]:
    """The words of a text with Markdown markup dropped: headings, list markers, table pipes and rules."""
    lines = []
    for line in text.splitlines():
        if re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line):
            continue  # a table's separator row
        line = re.sub(r"^\s*#{1,6}\s+", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "", line)
        lines.append(line.replace("|", " "))
    return " ".join(lines).split()


def test_corpus_words_are_exactly_the_seeds():
    seed = SEED_COPY.read_text(encoding="utf-8")
    version = read_version(SHIPPED)
    assert words(version.body) == words(seed)


def test_seed_copy_is_the_published_seed():
    if not SEED.exists():
        pytest.skip("../shared/seed is not beside this checkout; the committed copy is checked alone")
    assert SEED_COPY.read_text(encoding="utf-8") == SEED.read_text(encoding="utf-8")


def test_front_matter_is_read():
    version = read_version(SHIPPED)
    assert version.document == SEED_DOCUMENT
    assert version.version == "2024-06-01"
    assert version.organization == "Numecent"
    assert version.source_url == "https://www.numecent.com/legal/privacy.html"


def write(root: Path, name: str, text: str) -> Path:
    path = root / SEED_DOCUMENT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "---\ndocument: numecent-privacy-policy\ntitle: T\neffective: {date}\n---\n# Policy\n\nWe keep data.\n"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("2024-06-01.md", "# Policy\n\nNo front matter here.\n", "no YAML front matter"),
        ("2024-06-01.md", GOOD.replace("{date}", "2024-13-45"), "is not a date"),
        ("2024-06-01.md", GOOD.replace("{date}", "2024-06-01").split("# Policy")[0], "empty body"),
        ("2024-06-02.md", GOOD.replace("{date}", "2024-06-01"), "file name must be the effective date"),
        ("2024-06-01.md", "---\ntitle: T\neffective: 2024-06-01\n---\nText.\n", "lacks document"),
        ("2024-06-01.md", "---\n: [unclosed\n---\nText.\n", "not valid YAML"),
    ],
)
def test_malformed_file_fails_the_whole_load_naming_file_and_problem(tmp_path, name, text, problem):
    write(tmp_path, "2023-01-01.md", GOOD.replace("{date}", "2023-01-01"))
    bad = write(tmp_path, name, text)
    with pytest.raises(CorpusError) as error:
        Corpus.load(tmp_path)
    assert str(bad) in str(error.value)
    assert problem in str(error.value)


def test_two_files_for_one_date_are_refused(tmp_path):
    write(tmp_path, "2024-06-01.md", GOOD.replace("{date}", "2024-06-01"))
    (tmp_path / "other").mkdir()
    other = tmp_path / "other" / "2024-06-01.md"
    other.write_text(GOOD.replace("{date}", "2024-06-01").replace("numecent-privacy-policy", "other"))
    assert len(Corpus.load(tmp_path).all_versions()) == 2  # same date, different documents: fine
    dup = write(tmp_path, "2024-06-01.markdown", GOOD.replace("{date}", "2024-06-01"))
    with pytest.raises(CorpusError, match="not a Markdown file"):
        Corpus.load(tmp_path)
    dup.unlink()


def test_an_empty_corpus_folder_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="holds no policy versions"):
        Corpus.load(tmp_path)


def test_version_in_force_on_a_date(tmp_path):
    for day in ("2023-01-01", "2024-06-01"):
        write(tmp_path, f"{day}.md", GOOD.replace("{date}", day))
    corpus = Corpus.load(tmp_path)
    from datetime import date

    assert corpus.in_force(SEED_DOCUMENT, date(2022, 12, 31)) is None
    assert corpus.in_force(SEED_DOCUMENT, date(2023, 1, 1)).version == "2023-01-01"
    assert corpus.in_force(SEED_DOCUMENT, date(2024, 5, 31)).version == "2023-01-01"
    assert corpus.in_force(SEED_DOCUMENT, date(2024, 6, 1)).version == "2024-06-01"


# -- sentences and units ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Numecent Holdings Ltd. is the controller. It decides.",
            ["Numecent Holdings Ltd. is the controller.", "It decides."],
        ),
        (
            "Numecent Inc. 18565 Jamboree Rd, Ste 540, Irvine, CA 92612",
            ["Numecent Inc. 18565 Jamboree Rd, Ste 540, Irvine, CA 92612"],
        ),
        (
            "We use tools, e.g. Google Analytics. Then more.",
            ["We use tools, e.g. Google Analytics.", "Then more."],
        ),
        ("Providers in the U.S. For details, see below.", ["Providers in the U.S. For details, see below."]),
        ("It is “great.” Next one! And? Yes.", ["It is “great.”", "Next one!", "And?", "Yes."]),
        ("(a) one thing; (b) another. Done.", ["(a) one thing; (b) another.", "Done."]),
        (
            "Version 2.0 is out. See www.numecent.com/contact for more.",
            ["Version 2.0 is out.", "See www.numecent.com/contact for more."],
        ),
    ],
)
def test_sentence_splitter(text, expected):
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_units_have_offsets_ids_and_urls():
    parsed = parse_policy(read_version(SHIPPED))
    ids = [u.id for u in parsed.units]
    assert len(ids) == len(set(ids))
    for unit in parsed.units:
        assert parsed.text[unit.start : unit.end] == unit.text
        assert unit.id == f"{SEED_DOCUMENT}/2024-06-01/{unit.section.slug}/{unit.n}"
        assert unit.href == f"/policy/{SEED_DOCUMENT}/2024-06-01#{unit.section.slug}-{unit.n}"


def test_table_rows_are_whole_units_carrying_their_headers():
    parsed = parse_policy(read_version(SHIPPED))
    rows = [u for u in parsed.units if u.kind == "table_row"]
    assert len(rows) == 10
    order = next(u for u in rows if u.text.startswith("To process and deliver your order"))
    assert order.text.count(" | ") == 2
    assert "(c) Financial (d) Transaction" in order.text
    assert order.headers[0] == "Purpose/Activity"
    assert "Purpose/Activity: To process and deliver your order" in order.context


def test_sections_follow_the_headings():
    parsed = parse_policy(read_version(SHIPPED))
    names = {s.name for s in parsed.sections}
    assert "Data retention › How long will you use my personal information for?" in names
    assert "Glossary › YOUR INFORMATION ACCESS RIGHTS" in names
    unit = next(u for u in parsed.units if u.text.startswith("We try to respond to all legitimate requests"))
    assert unit.section.name == "Your information access rights › Time limit to respond"
    list_items = [u for u in parsed.units if u.kind == "list_item"]
    assert any(u.text == "request a demo of our solutions;" for u in list_items)


# -- what is structure, not policy text ---------------------------------------------------------------
def parsed_page(tmp_path: Path, body: str):
    front = "---\ndocument: numecent-privacy-policy\ntitle: Acme Privacy Notice\neffective: 2024-05-01\n---\n"
    return parse_policy(read_version(write(tmp_path, "2024-05-01.md", front + body)))


def cleaned(parsed) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in parsed.cleaned]


def test_a_table_of_contents_is_not_quotable(tmp_path):
    parsed = parsed_page(
        tmp_path,
        "# Acme Privacy Notice\n\n## Contents\n\n"
        "- [1. What we collect](#what-we-collect)\n- [2. Your rights](#your-rights)\n"
        "  - [2.1 Deleting your account](#deleting)\n\n"
        "## What we collect\n\nWe collect your e-mail address.\n\n[Back to top](#contents)\n\n"
        "## Your rights\n\nYou may ask us for a copy of your data.\n\n"
        "- [Our cookie notice](https://acme.example/cookies)\n",
    )
    assert [u.text for u in parsed.units] == [
        "We collect your e-mail address.",
        "You may ask us for a copy of your data.",
        "Our cookie notice",  # a link to another page is not navigation within this one
    ]
    assert cleaned(parsed) == [
        ("table of contents", "1. What we collect"),
        ("table of contents", "2. Your rights"),
        ("table of contents", "2.1 Deleting your account"),
        ("table of contents", "Back to top"),
    ]
    assert [s.name for s in parsed.sections][:2] == ["Acme Privacy Notice", "Contents"]


def test_lines_that_are_only_headings_become_headings(tmp_path):
    parsed = parsed_page(
        tmp_path,
        "Effective: 1 May 2024\n\nInformation We Collect\n\nWe collect your e-mail address when you sign up.\n\n"
        "**2. Sharing**\n\n**Mail Provider.** Our mail provider sends our e-mails.\n\n"
        "Payment Processors. Your card is charged by a payment processor.\n\n"
        "Direct contact. You can write to us.\n\n**5.**\n\n==========\n\nAcme Ltd\n12 High Street\n",
    )
    assert [(u.section.name, u.text) for u in parsed.units] == [
        ("Acme Privacy Notice", "Effective: 1 May 2024"),
        ("Information We Collect", "We collect your e-mail address when you sign up."),
        ("2. Sharing", "Mail Provider. Our mail provider sends our e-mails."),
        ("2. Sharing", "Payment Processors. Your card is charged by a payment processor."),
        ("2. Sharing", "Direct contact."),  # shaped like a label, but not marked as one: left alone
        ("2. Sharing", "You can write to us."),
        ("2. Sharing", "Acme Ltd 12 High Street"),  # two lines, one with a number: an address
    ]
    assert cleaned(parsed) == [
        ("heading-only text", "Information We Collect"),
        ("heading-only text", "2. Sharing"),
        ("run-in heading", "Mail Provider."),
        ("run-in heading", "Payment Processors."),
        ("run-in heading left as a unit", "Direct contact."),
        ("text without words", "5."),
        ("text without words", "=========="),
    ]
    # The two are siblings: a run of heading-only lines does not nest.
    assert [s.name for s in parsed.sections] == [
        "Acme Privacy Notice",
        "Information We Collect",
        "2. Sharing",
    ]


def test_table_title_rows_and_repeated_header_rows_are_not_quotable(tmp_path):
    parsed = parsed_page(
        tmp_path,
        "# Acme Privacy Notice\n\n## Data we keep\n\n"
        "| Purpose | Data |\n| --- | --- |\n| Sending receipts | E-mail address |\n"
        "| Purpose | Data |\n| Fraud checks | Card number |\n\n"
        "## Retention\n\n"
        "|   |   |   |\n| --- | --- | --- |\n|   | **Account data** |   |\n"
        "|   | What we keep | How long |\n"
        "|   | Your e-mail address<br>and name | Until you delete<br>your account |\n\n"
        "|   |   |   |\n| --- | --- | --- |\n"
        "|   | Payment records<br>We keep what the tax law asks of us. |   |\n"
        "|   | Invoices | We keep them for seven years. |\n",
    )
    rows = [u for u in parsed.units if u.kind == "table_row"]
    assert [(u.section.name, u.text, u.headers) for u in rows] == [
        ("Data we keep", "Sending receipts | E-mail address", ("Purpose", "Data")),
        ("Data we keep", "Fraud checks | Card number", ("Purpose", "Data")),
        (
            "Retention › Account data",
            "Your e-mail address and name | Until you delete your account",
            ("What we keep", "How long"),
        ),
        ("Retention › Payment records", "Invoices | We keep them for seven years.", ()),
    ]
    prose = next(u for u in parsed.units if u.kind == "sentence")
    assert (prose.section.name, prose.text) == (
        "Retention › Payment records",
        "We keep what the tax law asks of us.",
    )
    assert cleaned(parsed) == [
        ("repeated header row", "Purpose | Data"),
        ("table title row", "Account data"),
        ("table header row", "What we keep | How long"),
        ("table title row", "Payment records"),
        ("table without header row", "Invoices | We keep them for seven years."),
    ]
    assert all(parsed.text[u.start : u.end] == u.text for u in parsed.units)
