"""MMM fixtures: Acme's budget world (tests.budget.conftest) with a year of daily spend on paid search,
paid social and email booked in the budget, and generated orders in Acme's analytics store."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from tests.budget.conftest import World
from tests.org.test_approvals import Team

START = dt.date(2025, 1, 6)  # a Monday
DAYS = 52 * 7


def book_spend(ws, channels: dict, start=START, days=DAYS, seed=5) -> dict[str, np.ndarray]:
    from opencmo.analytics import synth
    from opencmo.budget.models import SpendEntry

    spend = synth.simulate_spend(list(channels), start, days, weekly_budget=30_000, seed=seed)
    rows = []
    for key, channel in channels.items():
        for i, amount in enumerate(spend[key]):
            if amount > 0:
                value = Decimal(str(amount))
                rows.append(
                    SpendEntry(
                        workspace=ws,
                        date=start + dt.timedelta(days=i),
                        amount=value,
                        currency=ws.currency,
                        amount_base=value,
                        channel=channel,
                    )
                )
    SpendEntry.objects.bulk_create(rows)
    return spend


def load_orders(ws, spend, start=START, users=1500, seed=3):
    from opencmo.analytics import synth
    from opencmo.data.services import open_store

    store = open_store(ws)
    for suffix in ("", ".lock", ".wal"):  # a reused workspace id must not inherit another test's store
        store.path.with_name(store.path.name + suffix).unlink(missing_ok=True)
    data = synth.generate(start, spend, users=users, seed=seed, currency=ws.currency)
    with store:
        store.migrate()
        synth.load(store, data, prefix="test")
    return data


@pytest.fixture
def world(acme, alice, bob):
    w = World(Team(acme, alice, bob)).tree()
    channels = {"paid_search": w.search, "paid_social": w.social, "email": w.email}
    w.spend = book_spend(acme, channels)
    w.synth = load_orders(acme, w.spend)
    return w


def run_config(**overrides):
    config = {
        "channels": ["paid_search", "paid_social", "email"],
        "start": START,
        "end": START + dt.timedelta(days=DAYS - 1),
        "target": "revenue",
        "adstock": "geometric",
        "saturation": "hill",
        "method": "map",
    }
    config.update(overrides)
    return config
