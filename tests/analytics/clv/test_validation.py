"""Input validation, property-based: valid summaries are accepted and give finite answers; every kind of
invalid input raises CLVInputError (a ValueError) with a message, never another exception or a NaN."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opencmo.analytics.clv import (
    BetaGeoModel,
    CLVInputError,
    GammaGammaModel,
    ParetoNBDModel,
    bgnbd,
    customer_lifetime_value,
    gammagamma,
    paretonbd,
    rfm_summary,
)
from opencmo.analytics.clv.data import check_rfm, check_spend

positive = st.floats(min_value=0.01, max_value=50.0, allow_nan=False)


@st.composite
def customers(draw, min_size=1, max_size=40):
    n = draw(st.integers(min_size, max_size))
    T = np.array(draw(st.lists(st.floats(0.5, 500.0), min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)), dtype=float)
    share = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    t_x = np.where(x > 0, T * share, 0.0)
    return x, t_x, T


@settings(max_examples=60, deadline=None)
@given(data=customers(), params=st.tuples(positive, positive, positive, positive))
def test_valid_inputs_give_finite_likelihoods_and_probabilities(data, params):
    x, t_x, T = data
    check_rfm(x, t_x, T)
    for maths in (bgnbd, paretonbd):
        ll = maths.log_likelihood(*params, x, t_x, T)
        alive = maths.probability_alive(*params, x, t_x, T)
        future = maths.expected_purchases(10.0, *params, x, t_x, T)
        assert np.all(np.isfinite(ll)), (maths.__name__, params)
        assert np.all((alive >= 0) & (alive <= 1))
        assert np.all(np.isfinite(future) & (future >= 0))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=customers(min_size=5, max_size=30))
def test_any_valid_sample_fits_to_finite_positive_parameters(data):
    # Random samples are often degenerate (nobody seems to drop out): the estimates then run towards
    # the edge of the parameter space, yet stay finite and the fit reports whether it converged.
    x, t_x, T = data
    assume(np.any(x > 0))
    for model in (BetaGeoModel(), ParetoNBDModel()):
        model.fit(x, t_x, T)
        assert all(math.isfinite(v) and v > 0 for v in model.params_.values())
        assert math.isfinite(model.log_likelihood_)
        assert isinstance(model.converged_, bool)


bad_number = st.sampled_from([math.nan, math.inf, -math.inf])


@settings(max_examples=60, deadline=None)
@given(data=customers(min_size=2), which=st.integers(0, 2), where=st.integers(0, 1), value=bad_number)
def test_nan_and_infinity_are_refused(data, which, where, value):
    arrays = [np.array(a, dtype=float) for a in data]
    arrays[which][where] = value
    with pytest.raises(CLVInputError, match="NaN or infinite"):
        BetaGeoModel().fit(*arrays)


@settings(max_examples=60, deadline=None)
@given(data=customers(min_size=1), fraction=st.floats(0.01, 0.99))
def test_fractional_or_negative_frequency_is_refused(data, fraction):
    x, t_x, T = (np.array(a, dtype=float) for a in data)
    x[0] = x[0] + fraction
    t_x[0] = T[0] / 2
    with pytest.raises(CLVInputError, match="whole number"):
        ParetoNBDModel().fit(x, t_x, T)
    x[0] = -1
    with pytest.raises(CLVInputError, match="whole number"):
        check_rfm(x, t_x, T)


@settings(max_examples=60, deadline=None)
@given(data=customers(min_size=1), excess=st.floats(1e-6, 100.0))
def test_recency_beyond_T_or_negative_is_refused(data, excess):
    x, t_x, T = (np.array(a, dtype=float) for a in data)
    x[0] = 1
    t_x[0] = T[0] + excess
    with pytest.raises(CLVInputError, match="exceed T"):
        BetaGeoModel().fit(x, t_x, T)
    t_x[0] = -excess
    with pytest.raises(CLVInputError, match="negative"):
        BetaGeoModel().fit(x, t_x, T)


@settings(max_examples=40, deadline=None)
@given(data=customers(min_size=1), t=st.floats(1e-6, 1.0))
def test_recency_without_repeat_purchase_is_refused(data, t):
    x, t_x, T = (np.array(a, dtype=float) for a in data)
    x[0] = 0
    t_x[0] = t * T[0]
    with pytest.raises(CLVInputError, match="frequency 0"):
        check_rfm(x, t_x, T)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 10), m=st.integers(1, 10))
def test_lengths_must_match(n, m):
    assume(n != m)
    with pytest.raises(CLVInputError, match="same length"):
        BetaGeoModel().fit(np.zeros(n), np.zeros(n), np.ones(m))
    with pytest.raises(CLVInputError, match="same length"):
        GammaGammaModel().fit(np.ones(n), np.ones(m))


@settings(max_examples=40, deadline=None)
@given(data=customers(min_size=2), weights=st.lists(st.floats(-10, 10), min_size=2, max_size=2))
def test_weights_are_checked(data, weights):
    x, t_x, T = data
    w = np.ones(x.size)
    w[:2] = weights
    if np.any(w < 0):
        with pytest.raises(CLVInputError, match="negative"):
            BetaGeoModel().fit(x, t_x, T, weights=w)
    with pytest.raises(CLVInputError, match="weights has"):
        BetaGeoModel().fit(x, t_x, T, weights=np.ones(x.size + 1))


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.integers(-3, 20), min_size=1, max_size=20),
    m=st.lists(st.floats(-100, 1000, allow_nan=False), min_size=1, max_size=20),
)
def test_spend_inputs(x, m):
    n = min(len(x), len(m))
    x, m = np.array(x[:n], dtype=float), np.array(m[:n])
    valid = np.all(x > 0) and np.all(m > 0)
    if valid:
        check_spend(x, m)
        assert np.all(np.isfinite(gammagamma.log_likelihood(3.0, 4.0, 10.0, x, m)))
    else:
        with pytest.raises(CLVInputError):
            check_spend(x, m)


def test_unusable_values_and_hyperparameters_say_what_is_wrong():
    with pytest.raises(CLVInputError, match="numbers"):
        BetaGeoModel().fit(["a"], [0], [1])
    with pytest.raises(CLVInputError, match="one-dimensional"):
        BetaGeoModel().fit([[1, 2]], [[1, 2]], [[3, 4]])
    with pytest.raises(CLVInputError, match="empty"):
        BetaGeoModel().fit([], [], [])
    with pytest.raises(CLVInputError, match="T = 0"):
        BetaGeoModel().fit([0, 0], [0, 0], [0, 0])
    with pytest.raises(CLVInputError, match="add up to zero"):
        BetaGeoModel().fit([1], [1], [2], weights=[0])
    with pytest.raises(CLVInputError, match="penalizer"):
        BetaGeoModel(penalizer=-1).fit([1], [1], [2])
    with pytest.raises(CLVInputError, match="max_iter"):
        ParetoNBDModel(max_iter=0).fit([1], [1], [2])
    with pytest.raises(CLVInputError, match="initial_params"):
        BetaGeoModel(initial_params=[1, 2]).fit([1], [1], [2])
    with pytest.raises(CLVInputError, match="repeat customers"):
        GammaGammaModel().fit([0, 2], [10, 10])
    with pytest.raises(CLVInputError, match="positive"):
        GammaGammaModel().fit([1, 2], [0, 10])
    with pytest.raises(CLVInputError, match="horizon"):
        BetaGeoModel().fit([1, 2], [1, 2], [3, 3]).expected_purchases(-1, 1, 1, 2)
    assert issubclass(CLVInputError, ValueError)


def test_clv_arguments_are_checked():
    purchases = BetaGeoModel().fit([1, 2, 0, 4], [1, 2, 0, 3], [3, 3, 3, 4])
    spend = GammaGammaModel().fit([1, 2, 4], [10, 12, 9])
    args = (purchases, spend, [1], [1], [3], [10])
    for kwargs, message in (
        ({"months": 0}, "months"),
        ({"months": 1.5}, "months"),
        ({"discount_rate": -1}, "discount_rate"),
        ({"discount_rate": math.nan}, "discount_rate"),
        ({"margin": -0.1}, "margin"),
        ({"time_unit": "Y"}, "time_unit"),
    ):
        with pytest.raises(CLVInputError, match=message):
            customer_lifetime_value(*args, **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.integers(0, 5), min_size=1, max_size=30),
    offsets=st.lists(st.integers(0, 400), min_size=1, max_size=30),
)
def test_rfm_summary_properties(ids, offsets):
    n = min(len(ids), len(offsets))
    dates = np.datetime64("2026-01-01") + np.array(offsets[:n])
    values = np.arange(1, n + 1, dtype=float)
    summary = rfm_summary(ids[:n], dates, values, time_unit="D")
    check_rfm(summary.frequency, summary.recency, summary.T, for_fit=False)  # always a valid model input
    distinct_days = len({(i, o) for i, o in zip(ids[:n], offsets[:n], strict=True)})
    assert int(summary.frequency.sum()) + len(summary) == distinct_days
    assert np.all(summary.recency <= summary.T)


def test_rfm_summary_refuses_bad_input():
    with pytest.raises(CLVInputError, match="same length"):
        rfm_summary([1, 2], ["2026-01-01"], [1.0, 2.0])
    with pytest.raises(CLVInputError, match="dates"):
        rfm_summary([1], ["yesterday"], [1.0])
    with pytest.raises(CLVInputError, match="missing"):
        rfm_summary([1], [np.datetime64("NaT", "D")], [1.0])
    with pytest.raises(CLVInputError, match="calibration_end"):
        rfm_summary([1], ["2026-01-01"], calibration_end="2026-02-01", observation_end="2026-01-15")
    with pytest.raises(CLVInputError, match="time_unit"):
        rfm_summary([1], ["2026-01-01"], time_unit="M")
    with pytest.raises(CLVInputError, match="no transactions"):
        rfm_summary([], [], [])
    with pytest.raises(CLVInputError, match="NaN"):
        rfm_summary([1], ["2026-01-01"], [math.nan])
    with pytest.raises(CLVInputError, match="calibration end"):
        rfm_summary([1], ["2026-03-01"], calibration_end="2026-01-01")
