"""Analytics rows put straight into a workspace's store, with numbers the tests can predict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opencmo.data.services import open_store

# channel -> (platform, daily spend, daily platform revenue, daily conversions)
DEFAULT_CHANNELS: dict[str, tuple[str, Decimal, Decimal, int]] = {
    "Paid Search": ("google_ads", Decimal("100"), Decimal("400"), 4),
    "Paid Social": ("meta", Decimal("80"), Decimal("120"), 2),
    "Display": ("dv360", Decimal("50"), Decimal("25"), 1),
}


def fill_store(
    workspace,
    *,
    start: dt.date,
    days: int,
    channels: dict[str, tuple[str, Decimal, Decimal, int]] | None = None,
    campaigns: dict[str, int] | None = None,
    currency: str = "EUR",
    conversions_per_day: dict[dt.date, int] | None = None,
    journeys_per_day: int = 3,
) -> None:
    """`days` days of ad rows per channel from `start` (one platform campaign per channel, mapped to
    `campaigns[channel]` when given), and each day `journeys_per_day` people who touch the channels in
    turn and convert (a lead), every other one also ordering. `conversions_per_day` overrides the number
    of lead conversions on given days (for anomaly tests)."""
    channels = DEFAULT_CHANNELS if channels is None else channels
    prefix = f"{start.isoformat()}-{currency}-"  # people of separate fills never collide
    campaigns = campaigns or {}
    names = list(channels)
    ads, touches, conversions, orders = [], [], [], []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        for channel, (platform, spend, revenue, conv) in channels.items():
            ads.append(
                (
                    day,
                    platform,
                    "acct",
                    f"{channel} always-on",
                    campaigns.get(channel),
                    channel,
                    currency,
                    spend,
                    1000,
                    50,
                    conv,
                    revenue,
                )
            )
        count = (
            journeys_per_day
            if conversions_per_day is None
            else conversions_per_day.get(day, journeys_per_day)
        )
        for j in range(count):
            user = f"{prefix}u{i}-{j}"
            when = dt.datetime.combine(day, dt.time(9))
            first, second = names[j % len(names)], names[(j + 1) % len(names)]
            touches.append((user, when - dt.timedelta(hours=5), first, campaigns.get(first)))
            touches.append((user, when - dt.timedelta(hours=1), second, campaigns.get(second)))
            conversions.append((user, when, "lead"))
            if j % 2 == 0:
                orders.append(
                    (f"{prefix}o{i}-{j}", user, when + dt.timedelta(minutes=5), Decimal("90"), currency)
                )
    with open_store(workspace) as store:
        store.migrate()
        with store.transaction() as con:
            if ads:
                con.executemany(
                    """INSERT INTO ad_performance (day, platform, account, campaign_external, campaign_id,
                       channel, currency, spend, impressions, clicks, conversions, conversion_value)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    ads,
                )
            if touches:
                con.executemany(
                    "INSERT INTO touchpoints (user_key, ts, channel, campaign_id) VALUES (?, ?, ?, ?)",
                    touches,
                )
            if conversions:
                con.executemany("INSERT INTO conversions (user_key, ts, kind) VALUES (?, ?, ?)", conversions)
            if orders:
                con.executemany(
                    "INSERT INTO orders (order_key, customer_key, ts, value, currency) "
                    "VALUES (?, ?, ?, ?, ?)",
                    orders,
                )
