"""Requests in other languages (issue 18, item 3): the language is recognised, the message is read
through its bilingual privacy vocabulary, and the chat's request dialogue answers in the visitor's
language, with the verification mail in it too. Real model, real SQLite, the real chat API."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest

from assistant.intake.languages import ENGLISH, Languages, fold
from assistant.intake.rights import RIGHTS
from assistant.prompts import load_prompts
from assistant.settings import get_settings
from tests.web_team_support import client as client
from tests.web_team_support import team_assistant as team_assistant

LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv")


@pytest.fixture(scope="module")
def languages() -> Languages:
    return Languages.load()


def test_every_language_has_its_vocabulary_and_a_word_for_every_right(languages):
    assert set(languages.codes) == {ENGLISH, *LANGUAGES}
    for code in LANGUAGES:
        language = languages.by_code[code]
        assert len(language.gloss) >= 200 and len(language.markers) >= 50, code
        assert set(language.rights) == set(RIGHTS), code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Bitte löschen Sie alle meine Daten, ich möchte das nicht mehr.", "de"),
        ("Je souhaite accéder à mes données personnelles, merci.", "fr"),
        ("Quiero que borren mis datos de su sistema, por favor.", "es"),
        ("Vorrei sapere quali dati avete su di me.", "it"),
        ("Ik wil graag dat jullie mijn gegevens verwijderen.", "nl"),
        ("Quero que apaguem os meus dados, obrigado.", "pt"),
        ("Proszę o usunięcie moich danych osobowych.", "pl"),
        ("Jag vill att ni raderar mina uppgifter.", "sv"),
        ("Please delete my data.", "en"),
        ("jo@example.com", "en"),
        # Markers tie or are absent: the vocabulary that covers the message decides.
        ("Parem de me mandar e-mail de propaganda!!", "pt"),
        ("återkallar samtycket till analyscookies", "sv"),
        # Terse English without its function words: its privacy words speak for it, a brand name or a
        # loanword another language writes ("Uber" is German's "über", "cookie" Italian's too) does not.
        ("Cookie settings", "en"),
        ("Uber account deleted", "en"),
        ("Newsletter abbestellen", "de"),
        ("Konto löschen", "de"),
    ],
)
def test_the_language_of_a_message_is_recognised(languages, text, code):
    assert languages.detect(text) == code


def test_folding_keeps_positions_so_a_rendering_keeps_the_rest_of_the_message():
    assert fold("Löschung ŁÓDŹ") == "loschung lodz"
    assert len(fold("Ærø straße")) == len("Ærø straße")


@pytest.mark.parametrize(
    ("code", "question", "words"),
    [
        ("de", "Verkauft ihr meine Daten an Dritte?", ["sell", "third parties"]),
        ("de", "Wie lange speichert ihr meine IP-Adresse?", ["how long", "keep", "ip address"]),
        ("de", "Werden meine Daten in die USA übermittelt?", ["my data", "usa", "transferred"]),
        ("fr", "Vendez-vous mes données à des tiers ?", ["sell", "third parties"]),
        (
            "fr",
            "Utilisez-vous des cookies pour la publicité ciblée ?",
            ["use cookies", "targeted advertising"],
        ),
        (
            "fr",
            "Comment déposer une plainte auprès de la CNIL ?",
            ["lodge a complaint", "supervisory authority"],
        ),
        ("es", "¿Durante cuánto tiempo conservan mi dirección IP?", ["how long", "keep", "ip address"]),
        (
            "es",
            "¿Qué hacen con mis datos si hay una fusión o adquisición?",
            ["do with", "merger", "acquisition"],
        ),
        (
            "it",
            "Condividete i miei dati con terze parti a fini pubblicitari?",
            ["share", "third parties", "advertising"],
        ),
        ("it", "Chi è il titolare del trattamento?", ["who", "controller"]),
        ("nl", "Delen jullie mijn gegevens met derden voor advertenties?", ["share", "third parties", "ads"]),
        ("nl", "Hoe lang bewaren jullie mijn locatiegegevens?", ["how long", "keep", "location data"]),
        (
            "pt",
            "Os meus dados são transferidos para fora da União Europeia?",
            ["transferred", "outside the european union"],
        ),
        ("pt", "Quem é o encarregado de proteção de dados?", ["who", "data protection officer"]),
        ("pl", "Czy sprzedajecie moje dane osobom trzecim?", ["sell", "third parties"]),
        (
            "pl",
            "Czy używacie plików cookie do reklamy ukierunkowanej?",
            ["use", "cookies", "targeted advertising"],
        ),
        ("sv", "Hur länge sparar ni min IP-adress?", ["how long", "keep", "ip address"]),
        ("sv", "Kan jag lämna in ett klagomål till IMY?", ["lodge a complaint", "supervisory authority"]),
    ],
)
def test_a_question_about_a_privacy_policy_is_rendered_in_the_policys_words(languages, code, question, words):
    assert languages.detect(question) == code
    english = languages.render(question).lower()
    assert all(w in english for w in words), english


def test_no_vocabulary_writes_a_phrase_twice():
    """YAML keeps the last of two equal keys without a word, and two keys equal once accents are
    folded meet in one pattern: either way one rendering would silently be lost."""
    import yaml

    from assistant.intake.languages import VOCABULARIES

    for code in LANGUAGES:
        gloss = yaml.compose((VOCABULARIES / f"{code}.yaml").read_text(encoding="utf-8"))
        keys = [
            k.value for mapping in gloss.value if mapping[0].value == "gloss" for k, _ in mapping[1].value
        ]
        assert len(keys) == len(set(keys)), code
        renderings = {}
        for key, value in Languages.load().by_code[code].gloss.items():
            assert renderings.setdefault(fold(key), value) == value, (code, key)


@pytest.mark.parametrize(
    ("text", "rights"),
    [
        ("Bitte löschen Sie mein Konto und alle meine Daten. Anna Weber, anna.weber@example.de", {"erasure"}),
        ("Je retire mon consentement et je ne veux plus recevoir votre newsletter.", None),
        ("Solicito una copia de todos mis datos personales conforme al artículo 15 del RGPD.", {"access"}),
        ("Proszę o sprostowanie mojego nazwiska, jest błędnie zapisane.", {"rectification"}),
        ("Jag vill ha ut mina personuppgifter, registerutdrag enligt GDPR.", {"access"}),
    ],
)
def test_a_request_in_another_language_is_read(team_assistant, text, rights):
    draft = team_assistant.intake(text)
    assert draft is not None, text
    if rights is not None:
        assert set(draft.rights) == rights
    assert draft.language == Languages.load().detect(text)


def test_a_question_in_another_language_is_not_a_request(team_assistant):
    assert team_assistant.intake("Wie kann ich meine Daten löschen?") is None
    assert team_assistant.intake("¿Cómo puedo darme de baja del boletín?") is None


def test_the_request_dialogue_answers_in_the_visitors_language(client, team_assistant):
    prompts = load_prompts(get_settings().prompts_dir)

    def say(message: str, conversation: str | None = None) -> dict:
        body = {"message": message, **({"conversation_id": conversation} if conversation else {})}
        return client.post("/api/chat", json=body).json()

    turn = say("Bitte löschen Sie alle meine Daten. Mein Name ist Jonas Keller.")
    assert turn["intake"]["stage"] == "collecting" and turn["intake"]["missing"] == ["email"]
    german_ask = prompts.line(
        "intake_ask_email", locale="de", rights=[Languages.load().label("erasure", "de")]
    )
    assert turn["reply"] == german_ask
    assert turn["reply"] != prompts.line("intake_ask_email", rights=["x"])
    conversation = turn["conversation_id"]
    turn = say("jonas.keller@example.de", conversation)
    assert turn["intake"]["stage"] == "confirming"
    assert Languages.load().label("erasure", "de") in turn["reply"]
    turn = say("ja", conversation)  # "yes" in the visitor's language confirms
    reference = turn["intake"]["reference"]
    assert reference and reference in turn["reply"]
    request = team_assistant.requests.get(reference)
    assert request.language == "de" and request.rights == ["erasure"]
    mail = mail_to(team_assistant, "jonas.keller@example.de")
    assert reference in mail["Subject"]
    assert not mail["Subject"].startswith(("Betreff", "Subject"))
    assert "Code" in mail.get_content()  # the German mail, not the English one


def test_every_translation_takes_the_variables_of_its_english_template():
    import jinja2
    from jinja2 import meta

    prompts = load_prompts(get_settings().prompts_dir)
    assert set(prompts.locales()) == set(LANGUAGES)
    env = jinja2.Environment()

    def variables(path) -> set[str]:
        return meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8")))

    for locale in prompts.locales():
        translated = sorted((prompts.folder / locale).glob("*.txt"))
        assert {p.name for p in translated} >= {"intake_ask_rights.txt", "intake_summary.txt"}, locale
        for path in translated:
            english = prompts.folder / path.name
            assert english.exists(), f"{locale}/{path.name} translates no English template"
            assert variables(path) == variables(english), f"{locale}/{path.name}"


def test_a_template_with_no_translation_is_said_in_english():
    prompts = load_prompts(get_settings().prompts_dir)
    assert not (prompts.folder / "de" / "slack_error.txt").exists()  # the team reads Slack in English
    assert prompts.line("nothing_to_confirm", locale="xx") == prompts.line("nothing_to_confirm")
    assert prompts.line("nothing_to_confirm", locale="de") != prompts.line("nothing_to_confirm")


def mail_to(assistant, address: str) -> EmailMessage:
    """The newest mail to ``address`` in the outbox folder, once the app's own worker has written it."""
    deadline = time.monotonic() + 10
    while True:
        assistant.outbox.deliver_due()
        found = [m for m in assistant.outbox.folder.messages() if m["To"] == address]
        if found and not assistant.outbox.pending():
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {address}")
        time.sleep(0.05)
