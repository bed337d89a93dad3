"""Meeting dates and review periods (pure date arithmetic)."""

import datetime as dt

import pytest

from opencmo.reviews.schedule import add_months, advance, period_for, period_label, upcoming

d = dt.date


def test_advance_by_cadence():
    assert advance(d(2026, 1, 5), "weekly") == d(2026, 1, 12)
    assert advance(d(2026, 1, 5), "biweekly", 2) == d(2026, 2, 2)
    assert advance(d(2026, 1, 31), "monthly") == d(2026, 2, 28)  # the 31st has no February twin
    assert advance(d(2026, 11, 15), "quarterly") == d(2027, 2, 15)
    assert upcoming(d(2026, 1, 31), "monthly", 3) == [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31)]
    with pytest.raises(ValueError):
        advance(d(2026, 1, 1), "daily")


def test_periods_look_back_on_the_last_full_span():
    assert period_for("weekly", d(2026, 3, 9)) == (d(2026, 3, 2), d(2026, 3, 8))
    assert period_for("monthly", d(2026, 3, 3)) == (d(2026, 2, 1), d(2026, 2, 28))
    assert period_for("monthly", d(2026, 1, 5)) == (d(2025, 12, 1), d(2025, 12, 31))
    assert period_for("quarterly", d(2026, 4, 15)) == (d(2026, 1, 1), d(2026, 3, 31))
    assert period_for("quarterly", d(2026, 2, 10)) == (d(2025, 10, 1), d(2025, 12, 31))


def test_labels():
    assert period_label(d(2026, 2, 1), d(2026, 2, 28)) == "February 2026"
    assert period_label(d(2026, 1, 1), d(2026, 3, 31)) == "Q1 2026"
    assert period_label(d(2026, 3, 2), d(2026, 3, 8)) == "2026-03-02 \N{EN DASH} 2026-03-08"
    assert add_months(d(2024, 3, 31), -1) == d(2024, 2, 29)
