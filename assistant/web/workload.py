"""The team console's workload chart: how many requests were open, and how many overdue, at the end of
each of the last weeks, and the bars that draw it as server-rendered SVG (no script, no chart library).

A request is open from the day it was received until the day it was closed (completed, rejected or
withdrawn: ``RequestQueue.closing_days``), and overdue on a day when it is open and its due date is before that
day, as ``RightsRequest.overdue`` counts today. The due date is the request's current one: an extension
moves it for the weeks before the extension too, which is what the team cares about when it looks back
(was this late by the deadline that held?), and the trail keeps every earlier date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.requests import RightsRequest

# The chart's drawing box (SVG user units); the page scales it to its width.
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 40


@dataclass(frozen=True)
class Week:
    ends: date  # the last day counted: the numbers are as they stood at its end
    open: int
    overdue: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "open" or "overdue": the CSS class that colours it
    label: str  # what a pointer's tooltip says


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    weeks: list[Week]
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[tuple[float, str]]  # x of each week's label, and the label
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def weekly(
    requests: Iterable[RightsRequest], closed: Mapping[str, date], today: date, weeks: int = 12
) -> list[Week]:
    """Open and overdue requests at the end of each of the last ``weeks`` weeks, the last one ending
    ``today``. ``closed`` maps each closed request's reference to the day it was closed."""
    ends = [today - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    spans = [(r.received_at.date(), closed.get(r.reference), r.due_at) for r in requests]
    result = []
    for end in ends:
        open_then = [due for received, shut, due in spans if received <= end and (shut is None or shut > end)]
        result.append(Week(end, len(open_then), sum(1 for due in open_then if due < end)))
    return result


def chart(weeks: list[Week]) -> Chart:
    """The bars (open and overdue side by side, per week), the value axis and the week labels."""
    top = _nice_ceiling(max((w.open for w in weeks), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    bar = slot * 0.36
    bars, labels = [], []
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + slot * 0.12
        for offset, kind, value in ((0.0, "open", week.open), (bar, "overdue", week.overdue)):
            height = plot_height * value / top
            bars.append(
                Bar(
                    round(x + offset, 1),
                    round(HEIGHT - BOTTOM - height, 1),
                    round(bar, 1),
                    round(height, 1),
                    kind,
                    f"{value} {kind} at the end of {week.ends.isoformat()}",
                )
            )
        labels.append((round(LEFT + (i + 0.5) * slot, 1), f"{week.ends.day} {week.ends:%b}"))
    ticks = [Tick(round(HEIGHT - BOTTOM - plot_height * v / top, 1), v) for v in (0, top // 2, top)]
    return Chart(weeks, bars, ticks, labels)


def _nice_ceiling(value: int) -> int:
    """The top of the value axis: an even number at or above ``value`` (so its half is whole), at
    least 2, rounded to 1, 2 or 5 times a power of ten past 10."""
    if value <= 10:
        return max(2, value + value % 2)
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return value  # not reached: 10 * step is above any value of that many digits
