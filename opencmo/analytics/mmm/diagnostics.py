"""MCMC diagnostics on ``(chains, draws)`` arrays: split r-hat and effective sample size.

Split r-hat as in Gelman et al. (BDA3, §11.4); effective sample size from the chains' pooled
autocorrelation with Geyer's initial monotone positive sequence (the estimator Stan and ArviZ use for
bulk ESS, without the rank normalisation).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ess", "split_rhat"]


def split_rhat(x: np.ndarray) -> float:
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[1] // 2
    if n < 2:
        return float("nan")
    halves = np.concatenate([x[:, :n], x[:, -n:]], axis=0)
    means = halves.mean(axis=1)
    within = halves.var(axis=1, ddof=1).mean()
    between = n * means.var(ddof=1)
    if within <= 0:
        return 1.0
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def ess(x: np.ndarray) -> float:
    x = np.atleast_2d(np.asarray(x, dtype=float))
    m, n = x.shape
    if n < 4:
        return float(m * n)
    centred = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(centred, n=2 * n, axis=1)
    acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :n] / n
    chain_var = acov[:, 0] * n / (n - 1)
    within = chain_var.mean()
    var_plus = within * (n - 1) / n + (x.mean(axis=1).var(ddof=1) if m > 1 else 0.0)
    if var_plus <= 0:
        return float(m * n)
    rho = 1 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs while positive, enforcing monotone decrease
    pairs = rho[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
    total, last = 0.0, np.inf
    for p in pairs:
        if p <= 0:
            break
        p = min(p, last)
        total += p
        last = p
    tau = -1 + 2 * total
    return float(m * n / max(tau, 1.0 / np.log10(max(m * n, 10))))
