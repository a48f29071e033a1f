"""Deadlines by law: how long each jurisdiction gives to answer a request, and how far, and until when,
the answer may be put off.

The table below is the default; ``PRIVACY_ASSISTANT_JURISDICTIONS_FILE`` (a YAML file of the same
shape as ``DEFAULT_JURISDICTIONS``) adds jurisdictions or replaces these. Each request keeps the code of
the law it is answered under, so its due date can always be worked out again from its receipt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from assistant.exceptions import ConfigurationError, RequestError
from assistant.requests.dates import add_months

UNITS = ("days", "months")
_PERIOD = re.compile(r"(\d{1,3})\s*(d|days?|m|months?)", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """A length of time as the laws count it: calendar months or days."""

    count: int
    unit: str  # "days" or "months"

    def after(self, day: date) -> date:
        return add_months(day, self.count) if self.unit == "months" else day + timedelta(days=self.count)

    def __str__(self) -> str:
        return f"{self.count} {self.unit if self.count != 1 else self.unit[:-1]}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2 months", "45 days", "2m", "45d"; a clear error for anything else."""
        match = _PERIOD.fullmatch((text or "").strip())
        if not match or int(match.group(1)) < 1:
            raise RequestError(f"{text!r} is not a duration; write it like '2 months' or '45 days'")
        unit = "months" if match.group(2).lower().startswith("m") else "days"
        return cls(int(match.group(1)), unit)


@dataclass(frozen=True)
class Jurisdiction:
    """One law's clock: answer within ``answer_within`` of receipt; ``extension`` is the most it may be
    extended in all (None: never), and an extension must be made, the requester told why, before the
    first deadline has passed."""

    code: str
    name: str
    citation: str
    answer_within: Period
    extension: Period | None

    def used(self, months: int, days: int) -> int:
        """How far a request extended by ``months`` and ``days`` is extended, in this law's unit."""
        return days if self.extension is not None and self.extension.unit == "days" else months

    def first_due(self, received: date) -> date:
        return self.answer_within.after(received)

    def due(self, received: date, extended: int = 0) -> date:
        """The due date after ``extended`` units of extension (months or days, the law's own unit)."""
        if not extended or self.extension is None:
            return self.first_due(received)
        if self.extension.unit == self.answer_within.unit:  # counted from receipt, not a clamped date
            return Period(self.answer_within.count + extended, self.extension.unit).after(received)
        return Period(extended, self.extension.unit).after(self.first_due(received))

    def check_extension(self, period: Period, extended: int, received: date, today: date) -> None:
        """Raise RequestError unless this law lets a request received on ``received``, already extended
        by ``extended`` units, be extended by ``period`` on ``today``."""
        if self.extension is None:
            raise RequestError(f"{self.name} allows no extension ({self.citation})")
        if period.unit != self.extension.unit:
            raise RequestError(
                f"under {self.name} an extension is counted in {self.extension.unit}, at most "
                f"{self.extension} in all"
            )
        if extended + period.count > self.extension.count:
            raise RequestError(
                f"the request is already extended by {Period(extended, self.extension.unit)}; "
                f"{self.name} allows {self.extension} in all ({self.citation})"
            )
        first = self.first_due(received)
        if today > first:
            raise RequestError(
                f"too late to extend: {self.name} wants the requester told of an extension by the first "
                f"deadline, {first.isoformat()} ({self.citation})"
            )


def _period(value: Any, where: str) -> Period:
    try:
        return Period.parse(str(value))
    except RequestError as error:
        raise ConfigurationError(f"{where}: {error}") from None


DEFAULT_JURISDICTIONS: dict[str, dict[str, Any]] = {
    "gdpr": {
        "name": "GDPR",
        "citation": "GDPR Art. 12(3)",
        "answer_within": "1 month",
        "extension": "2 months",
    },
    "uk_gdpr": {
        "name": "UK GDPR",
        "citation": "UK GDPR Art. 12(3)",
        "answer_within": "1 month",
        "extension": "2 months",
    },
    "ccpa": {
        "name": "CCPA/CPRA",
        "citation": "Cal. Civ. Code §1798.130(a)(2)",
        "answer_within": "45 days",
        "extension": "45 days",
    },
    "vcdpa": {
        "name": "Virginia CDPA",
        "citation": "Va. Code §59.1-577(A)",
        "answer_within": "45 days",
        "extension": "45 days",
    },
    "cpa": {
        "name": "Colorado Privacy Act",
        "citation": "C.R.S. §6-1-1306(2)",
        "answer_within": "45 days",
        "extension": "45 days",
    },
    "lgpd": {
        "name": "LGPD (Brazil)",
        "citation": "LGPD Art. 19(II)",
        "answer_within": "15 days",
        "extension": None,
    },
}


class Jurisdictions(Mapping[str, Jurisdiction]):
    """The laws a request can be answered under, by code."""

    def __init__(self, table: Mapping[str, Mapping[str, Any]]) -> None:
        self._laws: dict[str, Jurisdiction] = {}
        for code, entry in table.items():
            where = f"jurisdiction {code!r}"
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,15}", str(code)):
                raise ConfigurationError(f"{where}: a code is 2-16 lowercase letters, digits or _")
            missing = [k for k in ("name", "citation", "answer_within") if not entry.get(k)]
            if missing:
                raise ConfigurationError(f"{where} needs {', '.join(missing)}")
            extension = entry.get("extension")
            self._laws[code] = Jurisdiction(
                code=code,
                name=str(entry["name"]),
                citation=str(entry["citation"]),
                answer_within=_period(entry["answer_within"], where),
                extension=_period(extension, where) if extension else None,
            )

    @classmethod
    def load(cls, path: Path | None = None) -> Jurisdictions:
        """The default table, with the entries of the YAML file at ``path`` added or replacing."""
        table = dict(DEFAULT_JURISDICTIONS)
        if path is not None:
            try:
                extra = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as error:
                raise ConfigurationError(f"cannot read the jurisdictions file {path}: {error}") from None
            if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
                raise ConfigurationError(
                    f"{path}: write one mapping per jurisdiction code, with name, citation, "
                    "answer_within (e.g. '45 days') and extension (or null)"
                )
            table.update(extra)
        return cls(table)

    def __getitem__(self, code: str) -> Jurisdiction:
        try:
            return self._laws[code]
        except KeyError:
            raise RequestError(
                f"unknown jurisdiction {code!r}; use one of: {', '.join(self._laws)}"
            ) from None

    def __iter__(self):
        return iter(self._laws)

    def __len__(self) -> int:
        return len(self._laws)
