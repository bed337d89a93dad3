"""Adstock and saturation: hand-computed values and the properties the model relies on."""

import numpy as np
import pytest

from opencmo.analytics.mmm.transforms import (
    adstock,
    geometric_weights,
    hill,
    lag_matrix,
    logistic,
    saturate,
    weibull_weights,
)


def test_geometric_weights_by_hand():
    w = geometric_weights(0.5, 3)
    assert w == pytest.approx(np.array([1, 0.5, 0.25]) / 1.75)


def test_adstock_by_hand_and_carry_over():
    x = np.array([[7.0], [0.0], [0.0], [0.0]])
    out = adstock(x, geometric_weights(np.array([0.5]), 3))
    # 7 spent in week 1 shows as 4, 2, 1 and then nothing (lag window of 3)
    assert out[:, 0] == pytest.approx([4.0, 2.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "weights", [geometric_weights(0.7, 8), weibull_weights(1.8, 2.5, 8), weibull_weights(0.6, 1.0, 8)]
)
def test_normalised_adstock_keeps_steady_state_and_total(weights):
    assert weights.sum() == pytest.approx(1.0)
    steady = adstock(np.full((30, 1), 100.0), weights[None, :])
    assert steady[10:, 0] == pytest.approx(100.0)  # constant spend: adstocked spend = spend
    pulse = np.zeros((20, 1))
    pulse[2] = 50
    assert adstock(pulse, weights[None, :]).sum() == pytest.approx(50.0)  # carry-over moves, never adds


def test_zero_decay_is_no_carry_over():
    x = np.random.default_rng(0).gamma(2, 1, (12, 2))
    assert adstock(x, geometric_weights(np.array([0.0, 0.0]), 4)) == pytest.approx(x)


def test_weibull_shape_above_one_holds_effect_longer_at_first():
    early = weibull_weights(0.5, 2.0, 6)
    delayed = weibull_weights(3.0, 2.0, 6)
    assert delayed[1] / delayed[0] > early[1] / early[0]


def test_lag_matrix_layout():
    x = np.arange(1, 5, dtype=float)[:, None]
    lags = lag_matrix(x, 2)
    assert lags[0, :, 0].tolist() == [1, 2, 3, 4] and lags[0, :, 1].tolist() == [0, 1, 2, 3]


def test_hill_half_at_k_monotone_bounded():
    assert hill(3.0, 3.0, 2.0) == pytest.approx(0.5)
    assert hill(6.0, 3.0, 1.0) == pytest.approx(6 / 9)
    xs = np.linspace(0, 100, 200)
    ys = hill(xs, 5.0, 1.7)
    assert ys[0] == 0 and np.all(np.diff(ys) >= 0) and ys[-1] < 1
    assert np.isfinite(hill(1e300, 1e-300, 5.0))  # log-space: no overflow


def test_logistic_matches_pymc_marketing_form_and_half_point():
    lam, x = 0.8, np.linspace(0, 5, 11)
    assert logistic(x, lam) == pytest.approx((1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x)))
    assert saturate("logistic", 4.0, 4.0, 1.0) == pytest.approx(0.5)


def test_unknown_saturation_is_refused():
    with pytest.raises(ValueError, match="hill or logistic"):
        saturate("tanh", 1.0, 1.0, 1.0)
