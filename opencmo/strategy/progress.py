"""KPI progress maths: pure functions over Decimals and dates (no Django, no database).

A KPI moves from a *baseline* to a *target* over a *period* [start, end]. Actual observations are
(date, value) pairs. Two kinds of KPI:

* **cumulative** (leads, orders, revenue): each observation is an amount that adds up. The KPI stands
  at ``baseline + Σ values`` (the baseline is where the count stands when the period starts, usually 0).
* **level** (NPS, conversion rate, share of voice): each observation is a reading of the level; the KPI
  stands at the latest reading.

Only observations dated on or before the evaluation day ``on`` count ("what did we know that day").

Time: ``elapsed = clamp((on - start).days + 1, 0, n) / n`` with ``n = (end - start).days + 1``: the share
of the period's days that have passed, counting the day ``on`` itself (so a one-day period needs no
special case and the last day counts as fully elapsed).

Pacing is linear: ``expected(on) = baseline + (target - baseline) * elapsed``.

Percent of target achieved: ``pct = 100 * (actual - baseline) / (target - baseline)``. It is the share
of the distance from baseline to target that has been covered, so it reads the same way for KPIs that
should fall (direction "down": baseline 12 % churn, target 8 %, actual 10 % → 50 %). It may be negative
(moved the wrong way) or above 100 (beyond target).

When target == baseline ("hold the line", e.g. keep NPS at 45) there is no distance to divide by:
``pct = 100`` when the actual is at least as good as the target in the KPI's direction; otherwise
``pct = max(0, 100 * (1 - |actual - target| / |target|))`` (the relative shortfall), and 0 when the
target is 0.

Which way is "better": the sign of ``target - baseline``; the ``direction`` only decides when the two
are equal. (Services refuse a direction that contradicts target and baseline.)

On track: the actual is at least as good as ``expected(on)``. Before the period starts nothing is
expected yet, so a KPI is on track. A level KPI with no reading yet is not on track.

Projection to the period end (linear extrapolation of the trend so far):

* cumulative: the run rate so far continued over the whole period:
  ``projected = baseline + (actual - baseline) / elapsed``;
* level: the least-squares line through the baseline (dated at the period start) and the readings,
  evaluated at the period end; with a single distinct date the latest reading is carried forward.

Once the period is over the projection is the actual. Nothing is projected before the period starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

UP, DOWN = "up", "down"
HUNDRED = Decimal(100)

NOT_STARTED = "not_started"
NO_DATA = "no_data"
ACHIEVED = "achieved"
ON_TRACK = "on_track"
OFF_TRACK = "off_track"
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    NO_DATA: "No data yet",
    ACHIEVED: "Target reached",
    ON_TRACK: "On track",
    OFF_TRACK: "Off track",
}

Observation = tuple[date, Decimal]


@dataclass(frozen=True)
class KpiProgress:
    """Where a KPI stands on a given day. Decimals throughout; None where nothing can be said."""

    on: date
    baseline: Decimal
    target: Decimal
    direction: str
    cumulative: bool
    actual: Decimal | None
    expected_to_date: Decimal
    pct_of_target: Decimal | None
    expected_pct: Decimal
    on_track: bool
    projected_end: Decimal | None
    projected_pct: Decimal | None
    elapsed: Decimal
    observations: int
    achieved: bool
    status: str

    @property
    def has_data(self) -> bool:
        return self.observations > 0

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def bar_pct(self) -> Decimal:
        """pct_of_target clamped to 0..100, for drawing a progress bar."""
        return clamp_pct(self.pct_of_target)

    @property
    def projected_on_target(self) -> bool | None:
        """Will the trend reach the target by the period end? None if nothing is projected."""
        if self.projected_end is None:
            return None
        return at_least_as_good(self.projected_end, self.target, better_sign(self))


def clamp_pct(pct: Decimal | None) -> Decimal:
    if pct is None:
        return Decimal(0)
    return min(max(pct, Decimal(0)), HUNDRED)


def better_sign(kpi) -> int:
    """+1 when higher is better, -1 when lower is better (see module docstring)."""
    return sign_of(kpi.baseline, kpi.target, kpi.direction)


def sign_of(baseline: Decimal, target: Decimal, direction: str) -> int:
    if target > baseline:
        return 1
    if target < baseline:
        return -1
    return -1 if direction == DOWN else 1


def at_least_as_good(value: Decimal, reference: Decimal, sign: int) -> bool:
    return value >= reference if sign > 0 else value <= reference


def elapsed_fraction(start: date, end: date, on: date) -> Decimal:
    """Share of the period's days passed on `on`, counting `on` itself: 0 before start, 1 from `end`."""
    if end < start:
        raise ValueError("The period ends before it starts.")
    days = (end - start).days + 1
    passed = min(max((on - start).days + 1, 0), days)
    return Decimal(passed) / Decimal(days)


def expected_to_date(baseline: Decimal, target: Decimal, fraction: Decimal) -> Decimal:
    """Linear pacing: baseline + (target - baseline) * elapsed fraction."""
    return baseline + (target - baseline) * fraction


def counted(observations: Iterable[Observation], on: date) -> list[Observation]:
    """Observations dated on or before `on`, oldest first."""
    return sorted((d, v) for d, v in observations if d <= on)


def current_value(
    baseline: Decimal, observations: Sequence[Observation], *, cumulative: bool
) -> Decimal | None:
    """baseline + Σ values (cumulative) or the latest value (level; None without any)."""
    if cumulative:
        return baseline + sum((v for _, v in observations), Decimal(0))
    return observations[-1][1] if observations else None


def pct_of_target(
    actual: Decimal | None, baseline: Decimal, target: Decimal, direction: str
) -> Decimal | None:
    """Share of the distance baseline → target covered, in percent (see module docstring)."""
    if actual is None:
        return None
    if target != baseline:
        return HUNDRED * (actual - baseline) / (target - baseline)
    if at_least_as_good(actual, target, sign_of(baseline, target, direction)):
        return HUNDRED
    if target == 0:
        return Decimal(0)
    return max(Decimal(0), HUNDRED * (1 - abs(actual - target) / abs(target)))


def least_squares_at(points: Sequence[tuple[Decimal, Decimal]], x_at: Decimal) -> Decimal | None:
    """The least-squares line through (x, y) points evaluated at `x_at`; None if all x are equal."""
    n = Decimal(len(points))
    if n == 0:
        return None
    mean_x = sum((x for x, _ in points), Decimal(0)) / n
    mean_y = sum((y for _, y in points), Decimal(0)) / n
    sxx = sum(((x - mean_x) ** 2 for x, _ in points), Decimal(0))
    if sxx == 0:
        return None
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in points), Decimal(0))
    slope = sxy / sxx
    return mean_y + slope * (x_at - mean_x)


def projected_end(
    *,
    baseline: Decimal,
    start: date,
    end: date,
    on: date,
    observations: Sequence[Observation],
    cumulative: bool,
) -> Decimal | None:
    """Linear extrapolation of the trend so far to the period end (see module docstring)."""
    fraction = elapsed_fraction(start, end, on)
    actual = current_value(baseline, observations, cumulative=cumulative)
    if fraction == 0:
        return None
    if fraction == 1:
        return actual
    if cumulative:
        return baseline + (actual - baseline) / fraction
    if not observations:
        return None
    points = [(Decimal(0), baseline)] + [(Decimal((d - start).days), v) for d, v in observations]
    line = least_squares_at(points, Decimal((end - start).days))
    return observations[-1][1] if line is None else line


def progress(
    *,
    baseline: Decimal,
    target: Decimal,
    direction: str,
    start: date,
    end: date,
    cumulative: bool,
    observations: Iterable[Observation],
    on: date,
) -> KpiProgress:
    """Everything about a KPI on day `on` (see the module docstring for each formula)."""
    seen = counted(observations, on)
    fraction = elapsed_fraction(start, end, on)
    actual = current_value(baseline, seen, cumulative=cumulative)
    expected = expected_to_date(baseline, target, fraction)
    sign = sign_of(baseline, target, direction)
    pct = pct_of_target(actual, baseline, target, direction)
    projection = projected_end(
        baseline=baseline, start=start, end=end, on=on, observations=seen, cumulative=cumulative
    )
    achieved = actual is not None and at_least_as_good(actual, target, sign)
    # Before the period starts nothing is expected yet.
    on_track = fraction == 0 or (actual is not None and at_least_as_good(actual, expected, sign))
    if fraction == 0:
        status = NOT_STARTED
    elif not seen:
        status = NO_DATA
    elif achieved:
        status = ACHIEVED
    else:
        status = ON_TRACK if on_track else OFF_TRACK
    return KpiProgress(
        on=on,
        baseline=baseline,
        target=target,
        direction=direction,
        cumulative=cumulative,
        actual=actual,
        expected_to_date=expected,
        pct_of_target=pct,
        expected_pct=HUNDRED * fraction,
        on_track=on_track,
        projected_end=projection,
        projected_pct=pct_of_target(projection, baseline, target, direction),
        elapsed=fraction,
        observations=len(seen),
        achieved=achieved,
        status=status,
    )


def rollup_pct(pcts: Iterable[Decimal | None]) -> Decimal | None:
    """Average % of target over KPIs that have one, each clamped to 0..100 first so one KPI far beyond
    its target cannot hide another that is behind. None when no KPI has a percentage."""
    values = [clamp_pct(p) for p in pcts if p is not None]
    if not values:
        return None
    return sum(values, Decimal(0)) / Decimal(len(values))
