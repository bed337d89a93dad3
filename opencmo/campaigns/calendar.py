"""Calendar arithmetic for the campaign calendar, as pure functions (no Django).

Three views: a month grid (weeks Monday to Sunday, campaigns as bars across the days, stacked in lanes),
and quarter and year timelines (one row per campaign across a grid of day columns). Everything here works
in whole days; end dates are inclusive, like the campaigns' own.
"""

from calendar import month_name
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

VIEWS = ("month", "quarter", "year")
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)  # navigation stays in a sane range


@dataclass(frozen=True)
class Period:
    view: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.view == "month":
            return f"{month_name[self.start.month]} {self.start.year}"
        if self.view == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return str(self.start.year)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def intersects(self, start: date, end: date) -> bool:
        return start <= self.end and self.start <= end


def clamp(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def period_for(view: str, day: date) -> Period:
    """The month, quarter or year containing `day` (an unknown view is a month)."""
    day = clamp(day)
    if view == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    if view == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        return Period("quarter", date(day.year, first, 1), _month_end(day.year, first + 2))
    return Period("month", date(day.year, day.month, 1), _month_end(day.year, day.month))


def shift(period: Period, steps: int) -> date:
    """The first day of the period `steps` periods away (negative = back), kept inside the sane range."""
    months = {"month": 1, "quarter": 3, "year": 12}[period.view] * steps
    index = period.start.year * 12 + period.start.month - 1 + months
    year, month = divmod(index, 12)
    if year < EARLIEST.year:
        return EARLIEST
    if year > LATEST.year:
        return date(LATEST.year, 12, 1)
    return date(year, month + 1, 1)


# --- month grid -----------------------------------------------------------------------------------


def month_weeks(period: Period) -> list[list[date]]:
    """Weeks (Monday first) covering the month, each a list of seven days."""
    first = period.start - timedelta(days=period.start.weekday())
    weeks, day = [], first
    while day <= period.end:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def assign_lanes[K](items: Iterable[tuple[K, date, date]]) -> dict[K, int]:
    """Stack date ranges in lanes (0, 1, …) so ranges sharing a day never share a lane. Earliest start
    first, longer first on ties, each into the lowest free lane: the familiar calendar layout."""
    lanes_end: list[date] = []
    placed: dict[K, int] = {}
    for key, start, end in sorted(items, key=lambda i: (i[1], -(i[2] - i[1]).days)):
        for lane, busy_until in enumerate(lanes_end):
            if busy_until < start:
                lanes_end[lane] = end
                placed[key] = lane
                break
        else:
            placed[key] = len(lanes_end)
            lanes_end.append(end)
    return placed


@dataclass(frozen=True)
class Bar[K]:
    """One campaign's piece within a week (month view) or within the whole period (timelines).
    `column` is the 1-based grid line it starts on and `span` how many day columns it covers."""

    key: K
    column: int
    span: int
    lane: int
    starts_here: bool  # the campaign really starts in this piece (else it continues from before)
    ends_here: bool


def bars_in[K](
    first: date, last: date, items: Sequence[tuple[K, date, date]], *, lanes: bool = True
) -> list[Bar[K]]:
    """The pieces of `items` that fall between `first` and `last` (inclusive) as grid bars."""
    inside = [(k, max(s, first), min(e, last), s, e) for k, s, e in items if s <= last and first <= e]
    placed = assign_lanes((k, s, e) for k, s, e, _, _ in inside) if lanes else {}
    return [
        Bar(
            key=k,
            column=(s - first).days + 1,
            span=(e - s).days + 1,
            lane=placed.get(k, 0),
            starts_here=real_start >= first,
            ends_here=real_end <= last,
        )
        for k, s, e, real_start, real_end in inside
    ]


# --- timelines ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A header cell of a timeline: a label over `span` day columns starting at grid line `column`."""

    label: str
    column: int
    span: int
    title: str = ""


def _columns(period: Period, pieces: Iterable[tuple[date, date, str, str]]) -> list[Column]:
    out = []
    for start, end, label, title in pieces:
        s, e = max(start, period.start), min(end, period.end)
        if s <= e:
            out.append(Column(label, (s - period.start).days + 1, (e - s).days + 1, title))
    return out


def _months(period: Period, label: Callable[[date], str]) -> list[tuple[date, date, str, str]]:
    pieces, day = [], period.start
    while day <= period.end:
        end = _month_end(day.year, day.month)
        pieces.append((day, end, label(day), f"{month_name[day.month]} {day.year}"))
        day = end + timedelta(days=1)
    return pieces


def timeline_header(period: Period) -> list[list[Column]]:
    """Two header rows: quarter view = months over ISO weeks; year view = quarters over months."""
    if period.view == "quarter":
        weeks, day = [], period.start - timedelta(days=period.start.weekday())
        while day <= period.end:
            iso = day.isocalendar()
            weeks.append((day, day + timedelta(days=6), f"W{iso.week}", f"Week {iso.week}, {iso.year}"))
            day += timedelta(days=7)
        return [
            _columns(period, _months(period, lambda d: month_name[d.month])),
            _columns(period, weeks),
        ]
    quarters = [
        (
            date(period.start.year, m, 1),
            _month_end(period.start.year, m + 2),
            f"Q{(m - 1) // 3 + 1}",
            f"Q{(m - 1) // 3 + 1} {period.start.year}",
        )
        for m in (1, 4, 7, 10)
    ]
    return [_columns(period, quarters), _columns(period, _months(period, lambda d: month_name[d.month][:3]))]


def column_of(period: Period, day: date) -> int:
    """The 1-based grid line of `day` inside the period (clipped to its edges)."""
    return (min(max(day, period.start), period.end) - period.start).days + 1
