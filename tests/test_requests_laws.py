"""Deadlines by law: each request runs on its jurisdiction's clock (GDPR and UK GDPR one month, +2;
CCPA 45 days, +45; LGPD 15 days, none), is extended only as its law allows and before the first
deadline, and keeps every extension's reason. Real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.exceptions import ConfigurationError, RequestError
from assistant.prompts import load_prompts
from assistant.requests import Jurisdictions, Period, RequestQueue
from assistant.requests.audit import verify_audit
from tests.requests_support import NOW, draft, snapshot


@pytest.fixture
def prompts(queue_settings):
    return load_prompts(queue_settings.prompts_dir)


@pytest.mark.parametrize(
    ("text", "period"),
    [("2 months", Period(2, "months")), ("45 days", Period(45, "days")), ("1 Month", Period(1, "months")),
     ("45d", Period(45, "days")), ("2m", Period(2, "months"))],
)  # fmt: skip
def test_durations_are_read_as_the_laws_count_them(text, period):
    assert Period.parse(text) == period


@pytest.mark.parametrize("text", ["", "two months", "0 days", "3 weeks", "45"])
def test_a_duration_that_is_not_one_is_refused_with_the_form_to_use(text):
    with pytest.raises(RequestError, match="write it like '2 months' or '45 days'"):
        Period.parse(text)


def test_each_law_has_its_own_clock():
    laws = Jurisdictions.load()
    received = date(2026, 1, 31)
    assert laws["gdpr"].due(received) == laws["uk_gdpr"].due(received) == date(2026, 2, 28)
    assert laws["gdpr"].due(received, extended=2) == date(2026, 4, 30)  # from receipt
    assert laws["ccpa"].due(received) == date(2026, 3, 17)
    assert laws["ccpa"].due(received, extended=45) == date(2026, 5, 1)
    assert laws["lgpd"].due(received) == date(2026, 2, 15) and laws["lgpd"].extension is None


def test_a_request_runs_on_its_laws_clock(queue):
    gdpr = queue.submit(draft(), "gdpr", now=NOW).request
    ccpa = queue.submit(draft(email="c@example.com"), "ccpa", now=NOW, jurisdiction="ccpa").request
    assert (gdpr.jurisdiction, gdpr.due_at) == ("gdpr", date(2026, 4, 10))
    assert (ccpa.jurisdiction, ccpa.due_at) == ("ccpa", NOW.date() + timedelta(days=45))
    with pytest.raises(RequestError, match="unknown jurisdiction 'mars'; use one of: gdpr, uk_gdpr"):
        queue.submit(draft(email="m@example.com"), "mars", now=NOW, jurisdiction="mars")


def test_a_request_only_for_us_state_rights_goes_under_the_us_law(queue):
    sale = queue.submit(draft(rights=["opt_out_sale_sharing"]), "sale", now=NOW).request
    mixed = queue.submit(
        draft(rights=["access", "opt_out_sale_sharing"], email="m@example.com"), "m", now=NOW
    )
    assert sale.jurisdiction == "ccpa" and mixed.request.jurisdiction == "gdpr"


def test_every_extension_is_kept_with_its_reason(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    queue.extend(reference, "twelve systems to search", actor="ana", length="1 month", now=NOW)
    later = NOW + timedelta(days=3)
    extended = queue.extend(reference, "a processor is slow", actor="bo", length="1 month", now=later)
    assert extended.due_at == date(2026, 6, 10) and extended.extension_months == 2
    assert [(e["actor"], e["length"], e["reason"], e["due_at"]) for e in queue.extensions(reference)] == [
        ("ana", "1 month", "twelve systems to search", "2026-05-10"),
        ("bo", "1 month", "a processor is slow", "2026-06-10"),
    ]
    assert verify_audit(queue.engine, queue.vault).ok


def test_no_extension_past_the_first_deadline_nor_past_the_laws_limit(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    before = snapshot(queue)
    nine_days_late = NOW + timedelta(days=31 + 9)
    with pytest.raises(RequestError, match=r"too late to extend: GDPR .* by the first deadline, 2026-04-10"):
        queue.extend(reference, "busy", actor="ana", now=nine_days_late)
    with pytest.raises(RequestError, match="under GDPR an extension is counted in months, at most 2 months"):
        queue.extend(reference, "busy", actor="ana", length="45 days", now=NOW)
    with pytest.raises(RequestError, match="GDPR allows 2 months in all"):
        queue.extend(reference, "busy", actor="ana", length="3 months", now=NOW)
    assert snapshot(queue) == before
    # On the first deadline itself it still may; the default is all the law still allows.
    on_the_day = queue.extend(reference, "busy", actor="ana", now=NOW + timedelta(days=31))
    assert on_the_day.extension_months == 2 and on_the_day.due_at == date(2026, 6, 10)


def test_days_laws_extend_in_days_and_a_law_without_extensions_refuses(queue):
    ccpa = queue.submit(draft(), "c", now=NOW, jurisdiction="ccpa").request.reference
    extended = queue.extend(ccpa, "verifying the household", actor="ana", length="30 days", now=NOW)
    assert (extended.extension_days, extended.due_at) == (30, NOW.date() + timedelta(days=75))
    with pytest.raises(RequestError, match="already extended by 30 days; CCPA/CPRA allows 45 days in all"):
        queue.extend(ccpa, "more", actor="ana", length="30 days", now=NOW)
    assert queue.extend(ccpa, "more", actor="ana", now=NOW).extension_days == 45
    lgpd = queue.submit(draft(email="l@example.com"), "l", now=NOW, jurisdiction="lgpd").request.reference
    with pytest.raises(RequestError, match=r"LGPD \(Brazil\) allows no extension"):
        queue.extend(lgpd, "busy", actor="ana", now=NOW)
    assert verify_audit(queue.engine, queue.vault).ok


def test_the_team_moves_a_request_to_another_law_before_extending_it(queue):
    reference = queue.submit(draft(), "k", now=NOW).request.reference
    moved = queue.set_jurisdiction(reference, "ccpa", actor="ana", now=NOW)
    assert (moved.jurisdiction, moved.due_at) == ("ccpa", NOW.date() + timedelta(days=45))
    kind, detail = [(e.kind, e.detail) for e in queue.events(reference)][-1]
    assert kind == "jurisdiction_set" and detail["previous"] == "gdpr" and detail["jurisdiction"] == "ccpa"
    queue.extend(reference, "busy", actor="ana", now=NOW)
    with pytest.raises(RequestError, match="already extended under its law"):
        queue.set_jurisdiction(reference, "gdpr", actor="ana", now=NOW)
    with pytest.raises(RequestError, match="unknown jurisdiction"):
        queue.set_jurisdiction(reference, "atlantis", actor="ana", now=NOW)
    assert verify_audit(queue.engine, queue.vault).ok


def test_the_table_is_configurable_from_a_yaml_file(tmp_path, queue_settings, prompts):
    laws = tmp_path / "laws.yaml"
    laws.write_text(
        "pipeda:\n  name: PIPEDA\n  citation: PIPEDA s. 8(3)\n  answer_within: 30 days\n  extension: 30 days\n"
        "gdpr:\n  name: GDPR\n  citation: GDPR Art. 12(3)\n  answer_within: 1 month\n  extension: 1 month\n"
    )
    settings = queue_settings.model_copy(update={"jurisdictions_file": laws, "jurisdiction": "pipeda"})
    queue = RequestQueue(settings, prompts)
    try:
        request = queue.submit(draft(), "k", now=NOW).request
        assert (request.jurisdiction, request.due_at) == ("pipeda", date(2026, 4, 9))
        assert queue.laws["gdpr"].extension == Period(1, "months")
    finally:
        queue.close()


@pytest.mark.parametrize(
    ("content", "problem"),
    [("- a list\n", "one mapping per jurisdiction"), ("xx:\n  name: X\n", "needs citation, answer_within"),
     ("xx:\n  name: X\n  citation: c\n  answer_within: soon\n", "'soon' is not a duration"),
     ("X Y:\n  name: X\n", "a code is 2-16 lowercase")],
)  # fmt: skip
def test_a_broken_jurisdictions_file_is_a_clear_error(tmp_path, content, problem):
    path = tmp_path / "laws.yaml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=problem):
        Jurisdictions.load(path)


def test_an_unknown_default_law_stops_the_queue_at_start(queue_settings, prompts):
    with pytest.raises(RequestError, match="unknown jurisdiction 'nowhere'"):
        RequestQueue(queue_settings.model_copy(update={"jurisdiction": "nowhere"}), prompts)
