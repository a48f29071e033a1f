"""Reading the JSONL datasets, with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.exceptions import InvalidInputError

DATASETS = Path(__file__).resolve().parent / "datasets"


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    path = Path(path)
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InvalidInputError(f"{path}:{number}: each line must be a JSON object")
        rows.append(row)
    return rows
