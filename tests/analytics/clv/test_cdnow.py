"""Published CDNOW estimates (Fader, Hardie & Lee) and agreement with `lifetimes` fitted in the same run."""

import numpy as np
import pytest

from opencmo.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    bgnbd,
    customer_lifetime_value,
    paretonbd,
    rfm_summary,
)

from .conftest import quietly


@pytest.fixture(scope="module")
def rfm(cdnow):
    return cdnow["frequency"], cdnow["recency"], cdnow["T"]


@pytest.fixture(scope="module")
def repeat_spend(cdnow_spend):
    repeat = cdnow_spend["x"] > 0
    return cdnow_spend["x"][repeat], cdnow_spend["zbar"][repeat]


@pytest.fixture(scope="module")
def ours(rfm, repeat_spend):
    return {
        "bg": BetaGeoModel().fit(*rfm),
        "pareto": ParetoNBDModel().fit(*rfm),
        "gg": GammaGammaModel().fit(*repeat_spend),
    }


@pytest.fixture(scope="module")
def theirs(lifetimes, rfm, repeat_spend):
    # lifetimes starts its Pareto/NBD Nelder-Mead from numpy's global random generator: seed it (and
    # put it back) so the comparison is the same on every run.
    state = np.random.get_state()
    np.random.seed(2005)
    try:
        return {
            "bg": quietly(lifetimes.BetaGeoFitter().fit, *rfm),
            "pareto": quietly(lifetimes.ParetoNBDFitter().fit, *rfm),
            "gg": quietly(lifetimes.GammaGammaFitter().fit, *repeat_spend),
        }
    finally:
        np.random.set_state(state)


def test_bgnbd_reproduces_the_published_estimates(ours):
    # FHL (2005), Marketing Science 24(2): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    model = ours["bg"]
    assert model.converged_
    assert model.params_ == pytest.approx({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, abs=6e-4)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert model.n_customers_ == 2357


def test_pareto_nbd_reproduces_the_published_estimates(ours):
    # FHL (2005): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
    model = ours["pareto"]
    assert model.converged_
    assert model.params_ == pytest.approx({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, rel=2e-3)
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)


def test_gamma_gamma_reproduces_the_published_estimates(ours):
    # Fader & Hardie (2013) note on the Gamma-Gamma model, 946 repeat customers: p = 6.25, q = 3.74,
    # gamma = 15.44 (15.447 unrounded).
    model = ours["gg"]
    assert model.converged_
    assert model.n_customers_ == 946
    assert model.params_ == pytest.approx({"p": 6.25, "q": 3.74, "v": 15.44}, abs=0.01)


@pytest.mark.parametrize("name", ["bg", "pareto", "gg"])
def test_estimates_match_lifetimes_and_are_at_least_as_likely(ours, theirs, name, rfm, repeat_spend):
    mine, reference = ours[name], theirs[name]
    expected = {key: float(value) for key, value in reference.params_.items()}
    # lifetimes stops at tol=1e-7 (Nelder-Mead from a random start for the Pareto/NBD, whose likelihood
    # is flat in beta: its beta moves by ~1e-4 from one start to another).
    assert mine.params_ == pytest.approx(expected, rel=5e-4 if name == "pareto" else 1e-6)
    maths = {"bg": bgnbd, "pareto": paretonbd}
    if name == "gg":
        assert mine.log_likelihood(*repeat_spend).sum() >= mine.log_likelihood_ - 1e-6
        return
    at_theirs = maths[name].log_likelihood(*expected.values(), *rfm).sum()
    assert mine.log_likelihood_ >= at_theirs - 1e-9


def test_predictions_agree_with_lifetimes(ours, theirs, rfm):
    for name in ("bg", "pareto"):
        mine, reference = ours[name], theirs[name]
        # Same parameters on both sides, so only the formulas are compared.
        params = {key: float(value) for key, value in reference.params_.items()}
        maths = bgnbd if name == "bg" else paretonbd
        np.testing.assert_allclose(
            maths.probability_alive(*params.values(), *rfm),
            quietly(reference.conditional_probability_alive, *rfm),
            rtol=1e-10,
        )
        for horizon in (1.0, 39.0, 104.0):
            np.testing.assert_allclose(
                maths.expected_purchases(horizon, *params.values(), *rfm),
                quietly(reference.conditional_expected_number_of_purchases_up_to_time, horizon, *rfm),
                rtol=1e-9,
                atol=1e-12,
            )
            assert maths.expected_purchases_new_customer(horizon, *params.values()) == pytest.approx(
                float(quietly(reference.expected_number_of_purchases_up_to_time, horizon)), rel=1e-10
            )
        # And the fitted models predict within the small difference of the estimates.
        np.testing.assert_allclose(
            mine.probability_alive(*rfm),
            quietly(reference.conditional_probability_alive, *rfm),
            rtol=5e-4,
            atol=1e-9,
        )
        np.testing.assert_allclose(
            mine.expected_purchases(39, *rfm),
            quietly(reference.conditional_expected_number_of_purchases_up_to_time, 39, *rfm),
            rtol=5e-4,
            atol=1e-9,
        )


def test_the_worked_example_of_the_bgnbd_paper(ours):
    # FHL (2005), section 5: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
    # purchases in the next 39 weeks.
    assert ours["bg"].expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=6e-4)


def test_clv_agrees_with_lifetimes(ours, theirs, cdnow_spend):
    pandas = pytest.importorskip("pandas")  # installed with lifetimes, whose CLV wants Series
    x, t_x, T, m = cdnow_spend["x"], cdnow_spend["t_x"], cdnow_spend["T"], cdnow_spend["zbar"]
    for name in ("bg", "pareto"):
        mine = customer_lifetime_value(
            ours[name], ours["gg"], x, t_x, T, m, months=12, discount_rate=0.01, time_unit="W"
        )
        reference = quietly(
            theirs["gg"].customer_lifetime_value,
            theirs[name],
            *(pandas.Series(column) for column in (x, t_x, T, m)),
            time=12,
            discount_rate=0.01,
            freq="W",
        )
        np.testing.assert_allclose(mine, np.asarray(reference), rtol=5e-4)
        assert mine.sum() > 0


def test_rfm_summary_rebuilds_the_cdnow_summary_from_transactions(cdnow_transactions, cdnow, cdnow_spend):
    # FHL's calibration period: 39 weeks to 1997-09-30; the holdout runs to 1998-06-30.
    summary = rfm_summary(
        cdnow_transactions["customer"],
        cdnow_transactions["date"],
        cdnow_transactions["value"],
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
    )
    np.testing.assert_array_equal(summary.customer_id, cdnow["ID"].astype(int))
    np.testing.assert_array_equal(summary.frequency, cdnow["frequency"])
    np.testing.assert_allclose(summary.recency, cdnow["recency"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary.T, cdnow["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary.monetary_value, cdnow_spend["zbar"], atol=0.005 + 1e-9)
    assert summary.duration_holdout == 39.0
    assert summary.frequency.sum() == 2457  # repeat purchases in the calibration period
    assert summary.frequency_holdout.sum() == 1882  # and in the holdout
