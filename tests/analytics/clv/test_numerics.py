"""Numerical stability: the hypergeometric function where scipy fails, and likelihoods, probabilities and
expectations at extreme frequencies, all against mpmath references.

The reference values were computed once with mpmath 1.4 at 60-5,000 significant digits (precision
raised with the parameters until two precisions agreed), e.g. for the first table::

    mp.mp.dps = 50 + int(0.45 * (k + b)); mp.log(mp.hyp2f1(k, b, k + 1, 1 - mp.mpf(w)))

and for the likelihoods from the textbook formulas (the difference of two hypergeometric terms for the
Pareto/NBD, which is exact at that precision).
"""

import warnings

import numpy as np
import pytest
from scipy.special import hyp2f1

from opencmo.analytics.clv import BetaGeoModel, ParetoNBDModel, bgnbd, paretonbd, simulate_bgnbd
from opencmo.analytics.clv._special import log_hyp2f1_k, one_minus_pow_over

# (k, b, w = 1 - z, log 2F1(k, b; k + 1; 1 - w))
HYP2F1 = [
    (0.8, 1.6, 0.7, 0.25183470443729744),
    (3.7, 0.6, 0.0010000000000000009, 1.4946294080849365),
    (12.2, 1.6, 9.999999717180685e-10, 15.446183087422874),
    (45.0, 40.0, 0.09999999999999998, 89.92830090687977),
    (120.3, 1.05, 0.0010000000000000009, 5.706648980112365),
    (400.6, 0.05, 0.0010000000000000009, 0.29360049160421325),
    (400.6, 1.6, 9.99999999995449e-06, 13.337857715837567),
    (400.6, 16.0, 0.010000000000000009, 72.12268967499905),
    (1500.2, 3.5, 0.0010000000000000009, 23.10467357691918),
    (1500.2, 0.6, 1.0000000050247593e-08, 5.171441698067195),
    (2500.5, 1200.0, 9.999999999998899e-05, 11043.933000201927),
    (800.25, 790.0, 0.050000000000000044, 2363.6462081601994),
    (60.0, 5.9, 9.999999717180685e-10, 104.04911208259621),
    (95.6, 7.0, 1.0000000050247593e-08, 113.29249760519497),
    (300.0, 300.5, 0.5, 207.5984128672582),
    (2000.0, 2000.9, 1.0000000000287557e-06, 27629.639614816446),
    (0.3, 0.01, 0.09999999999999998, 0.003167681077170687),
    (5.0, 5.5, 9.999778782798785e-13, 124.4450550861778),
    (150.0, 0.0, 0.010000000000000009, 0.0),
    (1000.0, 100.0, 0.7, 35.62558639837765),
]

PARETO = (0.5533, 10.5776, 0.6062, 11.6679)  # CDNOW-like, alpha < beta
PARETO_SKEWED = (0.8, 50.0, 0.5, 0.02)  # alpha >> beta: z close to 1
BG = (0.2426, 4.4135, 0.7929, 2.4258)
# (params, x, t_x, T, log-likelihood, P(alive))
PARETO_REFERENCE = [
    (PARETO, 0, 0.0, 38.86, -0.5212277429232905, 0.2950992595253756),
    (PARETO, 3, 20.0, 38.86, -12.017358593235711, 0.527011425874347),
    (PARETO, 500, 38.0, 38.86, 658.1578163585054, 0.11357397818294203),
    (PARETO, 500, 5.0, 38.86, 1227.9475402128742, 3.969592469547385e-249),
    (PARETO, 5000, 38.5, 38.86, 18109.077705525495, 1.1273073426214442e-12),
    (PARETO, 1000, 38.86, 38.86, 2006.1150961087476, 1.0),
    (PARETO_SKEWED, 0, 0.0, 38.86, -0.019698871356601037, 0.014602188053519984),
    (PARETO_SKEWED, 3, 20.0, 38.86, -15.795980093948641, 0.5961717788008859),
    (PARETO_SKEWED, 500, 38.0, 38.86, 362.42104875483665, 0.768693405984535),
    (PARETO_SKEWED, 500, 5.0, 38.86, 598.8845366986347, 1.552262515101622e-103),
    (PARETO_SKEWED, 5000, 38.5, 38.86, 15161.657692899023, 6.613029796030105e-06),
    (PARETO_SKEWED, 1000, 38.86, 38.86, 1419.286107488033, 1.0),
]
BG_REFERENCE = [
    (0, 0.0, 38.86, -0.5538248473788363),
    (500, 38.0, 38.86, 720.3379223632694),
    (5000, 38.5, 38.86, 18772.05576099871),
    (50000, 10.0, 38.86, 357558.21724401374),
]


def test_log_hyp2f1_matches_mpmath_everywhere_the_pareto_nbd_needs_it():
    k, b, w, expected = (np.array(column) for column in zip(*HYP2F1, strict=True))
    got = log_hyp2f1_k(k, b, 1.0 - w, w)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)


def test_scipy_alone_fails_on_these_cases_so_the_robust_paths_matter():
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = np.log(hyp2f1(400.6, 1.6, 401.6, 1 - 9.99999999995449e-06))
        overflowing = np.log(hyp2f1(2000.0, 2000.9, 2001.0, 1 - 1.0000000000287557e-06))
    assert not np.isfinite(direct)
    assert not np.isfinite(overflowing)


def test_log_hyp2f1_takes_one_minus_z_from_the_caller():
    # With z = 1 - 1e-12 the double z itself carries a 1e-4 relative error in 1 - z; given w exactly
    # the result keeps its precision.
    k, b, w, expected = HYP2F1[17]
    assert log_hyp2f1_k(k, b, 1 - w, w)[0] == pytest.approx(expected, rel=1e-12)


def test_one_minus_pow_over_is_continuous_through_zero():
    log_ratio = np.log(1.5)
    near = one_minus_pow_over(np.array([-1e-12, 0.0, 1e-12]), log_ratio)
    np.testing.assert_allclose(near, log_ratio, rtol=1e-10)
    assert one_minus_pow_over(0.5, log_ratio) == pytest.approx((1 - 1.5**-0.5) / 0.5, rel=1e-14)


@pytest.mark.parametrize(("params", "x", "t_x", "T", "ll", "alive"), PARETO_REFERENCE)
def test_pareto_nbd_likelihood_and_probability_alive_at_extreme_frequencies(params, x, t_x, T, ll, alive):
    assert float(paretonbd.log_likelihood(*params, x, t_x, T)) == pytest.approx(ll, rel=1e-13, abs=1e-12)
    assert float(paretonbd.probability_alive(*params, x, t_x, T)) == pytest.approx(alive, rel=1e-10)


@pytest.mark.parametrize(("x", "t_x", "T", "ll"), BG_REFERENCE)
def test_bgnbd_likelihood_at_extreme_frequencies(x, t_x, T, ll):
    assert float(bgnbd.log_likelihood(*BG, x, t_x, T)) == pytest.approx(ll, rel=1e-13)


@pytest.mark.parametrize("maths", [bgnbd, paretonbd])
def test_no_overflow_nan_or_warning_for_frequencies_up_to_fifty_thousand(maths):
    params = BG if maths is bgnbd else PARETO
    x = np.array([0, 1, 10, 100, 500, 1_000, 5_000, 50_000], dtype=float)
    T = np.full(x.shape, 38.86)
    for t_x in (np.where(x > 0, 38.5, 0.0), np.where(x > 0, 1.0, 0.0), np.where(x > 0, 38.86, 0.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow would surface as a RuntimeWarning
            ll = maths.log_likelihood(*params, x, t_x, T)
            alive = maths.probability_alive(*params, x, t_x, T)
            future = maths.expected_purchases(52.0, *params, x, t_x, T)
        assert np.all(np.isfinite(ll))
        assert np.all((alive >= 0) & (alive <= 1))
        assert np.all(np.isfinite(future)) and np.all(future >= 0)
    # Somebody who bought 500 times and just now is expected to keep buying at about their rate.
    recent = maths.expected_purchases(1.0, *params, 500, 38.86, 38.86)
    assert 5 < float(recent) < 20


def test_bgnbd_expected_purchases_at_a_equal_one_is_the_limit():
    r, alpha, _, b = BG
    at_one = bgnbd.expected_purchases(39.0, r, alpha, 1.0, b, 3, 20.0, 38.86)
    around = [bgnbd.expected_purchases(39.0, r, alpha, 1.0 + h, b, 3, 20.0, 38.86) for h in (-1e-3, 1e-3)]
    assert float(at_one) == pytest.approx(float(np.mean(around)), rel=1e-6)


def test_pareto_expected_purchases_at_s_equal_one_is_the_limit():
    r, alpha, _, beta = PARETO
    at_one = paretonbd.expected_purchases(39.0, r, alpha, 1.0, beta, 3, 20.0, 38.86)
    around = [
        paretonbd.expected_purchases(39.0, r, alpha, 1.0 + h, beta, 3, 20.0, 38.86) for h in (-1e-6, 1e-6)
    ]
    assert float(at_one) == pytest.approx(float(np.mean(around)), rel=1e-8)


def test_fits_with_very_heavy_buyers_stay_finite_and_converge():
    x, t_x = simulate_bgnbd(3000, 0.9, 0.5, 0.6, 6.0, 52.0, seed=3)
    x = x.copy()
    t_x = t_x.copy()
    x[:5] = [500, 900, 1500, 3000, 8000]
    t_x[:5] = [51.0, 52.0, 40.0, 51.9, 52.0]
    for model in (BetaGeoModel(), ParetoNBDModel()):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(x, t_x, np.full(x.shape, 52.0))
        assert model.converged_
        assert np.isfinite(model.log_likelihood_)
        assert all(np.isfinite(v) and v > 0 for v in model.params_.values())


def test_bgnbd_expected_purchases_through_the_pole_at_a_plus_b_equal_one():
    # x = 0 and a + b = 1 make the hypergeometric function's c parameter 0: a removable singularity.
    values = [
        float(bgnbd.expected_purchases(10.0, 1.0, 1.0, 0.5, b, 0, 0.0, 1.0))
        for b in (0.5 - 1e-3, 0.5, 0.5 + 1e-3)
    ]
    assert np.isfinite(values[1])
    assert values[1] == pytest.approx(0.5 * (values[0] + values[2]), rel=1e-6)
    assert float(bgnbd.expected_purchases_new_customer(10.0, 1.0, 1.0, 0.5, 0.5)) > 0


def test_a_sample_without_evidence_of_dropout_is_reported_as_not_converged():
    # Everybody bought many times and recently: the likelihood keeps rising as p -> 0 (a -> 0 or
    # b -> infinity), so there is no interior maximum.
    rng = np.random.default_rng(0)
    T = rng.uniform(30, 40, 200)
    x = rng.integers(20, 60, 200)
    model = BetaGeoModel().fit(x, T - rng.uniform(0, 0.05, 200), T)
    assert not model.converged_
    assert all(np.isfinite(v) for v in model.params_.values())
