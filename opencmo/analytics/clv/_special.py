r"""Special functions the CLV models need, evaluated in log space without overflow.

The Pareto/NBD likelihood and probability alive are built from integrals of the form

.. math::

    I_{m,n}(y_0) = \int_{y_0}^{\infty} (\alpha + y)^{-m} (\beta + y)^{-n}\, dy
                 = \frac{(M + y_0)^{-k}}{k}\; {}_2F_1\!\left(k, b; k + 1; z\right),

with :math:`k = m + n - 1`, :math:`M = \max(\alpha, \beta)`, :math:`z = |\alpha - \beta| / (M + y_0)`
and :math:`b = n` when :math:`\alpha \ge \beta` (:math:`b = m` otherwise). For a customer with many
purchases :math:`k` is large; when in addition :math:`\min(\alpha, \beta) + y_0 \ll M + y_0`,
:math:`z` is close to 1 and ``scipy.special.hyp2f1`` returns NaN, infinity or loses most digits (it is
accurate to about 1e-13 only while :math:`k \le 50` and the value fits in a double). :func:`log_hyp2f1_k`
therefore picks, element by element, one of three evaluations that are each accurate where used:

1. ``scipy.special.hyp2f1`` where it is reliable (small :math:`k` or :math:`z \le 1/2`, no overflow);
2. Euler's transformation :math:`{}_2F_1(k, b; k+1; z) = (1 - z)^{1 - b}\, {}_2F_1(1, k + 1 - b; k + 1; z)`
   summed as a series when :math:`b` is large (its terms then fall off quickly whatever :math:`z`);
3. otherwise the Laplace-type integral

   .. math::

       {}_2F_1(k, b; k + 1; z) = \int_0^{\infty} e^{-u}\,\bigl(1 - z e^{-u/k}\bigr)^{-b}\, du,

   evaluated by the trapezoidal rule in :math:`\xi = \log u`, where the integrand is smooth, decays at
   both ends and is analytic in a strip — so the rule converges geometrically — summed in log
   space; :math:`1 - z e^{-u/k}` is formed as :math:`w - z\,\mathrm{expm1}(-u/k)` from the exactly
   computed :math:`w = 1 - z`, so nothing cancels.

Everything is returned as a logarithm. Tests compare against mpmath at high precision.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

__all__ = ["hyp2f1_series", "log_hyp2f1_k", "one_minus_pow_over"]

# Where scipy's hyp2f1(k, b; k+1; z) was measured accurate to ~1e-13 against mpmath.
_SCIPY_MAX_K = 50.0
_SCIPY_MAX_Z = 0.5
# Closer to z = 1 the rounding of z itself (relative error 1e-16 / w in 1 - z) costs digits: the other
# paths take w = 1 - z exactly from the caller.
_SCIPY_MIN_W = 1e-3
# Largest log-value scipy may return without overflowing a double (with a margin).
_SCIPY_MAX_LOG = 600.0
# Euler series: used when b is large in absolute and relative terms (then < ~400 terms are needed).
_EULER_MIN_B = 40.0
_EULER_MIN_B_FRACTION = 0.2
_EULER_MAX_TERMS = 4000
# Trapezoid in log u.
_STEP = 0.125
_RIGHT_END = float(np.log(45.0))
_LEFT_MARGIN = 40.0
_CHUNK = 2_000_000


def log_hyp2f1_k(k, b, z, w=None) -> np.ndarray:
    r"""Natural logarithm of :math:`{}_2F_1(k, b; k + 1; z)` for :math:`k > 0`, :math:`0 \le b \le k + 1`,
    :math:`0 \le z < 1` (the range the Pareto/NBD needs).

    Parameters
    ----------
    k, b, z : array_like
        Broadcast together.
    w : array_like, optional
        :math:`1 - z`, when the caller can compute it without cancellation (for example as
        :math:`(\min(\alpha,\beta) + y_0) / (\max(\alpha,\beta) + y_0)`). Defaults to ``1 - z``.

    Returns
    -------
    ndarray
        :math:`\log {}_2F_1(k, b; k+1; z)`, finite for every admissible input.

    Notes
    -----
    :math:`{}_2F_1(k, b; k+1; z) = \sum_{j \ge 0} \frac{k}{k + j} \frac{(b)_j}{j!} z^j`, which lies between
    1 and :math:`(1 - z)^{-b}`.
    """
    k, b, z = np.broadcast_arrays(np.asarray(k, float), np.asarray(b, float), np.asarray(z, float))
    w = np.broadcast_to(1.0 - z if w is None else np.asarray(w, float), k.shape)
    k, b, z, w = (np.ravel(v) for v in (k, b, z, w))
    out = np.empty(k.shape)
    upper = -b * np.log(w)  # log of the bound (1 - z)^(-b)

    scipy_ok = (((k <= _SCIPY_MAX_K) & (w >= _SCIPY_MIN_W)) | (z <= _SCIPY_MAX_Z)) & (upper < _SCIPY_MAX_LOG)
    if scipy_ok.any():
        with np.errstate(all="ignore"):
            value = hyp2f1(k[scipy_ok], b[scipy_ok], k[scipy_ok] + 1.0, z[scipy_ok])
            out[scipy_ok] = np.log(value)
        # Belt and braces: anything scipy could not deliver goes to the robust paths.
        bad = ~np.isfinite(out[scipy_ok]) | (out[scipy_ok] < -1e-12)
        scipy_ok[np.flatnonzero(scipy_ok)[bad]] = False

    rest = ~scipy_ok
    euler = rest & (b >= np.maximum(_EULER_MIN_B, _EULER_MIN_B_FRACTION * (k + 1.0))) & (b <= k + 1.0)
    if euler.any():
        out[euler] = _log_euler_series(k[euler], b[euler], z[euler], w[euler])
    laplace = rest & ~euler
    if laplace.any():
        out[laplace] = _log_laplace(k[laplace], b[laplace], z[laplace], w[laplace])
    return out


def _log_euler_series(k, b, z, w):
    """log of (1 - z)^(1 - b) * sum_j (k + 1 - b)_j / (k + 1)_j z^j (Euler's transformation).

    The terms fall below 1e-17 of the first once :math:`(c/(c+j))^b z^j < e^{-40}` (with
    :math:`c = k + 1`); each element gets that many terms, as a cumulative product over a 2-D block.
    """
    a = k + 1.0 - b
    c = k + 1.0
    with np.errstate(divide="ignore", over="ignore"):
        by_b = c * np.expm1(40.0 / np.maximum(b, 1e-300))
        by_z = 40.0 / np.maximum(-np.log(np.maximum(z, 1e-300)), 1e-300)
    needed = np.clip(np.ceil(np.minimum(by_b, by_z)), 1, _EULER_MAX_TERMS).astype(np.int64) + 2
    out = np.empty(k.shape)
    for idx, width in _chunks(needed):
        j = np.arange(width)[None, :]
        ratio = (a[idx, None] + j) / (c[idx, None] + j) * z[idx, None]
        terms = np.cumprod(np.where(j < needed[idx, None], ratio, 0.0), axis=1)
        out[idx] = (1.0 - b[idx]) * np.log(w[idx]) + np.log1p(terms.sum(axis=1))
    return out


def _chunks(sizes: np.ndarray):
    """Index blocks of similar ``sizes`` whose padded area stays under ``_CHUNK`` entries."""
    order = np.argsort(sizes, kind="stable")
    start = 0
    while start < order.size:
        rows = max(1, _CHUNK // int(sizes[order[start]]))
        idx = order[start : start + rows]
        width = int(sizes[idx].max())
        rows = max(1, min(rows, _CHUNK // width))
        idx = order[start : start + rows]
        yield idx, int(sizes[idx].max())
        start += idx.size


def _logsumexp_rows(values: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp (scipy's version carries array-API overhead that dominates small calls)."""
    top = values.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(values - top[:, None]).sum(axis=1))


def _log_laplace(k, b, z, w):
    """log of the integral of exp(-u) (1 - z exp(-u/k))^(-b) over u > 0, trapezoid in xi = log u."""
    out = np.empty(k.shape)
    with np.errstate(divide="ignore"):
        eps = np.where(z > 0, k * w / np.maximum(z, 1e-300), np.inf)
    # Below u ~ eps / b the integrand is flat in u, hence ~ e^xi in xi: start 40 e-folds further left.
    delta = np.minimum(1.0, eps / np.maximum(b, 1.0))
    left = np.log(delta) - _LEFT_MARGIN
    n_nodes = np.ceil((_RIGHT_END - left) / _STEP).astype(np.int64) + 1
    for idx, width in _chunks(n_nodes):
        steps = np.arange(width)[None, :]
        xi = left[idx, None] + _STEP * steps
        u = np.exp(xi)
        inner = w[idx, None] - z[idx, None] * np.expm1(-u / k[idx, None])
        logf = xi - u - b[idx, None] * np.log(inner)
        logf = np.where(steps < n_nodes[idx, None], logf, -np.inf)
        out[idx] = _logsumexp_rows(logf) + np.log(_STEP)
    return out


def hyp2f1_series(A, B, C, z, *, max_terms: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
    r"""Gauss's series :math:`\sum_n \frac{(A)_n (B)_n}{(C)_n\, n!} z^n` for :math:`0 \le z < 1`, summed with
    the terms kept as logarithms; returns ``(log|F|, sign(F))``.

    The fallback for parameters where ``scipy.special.hyp2f1`` overflows or returns NaN (large
    :math:`A`, :math:`B` with :math:`z` near 1: the terms first grow by many orders of magnitude, then
    fall off geometrically). With :math:`A, B, C > 0` all terms are positive and nothing cancels.
    Summed in blocks of 512 terms until the last term is below :math:`10^{-17}` of the sum and the terms
    are decreasing.
    """
    A, B, C, z = (np.ravel(v).astype(float) for v in np.broadcast_arrays(A, B, C, z))
    n_el = A.size
    log_z = np.log(np.where(z > 0, z, 1.0))
    log_term = np.zeros(n_el)  # log |term_0| = 0
    sign_term = np.ones(n_el)
    top = np.zeros(n_el)  # running maximum of log|term|
    total = np.ones(n_el)  # sum of sign * exp(log_term - top)
    active = np.flatnonzero(z > 0)
    block = 512
    for start in range(0, max_terms, block):
        if active.size == 0:
            break
        n = start + np.arange(block)[None, :]
        a_, b_, c_ = A[active, None] + n, B[active, None] + n, C[active, None] + n
        with np.errstate(divide="ignore"):
            step = (
                np.log(np.abs(a_))
                + np.log(np.abs(b_))
                - np.log(np.abs(c_))
                - np.log(n + 1.0)
                + log_z[active, None]
            )
        logs = log_term[active, None] + np.cumsum(step, axis=1)
        signs = sign_term[active, None] * np.cumprod(np.sign(a_) * np.sign(b_) * np.sign(c_), axis=1)
        new_top = np.maximum(top[active], logs.max(axis=1))
        total[active] = total[active] * np.exp(top[active] - new_top) + (
            signs * np.exp(logs - new_top[:, None])
        ).sum(axis=1)
        top[active] = new_top
        log_term[active] = logs[:, -1]
        sign_term[active] = signs[:, -1]
        small = logs[:, -1] < new_top + np.log(np.maximum(np.abs(total[active]), 1e-300)) - 39.0
        falling = step[:, -1] < 0
        active = active[~(small & falling)]
    with np.errstate(divide="ignore"):
        return top + np.log(np.abs(total)), np.sign(total)


def one_minus_pow_over(eps, log_ratio) -> np.ndarray:
    r""":math:`(1 - e^{-\epsilon L}) / \epsilon` with its limit :math:`L` at :math:`\epsilon = 0`, computed
    without cancellation (``-expm1(-eps * L) / eps``).

    Used by the Pareto/NBD expected purchases, :math:`[1 - (\frac{\beta+T}{\beta+T+t})^{s-1}]/(s-1)`,
    which has a removable singularity at :math:`s = 1`.
    """
    eps, log_ratio = np.broadcast_arrays(np.asarray(eps, float), np.asarray(log_ratio, float))
    small = np.abs(eps * log_ratio) < 1e-8
    safe = np.where(small, 1.0, eps)
    exact = -np.expm1(-safe * log_ratio) / safe
    series = log_ratio * (1.0 - 0.5 * eps * log_ratio)
    return np.where(small, series, exact)
