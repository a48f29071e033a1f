"""History questions in the eight other languages: read from their English rendering, answered from the
same versions as the English question, in the visitor's language. Real model, real Chroma, the
three-version fixture history."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant import Assistant
from assistant.exceptions import ConfigurationError
from assistant.history import HistoryQuestions, read_history_question
from assistant.intake.languages import Languages
from assistant.prompts import load_prompts
from assistant.settings import get_settings
from evals.datasets_io import DATASETS, read_jsonl
from tests.fixtures import HISTORY
from tests.test_history import assert_verbatim
from tests.test_languages import LANGUAGES

TODAY = date(2026, 11, 27)
TEMPLATES = (
    "history_changes",
    "history_no_changes",
    "history_no_version",
    "history_several_in_force",
    "history_since",
)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Assistant:
    a = Assistant.open(corpus_dir=HISTORY, data_dir=tmp_path_factory.mktemp("history-languages-data"))
    a.index()
    return a


@pytest.fixture(scope="module")
def questions() -> HistoryQuestions:
    return HistoryQuestions(Languages.load())


# -- answered from the right versions, in the visitor's language -----------------------------------
@pytest.mark.parametrize(
    ("code", "question", "opening"),
    [
        (
            "de",
            "Was hat sich in der Datenschutzerklärung seit Januar 2023 geändert?",
            "Von der Fassung vom 2023-01-15 zur Fassung vom 2024-06-01 hat sich die Datenschutzerklärung an 16 Stellen geändert",
        ),
        (
            "fr",
            "Qu'est-ce qui a changé dans la politique de confidentialité depuis janvier 2023 ?",
            "De la version du 2023-01-15 à la version du 2024-06-01, la politique a changé à 16 endroits",
        ),
        (
            "es",
            "¿Qué ha cambiado en la política de privacidad desde enero de 2023?",
            "De la versión del 2023-01-15 a la versión del 2024-06-01, la política cambió en 16 puntos",
        ),
        (
            "nl",
            "Wat is er veranderd in het privacybeleid sinds januari 2023?",
            "Van de versie van 2023-01-15 tot de versie van 2024-06-01 is de privacyverklaring op 16 plaatsen gewijzigd",
        ),
        (
            "sv",
            "Vad har ändrats i integritetspolicyn sedan januari 2023?",
            "Från versionen från 2023-01-15 till versionen från 2024-06-01 ändrades policyn på 16 ställen",
        ),
        (
            "pl",
            "Co się zmieniło w polityce prywatności od stycznia 2023?",
            "Między wersją z 2023-01-15 a wersją z 2024-06-01, polityka zmieniła się w 16 miejscach",
        ),
    ],
)
def test_what_changed_since_a_month_is_the_english_answer_in_the_visitors_words(
    history, code, question, opening
):
    english = history.ask("What changed since January 2023?")
    answer = history.ask(question)
    assert answer.language == code and english.language == "en"
    assert answer.answerable
    assert [(c.version, c.quote) for c in answer.citations] == [
        (c.version, c.quote) for c in english.citations
    ]
    assert answer.text.startswith(opening)
    for c in answer.citations:
        assert f"“{c.quote}” [{c.n}]" in answer.text  # the policy's words, as written
    assert_verbatim(history, answer)


@pytest.mark.parametrize(
    ("code", "question", "note", "intro"),
    [
        (
            "de",
            "Was stand im Jahr 2023 in der Datenschutzerklärung über Analytics?",
            "2 Fassungen der Datenschutzerklärung galten im Jahr 2023 (2023-01-15, 2023-08-29)",
            "Die am 2023-12-31 geltende Datenschutzerklärung (Fassung vom 2023-08-29) sagt",
        ),
        (
            "es",
            "¿Qué decía la política de privacidad en 2023 sobre la analítica?",
            "2 versiones de la política estuvieron en vigor en 2023 (2023-01-15, 2023-08-29)",
            "La política de privacidad vigente el 2023-12-31 (versión del 2023-08-29) dice",
        ),
        (
            "nl",
            "Wat stond er in 2023 in het privacybeleid over analytics?",
            "2 versies van de privacyverklaring golden in 2023 (2023-01-15, 2023-08-29)",
            "De privacyverklaring die op 2023-12-31 gold (versie van 2023-08-29) zegt",
        ),
    ],
)
def test_as_of_a_year_quotes_the_version_in_force_then_in_the_visitors_words(
    history, code, question, note, intro
):
    answer = history.ask(question)
    assert answer.language == code and answer.answerable
    assert {c.version for c in answer.citations} == {"2023-08-29"}
    assert answer.as_of == "2023-12-31"
    assert answer.text.startswith(note) and intro in answer.text
    assert_verbatim(history, answer)


def test_nothing_changed_repeats_the_time_as_the_visitor_wrote_it(history):
    answer = history.ask("Was hat sich seit Juli 2024 geändert?")
    assert answer.language == "de" and answer.answerable and not answer.citations
    assert (
        answer.text
        == "Es hat sich seit Juli 2024 nichts geändert: Die Fassung vom 2024-06-01 galt damals bereits."
    )


def test_a_time_before_every_version_is_declined_in_the_visitors_language(history):
    answer = history.ask("Was stand im Jahr 2020 in der Datenschutzerklärung über Cookies?")
    assert answer.language == "de" and not answer.answerable and not answer.citations
    assert answer.text == (
        "Keine hier vorliegende Fassung der Datenschutzerklärung galt im Jahr 2020; "
        "die älteste vorliegende Fassung trat am 2023-01-15 in Kraft."
    )


def test_with_one_version_on_record_the_abstention_is_in_the_visitors_language(assistant):
    # The shipped corpus holds one version: what changed is not known here.
    answer = assistant.ask("Was hat sich in der Datenschutzerklärung zuletzt geändert?")
    assert answer.language == "de" and not answer.answerable
    assert "es gibt also keine frühere Fassung" in answer.text
    assert "beim Datenschutzteam von Numecent unter privacy@numecent.com [1] erfragen" in answer.text
    assert "privacy@numecent.com" in answer.citations[0].quote


def test_since_when_finds_the_earliest_version_in_the_visitors_words(history):
    answer = history.ask("Depuis quand la politique de confidentialité mentionne-t-elle HubSpot ?")
    assert answer.language == "fr"
    assert [c.version for c in answer.citations] == ["2023-08-29"]
    assert "HubSpot" in answer.citations[0].quote
    assert answer.text.startswith("La politique dit cela depuis la version du 2023-08-29")


def test_what_changed_about_a_topic_is_found_by_the_topics_english(history):
    answer = history.ask("Was hat sich am Mindestalter seit Januar 2023 geändert?")
    old, new = answer.citations
    assert (old.version, new.version) == ("2023-01-15", "2024-06-01")
    assert "under age 16" in old.quote and "under age 18" in new.quote
    assert answer.language == "de"
    # The answer names the topic in the visitor's words, not in the English it was searched by.
    assert "‘Mindestalter’" in answer.text and "minimum age" not in answer.text


def test_a_question_about_the_policy_as_it_is_goes_the_plain_way(history, questions):
    question = "Wie lange speichert ihr meine Daten?"
    assert questions.read(question, "de", TODAY) is None
    answer = history.ask(question)
    assert answer.language == "de" and answer.answerable
    assert {c.version for c in answer.citations} == {"2024-06-01"}
    assert answer.text.startswith("Die Datenschutzerklärung sagt, zitiert in ihrer Originalsprache:")


# -- reading ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "question", "intent", "start", "end", "relative", "phrase"),
    [
        ("de", "Was hat sich seit März 2025 geändert?", "changes", date(2025, 3, 1), date(2025, 3, 31), None, "seit März 2025"),
        ("de", "Was stand in der vorherigen Version über Cookies?", "as_of", None, None, "previous", "in der vorherigen Version"),
        ("de", "Was galt am 1. Juni 2024 für Cookies?", "as_of", date(2024, 6, 1), date(2024, 6, 1), None, "am 1. Juni 2024"),
        ("de", "Was stand Ende 2023 in der Datenschutzerklärung über Cookies?", "as_of", date(2023, 1, 1), date(2023, 12, 31), None, "Ende 2023"),
        ("de", "Seit Juli 2024: was hat sich geändert?", "changes", date(2024, 7, 1), date(2024, 7, 31), None, "seit Juli 2024"),
        ("fr", "La politique de confidentialité a-t-elle toujours mentionné le Privacy Shield ?", "since", None, None, None, ""),
        ("fr", "Qu'est-ce qui a changé dans la dernière version ?", "changes", None, None, "current", "dans la dernière version"),
        ("fr", "Que disait votre politique de confidentialité l'année dernière sur les cookies ?", "as_of", date(2025, 1, 1), date(2025, 12, 31), None, "l'année dernière"),
        ("es", "¿Qué decía la versión anterior de la política sobre las cookies?", "as_of", None, None, "previous", "la versión anterior de la política"),
        ("es", "¿Desde cuándo menciona la política de privacidad Google Analytics?", "since", None, None, None, ""),
        ("it", "Cosa è cambiato nell'informativa sulla privacy dal gennaio 2025?", "changes", date(2025, 1, 1), date(2025, 1, 31), None, "dal gennaio 2025"),
        ("it", "Cosa è cambiato rispetto alla versione precedente?", "changes", None, None, "previous", "rispetto alla versione precedente"),
        ("nl", "Wat zei het privacybeleid twee jaar geleden over cookies?", "as_of", date(2024, 11, 27), date(2024, 11, 27), None, "twee jaar geleden"),
        ("pt", "Vocês podem dizer o que mudou na política de privacidade desde a versão anterior?", "changes", None, None, "previous", "desde a versão anterior"),
        ("pl", "Co mówiła polityka prywatności w 2023 roku o plikach cookie?", "as_of", date(2023, 1, 1), date(2023, 12, 31), None, "w 2023"),
        ("sv", "Vad sa integritetspolicyn om cookies år 2023?", "as_of", date(2023, 1, 1), date(2023, 12, 31), None, "år 2023"),
        ("sv", "Sedan när nämner integritetspolicyn HubSpot?", "since", None, None, None, ""),
    ],
)  # fmt: skip
def test_reading_history_questions_in_other_languages(
    questions, code, question, intent, start, end, relative, phrase
):
    assert Languages.load().detect(question) == code
    h = questions.read(question, code, TODAY)
    assert (h.intent, h.start, h.end, h.relative, h.phrase, h.language) == (
        intent,
        start,
        end,
        relative,
        phrase,
        code,
    )


def test_the_topic_is_english_and_quotes_stay_as_written(questions):
    h = questions.read("Seit wann erwähnt die Datenschutzerklärung „Löschung“ und Cookies?", "de", TODAY)
    assert h.intent == "since"
    assert "„Löschung“" in h.topic and "deletion" not in h.topic
    # "Daten" marks German, but quoted it is what the visitor asks about.
    h = questions.read("Seit wann steht „Daten über Kinder“ in der Datenschutzerklärung?", "de", TODAY)
    assert h.topic.startswith("„Daten über Kinder“")
    h = questions.read("Was hat sich seit Januar 2025 an der Speicherdauer geändert?", "de", TODAY)
    assert h.topic == "retention period" and h.said == "Speicherdauer"
    h = questions.read("¿Qué cambió sobre la conservación de datos desde 2023?", "es", TODAY)
    assert h.topic == "retention data" and h.said == "conservación de datos"


def test_english_is_read_as_it_is(questions):
    for question in (
        "What changed since January 2023?",
        "Since when do you use HubSpot?",
        "In 2023, did you sell data?",
    ):
        assert questions.read(question, "en", TODAY) == read_history_question(question, TODAY)


@pytest.mark.parametrize(
    "question",
    [
        "Welche Daten speichert ihr über mich?",
        "Combien de temps conservez-vous mes données ?",
        "¿Venden mis datos a terceros?",
        "Hoe lang bewaren jullie mijn gegevens?",
        "Jak długo przechowujecie moje dane?",
        "Hur länge sparar ni mina uppgifter?",
    ],
)
def test_questions_about_the_policy_as_it_is_are_no_history_questions(questions, question):
    assert questions.read(question, Languages.load().detect(question), TODAY) is None


def test_every_language_has_its_words_of_time_and_change(questions):
    assert set(questions.by_code) == {"en", *LANGUAGES}
    for code in LANGUAGES:
        gloss = questions.by_code[code].gloss
        english = set(gloss.values())
        # The words the English reader knows a time and a change by, each said somehow in the language.
        for word in ("since", "since when", "last year", "changed"):
            assert word in english, (code, word)
        assert any("previous" in v for v in english) and any("what" in v for v in english), code


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("de.yaml", "language: fr\ngloss: {}\n", "'language' must be 'de'"),
        ("xx.yaml", "language: xx\ngloss: {}\n", "no language ['xx']"),
        ("de.yaml", "language: de\ngloss: [seit]\n", "'gloss' must map phrases"),
        ("de.yaml", "language: de\ngloss: {seit: [since\n", "not valid YAML"),
    ],
)
def test_a_broken_vocabulary_is_a_clear_error(tmp_path, file, text, message):
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        HistoryQuestions(Languages.load(), tmp_path)


@pytest.mark.parametrize("name", ["policy_qa_languages.jsonl", "policy_qa_languages_dev.jsonl"])
def test_no_plain_question_of_the_language_qa_sets_is_read_as_a_history_question(questions, name):
    languages = Languages.load()
    for row in read_jsonl(DATASETS / name):
        question = row["question"]
        assert questions.read(question, languages.detect(question), TODAY) is None, question


# -- every history template, in every language ------------------------------------------------------
QUOTE_OLD = "No one under age 16 may provide any information to or on this Website."
QUOTE_NEW = "No one under age 18 may provide any information to or on this Website."


def _change(kind: str, scope: str, **fields) -> dict:
    change = {
        "minor": False,
        "first_minor": False,
        "kind": kind,
        "scope": scope,
        "section": "Purpose of this Privacy Policy",
        "old_section": "Purpose of this Privacy Policy",
        "new_section": "Purpose of this Privacy Policy",
        "old_quote": None,
        "new_quote": None,
        "old_marker": "",
        "new_marker": "",
    }
    return change | fields


CASES = {
    "history_changes": [
        dict(
            old="2023-01-15",
            new="2024-06-01",
            total=16,
            relevant=6,
            topic="minimum age",
            more=1,
            minor=2,
            shown_minor=1,
            shown=[
                _change("modified", "sentence", old_quote=QUOTE_OLD, new_quote=QUOTE_NEW, old_marker="[1]", new_marker="[2]"),
                _change("modified", "heading", old_section="Children", new_section="Minors"),
                _change("added", "section", section="Do Not Track", new_quote=QUOTE_NEW, new_marker="[3]"),
                _change("added", "sentence", new_quote=QUOTE_NEW, new_marker="[4]"),
                _change("removed", "section", section="Privacy Shield", old_quote=QUOTE_OLD, old_marker="[5]"),
                _change("removed", "sentence", old_quote=QUOTE_OLD, old_marker="[6]"),
                _change("moved", "section", old_section="Cookies", new_section="Cookies and tracking"),
                _change(
                    "moved", "sentence", minor=True, first_minor=True, old_section="Cookies", new_section="Tracking",
                    old_quote=QUOTE_OLD, new_quote=QUOTE_NEW, old_marker="[7]", new_marker="[8]",
                ),
            ],
        ),
        dict(old="2023-08-29", new="2024-06-01", total=7, relevant=0, topic="ChatGPT", more=0, minor=0, shown_minor=0, shown=[]),
        dict(
            old="2023-08-29", new="2024-06-01", total=1, relevant=1, topic=None, more=3, minor=1, shown_minor=0,
            shown=[_change("added", "sentence", new_quote=QUOTE_NEW, new_marker="[1]")],
        ),
    ],
    "history_no_changes": [
        dict(version="2024-06-01", only=True, phrase="", organization="Numecent", contact="privacy@numecent.com", marker="[1]"),
        dict(version="2024-06-01", only=True, phrase="", organization="Numecent", contact=None, marker=""),
        dict(version="2024-06-01", only=False, phrase="since July 2024", organization="Numecent", contact=None, marker=""),
    ],
    "history_no_version": [
        dict(phrase="", day=None, first="2023-01-15", relative="previous"),
        dict(phrase="in 2020", day="2020-12-31", first="2023-01-15", relative=None),
        dict(phrase="", day="2023-01-14", first="2023-01-15", relative=None),
    ],
    "history_several_in_force": [
        dict(phrase="in 2023", versions=["2023-01-15", "2023-08-29"], day="2023-12-31", version="2023-08-29"),
    ],
    "history_since": [
        dict(
            first="2023-01-15", oldest="2023-01-15", always=False, until="2023-08-29", gaps=False,
            quotes=[{"quote": QUOTE_OLD, "marker": "[1]", "version": "2023-01-15"}],
        ),
        dict(
            first="2023-01-15", oldest="2023-01-15", always=True, until=None, gaps=True,
            quotes=[
                {"quote": QUOTE_OLD, "marker": "[1]", "version": "2023-01-15"},
                {"quote": QUOTE_NEW, "marker": "[2]", "version": "2024-06-01"},
            ],
        ),
        dict(
            first="2023-08-29", oldest="2023-01-15", always=False, until=None, gaps=False,
            quotes=[{"quote": QUOTE_NEW, "marker": "[1]", "version": "2023-08-29"}],
        ),
    ],
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_history_template_renders_in_every_language(language, name):
    prompts = load_prompts(get_settings().prompts_dir)
    assert (prompts.folder / language / f"{name}.txt").exists() or language == "en"
    for variables in CASES[name]:
        text = prompts.line(name, language, **variables)
        english = prompts.line(name, "en", **variables)
        assert "{" not in text and "}" not in text
        assert (text == english) == (language == "en"), text
        # Every quote and marker the English answer gives, the translation gives, in the same “…” marks
        # (as the faithfulness check reads them).
        for quote in (QUOTE_OLD, QUOTE_NEW):
            assert text.count(f"“{quote}”") == english.count(f"“{quote}”"), text
        for n in range(1, 9):
            assert text.count(f"[{n}]") == english.count(f"[{n}]"), text
        for value in ("2023-01-15", "2023-08-29", "2024-06-01", "Numecent", "privacy@numecent.com"):
            assert text.count(value) == english.count(value), (value, text)


@pytest.mark.parametrize(
    ("count", "words"),
    [(2, "2 wersje polityki obowiązywały"), (5, "5 wersji polityki obowiązywało"),
     (12, "12 wersji polityki obowiązywało"), (22, "22 wersje polityki obowiązywały")],
)  # fmt: skip
def test_polish_counts_versions_in_the_form_its_number_takes(count, words):
    prompts = load_prompts(get_settings().prompts_dir)
    versions = [f"2023-01-{day:02d}" for day in range(1, count + 1)]
    text = prompts.line(
        "history_several_in_force", "pl", versions=versions, phrase="w 2023 roku", day="2023-12-31",
        version=versions[-1],
    )  # fmt: skip
    assert text.startswith(words), text
