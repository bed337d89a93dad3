"""The MAP + Laplace fit: exact gradients, validation, parameter recovery on data with known truth."""

import time

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from opencmo.analytics.mmm import MMMConfig, MMMData, MMMError, fit, response, verdict
from opencmo.analytics.mmm.model import _Problem


@pytest.mark.parametrize("adstock", ["geometric", "weibull"])
@pytest.mark.parametrize("saturation", ["hill", "logistic"])
def test_gradient_is_exact(adstock, saturation):
    rng = np.random.default_rng(3)
    t = 52
    data = MMMData(
        [str(np.datetime64("2025-01-06") + 7 * i) for i in range(t)],
        ["a", "b"],
        rng.gamma(2, 1, (t, 2)),
        rng.gamma(5, 1, t),
        controls=rng.normal(size=(t, 1)),
        control_names=["promo"],
    )
    data.validate()
    prob = _Problem(data, MMMConfig(adstock=adstock, saturation=saturation))
    theta = prob.layout.prior_mean + rng.normal(0, 0.3, prob.layout.size)
    value, grad = prob.value_and_grad(theta)
    assert value == pytest.approx(prob.neg_log_post(theta))
    numeric = approx_fprime(theta, prob.neg_log_post, 1e-6)
    assert np.max(np.abs(grad - numeric) / (1 + np.abs(numeric))) < 1e-3


def test_recovers_true_rois_at_small_size(synthetic):
    """Tolerance: every channel's ROI within 25% of the truth or 0.25 (whichever is larger), total media
    contribution within 10%, and the truth inside the 90% interval (104 weeks, 4 channels, noise 4% of
    the base)."""
    data, truth, synth_data = synthetic
    started = time.monotonic()
    result = fit(data, MMMConfig(seed=0))
    assert time.monotonic() - started < 20
    for row in result["summary"]:
        assert row["roi"] == pytest.approx(truth[row["channel"]], rel=0.25, abs=0.25), row
        assert row["roi_lo"] <= truth[row["channel"]] <= row["roi_hi"], row
        assert row["roi_lo"] <= row["roi"] <= row["roi_hi"]
    true_media = sum(synth_data.truth["contribution"].to_pylist())
    fitted_media = sum(row["contribution"] for row in result["summary"])
    assert fitted_media == pytest.approx(true_media, rel=0.10)
    assert result["diagnostics"]["r2"] > 0.9
    assert "good" in result["verdict"]


def test_results_hold_together(synthetic):
    data, _, _ = synthetic
    r = fit(data, MMMConfig(adstock="weibull", saturation="logistic", starts=2, draws=100))
    fitted = np.array(r["baseline"]) + sum(np.array(v) for v in r["contributions"].values())
    assert fitted == pytest.approx(np.array(r["fitted"]))
    for row in r["summary"]:
        curve = r["curves"][row["channel"]]
        assert curve["mean"][0] == 0 and np.all(np.diff(curve["mean"]) >= -1e-9)  # more spend never loses
        assert all(lo <= hi for lo, hi in zip(curve["lo"], curve["hi"], strict=True))
        p = r["params"][row["channel"]]
        assert response(curve["spend"], p, "logistic") == pytest.approx(curve["mean"])
        assert row["mroi"] > 0


def test_same_seed_same_result(synthetic):
    data, _, _ = synthetic
    a = fit(data, MMMConfig(starts=2, draws=50, seed=4))
    b = fit(data, MMMConfig(starts=2, draws=50, seed=4))
    assert a["summary"] == b["summary"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": np.zeros(30)}, "target"),
        ({"spend": -np.ones((30, 1))}, "negative"),
        ({"weeks": ["2025-01-06"] * 10, "spend": np.ones((10, 1)), "y": np.ones(10)}, "26 weeks"),
        ({"spend": np.zeros((30, 1))}, "no spend"),
        ({"y": np.full(30, np.nan)}, "missing"),
    ],
)
def test_bad_data_is_refused_with_the_reason(change, message):
    base = {"weeks": ["2025-01-06"] * 30, "channels": ["email"], "spend": np.ones((30, 1)), "y": np.ones(30)}
    with pytest.raises(MMMError, match=message):
        fit(MMMData(**{**base, **change}))


def test_bad_config_is_refused():
    with pytest.raises(MMMError, match="adstock"):
        MMMConfig(adstock="delayed").validate()


def test_verdict_in_plain_words():
    assert verdict({"r2": 0.87, "mape": 0.05}).startswith("The model explains 87% of the weekly variation")
    assert "weak" in verdict({"r2": 0.3, "mape": 0.2})
    assert "did not settle" in verdict({"r2": 0.9, "mape": 0.02, "rhat_max": 1.2, "divergences": 3})
    assert "converged" in verdict({"r2": 0.9, "mape": 0.02, "rhat_max": 1.003, "divergences": 0})
