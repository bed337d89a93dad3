"""Adstock (carry-over) and saturation (diminishing returns) transforms, vectorised over channels.

Conventions (the same as PyMC-Marketing's defaults, so the two fits are comparable):

* adstock weights are **normalised** to sum to one, so a constant spend ``x`` has a steady-state
  adstocked value of ``x`` and a saturation's half-saturation point reads in spend units;
* geometric: ``w_l ∝ alpha**l`` for ``l = 0 … max_lag - 1`` (``alpha`` is the share carried to the next
  period);
* Weibull (survival / "CDF" form): ``w_l ∝ exp(-(l / scale) ** shape)`` — a shape above one delays the
  decay, below one makes it fast at first and with a long tail;
* Hill: ``x**s / (x**s + K**s)``, ``K`` the half-saturation point, ``s`` the slope (``s > 1`` gives an
  S-curve);
* logistic: ``(1 - exp(-lam * x)) / (1 + exp(-lam * x))``, the PyMC-Marketing logistic saturation.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "adstock",
    "geometric_weights",
    "hill",
    "lag_matrix",
    "logistic",
    "saturate",
    "weibull_weights",
]


def geometric_weights(alpha, max_lag: int) -> np.ndarray:
    """Normalised geometric weights, shape ``(..., max_lag)`` for an array of ``alpha``."""
    alpha = np.asarray(alpha, dtype=float)[..., None]
    w = alpha ** np.arange(max_lag)
    return w / w.sum(axis=-1, keepdims=True)


def weibull_weights(shape, scale, max_lag: int) -> np.ndarray:
    """Normalised Weibull survival weights ``exp(-(l/scale)**shape)``, shape ``(..., max_lag)``."""
    k = np.asarray(shape, dtype=float)[..., None]
    lam = np.asarray(scale, dtype=float)[..., None]
    w = np.exp(-((np.arange(max_lag) / lam) ** k))
    return w / w.sum(axis=-1, keepdims=True)


def lag_matrix(x: np.ndarray, max_lag: int) -> np.ndarray:
    """``x`` of shape ``(T, C)`` → ``(C, T, L)`` with ``out[c, t, l] = x[t - l, c]`` (zero before
    the start)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    t, c = x.shape
    out = np.zeros((c, t, max_lag))
    for lag in range(max_lag):
        out[:, lag:, lag] = x[: t - lag].T if lag else x.T
    return out


def adstock(x: np.ndarray, weights: np.ndarray, lags: np.ndarray | None = None) -> np.ndarray:
    """Apply per-channel adstock weights ``(C, L)`` to spend ``(T, C)``; returns ``(T, C)``."""
    weights = np.atleast_2d(weights)
    if lags is None:
        lags = lag_matrix(x, weights.shape[-1])
    return np.einsum("ctl,cl->tc", lags, weights)


def hill(x, half_saturation, slope) -> np.ndarray:
    """Hill saturation, in [0, 1); computed in log space so large ratios do not overflow."""
    x = np.asarray(x, dtype=float)
    log_ratio = np.log(np.where(x > 0, x, 1.0)) - np.log(np.asarray(half_saturation, dtype=float))
    z = np.asarray(slope, dtype=float) * log_ratio
    out = 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
    return np.where(x > 0, out, 0.0)


def logistic(x, lam) -> np.ndarray:
    """PyMC-Marketing's logistic saturation ``(1 - e^{-lam x}) / (1 + e^{-lam x})`` (= tanh(lam x / 2))."""
    return np.tanh(np.asarray(lam, dtype=float) * np.asarray(x, dtype=float) / 2.0)


def saturate(kind: str, x, half_saturation, slope) -> np.ndarray:
    """Either saturation by name. For ``logistic`` the rate is set so the curve reaches one half at
    ``half_saturation`` (``lam = 2 atanh(1/2) / K``), so both kinds share one parametrisation and ``slope``
    is ignored."""
    if kind == "hill":
        return hill(x, half_saturation, slope)
    if kind == "logistic":
        return logistic(x, 2.0 * np.arctanh(0.5) / np.asarray(half_saturation, dtype=float))
    raise ValueError(f"Unknown saturation {kind!r}: choose hill or logistic.")
