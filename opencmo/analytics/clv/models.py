"""Estimators in scikit-learn style: hyperparameters in ``__init__``, ``fit`` returns ``self``, learned
attributes end with ``_``.

* :class:`BetaGeoModel` — BG/NBD purchase model (Fader, Hardie & Lee 2005).
* :class:`ParetoNBDModel` — Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).
* :class:`GammaGammaModel` — spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

All are fitted by maximum likelihood. Customers with the same summary are grouped with weights
(:mod:`opencmo.analytics.clv.data`); time is rescaled internally so the oldest customer has age 1 (as
``lifetimes`` does), and the optimiser works on log-parameters: BFGS from a fixed start, then a few
Newton steps on a finite-difference Hessian, which both polishes the optimum to machine precision and
gives the observed information for standard errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import ndtri

from . import bgnbd, gammagamma, paretonbd
from .data import (
    CLVInputError,
    GroupedSpend,
    as_float_array,
    check_rfm,
    check_spend,
    group_customers,
    wsum,
)

__all__ = ["BetaGeoModel", "GammaGammaModel", "NotFittedError", "ParetoNBDModel"]

_LOG_BOUND = 30.0  # parameters stay within e^-30 .. e^30 (in the internal time scale)
_MAX_LOG_SE = 5.0  # standard error of a log-parameter beyond which it is not identified


class NotFittedError(ValueError, AttributeError):
    """A prediction was asked of a model that has not been fitted."""


class _Model:
    """Shared fitting machinery; subclasses define the parameters and the likelihood."""

    _param_names: tuple[str, ...] = ()
    _time_params: tuple[str, ...] = ()  # rates per unit of time: divided by the time scale

    def __init__(
        self, *, penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 2000, initial_params=None
    ):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params

    # --- scikit-learn conventions ---

    def get_params(self, deep: bool = True) -> dict:
        return {
            "penalizer": self.penalizer,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "initial_params": self.initial_params,
        }

    def set_params(self, **params) -> _Model:
        for name, value in params.items():
            if name not in self.get_params():
                raise CLVInputError(f"Unknown hyperparameter {name!r} for {type(self).__name__}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v != _DEFAULTS[k])
        fitted = ""
        if hasattr(self, "params_"):
            fitted = " fitted: " + ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__}({shown}){fitted}>"

    def _check_hyperparameters(self) -> None:
        if not (
            isinstance(self.penalizer, int | float) and math.isfinite(self.penalizer) and self.penalizer >= 0
        ):
            raise CLVInputError("penalizer must be a finite number >= 0.")
        if not (isinstance(self.tol, int | float) and 0 < self.tol < 1):
            raise CLVInputError("tol must be between 0 and 1.")
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise CLVInputError("max_iter must be a positive whole number.")

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit() first.")

    # --- optimisation on log-parameters ---

    def _start(self, scale: float) -> np.ndarray:
        if self.initial_params is None:
            return np.zeros(len(self._param_names))
        start = as_float_array("initial_params", self.initial_params)
        if start.shape != (len(self._param_names),) or np.any(start <= 0):
            raise CLVInputError(f"initial_params must be {len(self._param_names)} positive numbers.")
        theta = np.log(start)
        for i, name in enumerate(self._param_names):
            if name in self._time_params:
                theta[i] += math.log(scale)
        return np.clip(theta, -_LOG_BOUND + 1, _LOG_BOUND - 1)

    def _minimise(self, value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], theta0: np.ndarray):
        """BFGS, then Newton polishing; returns (theta, hessian of ``value`` at theta, info).

        BFGS rather than L-BFGS-B: the latter's compiled core calls BLAS for every iteration and, with
        a threaded OpenBLAS on small vectors, spends milliseconds per call waking threads. Bounds are
        enforced by the objective itself (it answers a huge value outside ``|theta| <= 30``), which
        makes the line search step back.
        """

        def guarded(theta):
            if np.any(np.abs(theta) > _LOG_BOUND):
                return 1e300, np.zeros_like(theta)
            return value_and_grad(theta)

        starts = [theta0, theta0 + 1.0, theta0 - 1.0]
        best = None
        for start in starts:
            with warnings.catch_warnings():
                # The line search may probe the guarded region; its interpolation then warns.
                warnings.simplefilter("ignore", category=RuntimeWarning)
                result = minimize(
                    guarded,
                    start,
                    jac=True,
                    method="BFGS",
                    options={"maxiter": self.max_iter, "gtol": self.tol},
                )
            if best is None or (np.isfinite(result.fun) and result.fun < best.fun):
                best = result
            if np.isfinite(result.fun) and result.fun < 1e299 and np.max(np.abs(result.jac)) < 1e-6:
                break
        theta = np.clip(best.x, -_LOG_BOUND, _LOG_BOUND)
        f, g = value_and_grad(theta)
        n_iter = int(best.nit)
        hessian = _hessian(value_and_grad, theta)
        # Newton polishing with that Hessian: near the optimum one or two steps reach machine precision.
        for _ in range(8):
            if np.max(np.abs(g)) < 1e-12:
                break
            try:
                step = np.linalg.solve(hessian, g)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            candidate = np.clip(theta - step, -_LOG_BOUND, _LOG_BOUND)
            f_new, g_new = value_and_grad(candidate)
            if not (np.isfinite(f_new) and f_new <= f + 1e-14 * abs(f)):
                break
            improved = np.max(np.abs(g_new)) < np.max(np.abs(g))
            theta, f, g = candidate, f_new, g_new
            n_iter += 1
            if not improved:
                break
        # At the edge of the box the likelihood has no interior maximum (e.g. nobody seems to drop out):
        # report it as not converged rather than pretend e^30 is an estimate.
        inside = bool(np.all(np.abs(theta) < _LOG_BOUND - 1e-6))
        converged = bool(np.isfinite(f) and inside and np.max(np.abs(g)) < max(1e-6, 10 * self.tol))
        return theta, hessian, {"converged": converged, "n_iter": n_iter, "gradient": g}

    def _store(
        self, theta: np.ndarray, hessian_mean: np.ndarray, total_weight: float, scale: float, info
    ) -> None:
        """Learned attributes in natural units; covariance from the observed information."""
        log_params = theta.copy()
        for i, name in enumerate(self._param_names):
            if name in self._time_params:
                log_params[i] -= math.log(scale)
        values = np.exp(log_params)
        self.params_ = {name: float(v) for name, v in zip(self._param_names, values, strict=True)}
        for name, v in self.params_.items():
            setattr(self, f"{name}_", v)
        self.n_iter_ = info["n_iter"]
        # The Hessian of the mean objective in log-parameters; the time rescaling is a shift in
        # log-parameters, so it carries over unchanged. Penalised fits report the penalised curvature.
        information = hessian_mean * total_weight
        try:
            cov_log = np.linalg.inv(information)
            if not np.all(np.isfinite(cov_log)) or np.any(np.diag(cov_log) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            cov_log = np.full(information.shape, np.nan)
        # A maximum in a flat direction (the likelihood still rising towards the edge of the parameter
        # space) has a singular information matrix: that is no interior optimum, so not converged. How
        # near singular it looks when the optimiser stops there depends on rounding (CPU kernels), so a
        # parameter the data leave free by a factor of e^5 either way at one standard error counts too.
        if not np.all(np.diag(cov_log) < _MAX_LOG_SE**2):  # NaN (singular) compares False too
            cov_log = np.full(information.shape, np.nan)  # no standard errors for a free parameter
        self.converged_ = bool(info["converged"] and np.all(np.isfinite(cov_log)))
        self.log_params_covariance_ = cov_log
        self.covariance_ = cov_log * np.outer(values, values)
        self.standard_errors_ = {
            name: float(math.sqrt(self.covariance_[i, i])) if self.covariance_[i, i] >= 0 else float("nan")
            for i, name in enumerate(self._param_names)
        }

    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        r"""Wald intervals on the log scale (so they stay positive): :math:`\exp(\ln\hat\theta \pm z\,se)`."""
        self._check_fitted()
        if not 0 < level < 1:
            raise CLVInputError("level must be between 0 and 1.")
        z = float(ndtri(0.5 + level / 2))
        out = {}
        for i, name in enumerate(self._param_names):
            se = (
                math.sqrt(self.log_params_covariance_[i, i])
                if self.log_params_covariance_[i, i] >= 0
                else math.nan
            )
            estimate = self.params_[name]
            out[name] = (estimate * math.exp(-z * se), estimate * math.exp(z * se))
        return out

    def summary(self) -> list[dict]:
        """One row per parameter: estimate, standard error and 95% interval."""
        self._check_fitted()
        intervals = self.confidence_intervals(0.95)
        return [
            {
                "parameter": name,
                "estimate": self.params_[name],
                "std_error": self.standard_errors_[name],
                "lower_95": intervals[name][0],
                "upper_95": intervals[name][1],
            }
            for name in self._param_names
        ]


_DEFAULTS = {"penalizer": 0.0, "tol": 1e-10, "max_iter": 2000, "initial_params": None}


def _hessian(value_and_grad, theta: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Symmetric central-difference Jacobian of the gradient."""
    n = theta.size
    h = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = step
        h[:, i] = (value_and_grad(theta + e)[1] - value_and_grad(theta - e)[1]) / (2 * step)
    return 0.5 * (h + h.T)


class _PurchaseModel(_Model):
    """BG/NBD and Pareto/NBD share inputs, grouping and the prediction interface."""

    _maths = None  # module with log_likelihood, probability_alive, expected_purchases, ...

    def fit(self, frequency, recency, T, weights=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : array_like of int
            Number of repeat purchases :math:`x` (purchases after the first; same-day purchases count
            once when the summary comes from :func:`~opencmo.analytics.clv.rfm.rfm_summary`).
        recency : array_like
            :math:`t_x`, time from the first to the last purchase (0 when ``frequency`` is 0).
        T : array_like
            Time from the first purchase to the end of the calibration period, in the same unit.
        weights : array_like, optional
            Number of customers each row stands for (1 by default); rows with equal
            ``(frequency, recency, T)`` are grouped automatically anyway.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        x, t_x, age, w = check_rfm(frequency, recency, T, weights)
        data = group_customers(x, t_x, age, w)
        scale = 1.0 / float(age.max())
        scaled = data.scaled(scale)
        total = data.n_customers
        theta, hessian, info = self._minimise(self._objective(scaled, total), self._start(scale))
        self._store(theta, hessian, total, scale, info)
        self.n_customers_ = total
        self.n_groups_ = data.n_groups
        params = tuple(self.params_.values())
        self.log_likelihood_ = float(-self._grouped_nll(params, data))
        return self

    def _objective(self, data, total):
        raise NotImplementedError

    def _grouped_nll(self, params, data) -> float:
        raise NotImplementedError

    def _penalty(self, theta):
        p = np.exp(theta)
        return self.penalizer * float(p @ p), 2.0 * self.penalizer * p * p

    def _predict_inputs(self, frequency, recency, T):
        self._check_fitted()
        return check_rfm(frequency, recency, T, for_fit=False)[:3]

    def _out(self, value, *inputs):
        return float(value) if all(np.ndim(v) == 0 for v in inputs) else np.asarray(value)

    def log_likelihood(self, frequency, recency, T):
        """Log-likelihood of each customer under the fitted parameters."""
        x, t_x, age = self._predict_inputs(frequency, recency, T)
        return self._out(self._maths.log_likelihood(*self.params_.values(), x, t_x, age), x, t_x, age)

    def score(self, frequency, recency, T, weights=None) -> float:
        """Mean log-likelihood per customer (weighted), higher is better."""
        x, t_x, age = self._predict_inputs(frequency, recency, T)
        ll = np.atleast_1d(self._maths.log_likelihood(*self.params_.values(), x, t_x, age))
        w = np.ones(ll.shape) if weights is None else as_float_array("weights", weights)
        return wsum(w, ll) / float(w.sum())

    def probability_alive(self, frequency, recency, T):
        """Probability each customer is still active at the end of their observation ``T``."""
        x, t_x, age = self._predict_inputs(frequency, recency, T)
        return self._out(self._maths.probability_alive(*self.params_.values(), x, t_x, age), x, t_x, age)

    def expected_purchases(self, t, frequency, recency, T):
        """Expected number of purchases in the next ``t`` time units (after ``T``)."""
        x, t_x, age = self._predict_inputs(frequency, recency, T)
        t = _horizon(t)
        return self._out(
            self._maths.expected_purchases(t, *self.params_.values(), x, t_x, age), t, x, t_x, age
        )

    def expected_purchases_new_customer(self, t):
        """Expected number of repeat purchases in the first ``t`` time units of a new customer."""
        self._check_fitted()
        t = _horizon(t)
        return self._out(self._maths.expected_purchases_new_customer(t, *self.params_.values()), t)


def _horizon(t):
    t = as_float_array("t", t, allow_scalar=True)
    if np.any(t < 0):
        raise CLVInputError("The horizon t must not be negative.")
    return t


class BetaGeoModel(_PurchaseModel):
    r"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty :math:`c\sum_j\theta_j^2` added to the mean negative log-likelihood, with the
        parameters in the internal time scale (oldest customer has age 1) — the same convention as
        ``lifetimes.BetaGeoFitter(penalizer_coef=c)``; 0.001-0.1 tames small data sets.
    tol : float, default 1e-10
        Gradient tolerance of the optimiser (on the mean log-likelihood).
    max_iter : int, default 2000
        Iteration limit of the optimiser.
    initial_params : sequence of 4 floats, optional
        Starting ``(r, alpha, a, b)`` in the data's time unit.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}``: :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`,
        :math:`p \sim \mathrm{Beta}(a, b)`.
    r_, alpha_, a_, b_ : float
        The same, one attribute each.
    log_likelihood_ : float
        Maximised (unpenalised) total log-likelihood.
    standard_errors_ : dict
        From the observed information.
    covariance_ : ndarray
        Asymptotic covariance of the estimates.
    n_customers_, n_groups_, converged_, n_iter_

    Examples
    --------
    >>> model = BetaGeoModel().fit(frequency, recency, T)            # doctest: +SKIP
    >>> model.expected_purchases(52, frequency, recency, T)          # doctest: +SKIP
    """

    _param_names = ("r", "alpha", "a", "b")
    _time_params = ("alpha",)
    _maths = bgnbd

    def _objective(self, data, total):
        def value_and_grad(theta):
            params = np.exp(theta)
            with np.errstate(all="ignore"):
                nll, grad = bgnbd.grouped_neg_log_likelihood(params, data)
            pen, pen_grad = self._penalty(theta)
            f = nll / total + pen
            if not np.isfinite(f):
                return 1e300, np.zeros_like(theta)
            return f, grad * params / total + pen_grad

        return value_and_grad

    def _grouped_nll(self, params, data) -> float:
        return bgnbd.grouped_neg_log_likelihood(params, data)[0]


class ParetoNBDModel(_PurchaseModel):
    r"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

    Same hyperparameters as :class:`BetaGeoModel`. The likelihood uses the two-positive-term form
    (Fader & Hardie 2005, eqs. 22-23) with hypergeometric terms in log space, so customers with
    hundreds or thousands of purchases neither overflow nor lose precision. The gradient is analytic
    except for the hypergeometric pair terms, which are differenced centrally once per distinct
    ``(x, t_x)`` / ``(x, T)`` pair.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "s", "beta"}``: :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`,
        :math:`\mu \sim \mathrm{Gamma}(s, \beta)`.
    r_, alpha_, s_, beta_, log_likelihood_, standard_errors_, covariance_, n_customers_, n_groups_,
    converged_, n_iter_
    """

    _param_names = ("r", "alpha", "s", "beta")
    _time_params = ("alpha", "beta")
    _maths = paretonbd

    def _objective(self, data, total):
        def value_and_grad(theta):
            with np.errstate(all="ignore"):
                nll, grad = paretonbd.grouped_neg_log_likelihood_log_params(theta, data)
            pen, pen_grad = self._penalty(theta)
            f = nll / total + pen
            if not (np.isfinite(f) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros_like(theta)
            return f, grad / total + pen_grad

        return value_and_grad

    def _grouped_nll(self, params, data) -> float:
        return paretonbd.grouped_neg_log_likelihood(params, data)


class GammaGammaModel(_Model):
    r"""Gamma-Gamma model of the value of a customer's transactions.

    Fitted on repeat customers only (``frequency > 0``) with their mean repeat-transaction value.
    Assumes spend is independent of purchase frequency; check it (the correlation between frequency
    and mean spend should be near 0) before using the two together for CLV.

    Parameters
    ----------
    penalizer, tol, max_iter : as for :class:`BetaGeoModel` (no time scaling is involved).
    initial_params : sequence of 3 floats, optional
        Starting ``(p, q, v)``.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "v"}``: transaction values :math:`\sim \mathrm{Gamma}(p, \nu)`,
        :math:`\nu \sim \mathrm{Gamma}(q, v)`.
    p_, q_, v_, log_likelihood_, standard_errors_, covariance_, n_customers_, converged_, n_iter_
    """

    _param_names = ("p", "q", "v")
    _time_params = ()

    def fit(self, frequency, monetary_value, weights=None):
        """Fit by maximum likelihood on repeat customers.

        Parameters
        ----------
        frequency : array_like of int
            Number of repeat transactions, all > 0.
        monetary_value : array_like
            Mean value of those repeat transactions, all > 0.
        weights : array_like, optional
            Number of customers each row stands for.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        x, m, w = check_spend(frequency, monetary_value, weights)
        # Work in units of the mean spend: v scales with the currency unit, p and q do not.
        unit = wsum(w, m) / float(w.sum())
        data = GroupedSpend.build(x, m / unit, w)
        total = float(w.sum())

        def value_and_grad(theta):
            params = np.exp(theta)
            with np.errstate(all="ignore"):
                nll, grad = gammagamma.grouped_neg_log_likelihood(params, data)
            pen = self.penalizer * float(params @ params)
            f = nll / total + pen
            if not np.isfinite(f):
                return 1e300, np.zeros_like(theta)
            return f, grad * params / total + 2.0 * self.penalizer * params * params

        start = self._start(1.0)
        if self.initial_params is not None:
            start[2] -= math.log(unit)
        theta, hessian, info = self._minimise(value_and_grad, start)
        theta = theta.copy()
        theta[2] += math.log(unit)  # back to currency units
        self._store(theta, hessian, total, 1.0, info)
        self.n_customers_ = total
        self.log_likelihood_ = float(wsum(w, gammagamma.log_likelihood(self.p_, self.q_, self.v_, x, m)))
        return self

    def log_likelihood(self, frequency, monetary_value):
        """Log-density of each customer's mean spend under the fitted parameters."""
        self._check_fitted()
        x, m, _ = check_spend(frequency, monetary_value, for_fit=False)
        value = gammagamma.log_likelihood(self.p_, self.q_, self.v_, x, m)
        return float(value) if np.ndim(value) == 0 else value

    def expected_average_spend(self, frequency, monetary_value):
        """Expected value per future transaction for each customer (population mean when frequency is 0)."""
        self._check_fitted()
        x, m, _ = check_spend(frequency, monetary_value, for_fit=False)
        value = gammagamma.expected_average_spend(self.p_, self.q_, self.v_, x, m)
        return float(value) if np.ndim(value) == 0 else np.asarray(value)

    def population_mean_spend(self) -> float:
        """Mean transaction value across customers, :math:`pv/(q-1)`."""
        self._check_fitted()
        return gammagamma.population_mean_spend(self.p_, self.q_, self.v_)
