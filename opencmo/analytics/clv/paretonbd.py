r"""Pareto/NBD maths (Schmittlein, Morrison & Colombo 1987): likelihood and predictions, in log space.

Model: while alive a customer buys as a Poisson process with rate :math:`\lambda`; the lifetime is
exponential with rate :math:`\mu`; :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and
:math:`\mu \sim \mathrm{Gamma}(s, \beta)` independently across customers.

The textbook likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and related
expressions", eq. 19) is

.. math::

    L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
        \Bigl[\frac{1}{(\alpha+T)^{r+x}(\beta+T)^s} + \frac{s}{r+s+x} A_0\Bigr],

where :math:`A_0` is a *difference* of two Gauss hypergeometric terms, each divided by
:math:`(\max(\alpha,\beta)+t)^{r+s+x}` — it cancels catastrophically when :math:`t_x \approx T`
and overflows or underflows for a few hundred purchases. Writing both as integrals,
:math:`s A_0/(r+s+x) = s\,[I_{r+x,s+1}(t_x) - I_{r+x,s+1}(T)]` with
:math:`I_{m,n}(y_0) = \int_{y_0}^\infty (\alpha+y)^{-m}(\beta+y)^{-n}dy`, and integrating the first bracket
term by parts, :math:`(\alpha+T)^{-(r+x)}(\beta+T)^{-s} = (r+x) I_{r+x+1,s}(T) + s I_{r+x,s+1}(T)`, gives the
form used here (their eqs. 22-23), a sum of two positive terms:

.. math::

    L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}
        \bigl[s\, I_{r+x,\,s+1}(t_x) + (r+x)\, I_{r+x+1,\,s}(T)\bigr],
    \qquad
    I_{m,n}(y_0) = \frac{{}_2F_1(k, b; k+1; z)}{k\,(M + y_0)^{k}},

with :math:`k = r+s+x`, :math:`M = \max(\alpha,\beta)`, :math:`z = |\alpha-\beta|/(M+y_0)` and :math:`b = n`
if :math:`\alpha \ge \beta` else :math:`m`. Every factor is taken as a logarithm; the hypergeometric
logarithms come from :func:`opencmo.analytics.clv._special.log_hyp2f1_k`, which stays accurate where
``scipy.special.hyp2f1`` returns NaN (large :math:`k` with :math:`z` near 1).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from ._special import log_hyp2f1_k, one_minus_pow_over
from .data import wsum

__all__ = [
    "expected_purchases",
    "expected_purchases_new_customer",
    "log_likelihood",
    "probability_alive",
]


def _arrays(*values):
    return np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))


def log_integral(r, alpha, s, beta, x, y0, *, shifted: bool) -> np.ndarray:
    r""":math:`\log I_{r+x,\,s+1}(y_0)` or, with ``shifted=True``, :math:`\log I_{r+x+1,\,s}(y_0)`.

    .. math::

        \log I = -k \log(M + y_0) - \log k + \log {}_2F_1(k, b; k+1; z),\quad
        1 - z = \frac{\min(\alpha,\beta) + y_0}{\max(\alpha,\beta) + y_0}
    """
    x, y0 = _arrays(x, y0)
    k = r + s + x
    big, small = max(alpha, beta), min(alpha, beta)
    # Expand around the larger of alpha and beta so that 0 <= z < 1.
    b = np.full_like(x, s if shifted else s + 1.0) if alpha >= beta else r + x + (1.0 if shifted else 0.0)
    z = (big - small) / (big + y0)
    w = (small + y0) / (big + y0)
    return -k * np.log(big + y0) - np.log(k) + log_hyp2f1_k(k, b, z, w).reshape(x.shape)


def _log_bracket(r, alpha, s, beta, x, t_x, T):
    return np.logaddexp(
        np.log(s) + log_integral(r, alpha, s, beta, x, t_x, shifted=False),
        np.log(r + x) + log_integral(r, alpha, s, beta, x, T, shifted=True),
    )


def log_likelihood(r, alpha, s, beta, x, t_x, T) -> np.ndarray:
    r"""Log-likelihood of each customer's :math:`(x, t_x, T)`:

    .. math::

        \ell = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + s\ln\beta
              + \ln\bigl[s\, I_{r+x,s+1}(t_x) + (r+x)\, I_{r+x+1,s}(T)\bigr]

    Parameters
    ----------
    r, alpha, s, beta : float
        Model parameters, all positive.
    x, t_x, T : array_like
        Frequency, recency and age, broadcast together.
    """
    x, t_x, T = _arrays(x, t_x, T)
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + _log_bracket(r, alpha, s, beta, x, t_x, T)
    )


def _pair_terms(params, data):
    r"""Per distinct (x, t_x) pair :math:`\log s I_{r+x,s+1}(t_x)`, per distinct (x, T) pair
    :math:`\log (r+x) I_{r+x+1,s}(T)`."""
    r, alpha, s, beta = params
    first = np.log(s) + log_integral(r, alpha, s, beta, data.xt_x, data.xt_t, shifted=False)
    second = np.log(r + data.xT_x) + log_integral(r, alpha, s, beta, data.xT_x, data.xT_T, shifted=True)
    return first, second


def grouped_neg_log_likelihood(params, data) -> float:
    """Weighted negative log-likelihood over grouped customers.

    The hypergeometric terms depend on :math:`(x, t_x)` and :math:`(x, T)` only, so they are computed
    once per distinct pair; terms in :math:`x` alone once per distinct frequency.
    """
    r, alpha, s, beta = (float(v) for v in params)
    xu, wx = data.x_values, data.x_weights
    total = wsum(wx, gammaln(r + xu) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))
    first, second = _pair_terms((r, alpha, s, beta), data)
    mix = np.logaddexp(first[data.xt_index], second[data.xT_index])
    total += wsum(data.weights, mix)
    return -total


def grouped_neg_log_likelihood_log_params(theta, data, step: float = 1e-5) -> tuple[float, np.ndarray]:
    r"""Negative log-likelihood and its gradient with respect to the log-parameters
    :math:`\theta = \log(r, \alpha, s, \beta)`.

    The gradient is exact (chain rule) for the gamma-function terms and for the ``logaddexp`` that
    combines the two pair terms,
    :math:`\partial\,\mathrm{logaddexp}(u, v) = \pi\,\partial u + (1-\pi)\,\partial v`
    with :math:`\pi = e^{u - \mathrm{logaddexp}(u, v)}`; only the pair terms, which involve
    :math:`{}_2F_1` and are few, are differentiated by central differences. The weights :math:`w\pi` are
    summed per pair (``bincount``), so each gradient costs one pass over the groups and nine over the
    distinct pairs.
    """
    theta = np.asarray(theta, dtype=float)
    params = np.exp(theta)
    r, alpha, s, beta = params
    xu, wx = data.x_values, data.x_weights
    constant = wsum(wx, gammaln(r + xu) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))
    g_const = np.array(
        [
            r * wsum(wx, digamma(r + xu) - digamma(r) + np.log(alpha)),
            r * float(wx.sum()),
            s * np.log(beta) * float(wx.sum()),
            s * float(wx.sum()),
        ]
    )
    first, second = _pair_terms(params, data)
    u, v = first[data.xt_index], second[data.xT_index]
    mix = np.logaddexp(u, v)
    total = constant + wsum(data.weights, mix)
    share = np.exp(u - mix)
    w_first = np.bincount(data.xt_index, weights=data.weights * share, minlength=first.size)
    w_second = np.bincount(data.xT_index, weights=data.weights * (1.0 - share), minlength=second.size)
    grad = g_const.copy()
    for i in range(4):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        f_up, s_up = _pair_terms(np.exp(up), data)
        f_down, s_down = _pair_terms(np.exp(down), data)
        grad[i] += wsum(w_first, (f_up - f_down) / (2 * step)) + wsum(w_second, (s_up - s_down) / (2 * step))
    return -total, -grad


def probability_alive(r, alpha, s, beta, x, t_x, T) -> np.ndarray:
    r"""Probability that a customer with history :math:`(x, t_x, T)` is alive at :math:`T`:

    .. math::

        P(\text{alive}) = \frac{(\alpha+T)^{-(r+x)}(\beta+T)^{-s}}
                              {s\, I_{r+x,s+1}(t_x) + (r+x)\, I_{r+x+1,s}(T)}

    (the numerator is the likelihood of the history for a customer still alive at :math:`T`; the
    denominator the full likelihood without its constant), as the exponential of a difference of logs.
    """
    x, t_x, T = _arrays(x, t_x, T)
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    return np.exp(np.minimum(log_alive - _log_bracket(r, alpha, s, beta, x, t_x, T), 0.0))


def expected_purchases(t, r, alpha, s, beta, x, t_x, T) -> np.ndarray:
    r"""Expected number of purchases in :math:`(T, T+t]` given the history :math:`(x, t_x, T)`:

    .. math::

        E[Y(t) \mid x, t_x, T] = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
        \Bigl[1 - \Bigl(\frac{\beta+T}{\beta+T+t}\Bigr)^{s-1}\Bigr] P(\text{alive})

    with the removable singularity at :math:`s = 1` (limit :math:`\ln\frac{\beta+T+t}{\beta+T}`) handled
    by :func:`~opencmo.analytics.clv._special.one_minus_pow_over`.
    """
    t, x, t_x, T = _arrays(t, x, t_x, T)
    horizon = one_minus_pow_over(s - 1.0, np.log1p(t / (beta + T)))
    return (r + x) * (beta + T) / (alpha + T) * horizon * probability_alive(r, alpha, s, beta, x, t_x, T)


def expected_purchases_new_customer(t, r, alpha, s, beta) -> np.ndarray:
    r"""Expected number of repeat purchases in :math:`(0, t]` by a customer just acquired:

    .. math::

        E[X(t)] = \frac{r\beta}{\alpha(s-1)}\Bigl[1 - \Bigl(\frac{\beta}{\beta+t}\Bigr)^{s-1}\Bigr]
    """
    (t,) = _arrays(t)
    return r * beta / alpha * one_minus_pow_over(s - 1.0, np.log1p(t / beta))
