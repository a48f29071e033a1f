"""The team's export of the queue as CSV or JSON, with every CSV cell safe to open in a spreadsheet.

A requester types their own name, the data concerned and the rest, so a cell may begin with ``=``: a
spreadsheet opening the file would run it as a formula (``=HYPERLINK(...)`` sends a click, with the row's
data, anywhere). Such cells get a leading apostrophe, which spreadsheets read as "this is text".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from assistant.exceptions import RequestError

# What makes Excel, LibreOffice and Google Sheets evaluate a cell (OWASP's list); leading blanks are
# skipped by some of them before they look.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a cell no spreadsheet evaluates: text that would start a formula gets a leading ``'``."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


def export_requests(rows: Iterable[dict[str, Any]], fields: list[str], fmt: str) -> str:
    """``rows`` (``RightsRequest.to_dict()``) as JSON, or as CSV with the columns ``fields``."""
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            flat = {**row, "rights": " ".join(row["rights"]), "categories": "; ".join(row["categories"])}
            writer.writerow({key: spreadsheet_safe(value) for key, value in flat.items()})
        return out.getvalue()
    raise RequestError(f"unknown export format {fmt!r}; use csv or json")
