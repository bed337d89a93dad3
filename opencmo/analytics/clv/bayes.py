"""Optional Bayesian fits of BG/NBD, Pareto/NBD and Gamma-Gamma through PyMC-Marketing.

The maximum-likelihood models (:mod:`.models`) give estimates with standard errors in about a second
for a million customers. When the posterior itself is wanted — credible intervals that need no normal
approximation, and the sampler's own convergence checks — these functions fit the same models with
PyMC-Marketing's priors and PyMC's NUTS sampler and report each parameter's posterior mean, standard
deviation and interval plus r-hat, effective sample size and divergences.

PyMC-Marketing is an optional extra (``pip install -e ".[bayes]"``, in its own environment: through
numba it needs an older NumPy than OpenCMO pins). :func:`available` checks for it without importing it;
without it the fits raise :class:`BayesUnavailable` saying how to install it. Inputs are checked like
the maximum-likelihood fits' (:func:`.data.check_rfm`, :func:`.data.check_spend`). Sampling takes tens
of seconds for a few thousand customers (docs/clv.md has measurements); it samples one row per customer,
so subsample large bases first.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field

import numpy as np

from .data import CLVInputError, check_rfm, check_spend

__all__ = ["BayesFit", "BayesUnavailable", "available", "fit_bgnbd", "fit_gammagamma", "fit_paretonbd"]

INSTALL = 'PyMC-Marketing is not installed; install the optional extra: pip install -e ".[bayes]"'


class BayesUnavailable(RuntimeError):
    """PyMC-Marketing is missing or cannot be loaded here."""


def available() -> bool:
    """Whether PyMC-Marketing is installed (cheap: does not import it)."""
    return importlib.util.find_spec("pymc_marketing") is not None


@dataclass(frozen=True)
class BayesFit:
    """A posterior summary: for each parameter its mean, sd and the ``interval`` credible interval."""

    model: str
    params: dict[str, dict[str, float]]
    interval: float
    rhat_max: float
    ess_min: float
    divergences: int
    draws: int
    chains: int
    seconds: float
    n_customers: int
    notes: list[str] = field(default_factory=list)

    @property
    def means(self) -> dict[str, float]:
        return {name: p["mean"] for name, p in self.params.items()}

    def summary(self) -> list[dict]:
        return [{"parameter": name, **values} for name, values in self.params.items()]


def _clv_module():
    if not available():
        raise BayesUnavailable(INSTALL)
    try:
        import pandas as pd
        from pymc_marketing import clv
    except Exception as error:  # ImportError, or numba refusing this NumPy
        raise BayesUnavailable(
            f"PyMC-Marketing could not be loaded ({type(error).__name__}: {error}); it needs its own "
            'environment: pip install -e ".[bayes]"'
        ) from None
    return pd, clv


def _sampler(draws: int, tune: int, chains: int, seed: int) -> dict:
    for name, value, low in (("draws", draws, 50), ("tune", tune, 50), ("chains", chains, 1)):
        if not isinstance(value, int) or value < low:
            raise CLVInputError(f"{name} must be a whole number of at least {low}.")
    # One core: the app server has two, and chains in separate processes would compete with requests.
    return {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "cores": 1,
        "random_seed": seed,
        "progressbar": False,
    }


def _summarise(model, name: str, names: list[str], interval: float, started: float, n: int, sampler: dict):
    posterior = model.idata.posterior
    tail = (1 - interval) / 2
    params, notes = {}, []
    for parameter in names:
        values = np.asarray(posterior[parameter]).reshape(sampler["chains"], -1)
        flat = values.ravel()
        params[parameter] = {
            "mean": float(flat.mean()),
            "sd": float(flat.std(ddof=1)),
            "low": float(np.quantile(flat, tail)),
            "high": float(np.quantile(flat, 1 - tail)),
        }
    from opencmo.analytics.mmm.diagnostics import ess, split_rhat

    draws = {p: np.asarray(posterior[p]).reshape(sampler["chains"], -1) for p in names}
    rhat = max(float(split_rhat(d)) for d in draws.values()) if sampler["chains"] > 1 else float("nan")
    effective = min(float(ess(d)) for d in draws.values())
    stats = model.idata.sample_stats
    divergences = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    if sampler["chains"] > 1 and rhat > 1.01:
        notes.append(f"r-hat {rhat:.3f} is above 1.01: the chains disagree; sample longer.")
    if divergences:
        notes.append(f"{divergences} divergent transitions: treat the intervals with care.")
    return BayesFit(
        model=name,
        params=params,
        interval=interval,
        rhat_max=rhat,
        ess_min=effective,
        divergences=divergences,
        draws=sampler["draws"],
        chains=sampler["chains"],
        seconds=round(time.monotonic() - started, 2),
        n_customers=n,
        notes=notes,
    )


def _fit_purchases(kind: str, frequency, recency, T, draws, tune, chains, seed, interval) -> BayesFit:
    x, t_x, age, _ = check_rfm(frequency, recency, T)
    pd, clv = _clv_module()
    sampler = _sampler(draws, tune, chains, seed)
    data = pd.DataFrame({"customer_id": np.arange(len(x)), "frequency": x, "recency": t_x, "T": age})
    model_class, names = {
        "bgnbd": (clv.BetaGeoModel, ["r", "alpha", "a", "b"]),
        "paretonbd": (clv.ParetoNBDModel, ["r", "alpha", "s", "beta"]),
    }[kind]
    started = time.monotonic()
    model = model_class(sampler_config=sampler)
    model.fit(data=data, method="mcmc")
    return _summarise(model, kind, names, interval, started, len(x), sampler)


def fit_bgnbd(
    frequency, recency, T, *, draws: int = 500, tune: int = 500, chains: int = 2, seed: int = 0, interval=0.94
) -> BayesFit:
    """BG/NBD posterior of ``r, alpha, a, b`` (inputs as :meth:`.models.BetaGeoModel.fit`)."""
    return _fit_purchases("bgnbd", frequency, recency, T, draws, tune, chains, seed, interval)


def fit_paretonbd(
    frequency, recency, T, *, draws: int = 500, tune: int = 500, chains: int = 2, seed: int = 0, interval=0.94
) -> BayesFit:
    """Pareto/NBD posterior of ``r, alpha, s, beta`` (inputs as :meth:`.models.ParetoNBDModel.fit`)."""
    return _fit_purchases("paretonbd", frequency, recency, T, draws, tune, chains, seed, interval)


def fit_gammagamma(
    frequency,
    monetary_value,
    *,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    interval=0.94,
) -> BayesFit:
    """Gamma-Gamma posterior of ``p, q, v`` from repeat customers' frequency and average order value."""
    x, m, _ = check_spend(frequency, monetary_value)
    pd, clv = _clv_module()
    sampler = _sampler(draws, tune, chains, seed)
    data = pd.DataFrame({"customer_id": np.arange(len(x)), "frequency": x, "monetary_value": m})
    started = time.monotonic()
    model = clv.GammaGammaModel(sampler_config=sampler)
    model.fit(data=data, method="mcmc")
    return _summarise(model, "gammagamma", ["p", "q", "v"], interval, started, len(x), sampler)
