"""Date arithmetic of review cycles: the next meeting dates and the period each meeting looks back on.

Pure functions (no database), so the rules are easy to test and to read:
- a weekly status looks at the 7 days before the meeting;
- a monthly review at the last calendar month that ended before the meeting;
- a quarterly review at the last calendar quarter that ended before the meeting.
"""

import calendar
import datetime as dt

STEP_MONTHS = {"monthly": 1, "quarterly": 3}
STEP_DAYS = {"weekly": 7, "biweekly": 14}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def advance(day: dt.date, cadence: str, steps: int = 1) -> dt.date:
    """The meeting `steps` cadences after `day`."""
    if cadence in STEP_DAYS:
        return day + dt.timedelta(days=STEP_DAYS[cadence] * steps)
    if cadence in STEP_MONTHS:
        return add_months(day, STEP_MONTHS[cadence] * steps)
    raise ValueError(f"Unknown cadence {cadence!r}.")


def upcoming(first: dt.date, cadence: str, count: int) -> list[dt.date]:
    """`count` meeting dates starting with `first`."""
    return [advance(first, cadence, i) for i in range(count)]


def period_for(kind: str, meeting: dt.date) -> tuple[dt.date, dt.date]:
    """The period (inclusive) a review of `kind` held on `meeting` looks back on."""
    if kind == "weekly":
        return meeting - dt.timedelta(days=7), meeting - dt.timedelta(days=1)
    if kind == "monthly":
        end = meeting.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if kind == "quarterly":
        quarter_start = dt.date(meeting.year, 3 * ((meeting.month - 1) // 3) + 1, 1)
        end = quarter_start - dt.timedelta(days=1)
        return add_months(quarter_start, -3), end
    raise ValueError(f"Unknown review kind {kind!r}.")


def period_label(start: dt.date, end: dt.date) -> str:
    """'March 2026', 'Q1 2026' or '2026-03-02 - 2026-03-08' (with an en dash)."""
    last = calendar.monthrange(end.year, end.month)[1]
    if start.day == 1 and end.day == last:
        if (start.year, start.month) == (end.year, end.month):
            return f"{calendar.month_name[start.month]} {start.year}"
        if start.year == end.year and start.month % 3 == 1 and end.month == start.month + 2:
            return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start:%Y-%m-%d} \N{EN DASH} {end:%Y-%m-%d}"
