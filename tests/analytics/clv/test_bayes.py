"""The optional Bayesian CLV fits (PyMC-Marketing).

In OpenCMO's own environment PyMC-Marketing is absent (it needs an older NumPy), so there the fits must
refuse with the way to install it, and the sampling tests skip. In an environment with the `bayes` extra
they run, e.g.::

    PYTHONPATH=. /path/to/bayes-venv/bin/pytest -p no:django -p no:cacheprovider -W ignore \
        --confcutdir=tests/analytics/clv tests/analytics/clv/test_bayes.py

The posterior means must land near Fader, Hardie & Lee's published maximum-likelihood estimates on the
CDNOW sample (the priors are weak next to 2,357 customers).
"""

import numpy as np
import pytest

from opencmo.analytics.clv import bayes
from opencmo.analytics.clv.data import CLVInputError

needs_pymc = pytest.mark.skipif(
    not bayes.available(), reason='needs the bayes extra: pip install -e ".[bayes]"'
)


@pytest.mark.skipif(bayes.available(), reason="PyMC-Marketing is installed here")
def test_without_pymc_marketing_the_fit_says_how_to_install_it(cdnow):
    with pytest.raises(bayes.BayesUnavailable, match=r"pip install -e \".\[bayes\]\""):
        bayes.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_bad_input_is_refused_before_any_sampling():
    with pytest.raises(CLVInputError):
        bayes.fit_bgnbd([1, 2], [3.0, 1.0], [2.0, 5.0])  # recency after T
    with pytest.raises(CLVInputError):
        bayes.fit_gammagamma([0, 2], [10.0, 20.0])  # a customer without repeat purchases


@needs_pymc
def test_bgnbd_posterior_is_near_the_published_estimates(cdnow):
    fit = bayes.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"], draws=300, tune=300, seed=1)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit.means[name] == pytest.approx(value, rel=0.1), name
        assert fit.params[name]["low"] < value < fit.params[name]["high"], name
    assert fit.rhat_max < 1.05 and fit.ess_min > 100 and fit.n_customers == 2357


@needs_pymc
def test_gammagamma_posterior_gives_the_published_mean_spend(cdnow_spend):
    repeat = cdnow_spend["x"] > 0
    fit = bayes.fit_gammagamma(
        cdnow_spend["x"][repeat], cdnow_spend["zbar"][repeat], draws=300, tune=300, seed=1
    )
    p, q, v = (fit.means[k] for k in ("p", "q", "v"))
    # p and v trade off against each other; their identified combination, the population mean spend
    # p*v/(q-1), matches the MLE's (6.25 * 15.44 / 2.74 = 35.2 dollars).
    assert p * v / (q - 1) == pytest.approx(6.25 * 15.44 / 2.74, rel=0.1)
    assert q == pytest.approx(3.74, rel=0.15)
    assert np.isfinite(fit.rhat_max)
