"""Reading the JSONL datasets, with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.exceptions import InvalidInputError
from assistant.jsonl import read_objects

DATASETS = Path(__file__).resolve().parent / "datasets"


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    path = Path(path)
    return [
        row for _, row in read_objects(path, lambda n, problem: InvalidInputError(f"{path}:{n}: {problem}"))
    ]
