"""Review fixtures: the budget tests' Acme team and plan, an analytics store for Acme with January and
February 2026 data, and a monthly review cycle chaired by Marta (the plan's Accountable person)."""

import datetime as dt
from decimal import Decimal

import pytest

from opencmo.data.services import open_store
from opencmo.reviews import services
from opencmo.reviews.models import ReviewCycle
from tests.budget.conftest import team, tree, world  # noqa: F401 - fixtures shared with the budget tests

JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))


@pytest.fixture
def store(acme):
    """Acme's store: ad data, touchpoints and conversions in January (inside the review period) and
    February (outside it), in NOK and EUR (EUR converted at the budget's exchange rate)."""
    path = open_store(acme).path
    path.unlink(missing_ok=True)  # a workspace id may be reused by an earlier test's rolled-back rows
    with open_store(acme) as s:
        s.migrate()
        s.execute(
            """
            INSERT INTO ad_performance (day, platform, account, campaign_external, ad_group, campaign_id,
                                        channel, currency, spend, impressions, clicks, conversions,
                                        conversion_value)
            VALUES
              ('2026-01-05', 'google_ads', 'A', 'Brand', 'g1', NULL, 'Paid Search', 'NOK',
               1000, 10000, 200, 10, 5000),
              ('2026-01-20', 'google_ads', 'A', 'Brand', 'g1', NULL, 'Paid Search', 'NOK',
               500.5, 4000, 90, 4, 1500),
              ('2026-01-06', 'meta', 'M', 'Winter', '', NULL, 'Paid Social', 'EUR', 80, 20000, 100, 2.5, 100),
              ('2026-02-02', 'meta', 'M', 'Winter', '', NULL, 'Paid Social', 'NOK', 2000, 1000, 10, 0, 0)
            """
        )
        s.execute(
            """
            INSERT INTO touchpoints (user_key, ts, channel, campaign, campaign_id, is_direct) VALUES
              ('u1', '2026-01-05 10:00', 'Paid Search', 'Brand', NULL, false),
              ('u1', '2026-01-06 10:00', 'Paid Social', 'Winter', NULL, false),
              ('u2', '2026-01-06 09:00', 'Paid Social', 'Winter', NULL, false),
              ('u3', '2026-01-10 09:00', 'Paid Search', 'Brand', NULL, false),
              ('u4', '2026-02-03 09:00', 'Paid Social', 'Winter', NULL, false)
            """
        )
        s.execute(
            """
            INSERT INTO conversions VALUES
              ('u1', '2026-01-07 11:00', 'lead', 0, NULL, NULL),
              ('u2', '2026-01-08 10:00', 'lead', 0, NULL, NULL),
              ('u3', '2026-01-11 10:00', 'lead', 0, NULL, NULL),
              ('u4', '2026-02-04 10:00', 'lead', 0, NULL, NULL)
            """
        )
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def cycle(team):  # noqa: F811 - the imported fixture, by name
    return services.cycle_create(
        actor=team.alice,
        workspace=team.ws,
        kind=ReviewCycle.Kind.MONTHLY,
        name="Monthly marketing review",
        cadence=ReviewCycle.Cadence.MONTHLY,
        first_date=dt.date(2026, 2, 3),
        chair=team.marta_p,
        participants=[team.alice_p, team.bob_p],
    )


@pytest.fixture
def review(cycle):
    return cycle.reviews.get()


D = Decimal
