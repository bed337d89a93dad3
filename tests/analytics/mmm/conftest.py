import datetime as dt

import numpy as np
import pytest

from opencmo.analytics import synth
from opencmo.analytics.mmm import MMMData

CHANNELS = ["paid_search", "paid_social", "display", "email"]


def weekly_data(seed: int = 1, days: int = 728, users: int = 2000):
    spend = synth.simulate_spend(CHANNELS, dt.date(2024, 12, 30), days, weekly_budget=120_000, seed=seed)
    data = synth.generate(dt.date(2024, 12, 30), spend, users=users, seed=seed + 10)
    tw = data.truth_weekly.to_pydict()
    weeks = sorted(set(tw["week"]))
    width = len(CHANNELS) + 1
    matrix = np.array(tw["spend"]).reshape(len(weeks), width)[:, :-1]
    y = np.array(tw["revenue"]).reshape(len(weeks), width)[:, 0]
    truth = dict(zip(data.truth["channel"].to_pylist(), data.truth["roi"].to_pylist(), strict=True))
    return MMMData([str(w) for w in weeks], list(CHANNELS), matrix, y), truth, data


@pytest.fixture(scope="module")
def synthetic():
    return weekly_data()
