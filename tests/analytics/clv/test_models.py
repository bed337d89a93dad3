"""Estimator behaviour: grouping with weights, parameter recovery on simulated customers, uncertainty,
scikit-learn conventions."""

import numpy as np
import pytest

from opencmo.analytics.clv import (
    BetaGeoModel,
    CLVInputError,
    GammaGammaModel,
    NotFittedError,
    ParetoNBDModel,
    bgnbd,
    group_customers,
    simulate_bgnbd,
    simulate_paretonbd,
    simulate_spend,
)

from .conftest import quietly

TRUE_BG = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 3.0}
TRUE_PARETO = {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 12.0}
TRUE_GG = {"p": 5.0, "q": 4.0, "v": 20.0}


def _weekly_cohorts(size, seed):
    """Customers acquired over 12 weeks, observed to week 40, purchases recorded by the day."""
    rng = np.random.default_rng(seed)
    return (40.0 - rng.integers(0, 84, size) / 7.0).round(6)


@pytest.fixture(scope="module")
def bg_sample():
    T = _weekly_cohorts(60_000, 1)
    x, t_x = simulate_bgnbd(T.size, **TRUE_BG, T=T, seed=2)
    return x, np.floor(t_x * 7) / 7, T


@pytest.mark.parametrize("model_class", [BetaGeoModel, ParetoNBDModel])
def test_grouped_fit_equals_the_customer_by_customer_fit(model_class, cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    groups = group_customers(x, t_x, T)
    assert groups.n_groups < x.size
    plain = model_class().fit(x, t_x, T)
    weighted = model_class().fit(groups.x, groups.t, groups.T, weights=groups.weights)
    assert weighted.params_ == pytest.approx(plain.params_, rel=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-12)
    assert weighted.n_customers_ == plain.n_customers_ == x.size
    assert weighted.n_groups_ == plain.n_groups_ == groups.n_groups


def test_integer_weights_mean_repeated_customers(bg_sample):
    x, t_x, T = (v[:3000] for v in bg_sample)
    weights = np.random.default_rng(5).integers(1, 4, x.size)
    repeated = BetaGeoModel().fit(np.repeat(x, weights), np.repeat(t_x, weights), np.repeat(T, weights))
    weighted = BetaGeoModel().fit(x, t_x, T, weights=weights)
    assert weighted.params_ == pytest.approx(repeated.params_, rel=1e-7)
    assert weighted.standard_errors_ == pytest.approx(repeated.standard_errors_, rel=1e-5)


def test_grouping_maps_every_customer_to_its_group(bg_sample):
    x, t_x, T = bg_sample
    groups = group_customers(x, t_x, T)
    np.testing.assert_array_equal(groups.x[groups.inverse], x)
    np.testing.assert_array_equal(groups.t[groups.inverse], t_x)
    np.testing.assert_array_equal(groups.T[groups.inverse], T)
    assert groups.weights.sum() == x.size
    np.testing.assert_array_equal(groups.xt_x[groups.xt_index], groups.x)
    np.testing.assert_array_equal(groups.xT_T[groups.xT_index], groups.T)


def test_bgnbd_recovers_the_parameters_it_was_simulated_from(bg_sample):
    model = BetaGeoModel().fit(*bg_sample)
    assert model.converged_
    for name, truth in TRUE_BG.items():
        estimate, se = model.params_[name], model.standard_errors_[name]
        assert abs(estimate - truth) < 4 * se + 0.02 * truth, (name, estimate, truth, se)
        low, high = model.confidence_intervals(0.999)[name]
        assert low < estimate < high


def test_pareto_nbd_recovers_the_parameters_it_was_simulated_from():
    T = _weekly_cohorts(40_000, 3)
    x, t_x = simulate_paretonbd(T.size, **TRUE_PARETO, T=T, seed=4)
    model = ParetoNBDModel().fit(x, np.floor(t_x * 7) / 7, T)
    assert model.converged_
    for name, truth in TRUE_PARETO.items():
        estimate, se = model.params_[name], model.standard_errors_[name]
        assert abs(estimate - truth) < 4 * se + 0.02 * truth, (name, estimate, truth, se)


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_from():
    rng = np.random.default_rng(6)
    x = rng.integers(1, 12, 20_000)
    spend = simulate_spend(x, **TRUE_GG, seed=7)
    model = GammaGammaModel().fit(x, spend)
    for name, truth in TRUE_GG.items():
        assert abs(model.params_[name] - truth) < 4 * model.standard_errors_[name], name
    # Expected spend shrinks a customer's own mean towards the population mean, more so with few purchases.
    population = model.population_mean_spend()
    assert population == pytest.approx(TRUE_GG["p"] * TRUE_GG["v"] / (TRUE_GG["q"] - 1), rel=0.05)
    one, many = model.expected_average_spend([1, 50], [2 * population, 2 * population])
    assert population < one < many < 2 * population
    assert model.expected_average_spend(0, 0) == pytest.approx(population)


def test_standard_errors_are_the_inverse_observed_information(cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    model = BetaGeoModel().fit(x, t_x, T)
    theta = np.array(list(model.params_.values()))

    def total(p):
        return bgnbd.log_likelihood(*p, x, t_x, T).sum()

    h = np.empty((4, 4))
    steps = theta * 1e-4
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * steps[i], np.eye(4)[j] * steps[j]
            h[i, j] = (
                total(theta + ei + ej)
                - total(theta + ei - ej)
                - total(theta - ei + ej)
                + total(theta - ei - ej)
            ) / (4 * steps[i] * steps[j])
    expected = np.sqrt(np.diag(np.linalg.inv(-h)))
    assert list(model.standard_errors_.values()) == pytest.approx(expected, rel=1e-3)
    rows = model.summary()
    assert [row["parameter"] for row in rows] == ["r", "alpha", "a", "b"]
    assert all(row["lower_95"] < row["estimate"] < row["upper_95"] for row in rows)


def test_penalizer_follows_the_lifetimes_convention(lifetimes, cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    theirs = quietly(lifetimes.BetaGeoFitter(penalizer_coef=0.1).fit, x, t_x, T)
    ours = BetaGeoModel(penalizer=0.1).fit(x, t_x, T)
    assert ours.params_ == pytest.approx({k: float(v) for k, v in theirs.params_.items()}, rel=1e-4)
    unpenalised = BetaGeoModel().fit(x, t_x, T)
    assert ours.log_likelihood_ < unpenalised.log_likelihood_


def test_initial_params_do_not_change_the_optimum(cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    default = BetaGeoModel().fit(x, t_x, T)
    started = BetaGeoModel(initial_params=[2.0, 1.0, 3.0, 0.5]).fit(x, t_x, T)
    assert started.params_ == pytest.approx(default.params_, rel=1e-6)
    x_spend = np.random.default_rng(8).integers(1, 8, 400)
    m_spend = simulate_spend(x_spend, **TRUE_GG, seed=9)
    spend_default = GammaGammaModel().fit(x_spend, m_spend)
    spend_started = GammaGammaModel(initial_params=[1.0, 2.0, 100.0]).fit(x_spend, m_spend)
    assert spend_default.converged_ and spend_started.converged_
    assert spend_started.params_ == pytest.approx(spend_default.params_, rel=1e-6)


def test_spend_fit_without_an_interior_maximum_is_not_converged():
    # A degenerate sample: the likelihood keeps rising as p runs to infinity (and v to zero).
    model = GammaGammaModel().fit([1, 2, 3, 4, 5, 2, 7], [9, 12, 30, 8, 15, 11, 20])
    assert not model.converged_
    assert all(np.isnan(v) for v in model.standard_errors_.values())


@pytest.mark.parametrize("model_class", [BetaGeoModel, ParetoNBDModel, GammaGammaModel])
def test_scikit_learn_conventions(model_class):
    model = model_class(penalizer=0.01)
    assert model.get_params()["penalizer"] == 0.01
    assert model.set_params(tol=1e-8) is model and model.tol == 1e-8
    assert "penalizer=0.01" in repr(model)
    with pytest.raises(CLVInputError):
        model.set_params(learning_rate=1)
    assert not hasattr(model, "params_")
    with pytest.raises(NotFittedError):
        model.summary()


def test_predictions_need_a_fitted_model_and_keep_scalars_scalar(cdnow):
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive(1, 2, 3)
    with pytest.raises(NotFittedError):
        GammaGammaModel().expected_average_spend(1, 2)
    model = BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert isinstance(model.probability_alive(2, 30.43, 38.86), float)
    assert isinstance(model.expected_purchases(10, 2, 30.43, 38.86), float)
    assert model.expected_purchases([10, 20], [2, 2], [30.43, 30.43], [38.86, 38.86]).shape == (2,)
    assert model.expected_purchases(0, 2, 30.43, 38.86) == 0
    assert model.score(cdnow["frequency"], cdnow["recency"], cdnow["T"]) == pytest.approx(
        model.log_likelihood_ / 2357
    )
    horizons = np.array([1.0, 10.0, 100.0])
    new = model.expected_purchases_new_customer(horizons)
    assert np.all(np.diff(new) > 0) and new[0] > 0


def test_probability_alive_behaves_as_the_model_says(cdnow):
    model = BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    # Without repeat purchases the BG/NBD customer cannot have dropped out yet.
    assert model.probability_alive(0, 0, 38.86) == 1.0
    # The longer since the last purchase, the less likely still active; more purchases sharpen that.
    recent, stale = model.probability_alive([5, 5], [38.0, 10.0], [38.86, 38.86])
    assert recent > stale
    assert model.probability_alive(20, 10.0, 38.86) < stale
