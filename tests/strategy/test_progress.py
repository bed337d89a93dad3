"""KPI progress maths (opencmo.strategy.progress): worked examples and properties."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from opencmo.strategy import progress as P

JAN1, DEC31 = date(2026, 1, 1), date(2026, 12, 31)


def run(
    on,
    observations=(),
    *,
    baseline="0",
    target="1000",
    direction="up",
    cumulative=True,
    start=JAN1,
    end=DEC31,
):
    return P.progress(
        baseline=D(baseline),
        target=D(target),
        direction=direction,
        start=start,
        end=end,
        cumulative=cumulative,
        observations=[(d, D(v)) for d, v in observations],
        on=on,
    )


# ------------------------------------------------------------------------------------ worked examples


def test_cumulative_kpi_sums_and_paces_linearly():
    # 1000 leads over 2026; by 30 June (181 of 365 days) 496 are expected; 600 recorded.
    p = run(
        date(2026, 6, 30),
        [(date(2026, 3, 31), "250"), (date(2026, 6, 30), "350"), (date(2026, 7, 31), "999")],
    )
    assert p.actual == D(600) and p.observations == 2  # the July value is after `on`
    assert p.elapsed == D(181) / D(365)
    assert p.expected_to_date.quantize(D("0.01")) == D("495.89")
    assert p.pct_of_target == D(60) and p.on_track and p.status == P.ON_TRACK
    assert p.projected_end.quantize(D("0.1")) == D("1209.9")  # 600 / (181/365)
    assert p.projected_on_target is True


def test_level_kpi_reads_the_latest_value_and_fits_a_trend():
    # NPS from 30 to 50 over the year; readings 34 (31 Mar) and 36 (30 Jun): behind the pacing line.
    p = run(
        date(2026, 7, 1),
        [(date(2026, 6, 30), "36"), (date(2026, 3, 31), "34")],
        baseline="30",
        target="50",
        cumulative=False,
    )
    assert p.actual == D(36) and p.pct_of_target == D(30)
    assert not p.on_track and p.status == P.OFF_TRACK
    # least squares through (0, 30), (89, 34), (180, 36), evaluated at day 364
    assert D("42") < p.projected_end < D("43") and p.projected_on_target is False


def test_direction_down_counts_the_distance_covered():
    # Churn from 12 % to 8 %: at 10 % half the distance is covered.
    p = run(
        date(2026, 12, 31),
        [(date(2026, 12, 1), "10")],
        baseline="12",
        target="8",
        direction="down",
        cumulative=False,
    )
    assert p.pct_of_target == D(50) and not p.achieved and not p.on_track
    good = run(
        date(2026, 3, 1),
        [(date(2026, 2, 1), "9")],
        baseline="12",
        target="8",
        direction="down",
        cumulative=False,
    )
    assert good.on_track and good.pct_of_target == D(75)


def test_target_equal_to_baseline_does_not_divide_by_zero():
    hold = dict(baseline="45", target="45", cumulative=False)
    assert run(date(2026, 6, 1), [(date(2026, 5, 1), "47")], **hold).pct_of_target == D(100)
    short = run(date(2026, 6, 1), [(date(2026, 5, 1), "36")], **hold)
    assert short.pct_of_target == D(80) and not short.on_track
    down = dict(baseline="5", target="5", direction="down", cumulative=False)
    assert run(date(2026, 6, 1), [(date(2026, 5, 1), "4")], **down).pct_of_target == D(100)
    assert run(date(2026, 6, 1), [(date(2026, 5, 1), "6")], **down).pct_of_target == D(80)
    zero = run(date(2026, 6, 1), [(date(2026, 5, 1), "3")], baseline="0", target="0", direction="down")
    assert zero.pct_of_target == D(0) and not zero.on_track


def test_before_the_period_nothing_is_expected_or_projected():
    p = run(date(2025, 12, 1))
    assert p.status == P.NOT_STARTED and p.on_track and p.expected_to_date == 0 and p.projected_end is None


def test_no_readings_yet():
    level = run(date(2026, 2, 1), cumulative=False)
    assert level.actual is None and level.pct_of_target is None and not level.on_track
    assert level.status == P.NO_DATA and level.projected_end is None and level.bar_pct == 0
    counted = run(date(2026, 2, 1))
    assert counted.actual == D(0) and counted.status == P.NO_DATA and not counted.on_track


def test_period_over_projection_is_the_actual_and_target_reached():
    p = run(date(2027, 1, 15), [(date(2026, 6, 1), "700"), (date(2026, 12, 20), "400")])
    assert p.elapsed == 1 and p.projected_end == p.actual == D(1100)
    assert p.achieved and p.status == P.ACHIEVED and p.expected_to_date == D(1000)


def test_one_day_period():
    day = date(2026, 5, 17)
    p = run(day, [(day, "3")], target="3", start=day, end=day)
    assert p.elapsed == 1 and p.achieved
    assert run(day - timedelta(days=1), start=day, end=day).status == P.NOT_STARTED


def test_rollup_caps_each_kpi():
    assert P.rollup_pct([D(250), D(50), None]) == D(75)
    assert P.rollup_pct([D(-20), D(40)]) == D(20)
    assert P.rollup_pct([None]) is None


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        P.elapsed_fraction(DEC31, JAN1, JAN1)


# ---------------------------------------------------------------------------------------- properties

amounts = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
small = st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False, allow_infinity=False)
days = st.integers(min_value=0, max_value=800)


@st.composite
def kpis(draw):
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
    end = start + timedelta(days=draw(st.integers(0, 400)))
    baseline, target = draw(amounts), draw(amounts)
    direction = (
        "up" if target > baseline else "down" if target < baseline else draw(st.sampled_from(["up", "down"]))
    )
    grace = timedelta(days=31)
    span = (end - start).days + 62
    observations = draw(
        st.lists(
            st.tuples(st.integers(0, span).map(lambda n: start - grace + timedelta(days=n)), amounts),
            max_size=12,
            unique_by=lambda o: o[0],
        )
    )
    on = start - timedelta(days=40) + timedelta(days=draw(st.integers(0, span + 80)))
    return {
        "baseline": baseline,
        "target": target,
        "direction": direction,
        "start": start,
        "end": end,
        "cumulative": draw(st.booleans()),
        "observations": observations,
        "on": on,
    }


@settings(max_examples=300)
@given(kpis())
def test_every_kpi_gets_an_answer_within_bounds(k):
    p = P.progress(**k)
    assert 0 <= p.elapsed <= 1
    assert 0 <= p.bar_pct <= 100
    lo, hi = sorted([k["baseline"], k["target"]])
    assert lo <= p.expected_to_date <= hi
    assert p.status in P.STATUS_LABELS
    if k["target"] == k["baseline"] and p.pct_of_target is not None:
        assert 0 <= p.pct_of_target <= 100


@given(kpis())
def test_pacing_runs_from_baseline_to_target(k):
    before = P.progress(**{**k, "on": k["start"] - timedelta(days=1)})
    last = P.progress(**{**k, "on": k["end"]})
    assert before.expected_to_date == k["baseline"] and before.elapsed == 0
    assert last.expected_to_date == k["target"] and last.elapsed == 1


@given(kpis(), st.integers(0, 30))
def test_elapsed_time_never_goes_back(k, later):
    a = P.progress(**k)
    b = P.progress(**{**k, "on": k["on"] + timedelta(days=later)})
    assert a.elapsed <= b.elapsed


@given(kpis())
def test_on_track_means_at_least_the_expected_share_of_target(k):
    assume(k["target"] != k["baseline"])
    p = P.progress(**k)
    assume(p.status not in (P.NOT_STARTED,) and p.actual is not None)
    if abs(p.pct_of_target - p.expected_pct) > D("1e-9"):
        assert p.on_track == (p.pct_of_target > p.expected_pct)


@given(kpis())
def test_reaching_the_target_is_100_percent_and_the_baseline_0(k):
    assume(k["target"] != k["baseline"])
    assert P.pct_of_target(k["target"], k["baseline"], k["target"], k["direction"]) == 100
    assert P.pct_of_target(k["baseline"], k["baseline"], k["target"], k["direction"]) == 0


@given(kpis())
def test_a_mirrored_kpi_reads_the_same(k):
    """Lower-is-better is higher-is-better upside down: negate every number and flip the direction."""
    flipped = {
        **k,
        "baseline": -k["baseline"],
        "target": -k["target"],
        "direction": "down" if k["direction"] == "up" else "up",
        "observations": [(d, -v) for d, v in k["observations"]],
    }
    a, b = P.progress(**k), P.progress(**flipped)
    assert (a.pct_of_target, a.on_track, a.status, a.achieved) == (
        b.pct_of_target,
        b.on_track,
        b.status,
        b.achieved,
    )
    assert a.projected_end == (None if b.projected_end is None else -b.projected_end)


@given(kpis(), st.randoms())
def test_the_order_of_observations_does_not_matter(k, rnd):
    shuffled = list(k["observations"])
    rnd.shuffle(shuffled)
    assert P.progress(**k) == P.progress(**{**k, "observations": shuffled})


@given(kpis())
def test_cumulative_sums_and_level_takes_the_latest(k):
    seen = sorted((d, v) for d, v in k["observations"] if d <= k["on"])
    total = P.progress(**{**k, "cumulative": True})
    level = P.progress(**{**k, "cumulative": False})
    assert total.actual == k["baseline"] + sum((v for _, v in seen), D(0))
    assert level.actual == (seen[-1][1] if seen else None)


@given(kpis(), amounts)
def test_observations_after_the_day_are_ignored(k, value):
    later = k["on"] + timedelta(days=1)
    assume(all(d != later for d, _ in k["observations"]))
    assert P.progress(**k) == P.progress(**{**k, "observations": [*k["observations"], (later, value)]})


@given(kpis())
def test_projection_after_the_period_is_the_actual(k):
    p = P.progress(**{**k, "on": k["end"] + timedelta(days=5)})
    assert p.projected_end == p.actual


@given(small, st.integers(1, 200), st.integers(1, 364))
def test_a_steady_run_rate_projects_onto_its_line(rate, every, elapsed_days):
    """Cumulative: the same amount each `every` days, looked at on a recorded day, projects to
    baseline + amount-so-far * total/elapsed."""
    obs = [(JAN1 + timedelta(days=n), rate) for n in range(0, elapsed_days, every)]
    on = JAN1 + timedelta(days=elapsed_days - 1)
    p = run(on, [(d, str(v)) for d, v in obs], baseline="100", target="100000")
    expected = D(100) + rate * len(obs) * D(365) / D(elapsed_days)
    assert abs(p.projected_end - expected) < D("1e-12")


@given(
    amounts,
    st.decimals(min_value=-50, max_value=50, places=2),
    st.lists(st.integers(1, 300), min_size=1, max_size=8, unique=True),
)
def test_readings_on_a_line_project_along_it(baseline, slope, offsets):
    """Level: readings exactly on the line baseline + slope * day extrapolate along that line."""
    obs = [(JAN1 + timedelta(days=n), baseline + slope * n) for n in offsets]
    p = P.progress(
        baseline=baseline,
        target=baseline + abs(slope) * 400 + 1,
        direction="up",
        start=JAN1,
        end=DEC31,
        cumulative=False,
        observations=obs,
        on=JAN1 + timedelta(days=max(offsets)),
    )
    assert abs(p.projected_end - (baseline + slope * 364)) < D("1e-9")


@given(st.lists(st.one_of(st.none(), amounts), max_size=10))
def test_rollup_stays_between_0_and_100(values):
    result = P.rollup_pct(values)
    assert result is None or 0 <= result <= 100
