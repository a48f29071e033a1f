"""The team's command line on a real SQLite queue: list, show, assign, transition, extend, export."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from assistant import RequestDraft
from assistant.cli import main
from assistant.prompts import load_prompts
from assistant.requests import RequestQueue
from assistant.settings import get_settings
from tests.test_requests import HOSTILE, formula_cells


@pytest.fixture
def seeded(tmp_path):
    settings = get_settings().model_copy(update={"data_dir": tmp_path / "data", "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    late = queue.submit(
        RequestDraft(rights=["access"], name="Old Timer", email="old@example.com"),
        "old",
        now=datetime.now(UTC) - timedelta(days=45),
    ).request
    fresh = queue.submit(
        RequestDraft(rights=["erasure", "marketing_opt_out"], name="New Comer", email="new@example.com"),
        "new",
    ).request
    queue.close()
    return settings.data_dir, late.reference, fresh.reference


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch, capsys):
    """``privacy-assistant ARGS`` through the real entry point ``main``, in this process (it is quicker)."""

    def invoke(data_dir, *args: str) -> Result:
        monkeypatch.setenv("PRIVACY_ASSISTANT_DATA_DIR", str(data_dir))
        monkeypatch.delenv("PRIVACY_ASSISTANT_DATABASE_URL", raising=False)
        monkeypatch.setenv("USER", "ana")
        monkeypatch.setattr(sys, "argv", ["privacy-assistant", *args])
        get_settings.cache_clear()
        capsys.readouterr()
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield invoke
    get_settings.cache_clear()


def test_list_marks_overdue_and_filters(seeded, run):
    data_dir, late, fresh = seeded
    out = run(data_dir, "requests", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(late) and "OVERDUE" in lines[0]
    assert lines[1].startswith(fresh) and "OVERDUE" not in lines[1]
    overdue = run(data_dir, "requests", "list", "--overdue", "--json")
    assert [r["reference"] for r in json.loads(overdue.stdout)] == [late]


def test_show_assign_transition_extend_and_the_trail(seeded, run):
    data_dir, _, fresh = seeded
    assert run(data_dir, "requests", "assign", fresh, "ana@numecent.com").stdout.strip() == (
        f"{fresh} assigned to ana@numecent.com"
    )
    moved = run(data_dir, "requests", "transition", fresh, "verified", "--note", "ID checked by phone")
    assert moved.stdout.strip() == f"{fresh} is now verified"
    extended = run(data_dir, "requests", "extend", fresh, "--reason", "many systems", "--months", "1")
    assert extended.returncode == 0 and "is now due" in extended.stdout
    shown = json.loads(run(data_dir, "requests", "show", fresh, "--json").stdout)
    assert shown["email"] == "new@example.com" and shown["status"] == "verified"
    assert [e["kind"] for e in shown["events"]] == ["submitted", "assigned", "status_changed", "extended"]
    assert all(e["actor"] in ("requester", "ana") for e in shown["events"])
    text = run(data_dir, "requests", "show", fresh).stdout
    assert "e-mail: new@example.com" in text and "extended  by ana" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["requests", "transition", "{fresh}", "completed"], "cannot become completed"),
        (["requests", "transition", "{fresh}", "finished"], "unknown status 'finished'"),
        (["requests", "show", "DSAR-2026-999999"], "no request has the reference DSAR-2026-999999"),
        (["requests", "extend", "{fresh}", "--reason", " "], "needs a reason"),
        (["requests", "verify", "{fresh}", "12"], "6 digits"),
    ],
)
def test_errors_are_one_line_with_status_2_and_change_nothing(seeded, run, args, message):
    data_dir, _, fresh = seeded
    before = run(data_dir, "requests", "export", "--format", "json").stdout
    out = run(data_dir, *[a.format(fresh=fresh) for a in args])
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1
    assert run(data_dir, "requests", "export", "--format", "json").stdout == before


def test_export_csv_to_a_private_file(seeded, run, tmp_path):
    data_dir, late, fresh = seeded
    target = tmp_path / "queue.csv"
    out = run(
        data_dir,
        "requests",
        "export",
        "--format",
        "csv",
        "--status",
        "pending_verification",
        "-o",
        str(target),
    )
    assert out.returncode == 0, out.stderr
    rows = target.read_text().splitlines()
    assert rows[0].split(",")[:3] == ["reference", "rights", "status"]
    assert {r.split(",")[0] for r in rows[1:]} == {late, fresh}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_csv_export_cannot_carry_a_formula_to_a_spreadsheet(seeded, run, tmp_path):
    data_dir = seeded[0]
    settings = get_settings().model_copy(update={"data_dir": data_dir, "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    hostile = RequestDraft(rights=["access"], email="formula@example.com", **HOSTILE).refresh_missing()
    reference = queue.submit(hostile, "hostile").request.reference
    queue.close()
    to_stdout = run(data_dir, "requests", "export", "--format", "csv")
    target = tmp_path / "queue.csv"
    to_file = run(data_dir, "requests", "export", "--format", "csv", "-o", str(target))
    assert to_stdout.returncode == to_file.returncode == 0, to_file.stderr
    for text in (to_stdout.stdout, target.read_text()):
        assert formula_cells(text) == []
        row = next(r for r in csv.DictReader(io.StringIO(text)) if r["reference"] == reference)
        assert row["name"] == "'" + HOSTILE["name"]


def test_the_installed_command_reports_errors_as_one_line(seeded):
    data_dir, _, fresh = seeded
    env = {**os.environ, "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir)}
    env.pop("PRIVACY_ASSISTANT_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "requests", "transition", fresh, "in_progress"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr == (
        "error: a request that is pending_verification cannot become in_progress; "
        "allowed next: rejected, verified, withdrawn\n"
    )
