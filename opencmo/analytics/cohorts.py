r"""Acquisition cohorts: retention and revenue by the period in which customers were acquired.

A customer belongs to the cohort of the period (week, month, quarter) of their first order — or, with
``basis="sessions"``, of their first session. Period :math:`k` of a cohort is :math:`k` periods after
the cohort's own period (:math:`k = 0` is the acquisition period). For each cohort :math:`c`:

.. math::

    \text{retention}_{c,k} = \frac{|\{\text{customers of } c \text{ active in period } k\}|}{|c|},
    \qquad
    \text{revenue}_{c,k} = \sum \text{order value of } c \text{ in period } k,

where *active* means ordering (``basis="orders"``) or visiting (``basis="sessions"``); revenue always
comes from orders (``orders.customer_key`` = ``sessions.user_key``), and
``cumulative_revenue_per_customer`` is :math:`\sum_{j \le k} \text{revenue}_{c,j} / |c|`. Periods that
have not ended for a cohort yet (after ``end``) are ``None``, not 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from opencmo.analytics import queries
from opencmo.analytics.query import Backend, backend_for

if TYPE_CHECKING:
    from opencmo.analytics.store import Store

__all__ = ["Cohort", "cohorts"]

PERIODS = ("week", "month", "quarter")


@dataclass(frozen=True)
class Cohort:
    start: dt.date
    size: int
    active: list[int | None]
    retention: list[float | None]
    revenue: list[Decimal | None]
    cumulative_revenue_per_customer: list[Decimal | None]


def _shift(day: dt.date, period: str, k: int) -> dt.date:
    if period == "week":
        return day + dt.timedelta(weeks=k)
    months = k * (3 if period == "quarter" else 1)
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cohorts(
    store: Store | Backend,
    *,
    period: str = "month",
    periods: int = 12,
    basis: str = "orders",
    start: dt.date | None = None,
    end: dt.date | None = None,
    currency: str | None = None,
    fx: Mapping[str, Decimal] | None = None,
) -> list[Cohort]:
    """Cohorts acquired between ``start`` and ``end`` (inclusive dates), ``periods`` periods each.

    Revenue must be in one currency: give ``currency`` alone when all orders use it, or ``fx``
    rates into ``currency``; otherwise several currencies raise ``ValueError``.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}.")
    if basis not in ("orders", "sessions"):
        raise ValueError("basis must be orders or sessions.")
    if not 1 <= periods <= 120:
        raise ValueError("periods must be between 1 and 120.")
    backend = backend_for(store)
    first = start or dt.date(1970, 1, 1)
    last = end or dt.date(9999, 12, 30)
    if first > last:
        raise ValueError("The start date must not be after the end date.")
    present = sorted(row[0] for row in backend.fetch(queries.currencies("orders_all")).rows)
    if fx:
        if not currency:
            raise ValueError("Name the currency the fx rates convert into.")
        rates = {code: Decimal(str(rate)) for code, rate in fx.items()} | {currency: Decimal(1)}
        missing = [code for code in present if code not in rates]
        if missing:
            raise ValueError(f"No exchange rate into {currency} for {', '.join(missing)}.")
    else:
        if len(present) > 1 or (currency and present and present != [currency]):
            raise ValueError(
                f"Orders are in {', '.join(present)}: give exchange rates (fx) into one currency."
            )
        currency = currency or (present[0] if present else None)
        rates = {currency: Decimal(1)} if currency else {}
    params: dict = {"first": first, "last": last, "last_k": periods - 1}
    for i, (code, rate) in enumerate(sorted(rates.items())):
        params[f"fx_code_{i}"], params[f"fx_rate_{i}"] = code, rate
    rows = backend.fetch(queries.cohorts(period=period, basis=basis, rates=len(rates)), params).rows
    by_cohort: dict[dt.date, dict] = {}
    for cohort, size, k, active, revenue in rows:
        entry = by_cohort.setdefault(cohort, {"size": int(size), "active": {}, "revenue": {}})
        entry["active"][int(k)] = int(active)
        entry["revenue"][int(k)] = revenue if isinstance(revenue, Decimal) else Decimal(str(revenue))
    today_limit = end or dt.date.max
    result = []
    for cohort_start, entry in sorted(by_cohort.items()):
        size = entry["size"]
        active_list: list[int | None] = []
        retention: list[float | None] = []
        revenue_list: list[Decimal | None] = []
        cumulative: list[Decimal | None] = []
        running = Decimal(0)
        for k in range(periods):
            if _shift(cohort_start, period, k) > today_limit:
                active_list.append(None)
                retention.append(None)
                revenue_list.append(None)
                cumulative.append(None)
                continue
            active = entry["active"].get(k, 0)
            money = entry["revenue"].get(k, Decimal("0.0000"))
            running += money
            active_list.append(active)
            retention.append(active / size if size else None)
            revenue_list.append(money)
            cumulative.append((running / size).quantize(Decimal("0.0001")) if size else None)
        result.append(Cohort(cohort_start, size, active_list, retention, revenue_list, cumulative))
    return result
