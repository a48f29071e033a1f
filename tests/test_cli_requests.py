"""The team's command line on a real SQLite queue: list, show, assign, transition, extend, export, each
done as a named team member; and the team itself (`team ...`): members, roles, tokens and the log."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from assistant import RequestDraft
from assistant.cli import main
from assistant.prompts import load_prompts
from assistant.requests import OutboxWorker, RequestQueue
from assistant.settings import get_settings
from tests.requests_support import HOSTILE, formula_cells
from tests.test_resend import codes_sent, expire_codes, other_than


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
    queue.members.add("ana", "admin", actor=None)  # the first member: the installation's admin
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

    def invoke(data_dir, *args: str, member: str | None = "ana") -> Result:
        monkeypatch.setenv("PRIVACY_ASSISTANT_DATA_DIR", str(data_dir))
        monkeypatch.delenv("PRIVACY_ASSISTANT_DATABASE_URL", raising=False)
        if member:  # who the command acts as, unless it says --as
            monkeypatch.setenv("PRIVACY_ASSISTANT_MEMBER", member)
        else:
            monkeypatch.delenv("PRIVACY_ASSISTANT_MEMBER", raising=False)
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
    assert [e["kind"] for e in shown["events"]] == [
        "submitted", "assigned", "status_changed", "requester_notified", "extended", "requester_notified"
    ]  # fmt: skip
    assert all(e["actor"] in ("requester", "ana") for e in shown["events"])
    text = run(data_dir, "requests", "show", fresh).stdout
    assert "e-mail: new@example.com" in text and "extended  by ana" in text


def test_classify_says_which_rights_a_request_asks_for(seeded, run):
    data_dir, _, fresh = seeded
    done = run(data_dir, "requests", "classify", fresh, "opt_out_sale_sharing", "access")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{fresh} asks for access, opt_out_sale_sharing"
    shown = json.loads(run(data_dir, "requests", "show", fresh, "--json").stdout)
    assert shown["events"][-1]["kind"] == "classified" and shown["events"][-1]["actor"] == "ana"
    assert "law: GDPR Art. 15" in run(data_dir, "requests", "show", fresh).stdout
    refused = run(data_dir, "requests", "classify", fresh, "sell")
    assert refused.returncode == 2 and "'sell' is not one of" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["requests", "transition", "{fresh}", "completed"], "cannot become completed"),
        (["requests", "transition", "{fresh}", "finished"], "unknown status 'finished'"),
        (["requests", "show", "DSAR-2026-999999"], "no request has the reference DSAR-2026-999999"),
        (["requests", "extend", "{fresh}", "--reason", " "], "needs a reason"),
        (["requests", "verify", "{fresh}", "12"], "6 digits"),
        (["requests", "resend", "DSAR-2026-999999"], "no request has the reference DSAR-2026-999999"),
        (["requests", "resend", "{fresh}x"], "is not a reference like DSAR-2026-000123"),
        (["requests", "assign", "{fresh}", "bo", "--as", "mallory"], "'mallory' is not on the privacy team"),
        (["requests", "extend", "{fresh}", "--reason", "r", "--as", "vic"], "vic is a viewer"),
        (["team", "add", "eve", "--as", "vic"], "vic is a viewer; adding a member takes the admin role"),
        (["team", "token", "issue", "vic", "--as", "mallory"], "'mallory' is not on the privacy team"),
        (["team", "role", "ana", "viewer"], "ana is the last admin"),
    ],
)
def test_errors_are_one_line_with_status_2_and_change_nothing(seeded, run, args, message):
    data_dir, _, fresh = seeded
    assert run(data_dir, "team", "add", "vic", "--role", "viewer").returncode == 0
    before = run(data_dir, "requests", "export", "--format", "json").stdout
    out = run(data_dir, *[a.format(fresh=fresh) for a in args])
    assert out.returncode == 2
    assert message in out.stderr
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1
    assert run(data_dir, "requests", "export", "--format", "json").stdout == before


def test_resend_after_a_lock_and_after_expiry_the_new_code_verifies(seeded, run):
    """For the team, e.g. after a requester phoned: five wrong codes lock, a resend unlocks, the old code
    is refused and the new one verifies; an expired code likewise. Codes are read from the outbox."""
    data_dir, late, fresh = seeded
    settings = get_settings().model_copy(update={"data_dir": data_dir, "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    try:
        [old] = codes_sent(queue, "new@example.com")
        for _ in range(5):
            assert run(data_dir, "requests", "verify", fresh, other_than(old)).returncode == 2
        locked = run(data_dir, "requests", "verify", fresh, old)
        assert "too many wrong codes; ask for a new one" in locked.stderr
        out = run(data_dir, "requests", "resend", fresh)
        assert out.returncode == 0, out.stderr
        assert "We have sent a new code to n•••@example.com" in out.stdout
        assert "new@example.com" not in out.stdout and "no longer works" in out.stdout
        [_, code] = codes_sent(queue, "new@example.com")
        if code != old:
            assert "not right" in run(data_dir, "requests", "verify", fresh, old).stderr
        assert run(data_dir, "requests", "verify", fresh, code).stdout.strip() == f"{fresh} is now verified"
        assert [(e.kind, e.actor) for e in queue.events(fresh)][:2] == [
            ("submitted", "requester"),
            ("code_resent", "ana"),
        ]

        [old] = codes_sent(queue, "old@example.com")
        expire_codes(queue, late)
        assert "expired; ask for a new one" in run(data_dir, "requests", "verify", late, old).stderr
        assert run(data_dir, "requests", "resend", late).returncode == 0
        [_, code] = codes_sent(queue, "old@example.com")
        assert run(data_dir, "requests", "verify", late, code).returncode == 0
        refused = run(data_dir, "requests", "resend", late)
        assert refused.returncode == 2 and "is verified; there is nothing to verify" in refused.stderr
    finally:
        queue.close()


def test_close_unverified_rejects_only_the_stale_request(seeded, run):
    data_dir, late, fresh = seeded  # late was received 45 days ago, fresh today
    out = run(data_dir, "requests", "close-unverified", "--days", "30")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{late} closed: not verified within 30 days"
    statuses = {
        r["reference"]: r["status"] for r in json.loads(run(data_dir, "requests", "list", "--json").stdout)
    }
    assert statuses == {late: "rejected", fresh: "pending_verification"}
    assert run(data_dir, "requests", "close-unverified").stdout == ""  # the setting's 30 days: nothing left
    assert run(data_dir, "requests", "close-unverified", "--days", "-1").returncode == 2


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
    env = {**os.environ, "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir), "PRIVACY_ASSISTANT_MEMBER": "ana"}
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


def test_verify_audit_exits_0_when_intact_and_1_naming_each_problem(seeded, run):
    data_dir, _, fresh = seeded
    intact = run(data_dir, "requests", "verify-audit")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == "audit trail intact: 2 request(s), 2 event(s), every chain verified"
    import sqlite3

    with sqlite3.connect(data_dir / "requests.db") as connection:  # the finding, as it was done
        connection.execute("UPDATE rights_requests SET status = 'completed' WHERE reference = ?", (fresh,))
    damaged = run(data_dir, "requests", "verify-audit")
    assert damaged.returncode == 1
    assert damaged.stdout.splitlines() == [
        f"{fresh}  unaudited_change  changed without an audit event after #1: "
        'status "pending_verification" -> "completed"',
        "audit trail NOT intact: 1 problem(s) in 2 request(s), 2 event(s)",
    ]
    report = json.loads(run(data_dir, "requests", "verify-audit", "--json").stdout)
    assert report["ok"] is False and report["requests"] == 2
    [problem] = report["problems"]
    assert (problem["reference"], problem["kind"]) == (fresh, "unaudited_change")
    assert problem["message"] in damaged.stdout


# -- the outbox: delivered before a command exits, read back decrypted, or by `worker` ----------------
def test_a_command_that_changes_a_request_sends_what_waits_unless_a_worker_is_configured(
    seeded, run, monkeypatch
):
    data_dir, late, fresh = seeded  # two verification mails queued, none sent yet
    outbox = data_dir / "outbox"
    monkeypatch.setenv("PRIVACY_ASSISTANT_OUTBOX_WORKER", "off")
    assert run(data_dir, "requests", "assign", late, "bo").returncode == 0
    assert not outbox.exists()  # a separate worker's job
    monkeypatch.setenv("PRIVACY_ASSISTANT_OUTBOX_WORKER", "inprocess")
    out = run(data_dir, "requests", "assign", fresh, "bo")
    assert out.returncode == 0 and out.stderr == ""
    files = sorted(outbox.iterdir())
    assert len(files) == 2 and all(f.name.endswith(".eml.enc") for f in files)
    assert not any(b"@example.com" in f.read_bytes() for f in files)

    listed = run(data_dir, "outbox", "list")
    lines = listed.stdout.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["old@example.com", "new@example.com"]
    assert late in lines[0] and fresh in lines[1] and "2 mail(s)" in listed.stderr
    shown = run(data_dir, "outbox", "show").stdout  # the newest
    assert "To: new@example.com" in shown and fresh in shown
    assert re.search(r"^\s+\d{6}\s*$", shown, re.MULTILINE)  # the code, readable to the developer
    named = run(data_dir, "outbox", "show", files[0].name).stdout
    assert "To: old@example.com" in named
    missing = run(data_dir, "outbox", "show", "nope.eml.enc")
    assert missing.returncode == 2 and "outbox list" in missing.stderr


def test_the_worker_command_delivers_until_sigterm(seeded):
    data_dir, _, _ = seeded
    env = {
        **os.environ,
        "PRIVACY_ASSISTANT_DATA_DIR": str(data_dir),
        "PRIVACY_ASSISTANT_OUTBOX_POLL_SECONDS": "0.2",
    }
    env.pop("PRIVACY_ASSISTANT_DATABASE_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "worker"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        outbox = data_dir / "outbox"
        deadline = time.monotonic() + 120
        while len(list(outbox.glob("*.eml.enc"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(list(outbox.glob("*.eml.enc"))) == 2
        # A request made by another process afterwards is found by the worker's polling.
        settings = get_settings().model_copy(update={"data_dir": data_dir, "database_url": None})
        queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
        queue.submit(RequestDraft(rights=["access"], name="Third", email="third@example.com"), "third")
        queue.close()
        while len(list(outbox.glob("*.eml.enc"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(list(outbox.glob("*.eml.enc"))) == 3
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "outbox worker: stopped" in stderr
    assert "example.com" not in stderr


def test_purge_reports_what_went_and_a_dry_run_changes_nothing(seeded, run):
    data_dir, late, fresh = seeded
    settings = get_settings().model_copy(update={"data_dir": data_dir, "database_url": None})
    queue = RequestQueue(settings, load_prompts(settings.prompts_dir))
    long_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    closed = queue.submit(
        RequestDraft(rights=["access"], name="Long Gone", email="gone@example.com"), "gone", now=long_ago
    ).request.reference
    OutboxWorker(queue.storage).deliver_due(long_ago)
    OutboxWorker(queue.storage).deliver_due(datetime.now(UTC) - timedelta(days=45))  # the late request's mail
    queue.transition(closed, "withdrawn", actor="ana", now=long_ago)
    queue.close()
    before = run(data_dir, "requests", "export", "--format", "json").stdout

    dry = run(data_dir, "requests", "purge", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert (report["requests_anonymised"], report["references"]) == (1, [closed])
    # The mails of the request closed long ago and of the one submitted 45 days ago were delivered then.
    assert report["outbox_messages"] == 2
    assert report["periods_days"] == {
        "transcripts": 30,
        "closed_requests": 1095,
        "outbox": 7,
        "data_packages": 30,
        "feedback": 180,
    }
    assert run(data_dir, "requests", "export", "--format", "json").stdout == before

    out = run(data_dir, "requests", "purge")
    assert out.returncode == 0, out.stderr
    assert f"closed requests anonymised: 1 (closed over 1095 days ago): {closed}" in out.stdout
    assert "delivered outbox messages deleted: 2 (older than 7 days)" in out.stdout
    assert (
        "answers and votes deleted: 0 (older than 180 days, or answered and unrated for a day)" in out.stdout
    )
    shown = json.loads(run(data_dir, "requests", "show", closed, "--json").stdout)
    assert (shown["name"], shown["email"], shown["status"]) == (None, "", "withdrawn")
    assert [(e["kind"], e["actor"]) for e in shown["events"]][-1] == ("identity_purged", "retention")
    for reference, address in ((late, "old@example.com"), (fresh, "new@example.com")):
        assert json.loads(run(data_dir, "requests", "show", reference, "--json").stdout)["email"] == address
    again = run(data_dir, "requests", "purge", "--json")
    assert json.loads(again.stdout)["requests_anonymised"] == 0
    assert json.loads(again.stdout)["outbox_messages"] == 0


def test_the_queue_commands_import_no_model_index_or_classifier():
    """`requests ...` only works the queue: importing the CLI must not import the model stack (seconds)."""
    probe = (
        "import sys, assistant.cli; "
        "print(sorted(m for m in ('torch', 'transformers', 'sklearn', 'chromadb', 'langchain_core') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_public_name_is_importable_from_the_package():
    import assistant

    for name in assistant.__all__:
        assert getattr(assistant, name) is not None, name
    assert assistant.Version is assistant.PolicyVersion
    with pytest.raises(AttributeError):
        assistant.NoSuchThing  # noqa: B018


def test_the_team_members_roles_tokens_and_log(seeded, run, monkeypatch):
    data_dir, _, fresh = seeded
    assert (
        run(data_dir, "team", "add", "bo@numecent.com").stdout.strip()
        == "bo@numecent.com is on the team as handler"
    )
    assert "already on the team" in run(data_dir, "team", "add", "bo@numecent.com").stderr
    issued = run(data_dir, "team", "token", "issue", "bo@numecent.com", "--label", "laptop")
    token = issued.stdout.strip()
    assert token.startswith("pat_") and "not shown again" in issued.stderr
    listed = json.loads(run(data_dir, "team", "list", "--tokens", "--json").stdout)
    bo = next(m for m in listed if m["name"] == "bo@numecent.com")
    assert bo["role"] == "handler" and bo["tokens"] == 1 and bo["token_list"][0]["label"] == "laptop"
    assert token not in json.dumps(listed)  # only its hash is kept

    # Bo works a request as himself: the trail names him, whoever runs the shell.
    assert (
        run(data_dir, "requests", "assign", fresh, "bo@numecent.com", "--as", "bo@numecent.com").returncode
        == 0
    )
    shown = json.loads(run(data_dir, "requests", "show", fresh, "--json").stdout)
    assert shown["events"][-1]["actor"] == "bo@numecent.com"

    assert run(data_dir, "team", "role", "bo@numecent.com", "viewer", "--as", "ana").returncode == 0
    token_id = str(bo["token_list"][0]["id"])
    assert run(data_dir, "team", "token", "revoke", token_id, "--as", "bo@numecent.com").returncode == 0
    assert run(data_dir, "team", "remove", "bo@numecent.com", "--as", "ana").returncode == 0
    assert "bo@numecent.com" not in run(data_dir, "team", "list").stdout
    assert "removed" in run(data_dir, "team", "list", "--all").stdout
    assert run(data_dir, "requests", "export", "--format", "json", "--as", "ana").returncode == 0
    log = json.loads(run(data_dir, "team", "log", "--json").stdout)
    assert [(e["kind"], e["actor"]) for e in log] == [
        ("export", "ana"),
        ("member_removed", "ana"),
        ("token_revoked", "bo@numecent.com"),
        ("role_changed", "ana"),
        ("token_issued", "ana"),
        ("member_added", "ana"),
        ("member_added", "ana"),
    ]
    assert log[0]["detail"] == {"format": "json", "rows": 2, "filters": {}}


def test_a_change_needs_a_named_member(seeded, run):
    data_dir, _, fresh = seeded
    for args in (["requests", "assign", fresh, "bo"], ["requests", "export"], ["team", "add", "eve"]):
        out = run(data_dir, *args, member=None)
        assert out.returncode == 2 and "say which team member you are: --as NAME" in out.stderr


def test_a_phone_request_logged_and_verified_from_the_command_line(seeded, run):
    data_dir, _, _ = seeded
    today = datetime.now(UTC).date().isoformat()
    out = run(
        data_dir, "requests", "create", "--channel", "phone", "--received", today, "--right", "erasure",
        "--name", "Ph One", "--email", "ph.one@example.com", "--details", "called about the newsletter",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    reference = out.stdout.split()[0]
    assert "pending_verification, due" in out.stdout and "under gdpr" in out.stdout
    assert run(data_dir, "requests", "search", "PH.ONE@example.com").stdout.startswith(reference)
    report = json.loads(run(data_dir, "requests", "report", "--json").stdout)
    assert report["by_channel"]["phone"]["open"] == 1 and report["overall"]["open"] == 3
    assert "by jurisdiction:" in run(data_dir, "requests", "report").stdout
    done = run(data_dir, "requests", "verify-identity", reference, "--method", "phone_callback")
    assert done.stdout.strip() == f"{reference} is now verified"
    shown = json.loads(run(data_dir, "requests", "show", reference, "--json").stdout)
    assert shown["channel"] == "phone" and shown["events"][0]["actor"] == "ana"
    assert [e["detail"].get("method") for e in shown["events"] if e["kind"] == "status_changed"] == [
        "phone_callback"
    ]
    refused = run(data_dir, "requests", "create", "--channel", "fax", "--received", today, "--name", "X")
    assert refused.returncode == 2 and "'fax' is not one of" in refused.stderr


def test_attach_a_data_package_from_the_command_line(seeded, run, tmp_path):
    data_dir, _, _ = seeded
    today = datetime.now(UTC).date().isoformat()
    out = run(data_dir, "requests", "create", "--channel", "email", "--received", today, "--right", "access",
              "--name", "Da Ta", "--email", "da.ta@example.com", "--verified-by", "account_details")  # fmt: skip
    reference = out.stdout.split()[0]
    package = tmp_path / "da-ta.zip"
    package.write_bytes(b"PK\x03\x04 not really a zip")
    attached = run(data_dir, "requests", "attach", reference, str(package))
    assert attached.returncode == 0, attached.stderr
    assert attached.stdout.startswith(f"{reference}: da-ta.zip attached (21 bytes")
    shown = json.loads(run(data_dir, "requests", "show", reference, "--json").stdout)
    assert shown["events"][-1]["kind"] == "package_attached" and shown["events"][-1]["actor"] == "ana"
    refused = run(data_dir, "requests", "attach", reference, str(package), "--as", "mallory")
    assert refused.returncode == 2 and "'mallory' is not on the privacy team" in refused.stderr
