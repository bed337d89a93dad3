r"""Marketing KPIs by period x channel x campaign x objective, computed in the store.

Sums come from one SQL query over ``ad_performance`` (and, for leads, new customers and first-party
revenue, over ``conversions``, ``orders`` and ``touchpoints``); the ratios are then taken on those sums
with :class:`~decimal.Decimal`, so money stays exact. A ratio whose denominator is zero is ``None``
(shown as "-"), never 0 or infinity.

=================  ===========================================  ==========================
KPI                formula                                      unit
=================  ===========================================  ==========================
spend              :math:`\sum` spend                           currency
impressions        :math:`\sum` impressions                     count
clicks             :math:`\sum` clicks                          count
CTR                clicks / impressions                         fraction (0.0123 = 1.23 %)
CPC                spend / clicks                               currency
CPM                1000 x spend / impressions                   currency
conversions        :math:`\sum` conversions (as the platforms   count (may be fractional)
                   report them)
conversion rate    conversions / clicks                         fraction
leads              conversions of a lead kind, credited to the  count
                   last non-direct touch within the lookback
CPL                spend / leads                                currency
new customers      customers whose first order falls in the     count
                   period, credited like leads
CAC                spend / new customers                        currency
revenue            :math:`\sum` conversion value (platform) or  currency
                   order value credited like leads (orders)
ROAS               revenue / spend                              ratio (4.0 = 400 %)
ROI                (revenue - spend) / spend                    ratio
=================  ===========================================  ==========================

Currencies are never added together silently: give ``fx`` (rates into ``currency``) to convert, or
choose one ``currency``; with several currencies and neither, :func:`kpis` raises ``ValueError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from opencmo.analytics import queries
from opencmo.analytics.query import Backend, backend_for

if TYPE_CHECKING:
    from opencmo.analytics.store import Store

__all__ = ["DIMENSIONS", "FORMULAS", "GRAINS", "KpiRow", "kpis", "ratio", "totals"]

GRAINS = ("day", "week", "month", "quarter", "year", "total")
DIMENSIONS = ("channel", "campaign", "objective", "platform", "account")

FORMULAS: dict[str, str] = {
    "ctr": "clicks / impressions",
    "cpc": "spend / clicks",
    "cpm": "1000 x spend / impressions",
    "conversion_rate": "conversions / clicks",
    "cpl": "spend / leads",
    "cac": "spend / new_customers",
    "roas": "revenue / spend",
    "roi": "(revenue - spend) / spend",
}

RATE_PLACES = Decimal("0.000001")  # CTR, conversion rate, ROAS, ROI
MONEY_PLACES = Decimal("0.0001")  # CPC, CPM, CPL, CAC


def ratio(
    numerator: Decimal | int | None, denominator: Decimal | int | None, places: Decimal
) -> Decimal | None:
    """``numerator / denominator`` rounded half-even to ``places``; ``None`` when the denominator is
    zero or either side is unknown."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class KpiRow:
    period: dt.date | None
    channel: str | None
    campaign_id: int | None
    campaign: str | None
    objective: str | None
    platform: str | None
    account: str | None
    currency: str | None
    spend: Decimal
    impressions: int
    clicks: int
    conversions: Decimal
    leads: int | None
    new_customers: int | None
    revenue: Decimal
    ctr: Decimal | None
    cpc: Decimal | None
    cpm: Decimal | None
    conversion_rate: Decimal | None
    cpl: Decimal | None
    cac: Decimal | None
    roas: Decimal | None
    roi: Decimal | None

    def as_dict(self) -> dict:
        return asdict(self)


def _make_row(keys: dict, sums: dict, currency: str | None) -> KpiRow:
    spend = sums["spend"]
    impressions, clicks = sums["impressions"], sums["clicks"]
    conversions, revenue = sums["conversions"], sums["revenue"]
    leads, customers = sums["leads"], sums["new_customers"]
    return KpiRow(
        **{key: keys.get(key) for key in ("period", "channel", "campaign_id", "campaign", "objective")},
        platform=keys.get("platform"),
        account=keys.get("account"),
        currency=currency,
        spend=spend,
        impressions=impressions,
        clicks=clicks,
        conversions=conversions,
        leads=leads,
        new_customers=customers,
        revenue=revenue,
        ctr=ratio(clicks, impressions, RATE_PLACES),
        cpc=ratio(spend, clicks, MONEY_PLACES),
        cpm=ratio(spend * 1000, impressions, MONEY_PLACES),
        conversion_rate=ratio(conversions, clicks, RATE_PLACES),
        cpl=ratio(spend, leads, MONEY_PLACES),
        cac=ratio(spend, customers, MONEY_PLACES),
        roas=ratio(revenue, spend, RATE_PLACES),
        roi=ratio(revenue - spend, spend, RATE_PLACES),
    )


def totals(rows: Sequence[KpiRow]) -> KpiRow | None:
    """One row adding up ``rows`` (same currency), with its ratios recomputed from the sums."""
    if not rows:
        return None
    currencies = {row.currency for row in rows if row.currency}
    if len(currencies) > 1:
        raise ValueError("Cannot total rows in different currencies.")
    sums = {
        "spend": sum((row.spend for row in rows), Decimal(0)),
        "impressions": sum(row.impressions for row in rows),
        "clicks": sum(row.clicks for row in rows),
        "conversions": sum((row.conversions for row in rows), Decimal(0)),
        "revenue": sum((row.revenue for row in rows), Decimal(0)),
        "leads": None if any(row.leads is None for row in rows) else sum(row.leads for row in rows),
        "new_customers": None
        if any(row.new_customers is None for row in rows)
        else sum(row.new_customers for row in rows),
    }
    return _make_row({}, sums, next(iter(currencies), None))


def kpis(
    store: Store | Backend,
    *,
    grain: str = "month",
    by: Sequence[str] = ("channel",),
    start: dt.date | None = None,
    end: dt.date | None = None,
    currency: str | None = None,
    fx: Mapping[str, Decimal] | None = None,
    objectives: Mapping[int, str] | None = None,
    lead_kinds: Sequence[str] = ("lead",),
    revenue_source: str = "platform",
    lookback_days: int = 30,
) -> list[KpiRow]:
    """KPIs per ``grain`` period and the ``by`` dimensions, ordered by period then spend.

    Parameters
    ----------
    grain : {"day", "week", "month", "quarter", "year", "total"}
        Weeks start on Monday (ISO); ``total`` gives one period (``period`` is ``None``).
    by : subset of ``("channel", "campaign", "objective", "platform", "account")``
        ``campaign`` is our campaign when the platform campaign is mapped (``campaign_id``), else the
        platform's campaign name. ``objective`` needs ``objectives`` ({campaign_id: objective}).
        Leads and new customers come from touchpoints, which know no platform or account: grouping by
        those leaves them ``None``.
    start, end : date, optional
        Inclusive day range.
    currency, fx
        See the module text.
    lead_kinds : conversion kinds that count as leads.
    revenue_source : {"platform", "orders"}
        Conversion value reported by the ad platforms, or first-party orders credited to the last
        non-direct touch.
    lookback_days : how far back a touch may be to get the credit for a lead, customer or order.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}.")
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"Unknown dimension {unknown[0]!r}; use {', '.join(DIMENSIONS)}.")
    if "objective" in by and objectives is None:
        raise ValueError("Grouping by objective needs the campaigns' objectives.")
    if revenue_source not in ("platform", "orders"):
        raise ValueError("revenue_source must be 'platform' or 'orders'.")
    if lookback_days <= 0:
        raise ValueError("lookback_days must be positive.")
    if revenue_source == "orders" and {"platform", "account"} & set(by):
        raise ValueError("Order revenue is credited to channels and campaigns, not to platforms or accounts.")
    backend = backend_for(store)
    first = start or dt.date(1970, 1, 1)
    last = end or dt.date(9999, 12, 30)
    if first > last:
        raise ValueError("The start date must not be after the end date.")
    since = dt.datetime.combine(first, dt.time())
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
    target, rates = _currency_plan(backend, first, last, since, until, currency, fx, revenue_source)
    dims = tuple(d for d in DIMENSIONS if d in by)
    touch_dims_ok = not ({"platform", "account"} & set(dims))
    params: dict = {
        "first": first,
        "last": last,
        "since": since,
        "until": until,
        "lookback_us": lookback_days * 86_400_000_000,
        "lead_kinds": list(lead_kinds),
    }
    for i, (code, rate) in enumerate(sorted(rates.items())):
        params[f"fx_code_{i}"], params[f"fx_rate_{i}"] = code, rate
    for i, (campaign_id, objective) in enumerate(sorted((objectives or {}).items())):
        params[f"obj_id_{i}"], params[f"obj_name_{i}"] = int(campaign_id), str(objective)
    query = queries.kpis(grain=grain, dims=dims, rates=len(rates), objectives=len(objectives or {}))
    result = []
    for record in backend.fetch(query, params).dicts():
        touched = touch_dims_ok
        if not touched and not record["from_ads"]:
            continue  # leads or orders without a platform: nothing to show when grouping by platform
        sums = {
            "spend": _dec(record["spend"]),
            "impressions": int(record["impressions"]),
            "clicks": int(record["clicks"]),
            "conversions": _dec(record["conversions"]),
            "revenue": _dec(record["platform_revenue" if revenue_source == "platform" else "order_revenue"]),
            "leads": int(record["leads"]) if touched else None,
            "new_customers": int(record["new_customers"]) if touched else None,
        }
        result.append(_make_row(record, sums, target))
    return result


def _dec(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _currency_plan(
    backend: Backend, first, last, since, until, currency, fx, revenue_source
) -> tuple[str | None, dict]:
    """The reporting currency and the rate of each currency into it."""
    present = {
        row[0]
        for row in backend.fetch(queries.currencies("ad_performance"), {"first": first, "last": last}).rows
    }
    if revenue_source == "orders":
        present |= {
            row[0]
            for row in backend.fetch(queries.currencies("orders"), {"since": since, "until": until}).rows
        }
    if fx:
        if not currency:
            raise ValueError("Name the currency the fx rates convert into.")
        rates = {code: Decimal(str(rate)) for code, rate in fx.items()}
        rates[currency] = Decimal(1)
        missing = sorted(present - set(rates))
        if missing:
            raise ValueError(f"No exchange rate into {currency} for {', '.join(missing)}.")
        return currency, rates
    if currency:
        return currency, {currency: Decimal(1)}
    if len(present) > 1:
        raise ValueError(
            f"The data is in {', '.join(sorted(present))}: choose a currency or give exchange rates (fx)."
        )
    only = next(iter(present), None)
    return only, ({only: Decimal(1)} if only else {})


KPI_FIELDS = tuple(f.name for f in fields(KpiRow))
