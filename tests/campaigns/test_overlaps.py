"""Property tests of the overlap rule and of the calendar arithmetic (both pure, no database)."""

from datetime import date, timedelta
from itertools import combinations, pairwise

from hypothesis import given
from hypothesis import strategies as st

from opencmo.campaigns import calendar as cal
from opencmo.campaigns.overlaps import Span, find_overlaps, overlap, overlaps_of

DAY0 = date(2026, 1, 1)


@st.composite
def spans(draw, ident=None):
    start = DAY0 + timedelta(days=draw(st.integers(0, 120)))
    end = start + timedelta(days=draw(st.integers(0, 60)))
    return Span(
        id=ident if ident is not None else draw(st.integers(1, 10_000)),
        start=start,
        end=end,
        segment_id=draw(st.one_of(st.none(), st.integers(1, 3))),
        channel_ids=frozenset(draw(st.sets(st.integers(1, 5), max_size=3))),
    )


@st.composite
def span_lists(draw):
    count = draw(st.integers(0, 14))
    return [draw(spans(ident=i + 1)) for i in range(count)]


def _days(span: Span) -> set[date]:
    return {span.start + timedelta(days=i) for i in range((span.end - span.start).days + 1)}


@given(spans(ident=1), spans(ident=2))
def test_symmetric(a, b):
    assert overlap(a, b) == overlap(b, a)


@given(spans(ident=1), spans(ident=2))
def test_only_when_segment_channel_and_a_day_are_shared(a, b):
    shared_days = _days(a) & _days(b)
    expected = (
        a.segment_id is not None
        and a.segment_id == b.segment_id
        and bool(a.channel_ids & b.channel_ids)
        and bool(shared_days)
    )
    hit = overlap(a, b)
    assert (hit is not None) == expected
    if hit is not None:  # the reported window is exactly the shared days, inclusive
        assert _days(Span(0, hit.start, hit.end, None)) == shared_days
        assert hit.days == len(shared_days)
        assert hit.channel_ids == a.channel_ids & b.channel_ids
        assert {hit.first, hit.second} == {1, 2} and hit.first < hit.second


def test_inclusive_end_dates():
    a = Span(1, date(2026, 3, 1), date(2026, 3, 10), 7, frozenset({1}))
    touching = Span(2, date(2026, 3, 10), date(2026, 3, 20), 7, frozenset({1, 2}))
    after = Span(3, date(2026, 3, 11), date(2026, 3, 20), 7, frozenset({1}))
    hit = overlap(a, touching)
    assert hit is not None and hit.start == hit.end == date(2026, 3, 10) and hit.days == 1
    assert overlap(a, after) is None


def test_no_segment_is_not_a_segment():
    a = Span(1, DAY0, DAY0, None, frozenset({1}))
    b = Span(2, DAY0, DAY0, None, frozenset({1}))
    assert overlap(a, b) is None and overlap(a, a) is None


@given(span_lists())
def test_the_sweep_finds_exactly_the_colliding_pairs(items):
    brute = {(o.first, o.second) for a, b in combinations(items, 2) if (o := overlap(a, b))}
    found = find_overlaps(items)
    assert {(o.first, o.second) for o in found} == brute
    assert len(found) == len(brute)  # each pair once
    assert [o.start for o in found] == sorted(o.start for o in found)
    for item in items:
        assert all(item.id in (o.first, o.second) for o in overlaps_of(item.id, found))


# --- calendar arithmetic --------------------------------------------------------------------------


dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))


@given(st.sampled_from(cal.VIEWS), dates)
def test_periods_contain_their_day_and_tile_the_timeline(view, day):
    period = cal.period_for(view, day)
    assert period.contains(day) and period.start.day == 1
    after = cal.period_for(view, cal.shift(period, 1))
    before = cal.period_for(view, cal.shift(period, -1))
    assert after.start == period.end + timedelta(days=1)
    assert before.end == period.start - timedelta(days=1)
    assert {"month": (28, 31), "quarter": (90, 92), "year": (365, 366)}[view][0] <= period.days
    assert period.days <= {"month": 31, "quarter": 92, "year": 366}[view]


def test_navigation_stays_in_range_and_bad_views_are_months():
    assert cal.shift(cal.period_for("month", date(1900, 1, 5)), -1) == cal.EARLIEST
    assert cal.shift(cal.period_for("year", date(2999, 6, 1)), 1) == date(2999, 12, 1)
    assert cal.period_for("nonsense", date(2026, 2, 14)) == cal.Period(
        "month", date(2026, 2, 1), date(2026, 2, 28)
    )
    assert cal.period_for("quarter", date(2026, 11, 23)).label == "Q4 2026"


@given(dates)
def test_month_weeks_cover_the_month_monday_first(day):
    period = cal.period_for("month", day)
    weeks = cal.month_weeks(period)
    days = [d for week in weeks for d in week]
    assert all(len(w) == 7 and w[0].weekday() == 0 for w in weeks)
    assert days == sorted(days) and days[0] <= period.start and days[-1] >= period.end
    assert 4 <= len(weeks) <= 6


ranges = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 15)).map(
        lambda t: (DAY0 + timedelta(days=t[0]), DAY0 + timedelta(days=t[0] + t[1]))
    ),
    max_size=15,
)


@given(ranges)
def test_lanes_never_put_two_campaigns_on_the_same_day(items):
    keyed = [(i, s, e) for i, (s, e) in enumerate(items)]
    lanes = cal.assign_lanes(keyed)
    assert set(lanes) == set(range(len(items)))
    for (i, s1, e1), (j, s2, e2) in combinations(keyed, 2):
        if s1 <= e2 and s2 <= e1:
            assert lanes[i] != lanes[j]
    # Compact: lane n is used only if every lower lane is used too.
    used = set(lanes.values())
    assert used == set(range(len(used)))


@given(ranges, st.integers(0, 40))
def test_bars_cover_exactly_the_visible_days(items, offset):
    first = DAY0 + timedelta(days=offset)
    last = first + timedelta(days=6)
    keyed = [(i, s, e) for i, (s, e) in enumerate(items)]
    bars = {b.key: b for b in cal.bars_in(first, last, keyed)}
    for i, s, e in keyed:
        visible = {d for d in (first + timedelta(days=k) for k in range(7)) if s <= d <= e}
        if not visible:
            assert i not in bars
            continue
        bar = bars[i]
        covered = {first + timedelta(days=bar.column - 1 + k) for k in range(bar.span)}
        assert covered == visible
        assert bar.starts_here == (s >= first) and bar.ends_here == (e <= last)


@given(st.sampled_from(["quarter", "year"]), dates)
def test_timeline_headers_tile_the_period(view, day):
    period = cal.period_for(view, day)
    for row in cal.timeline_header(period):
        assert row[0].column == 1
        for left, right in pairwise(row):
            assert right.column == left.column + left.span
        assert row[-1].column + row[-1].span - 1 == period.days
