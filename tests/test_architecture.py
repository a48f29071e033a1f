"""The import contracts of `make lint` (pyproject's [tool.importlinter]) hold, and catch a door imported
by the core."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the packages under ``root``, not the installed ones
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_import_contracts_hold():
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_a_door_or_an_extra_imported_by_the_core_breaks_them(tmp_path: Path):
    for package in ("assistant", "slack_app", "evals"):
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "*.npz")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    deliberate = {
        "assistant/retrieval/lexical.py": "import slack_app.mount",
        "assistant/intake/classifier.py": "import matplotlib.pyplot",
        "assistant/web/edge.py": "import slack_app.blocks",
    }
    for module, line in deliberate.items():
        path = tmp_path / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # deliberate\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "The core never imports its doors BROKEN" in result.stdout
    assert "assistant.retrieval.lexical -> slack_app.mount" in result.stdout
    assert "The core runs without the optional extras BROKEN" in result.stdout
    assert "assistant.intake.classifier -> matplotlib" in result.stdout
    assert "The web app finds the Slack app through its plug-in point BROKEN" in result.stdout
    assert "assistant.web.edge -> slack_app.blocks" in result.stdout


def test_the_slack_app_joins_the_web_app_through_the_plug_in_point():
    from importlib.metadata import entry_points

    from assistant.web.app import PLUGINS
    from slack_app.mount import mount_slack

    (slack,) = [plugin for plugin in entry_points(group=PLUGINS) if plugin.name == "slack"]
    assert slack.load() is mount_slack


def test_a_missing_extra_is_a_clear_error():
    from assistant.cli.common import door
    from assistant.exceptions import ConfigurationError

    assert door("assistant.web.server", "web").serve
    with pytest.raises(
        ConfigurationError, match=r"\[slack\] extra .*pip install 'privacy-assistant\[slack\]'"
    ):
        door("a_package_nobody_installed", "slack")
    with pytest.raises(ModuleNotFoundError):  # our own code broken is not an extra missing
        door("assistant.no_such_room", "web")


def test_the_web_app_runs_without_the_slack_extra_and_says_what_to_install_when_slack_is_set():
    """Bolt made unimportable, as on an install without [slack]: the plug-in still loads, mounts nothing
    while Slack is not configured, and refuses with what to install once it is."""
    script = """
import sys
sys.modules["slack_bolt"] = None  # import slack_bolt now raises ModuleNotFoundError
from fastapi import FastAPI
from assistant.exceptions import ConfigurationError
from assistant.settings import Settings
from assistant.web.app import mount_plugins
app = FastAPI()
mount_plugins(app, None, Settings())
assert not any(getattr(r, "path", "") == "/slack/events" for r in app.routes)
try:
    mount_plugins(app, None, Settings(slack_bot_token="xoxb-1", slack_signing_secret="s"))
except ConfigurationError as exc:
    print(exc)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'privacy-assistant[slack]'" in result.stdout
