"""JSON Lines files (eval datasets, the question bank): one object per line, errors naming the line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_objects(path: Path, error: Callable[[int, str], Exception]) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank line of ``path`` as (line number, object); ``error(number, problem)`` is raised
    for a line that is not a JSON object."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(number, f"not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise error(number, "each line must be a JSON object")
        rows.append((number, row))
    return rows
