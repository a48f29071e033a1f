"""The optional LLM writer of the lead line, against a local stand-in that speaks the chat-completions
protocol (tests/llm_standin.py): a faithful model's lead is shown, a model stating what the quotes do
not is always caught, a slow one falls back within the time budget, a failing one never reaches the
visitor. Real model, real Chroma, the real corpus; the grounding check on leads over real answers."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Assistant
from assistant.answering.grounding import problems
from assistant.answering.writer import LeadWriter
from assistant.corpus.units import parse_policy
from assistant.exceptions import ConfigurationError
from assistant.settings import PROJECT_ROOT, Settings
from assistant.web import create_app
from bench.writer_check import judge, judge_mutations
from tests.conftest import CORPUS
from tests.llm_standin import StandIn, llm_standin

LEADS = json.loads((PROJECT_ROOT / "evals" / "datasets" / "writer_leads.json").read_text(encoding="utf-8"))
ANSWERS = LEADS["answers"]
BUDGET = Settings.model_fields["llm_timeout"].default  # the default budget


def _for_question(leads: dict[str, str]):
    """A model that answers each question of ``leads`` with its lead (found in the prompt it is sent)."""

    def reply(prompt: str) -> str:
        question = re.search(r"^Question: (.*)$", prompt, re.MULTILINE)
        assert question, prompt
        return leads[question.group(1)]

    return reply


@pytest.fixture(scope="module")
def standin():
    with llm_standin() as server:
        yield server


@pytest.fixture
def model(standin: StandIn) -> StandIn:
    """The stand-in, set back to a quick, working model for each test."""
    standin.reply, standin.delay, standin.token_delay, standin.fail = (lambda prompt: "A lead."), 0.0, 0.0, ""
    standin.calls.clear()
    return standin


@pytest.fixture(scope="module")
def writing(assistant: Assistant, data_dir: Path, standin: StandIn) -> Assistant:
    """An assistant whose lead is written by the stand-in (OpenAI's protocol), on the session's index."""
    return Assistant.open(corpus_dir=CORPUS, data_dir=data_dir, llm=f"openai:{standin.openai_url}#standin-1")


# -- the grounding check, on leads over real answers --------------------------------------------------
def test_the_leads_data_is_real_answers_of_the_policy(assistant):
    policy = " ".join(
        parse_policy(assistant.corpus.get("numecent-privacy-policy", "2024-06-01")).text.split()
    )
    for answer in ANSWERS:
        assert answer["quotes"] and all(" ".join(q.split()) in policy for q in answer["quotes"])
    assert sum(len(a["doctored"]) for a in ANSWERS) >= 50
    assert sum(len(a["faithful"]) for a in ANSWERS) >= 20


def test_the_check_shows_no_doctored_lead_and_most_faithful_ones():
    shown, rejected, doctored, faithful = judge()
    assert shown == [], shown  # an unsupported lead shown is the failure
    assert sum(doctored.values()) >= 50
    # Strict by design: a faithful lead rejected costs only the extractive lead in its place.
    assert len(rejected) <= 0.25 * faithful["all"], rejected


def test_the_check_shows_no_faithful_lead_with_a_negation_flipped_or_a_number_changed():
    shown, made = judge_mutations()
    assert made["negation dropped"] >= 5 and made["negation added"] >= 10 and made["number changed"] >= 5
    assert shown == [], shown


QUOTES = [
    "We try to respond to all legitimate requests within one month. Occasionally it may take us longer.",
    "We do not collect any Special Categories of Personal Data about you.",
    "Many of our external third parties are based outside the European Economic Area (EEA).",
    "Please contact us at privacy@numecent.com.",
]


@pytest.mark.parametrize(
    ("lead", "why"),
    [
        ("We try to respond to all legitimate requests within 1 month.", None),  # "one" is "1"
        ("We try to respond to all legitimate requests within 30 days.", "not in the quotes: 30, day"),
        ("We try to respond to all requests within two months.", "not in the quotes: 2"),
        ("We collect Special Categories of Personal Data about you.", "no quote sentence says"),
        ("We do not collect Special Categories of Personal Data.", None),
        ("We don't respond to legitimate requests.", "no quote sentence says"),
        ("Our external third parties are based in the European Economic Area.", "no quote sentence says"),
        ("Numecent's external third parties are based outside the EEA.", None),  # the name is allowed
        ("Please contact us at dpo@numecent.com.", "the address 'dpo@numecent.com' is not in the quotes"),
        ("Please contact us at privacy@numecent.com.", None),
        ("We respond within one month, but not to you.", "no quote sentence says"),
        ("Yes.", "not in the quotes: yes"),
        ("We respond within one month. " * 3, "sentences, more than 2"),
    ],
)
def test_the_check_reads_numbers_negations_qualifiers_and_addresses(lead, why):
    found = problems(lead, QUOTES, ["Numecent"])
    if why is None:
        assert found == []
    else:
        assert any(why in f for f in found), found


# -- through the assistant ---------------------------------------------------------------------------
def test_a_faithful_lead_is_shown_above_the_same_quotes(writing, assistant, model):
    answer = ANSWERS[0]  # "How long do you keep my data?"
    model.reply = _for_question({answer["question"]: answer["faithful"][0]})
    written = writing.ask(answer["question"])
    assert written.lead_source == "writer" and written.lead == answer["faithful"][0]
    plain = assistant.ask(answer["question"])
    assert plain.lead_source == "extractive" and plain.lead != written.lead
    assert written.citations == plain.citations and written.text == plain.text  # quotes verbatim, unchanged
    assert model.calls[-1].stream is False
    assert answer["question"] in model.calls[-1].prompt
    assert all(c.quote in model.calls[-1].prompt for c in plain.citations)  # the writer sees the quotes

    # A declined question has no lead to write: the model is not asked.
    calls = len(model.calls)
    declined = writing.ask("What is the capital of France?")
    assert not declined.answerable and declined.lead == "" and len(model.calls) == calls


def test_every_doctored_lead_falls_back_to_the_extractive_one(writing, assistant, model):
    """The doctored leads of the data file, returned by the model for their question as the assistant
    asks it now (its own quotes): none is shown. The faithful ones are mostly shown."""
    shown, total, accepted, faithful = [], 0, 0, 0
    for answer in ANSWERS:
        extractive = assistant.ask(answer["question"]).lead
        for item in answer["doctored"]:
            model.reply = _for_question({answer["question"]: item["lead"]})
            got = writing.ask(answer["question"])
            total += 1
            if got.lead_source == "writer" or got.lead != extractive:
                shown.append(item["lead"])
        for lead in answer["faithful"]:
            model.reply = _for_question({answer["question"]: lead})
            faithful += 1
            accepted += writing.ask(answer["question"]).lead_source == "writer"
    assert total >= 50 and shown == [], f"unsupported leads shown: {len(shown)}/{total}: {shown}"
    assert accepted >= faithful / 2, f"faithful leads shown: {accepted}/{faithful}"


def test_a_slow_model_costs_the_budget_and_no_more(writing, assistant, model):
    question = ANSWERS[0]["question"]
    extractive = assistant.ask(question).lead
    start = time.perf_counter()
    writing.ask(question)  # a quick model: what the answer costs besides the writer's wait
    quick = time.perf_counter() - start
    model.delay = BUDGET + 3
    start = time.perf_counter()
    answer = writing.ask(question)
    elapsed = time.perf_counter() - start
    assert answer.lead_source == "extractive" and answer.lead == extractive
    # The default budget (2 s) keeps the bound, a slow model still answered within 3 s, on a
    # machine whose answer takes under half a second; a busy one adds its own time, and no more.
    assert BUDGET <= elapsed < BUDGET + quick + 0.3, (elapsed, quick)

    # One that starts at once but writes slowly is cut at the budget too, its tokens streamed meanwhile.
    model.delay, model.token_delay = 0.0, 0.5
    model.reply = _for_question({question: ANSWERS[0]["faithful"][0]})
    tokens: list[str] = []
    start = time.perf_counter()
    answer = writing.ask(question, on_lead=tokens.append)
    elapsed = time.perf_counter() - start
    assert answer.lead == extractive and tokens and len(tokens) < len(ANSWERS[0]["faithful"][0].split())
    assert BUDGET <= elapsed < BUDGET + quick + 0.3, (elapsed, quick)


@pytest.mark.parametrize("fail", ["status", "json"])
def test_a_failing_model_falls_back_and_is_logged_once(data_dir, standin, model, fail, caplog):
    writer_assistant = Assistant.open(
        corpus_dir=CORPUS, data_dir=data_dir, llm=f"openai:{standin.openai_url}#standin-1", llm_timeout=2
    )
    model.fail = fail
    question = "How quickly do you answer a data access request? Write to jo@example.com"
    with caplog.at_level(logging.INFO, logger="assistant.answering.writer"):
        first = writer_assistant.ask(question)
        second = writer_assistant.ask(question, on_lead=lambda text: None)
    assert first.lead_source == second.lead_source == "extractive" and first.lead and first.answerable
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "failed" in warnings[0].getMessage()
    assert "jo@example.com" not in caplog.text  # the error's kind is logged, never what it echoes

    model.fail = ""  # working again: said once, and its leads are checked and shown again
    model.reply = _for_question({question: "We try to respond to all legitimate requests within one month."})
    with caplog.at_level(logging.INFO, logger="assistant.answering.writer"):
        assert writer_assistant.ask(question).lead_source == "writer"
    assert "answers again" in caplog.text


def test_an_ollama_model_writes_the_lead_too(data_dir, standin, model):
    settings = Settings(llm="ollama:standin", llm_base_url=standin.base_url, llm_timeout=2)
    writer = LeadWriter.from_settings(settings, Assistant.open(corpus_dir=CORPUS, data_dir=data_dir).prompts)
    model.reply = lambda prompt: "We try to respond within one month."
    tokens: list[str] = []
    assert writer.write("How fast?", ["We try to respond within one month."], tokens.append) == (
        "We try to respond within one month."
    )
    assert "".join(tokens) == "We try to respond within one month."
    assert model.calls[-1].path == "/api/chat"


@pytest.mark.parametrize(
    "value", ["gpt-4", "openai:gpt-4", "openai:http://127.0.0.1:1/v1", "ollama:", "anthropic:claude"]
)
def test_a_malformed_llm_setting_says_what_to_write(value, monkeypatch):
    monkeypatch.setenv("PRIVACY_ASSISTANT_LLM", value)
    with pytest.raises(ValueError, match="openai:<base URL>#<model>"):
        Settings()


def test_without_the_setting_nothing_changes(assistant):
    assert assistant.writer is None and Settings().llm is None
    assert LeadWriter.from_settings(Settings(), assistant.prompts) is None
    with pytest.raises(ConfigurationError, match=r"\[llm\] extra"):
        # As an install without the extra would say it: the client package cannot be imported.
        import builtins

        real = builtins.__import__

        def no_openai(name, *args, **kwargs):
            if name == "langchain_openai":
                raise ImportError(name=name)
            return real(name, *args, **kwargs)

        builtins.__import__ = no_openai
        try:
            LeadWriter.from_settings(Settings(llm="openai:http://127.0.0.1:1/v1#m"), assistant.prompts)
        finally:
            builtins.__import__ = real


# -- the web API ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(writing: Assistant):
    settings = writing.settings.model_copy(update={"rate_limit": 1000})
    with TestClient(create_app(writing, settings)) as c:
        yield c


def _events(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_the_chat_streams_the_lead_then_the_turn_with_the_checked_lead(client, model):
    assert client.get("/api/widget").json()["stream"] is True
    answer = ANSWERS[0]
    model.reply = _for_question({answer["question"]: answer["faithful"][0]})
    events = _events(client.post("/api/chat/stream", json={"message": answer["question"]}))
    *leads, last = events
    assert leads and all(set(e) == {"lead"} for e in leads)
    assert "".join(e["lead"] for e in leads) == answer["faithful"][0]
    turn = last["turn"]
    assert turn["lead"] == answer["faithful"][0] and turn["lead_source"] == "writer" and turn["citations"]
    assert model.calls[-1].stream is True

    # A doctored lead is streamed as the model writes it, and the turn puts the extractive one in its place.
    doctored = answer["doctored"][0]["lead"]
    model.reply = _for_question({answer["question"]: doctored})
    events = _events(
        client.post(
            "/api/chat/stream",
            json={"message": answer["question"], "conversation_id": turn["conversation_id"]},
        )
    )
    assert "".join(e.get("lead", "") for e in events) == doctored
    turn = events[-1]["turn"]
    assert turn["lead_source"] == "extractive" and turn["lead"] != doctored
    assert any(turn["lead"] in c["quote"] for c in turn["citations"])

    # /api/ask shows the checked lead too.
    model.reply = _for_question({answer["question"]: answer["faithful"][0]})
    body = client.post("/api/ask", json={"question": answer["question"]}).json()
    assert body["lead"] == answer["faithful"][0] and body["lead_source"] == "writer"


def test_the_stream_of_a_failing_model_or_a_bad_message_is_never_a_500(client, model):
    model.fail = "status"
    events = _events(client.post("/api/chat/stream", json={"message": "Do you sell my data?"}))
    assert len(events) == 1 and events[0]["turn"]["lead_source"] == "extractive" and events[0]["turn"]["lead"]

    too_long = client.post("/api/chat/stream", json={"message": "x" * 20_000})
    assert too_long.status_code in (413, 422) and "error" in too_long.json()
    neither = client.post("/api/chat/stream", json={})
    assert neither.status_code == 422 and "message" in neither.json()["error"]

    # A turn that is no answer (a rights request) streams no lead, only the turn.
    model.fail = ""
    events = _events(client.post("/api/chat/stream", json={"message": "Please delete all my data"}))
    assert len(events) == 1 and events[0]["turn"]["intake"]["rights"] == ["erasure"]
