"""Due dates: one calendar month after receipt, as the policy promises, clamped to the month's end."""

from __future__ import annotations

import calendar
from datetime import date, datetime


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on; Jan 31 + 1 month is Feb 28 (or 29 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received_at: datetime | date, extension_months: int = 0) -> date:
    """The day an answer is due: one month after receipt, plus any extension."""
    received = received_at.date() if isinstance(received_at, datetime) else received_at
    return add_months(received, 1 + extension_months)
