"""Synthetic marketing data with known true channel effects (seeded, vectorised, loaded through Arrow).

The generator starts from daily spend per channel and a recorded truth per channel (adstock, saturation,
true ROI) and writes what a real workspace's importers would: ad-platform rows, users with sessions and
marketing touchpoints, purchase conversions and orders. Weekly revenue follows the marketing-mix model
exactly, so a model fitted on the store can be checked against the truth:

.. math::

    y_w = \\text{base}_w \\cdot (1 + \\text{trend} \\cdot t_w + \\text{season}_w)
          + \\sum_c \\beta_c \\, \\text{sat}_c(\\text{adstock}_c(x_{c}))_w + \\varepsilon_w

with ``beta_c`` set so that the channel's total contribution divided by its total spend is its true
ROI, and the base level set so that media drives ``media_share`` of revenue. Weeks start on Monday; the
week's revenue is split over its days by a weekday pattern and then into orders (log-normal values
rescaled so each day's orders add up to the day's revenue to the cent).

Journeys: every order gets a buyer and a path — the last touch drawn from the channels' share of that
day's revenue (the base's share goes to Direct / Organic Search / Referral), earlier touches from the
day's traffic mix. Visitors who never buy make up the rest of the ~``users``. Offline channels (events,
print, TV, PR) have no clicks; their buyers arrive as Direct or organic search, as in real data.

Pure Python (NumPy, PyArrow, DuckDB): no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa

from opencmo.analytics.mmm.transforms import adstock, geometric_weights, saturate, weibull_weights

__all__ = [
    "DIGITAL",
    "ChannelEffect",
    "Synth",
    "default_effects",
    "generate",
    "load",
    "simulate_spend",
    "true_contributions",
    "weekly",
]

#: How a channel's visits look in web analytics: (source, medium, GA4 default channel group).
#: Channels missing here are offline: their buyers come as Direct or brand search.
DIGITAL: dict[str, tuple[str, str, str]] = {
    "paid_search": ("google", "cpc", "Paid Search"),
    "paid_social": ("facebook", "paid", "Paid Social"),
    "display": ("dv360", "display", "Display"),
    "email": ("newsletter", "email", "Email"),
    "seo_content": ("google", "organic", "Organic Search"),
    "organic_social": ("instagram", "social", "Organic Social"),
    "partnerships": ("partner-site.example", "referral", "Referral"),
}
#: Where visits not driven by a modelled channel come from (shares of the base).
BASE_SOURCES: list[tuple[str, str, str, float]] = [
    ("(direct)", "(none)", "Direct", 0.5),
    ("google", "organic", "Organic Search", 0.4),
    ("outdoorforum.example", "referral", "Referral", 0.1),
]
OFFLINE_ARRIVAL = [("(direct)", "(none)", "Direct", 0.6), ("google", "organic", "Organic Search", 0.4)]
#: Typical cost per thousand impressions and click-through rate by platform channel (for ad rows).
CPM = {"Paid Search": 90.0, "Paid Social": 45.0, "Display": 25.0}
CTR = {"Paid Search": 0.045, "Paid Social": 0.011, "Display": 0.0025}
WEEKDAY = np.array([1.05, 1.0, 1.0, 0.98, 0.92, 0.95, 1.1])  # Monday … Sunday, normalised below
MS_PER_DAY = 86_400_000_000  # microseconds


@dataclass(frozen=True)
class ChannelEffect:
    """The true effect of one channel.

    ``roi`` is the true return: total contribution over the period / total spend. ``half_saturation``
    is a multiple of the channel's mean adstocked weekly spend (so one value fits any budget size).
    """

    channel: str
    roi: float
    adstock: str = "geometric"  # or "weibull"
    decay: float = 0.5  # geometric: share carried to the next week
    shape: float = 1.0  # weibull
    scale: float = 1.0  # weibull, in weeks
    saturation: str = "hill"  # or "logistic"
    half_saturation: float = 1.0
    slope: float = 1.0
    max_lag: int = 8

    def weights(self) -> np.ndarray:
        if self.adstock == "geometric":
            return geometric_weights(self.decay, self.max_lag)
        if self.adstock == "weibull":
            return weibull_weights(self.shape, self.scale, self.max_lag)
        raise ValueError(f"{self.channel}: unknown adstock {self.adstock!r} (geometric or weibull).")


def default_effects(channels: list[str]) -> list[ChannelEffect]:
    """Plausible truths for the built-in channel keys (others get a middling effect)."""
    known = {
        "paid_search": ChannelEffect("paid_search", 2.6, decay=0.2, half_saturation=1.1, slope=1.3),
        "paid_social": ChannelEffect("paid_social", 1.9, decay=0.45, half_saturation=0.9, slope=1.6),
        "display": ChannelEffect("display", 0.8, "weibull", shape=1.6, scale=2.0, half_saturation=1.2),
        "events": ChannelEffect("events", 1.4, "weibull", shape=2.2, scale=3.0, half_saturation=1.0),
        "offline_print": ChannelEffect("offline_print", 0.6, decay=0.6, half_saturation=1.3, slope=1.2),
        "email": ChannelEffect("email", 3.8, decay=0.1, half_saturation=0.8, slope=1.0),
        "seo_content": ChannelEffect("seo_content", 1.7, decay=0.75, half_saturation=1.0, slope=1.1),
        "tv_radio": ChannelEffect("tv_radio", 1.1, decay=0.65, half_saturation=1.1, slope=2.0),
        "organic_social": ChannelEffect("organic_social", 1.5, decay=0.3, half_saturation=0.9, slope=1.2),
        "partnerships": ChannelEffect("partnerships", 2.1, decay=0.5, half_saturation=1.0, slope=1.0),
    }
    return [known.get(c, ChannelEffect(c, 1.2, decay=0.4)) for c in channels]


@dataclass
class Synth:
    """What :func:`generate` returns: Arrow tables in the store's layout plus the truth."""

    tables: dict[str, pa.Table]
    truth: pa.Table  # one row per channel
    truth_weekly: pa.Table  # week by channel contributions (and base)
    summary: dict = field(default_factory=dict)


def weekly(days: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum daily ``values`` ``(D, ...)`` into Monday-start weeks: (week starts, sums, days present)."""
    days = np.asarray(days, dtype="datetime64[D]")
    # 1970-01-01 was a Thursday: shift by 3 so Monday starts a week.
    week = ((days.astype(np.int64) + 3) // 7) * 7 - 3
    starts, index = np.unique(week, return_inverse=True)
    sums = np.zeros((len(starts), *np.shape(values)[1:]))
    np.add.at(sums, index, values)
    present = np.bincount(index, minlength=len(starts))
    return starts.astype("datetime64[D]"), sums, present


def true_contributions(
    spend_weekly: np.ndarray, effects: list[ChannelEffect]
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly contributions ``(W, C)`` and the coefficients ``beta`` that give each channel its ROI."""
    out = np.zeros_like(spend_weekly, dtype=float)
    betas = np.zeros(len(effects))
    for c, effect in enumerate(effects):
        x = spend_weekly[:, c : c + 1]
        if x.sum() <= 0:
            continue
        ad = adstock(x, effect.weights()[None, :])[:, 0]
        k = effect.half_saturation * ad[ad > 0].mean()
        s = saturate(effect.saturation, ad, k, effect.slope)
        betas[c] = effect.roi * x.sum() / s.sum()
        out[:, c] = betas[c] * s
    return out, betas


def simulate_spend(
    channels: list[str], start: dt.date, days: int, *, weekly_budget: float = 100_000.0, seed: int = 0
) -> dict[str, np.ndarray]:
    """Daily spend per channel with independent flighting (on/off bursts, trends, noise), the kind of
    variation a model needs to tell channels apart. For tests and benchmarks."""
    rng = np.random.default_rng(seed)
    out = {}
    n_weeks = days // 7 + 1
    for channel in channels:
        level = weekly_budget * rng.uniform(0.5, 1.5) / len(channels)
        bursts = rng.gamma(2.0, 0.5, n_weeks) * (rng.random(n_weeks) > rng.uniform(0.05, 0.35))
        drift = np.exp(np.cumsum(rng.normal(0, 0.08, n_weeks)))
        week_level = level * bursts * drift / 7
        daily = np.repeat(week_level, 7)[:days] * rng.uniform(0.8, 1.2, days)
        out[channel] = np.round(daily, 2)
    return out


def _fourier(t_days: np.ndarray, period: float, order: int) -> np.ndarray:
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * t_days / period), np.cos(2 * np.pi * k * t_days / period)]
    return np.column_stack(cols)


def generate(
    start: dt.date,
    spend: dict[str, np.ndarray],
    *,
    effects: list[ChannelEffect] | None = None,
    users: int = 200_000,
    aov: float = 1_200.0,
    media_share: float = 0.35,
    trend: float = 0.05,
    noise: float = 0.04,
    currency: str = "NOK",
    ad_rows: dict[str, np.ndarray] | None = None,
    seed: int = 2026,
) -> Synth:
    """Generate the analytics facts.

    Parameters
    ----------
    start : the first day; every array in ``spend`` has one value per day from there.
    spend : daily spend per channel key (workspace currency).
    effects : the truth per channel (default :func:`default_effects`); channels not in ``spend`` ignored.
    users : about how many distinct visitors (buyers and browsers) to create.
    aov : average order value.
    ad_rows : optional platform rows to enrich into ``ad_performance`` — arrays ``day``
        (datetime64[D]), ``platform``, ``campaign_external``, ``campaign_id`` (-1 for none), ``channel``
        (GA4 group), ``spend``; impressions, clicks and platform-reported conversions are added.
    """
    rng = np.random.default_rng(seed)
    channels = list(spend)
    if not channels:
        raise ValueError("No channels with spend: give at least one channel's daily spend.")
    n_days = len(next(iter(spend.values())))
    if any(len(v) != n_days for v in spend.values()):
        raise ValueError("Every channel needs one spend value per day of the period.")
    if n_days < 28:
        raise ValueError("At least four weeks of spend are needed.")
    by_channel = {e.channel: e for e in (effects or default_effects(channels))}
    effects = [by_channel.get(c) or default_effects([c])[0] for c in channels]
    days = np.datetime64(start, "D") + np.arange(n_days)
    daily_spend = np.column_stack([np.asarray(spend[c], dtype=float) for c in channels])
    if np.any(daily_spend < 0) or not np.all(np.isfinite(daily_spend)):
        raise ValueError("Spend must be finite and not negative.")

    weeks, spend_w, present = weekly(days, daily_spend)
    contrib_w, betas = true_contributions(spend_w, effects)
    media_w = contrib_w.sum(axis=1)
    full = present / 7.0
    base_level = media_w.sum() / full.sum() * (1 - media_share) / media_share
    t_years = (weeks - weeks[0]).astype(float) / 365.25
    season = _fourier((weeks - np.datetime64("2000-01-03")).astype(float), 365.25, 2) @ np.array(
        [0.10, 0.12, 0.04, -0.03]
    )
    base_w = base_level * full * (1 + trend * t_years + season)
    eps = rng.normal(0, noise * base_level, len(weeks)) * np.sqrt(full)
    revenue_w = np.maximum(base_w + media_w + eps, 0.0)

    # --- days: split each week's revenue by the weekday pattern of the days present ---
    week_of_day = np.searchsorted(weeks.astype(np.int64), ((days.astype(np.int64) + 3) // 7) * 7 - 3)
    wd = WEEKDAY[(days.astype(np.int64) + 3) % 7]
    wd_sum = np.bincount(week_of_day, weights=wd)
    day_share = wd / wd_sum[week_of_day]
    revenue_d = revenue_w[week_of_day] * day_share
    # per-day share of revenue by source: channels' contribution and the base
    contrib_d = contrib_w[week_of_day] * day_share[:, None]
    base_d = np.maximum(revenue_d - contrib_d.sum(axis=1), 0.0)

    # --- orders: counts per day, log-normal values rescaled to the day's revenue ---
    n_orders_d = np.maximum(np.rint(revenue_d / aov), (revenue_d > 0).astype(int)).astype(np.int64)
    n_orders = int(n_orders_d.sum())
    order_day = np.repeat(np.arange(n_days), n_orders_d)
    raw = rng.lognormal(0.0, 0.6, n_orders)
    raw_sum = np.bincount(order_day, weights=raw, minlength=n_days)
    value = raw * (revenue_d / np.where(raw_sum > 0, raw_sum, 1))[order_day]
    value = _cents_exact(value, order_day, revenue_d)
    order_us = _day_us(days)[order_day] + _time_of_day(rng, n_orders)

    # who gets the credit: channels in proportion to their share of the day's revenue, else the base
    shares = np.column_stack([contrib_d, base_d]) / np.maximum(revenue_d, 1e-9)[:, None]
    source_of_order = _categorical(rng, shares[order_day])  # 0..C-1 channel, C = base

    # buyers: about one in five orders is a returning customer
    n_buyers = max(1, int(n_orders * 0.8))
    users = max(users, n_buyers + 1)
    buyer = np.where(rng.random(n_orders) < 0.8, -1, rng.integers(0, n_buyers, n_orders))
    fresh = buyer < 0
    buyer[fresh] = np.arange(fresh.sum()) % n_buyers
    # keep each customer's orders in time order of their user ids (first order makes the customer)

    # --- touchpoints/sessions for buyers: last touch + earlier touches ---
    labels = _arrival_labels(channels)
    arrival = _arrival_choice(rng, channels, source_of_order)  # label index for the last touch
    last_us = order_us - (rng.exponential(2.0, n_orders) * 3_600_000_000).astype(np.int64) - 60_000_000
    extra = rng.poisson(1.2, n_orders)
    ex_order = np.repeat(np.arange(n_orders), extra)
    ex_us = (
        order_us[ex_order]
        - (rng.exponential(4.0, len(ex_order)) * MS_PER_DAY).astype(np.int64)
        - 3_600_000_000
    )
    traffic = _traffic_mix(daily_spend, channels)  # (D, L) label probabilities
    ex_day = np.clip(((ex_us - _day_us(days)[0]) // MS_PER_DAY).astype(np.int64), 0, n_days - 1)
    ex_label = _categorical(rng, traffic[ex_day])
    buyer_sess_user = np.concatenate([buyer[np.arange(n_orders)], buyer[ex_order]])
    buyer_sess_us = np.concatenate([last_us, ex_us])
    buyer_sess_label = np.concatenate([arrival, ex_label])
    buyer_sess_campaign = np.concatenate([source_of_order, np.full(len(ex_order), -1)])

    # --- browsers who never buy ---
    n_browsers = users - n_buyers
    visits = 1 + rng.poisson(0.7, n_browsers)
    br_user = np.repeat(n_buyers + np.arange(n_browsers), visits)
    weights = daily_spend.sum(axis=1) + base_d
    br_day = rng.choice(n_days, len(br_user), p=weights / weights.sum())
    br_us = _day_us(days)[br_day] + _time_of_day(rng, len(br_user))
    br_label = _categorical(rng, traffic[br_day])

    s_user = np.concatenate([buyer_sess_user, br_user])
    s_us = np.maximum(np.concatenate([buyer_sess_us, br_us]), _day_us(days)[0])
    s_label = np.concatenate([buyer_sess_label, br_label])
    s_credit = np.concatenate([buyer_sess_campaign, np.full(len(br_user), -1)])
    # microsecond jitter keeps (user, ts, channel) unique in practice; duplicates are dropped on load
    s_us = s_us + rng.integers(0, 1_000_000, len(s_us))
    s_dur = (rng.exponential(240, len(s_us)) * 1_000_000).astype(np.int64)
    s_pages = 1 + rng.poisson(2.5, len(s_us))

    src = np.array([lab[0] for lab in labels], dtype=object)
    med = np.array([lab[1] for lab in labels], dtype=object)
    grp = np.array([lab[2] for lab in labels], dtype=object)
    camp_names = np.array([f"{c}-always-on" for c in channels] + [""], dtype=object)
    paid = np.array([lab[2] in CPM or lab[1] in ("email",) for lab in labels])
    s_campaign = np.where(paid[s_label], camp_names[np.clip(s_credit, 0, len(channels))], "")
    ts = pa.array(s_us.astype("datetime64[us]"), pa.timestamp("us"))
    sessions = pa.table(
        {
            "sid": pa.array(np.arange(len(s_us))),
            "uid": pa.array(s_user),
            "started_at": ts,
            "ended_at": pa.array((s_us + s_dur).astype("datetime64[us]"), pa.timestamp("us")),
            "source": pa.array(src[s_label], pa.string()),
            "medium": pa.array(med[s_label], pa.string()),
            "campaign": pa.array(s_campaign, pa.string()),
            "channel": pa.array(grp[s_label], pa.string()),
            "page_views": pa.array(s_pages.astype(np.int32)),
            "engaged": pa.array((s_pages > 1) | (s_dur > 10_000_000)),
            "is_direct": pa.array(grp[s_label] == "Direct"),
        }
    )
    orders = pa.table(
        {
            "oid": pa.array(np.arange(n_orders)),
            "uid": pa.array(buyer),
            "ts": pa.array(order_us.astype("datetime64[us]"), pa.timestamp("us")),
            "value": pa.array(value),
            "currency": pa.array(np.full(n_orders, currency, dtype=object), pa.string()),
        }
    )
    tables = {"sessions": sessions, "orders": orders}
    if ad_rows is not None:
        tables["ad_performance"] = _ad_performance(rng, ad_rows, days, channels, contrib_d, aov, currency)

    total_spend = spend_w.sum(axis=0)
    truth = pa.table(
        {
            "channel": channels,
            "adstock": [e.adstock for e in effects],
            "decay": [e.decay for e in effects],
            "shape": [e.shape for e in effects],
            "scale": [e.scale for e in effects],
            "saturation": [e.saturation for e in effects],
            "half_saturation": [e.half_saturation for e in effects],
            "slope": [e.slope for e in effects],
            "max_lag": [e.max_lag for e in effects],
            "coefficient": betas.tolist(),
            "spend": total_spend.tolist(),
            "contribution": contrib_w.sum(axis=0).tolist(),
            "roi": [e.roi if s > 0 else 0.0 for e, s in zip(effects, total_spend, strict=True)],
        }
    )
    n_w = len(weeks)
    truth_weekly = pa.table(
        {
            "week": pa.array(np.repeat(weeks, len(channels) + 1), pa.date32()),
            "channel": pa.array(np.tile(np.array([*channels, "(base)"], dtype=object), n_w), pa.string()),
            "spend": np.column_stack([spend_w, np.zeros(n_w)]).ravel(),
            "contribution": np.column_stack([contrib_w, base_w + eps]).ravel(),
            "revenue": np.repeat(revenue_w, len(channels) + 1),
        }
    )
    summary = {
        "seed": seed,
        "start": str(days[0]),
        "end": str(days[-1]),
        "weeks": n_w,
        "orders": n_orders,
        "users": int(users),
        "sessions": len(s_us),
        "revenue": float(revenue_w.sum()),
        "media_share": media_share,
        "effects": [asdict(e) for e in effects],
    }
    return Synth(tables=tables, truth=truth, truth_weekly=truth_weekly, summary=summary)


def _cents_exact(value: np.ndarray, day: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Round to cents and put each day's rounding remainder on its first order, so sums are exact."""
    cents = np.rint(value * 100).astype(np.int64)
    want = np.rint(target * 100).astype(np.int64)
    got = np.bincount(day, weights=cents, minlength=len(target)).astype(np.int64)
    firsts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]]) if len(day) else np.array([], int)
    cents[firsts] += (want - got)[day[firsts]]
    return np.maximum(cents, 1) / 100.0


def _day_us(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[us]").astype(np.int64)


def _time_of_day(rng, n: int) -> np.ndarray:
    # shopping peaks in the evening: a wrapped normal around 19:00 UTC
    hours = np.mod(rng.normal(19.0, 4.0, n), 24.0)
    return (hours * 3_600_000_000).astype(np.int64)


def _categorical(rng, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _arrival_labels(channels: list[str]) -> list[tuple[str, str, str]]:
    """Distinct (source, medium, group) labels: the digital channels', then the base sources."""
    labels = [DIGITAL[c] for c in channels if c in DIGITAL]
    for source, medium, group, _ in BASE_SOURCES + OFFLINE_ARRIVAL:
        if (source, medium, group) not in labels:
            labels.append((source, medium, group))
    return labels


def _arrival_choice(rng, channels: list[str], source: np.ndarray) -> np.ndarray:
    """Label index of the last touch for each order's credited source (channel index or base)."""
    labels = _arrival_labels(channels)
    index = {lab: i for i, lab in enumerate(labels)}
    n = len(labels)
    table = np.zeros((len(channels) + 1, n))
    for c, channel in enumerate(channels):
        if channel in DIGITAL:
            table[c, index[DIGITAL[channel]]] = 1.0
        else:
            for s, m, g, p in OFFLINE_ARRIVAL:
                table[c, index[(s, m, g)]] += p
    for s, m, g, p in BASE_SOURCES:
        table[len(channels), index[(s, m, g)]] += p
    return _categorical(rng, table[source])


def _traffic_mix(daily_spend: np.ndarray, channels: list[str]) -> np.ndarray:
    """Per day, the probability that a visit arrives by each label: digital channels in proportion to
    their spend share, the base sources for the rest (a fixed 55% of visits)."""
    labels = _arrival_labels(channels)
    index = {lab: i for i, lab in enumerate(labels)}
    mix = np.zeros((len(daily_spend), len(labels)))
    total = daily_spend.sum(axis=1, keepdims=True)
    share = np.where(total > 0, daily_spend / np.maximum(total, 1e-9), 0.0) * 0.45
    for c, channel in enumerate(channels):
        label = DIGITAL.get(channel)
        if label is not None:
            mix[:, index[label]] += share[:, c]
    rest = 1.0 - mix.sum(axis=1)
    for s, m, g, p in BASE_SOURCES:
        mix[:, index[(s, m, g)]] += rest * p
    return mix


def _ad_performance(rng, rows: dict[str, np.ndarray], days, channels, contrib_d, aov, currency) -> pa.Table:
    day = np.asarray(rows["day"], dtype="datetime64[D]")
    spend = np.asarray(rows["spend"], dtype=float)
    group = np.asarray(rows["channel"], dtype=object)
    n = len(spend)
    cpm = np.array([CPM.get(g, 40.0) for g in group]) * rng.lognormal(0, 0.15, n)
    ctr = np.array([CTR.get(g, 0.01) for g in group]) * rng.lognormal(0, 0.1, n)
    impressions = np.rint(spend / cpm * 1000).astype(np.int64)
    clicks = np.minimum(rng.binomial(impressions, np.clip(ctr, 0, 1)), impressions)
    # Platforms claim their channel's true contribution, inflated by view-through credit (a typical
    # 1.2-1.6x over-claim), pro rata to each row's spend within its calendar month: spend is booked on
    # invoice days while adstock spreads the effect over the following days and weeks, so a per-day
    # split would drop most of the contribution (days without a row claim nothing).
    key_of_group = {DIGITAL[c][2]: i for i, c in enumerate(channels) if c in DIGITAL}
    day_index = (day - days[0]).astype(np.int64)
    ok = (day_index >= 0) & (day_index < len(days))
    c_index = np.array([key_of_group.get(g, -1) for g in group])
    claim = np.zeros(n)
    valid = ok & (c_index >= 0)
    if valid.any():
        month_of_day = np.unique(np.asarray(days, dtype="datetime64[M]"), return_inverse=True)[1].ravel()
        n_months = int(month_of_day.max()) + 1
        month_contrib = np.zeros((n_months, len(channels)))
        np.add.at(month_contrib, month_of_day, contrib_d)
        month = month_of_day[day_index[valid]]
        month_spend = np.zeros((n_months, len(channels)))
        np.add.at(month_spend, (month, c_index[valid]), spend[valid])
        share = spend[valid] / np.maximum(month_spend[month, c_index[valid]], 1e-9)
        claim[valid] = month_contrib[month, c_index[valid]] * share * rng.uniform(1.2, 1.6, valid.sum())
    campaign_id = np.asarray(rows["campaign_id"], dtype=np.int64)
    return pa.table(
        {
            "day": pa.array(day, pa.date32()),
            "platform": pa.array(rows["platform"], pa.string()),
            "campaign_external": pa.array(rows["campaign_external"], pa.string()),
            "campaign_id": pa.array(campaign_id, mask=campaign_id < 0),
            "channel": pa.array(group, pa.string()),
            "currency": pa.array(np.full(n, currency, dtype=object), pa.string()),
            "spend": pa.array(np.round(spend, 4)),
            "impressions": pa.array(impressions),
            "clicks": pa.array(clicks),
            "conversions": pa.array(np.round(claim / aov, 4)),
            "conversion_value": pa.array(np.round(claim, 4)),
        }
    )


def load(store, synth: Synth, *, prefix: str = "demo", fingerprint: str | None = None) -> dict[str, int]:
    """Write the synthetic facts and the truth into an open, migrated read-write store in one
    transaction. Keys get ``prefix`` (users ``<prefix>-u<n>``…). Loading the same fingerprint again
    writes nothing. Returns row counts."""
    if not re.fullmatch(r"[a-z0-9_-]{1,20}", prefix):
        raise ValueError("prefix: lower-case letters, digits, - and _ only.")
    fingerprint = fingerprint or f"synth:{prefix}:{synth.summary.get('seed')}:{synth.summary.get('end')}"
    counts: dict[str, int] = {}
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM imports WHERE fingerprint = ?", [fingerprint]).fetchone():
            return counts
        import_id = con.execute(
            "INSERT INTO imports (kind, fingerprint, filename) VALUES ('synthetic', ?, ?) "
            "RETURNING import_id",
            [fingerprint, f"{prefix} synthetic data"],
        ).fetchone()[0]
        p = prefix
        t = synth.tables
        con.register("syn_sessions", t["sessions"])
        con.register("syn_orders", t["orders"])
        con.execute(
            f"""
            INSERT INTO sessions BY NAME
            SELECT '{p}-s' || sid AS session_key, '{p}-u' || uid AS user_key, started_at, ended_at, source,
                   medium, campaign, channel, NULL AS landing_page, page_views, engaged,
                   {import_id} AS import_id
            FROM syn_sessions ON CONFLICT DO NOTHING
            """  # noqa: S608 - prefix checked, import_id ours
        )
        con.execute(
            f"""
            INSERT INTO touchpoints BY NAME
            SELECT '{p}-u' || uid AS user_key, started_at AS ts, channel, source, medium, campaign,
                   NULL AS campaign_id, is_direct, '{p}-s' || sid AS session_key, {import_id} AS import_id
            FROM syn_sessions ON CONFLICT DO NOTHING
            """  # noqa: S608 - prefix checked, import_id ours
        )
        con.execute(
            f"""
            INSERT INTO orders BY NAME
            SELECT '{p}-o' || oid AS order_key, '{p}-u' || uid AS customer_key, ts,
                   CAST(value AS DECIMAL(18,4)) AS value, currency, {import_id} AS import_id
            FROM syn_orders
            """  # noqa: S608 - prefix checked, import_id ours
        )
        con.execute(
            f"""
            INSERT INTO conversions BY NAME
            SELECT '{p}-u' || uid AS user_key, ts, 'purchase' AS kind, CAST(value AS DECIMAL(18,4)) AS value,
                   currency, {import_id} AS import_id
            FROM syn_orders ON CONFLICT DO NOTHING
            """  # noqa: S608 - prefix checked, import_id ours
        )
        if "ad_performance" in t:
            con.register("syn_ads", t["ad_performance"])
            con.execute(
                f"""
                INSERT INTO ad_performance BY NAME
                SELECT day, platform, '' AS account, campaign_external, '' AS ad_group, campaign_id, channel,
                       currency, CAST(spend AS DECIMAL(18,4)) AS spend, impressions, clicks,
                       CAST(conversions AS DECIMAL(18,4)) AS conversions,
                       CAST(conversion_value AS DECIMAL(18,4)) AS conversion_value, {import_id} AS import_id
                FROM syn_ads
                ON CONFLICT DO UPDATE SET spend = excluded.spend, impressions = excluded.impressions,
                    clicks = excluded.clicks, conversions = excluded.conversions,
                    conversion_value = excluded.conversion_value, campaign_id = excluded.campaign_id,
                    channel = excluded.channel, import_id = excluded.import_id
                """  # noqa: S608 - prefix checked, import_id ours
            )
        con.register("syn_truth", synth.truth)
        con.register("syn_truth_weekly", synth.truth_weekly)
        con.execute("DELETE FROM true_effects WHERE dataset = ?", [prefix])
        con.execute("DELETE FROM true_effects_weekly WHERE dataset = ?", [prefix])
        con.execute(
            f"INSERT INTO true_effects BY NAME SELECT '{p}' AS dataset, {import_id} AS import_id, * "  # noqa: S608
            "FROM syn_truth"
        )
        con.execute(
            f"INSERT INTO true_effects_weekly BY NAME SELECT '{p}' AS dataset, * "  # noqa: S608
            "FROM syn_truth_weekly"
        )
        for name in ("sessions", "touchpoints", "orders", "conversions", "ad_performance"):
            counts[name] = con.execute(
                f"SELECT count(*) FROM {name} WHERE import_id = ?",  # noqa: S608 - fixed names
                [import_id],
            ).fetchone()[0]
        con.execute("UPDATE imports SET row_count = ? WHERE import_id = ?", [sum(counts.values()), import_id])
        for name in ("syn_sessions", "syn_orders", "syn_truth", "syn_truth_weekly"):
            con.unregister(name)
        if "ad_performance" in t:
            con.unregister("syn_ads")
    return counts
