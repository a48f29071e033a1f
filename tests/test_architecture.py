"""The import contracts of `make lint` (pyproject's [tool.importlinter]) hold, and catch a door imported
by the core."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    assert "2 kept, 0 broken" in result.stdout


def test_a_door_imported_by_the_core_breaks_them(tmp_path: Path):
    for package in ("assistant", "slack_app", "evals"):
        shutil.copytree(
            PROJECT_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "*.npz")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    lexical = tmp_path / "assistant" / "retrieval" / "lexical.py"
    lexical.write_text(lexical.read_text(encoding="utf-8") + "\nimport slack_app.mount  # deliberate\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "The core never imports its doors BROKEN" in result.stdout
    assert "assistant.retrieval.lexical -> slack_app.mount" in result.stdout
