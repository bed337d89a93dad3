"""Customers simulated from the models' own generative processes (seeded, vectorised).

Used for tests, benchmarks and what-if demonstrations; parameter recovery on these data checks the
estimators end to end.
"""

from __future__ import annotations

import numpy as np

from .data import CLVInputError, as_float_array

__all__ = ["simulate_bgnbd", "simulate_paretonbd", "simulate_spend"]


def _ages(T, size: int) -> np.ndarray:
    ages = as_float_array("T", T, allow_scalar=True)
    if np.any(ages < 0):
        raise CLVInputError("T must not be negative.")
    return np.broadcast_to(ages, (size,)).astype(float)


def _positive(**params) -> None:
    for name, value in params.items():
        if not (np.isfinite(value) and value > 0):
            raise CLVInputError(f"{name} must be a positive number.")


def simulate_bgnbd(size: int, r: float, alpha: float, a: float, b: float, T, *, seed=None):
    r"""Frequency and recency of ``size`` customers observed for ``T`` under the BG/NBD process.

    Each customer draws :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and :math:`p \sim \mathrm{Beta}(a, b)`.
    Without dropout they would make :math:`K \sim \mathrm{Poisson}(\lambda T)` repeat purchases in
    :math:`(0, T]`; they drop out right after purchase :math:`N \sim \mathrm{Geometric}(p)`, so
    :math:`x = \min(K, N)`. Given :math:`K` the purchase times are uniform order statistics on
    :math:`(0, T]`, hence :math:`t_x = T \cdot \mathrm{Beta}(x, K - x + 1)` (0 when :math:`x = 0`).

    Returns
    -------
    (frequency, recency) : tuple of ndarray
    """
    _positive(r=r, alpha=alpha, a=a, b=b)
    rng = np.random.default_rng(seed)
    ages = _ages(T, size)
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=size)
    p = rng.beta(a, b, size=size)
    k = rng.poisson(lam * ages)
    n = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(k, n)
    t_x = np.zeros(size)
    buyers = x > 0
    t_x[buyers] = ages[buyers] * rng.beta(x[buyers], k[buyers] - x[buyers] + 1)
    return x.astype(np.int64), t_x


def simulate_paretonbd(size: int, r: float, alpha: float, s: float, beta: float, T, *, seed=None):
    r"""Frequency and recency under the Pareto/NBD process: :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`,
    lifetime :math:`\tau \sim \mathrm{Exp}(\mu)` with :math:`\mu \sim \mathrm{Gamma}(s, \beta)`; purchases
    :math:`x \sim \mathrm{Poisson}(\lambda \min(\tau, T))`, the last at the maximum of :math:`x` uniforms on
    :math:`(0, \min(\tau, T)]`.
    """
    _positive(r=r, alpha=alpha, s=s, beta=beta)
    rng = np.random.default_rng(seed)
    ages = _ages(T, size)
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=size)
    mu = rng.gamma(shape=s, scale=1.0 / beta, size=size)
    active = np.minimum(rng.exponential(1.0 / mu), ages)
    x = rng.poisson(lam * active)
    t_x = np.zeros(size)
    buyers = x > 0
    t_x[buyers] = active[buyers] * rng.beta(x[buyers], 1.0)
    return x.astype(np.int64), t_x


def simulate_spend(frequency, p: float, q: float, v: float, *, seed=None) -> np.ndarray:
    r"""Mean of each customer's ``frequency`` transaction values under the Gamma-Gamma model.

    :math:`\nu \sim \mathrm{Gamma}(q, v)`; the sum of :math:`x` values :math:`\mathrm{Gamma}(p, \nu)` is
    :math:`\mathrm{Gamma}(px, \nu)`; its mean is returned (0 for customers with no transaction).
    """
    _positive(p=p, q=q, v=v)
    x = as_float_array("frequency", frequency)
    if np.any(x < 0):
        raise CLVInputError("frequency must not be negative.")
    rng = np.random.default_rng(seed)
    nu = rng.gamma(shape=q, scale=1.0 / v, size=x.size)
    mean = np.zeros(x.size)
    buyers = x > 0
    mean[buyers] = rng.gamma(shape=p * x[buyers], scale=1.0 / nu[buyers]) / x[buyers]
    return mean
