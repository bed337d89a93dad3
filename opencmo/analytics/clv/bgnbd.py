r"""BG/NBD (beta-geometric / negative binomial distribution) maths: likelihood, gradient and predictions.

Model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):

* while alive, a customer buys as a Poisson process with rate :math:`\lambda`;
* after every repeat purchase the customer drops out with probability :math:`p`;
* :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` (shape :math:`r`, rate :math:`\alpha`) and
  :math:`p \sim \mathrm{Beta}(a, b)` across customers, independently.

A customer is summarised by :math:`x` (repeat purchases, the *frequency*), :math:`t_x` (time of the last
purchase after the first one, the *recency*; 0 when :math:`x = 0`) and :math:`T` (time since the first
purchase). All functions are vectorised (NumPy broadcasting) and work in log space.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from ._special import hyp2f1_series
from .data import wsum

__all__ = [
    "expected_purchases",
    "expected_purchases_new_customer",
    "log_likelihood",
    "probability_alive",
]


def _arrays(*values):
    return np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))


def log_likelihood(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    r"""Log-likelihood of each customer's :math:`(x, t_x, T)`.

    .. math::

        \ell = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha + \ln B(a, b+x) - \ln B(a, b)
              + \ln\Bigl[(\alpha+T)^{-(r+x)}
              + \delta_{x>0}\,\frac{a}{b+x-1}\,(\alpha+t_x)^{-(r+x)}\Bigr]

    The bracket is formed with ``logaddexp`` of the two logarithms, so it neither overflows nor
    underflows for large :math:`x` (:math:`(\alpha+T)^{-(r+x)}` alone underflows from a few hundred
    purchases on).

    Parameters
    ----------
    r, alpha, a, b : float
        Model parameters, all positive.
    x, t_x, T : array_like
        Frequency, recency and age, broadcast together.

    Returns
    -------
    ndarray
        One log-likelihood per customer.
    """
    x, t_x, T = _arrays(x, t_x, T)
    constant = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
    )
    alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    dropped = np.where(
        repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf
    )
    return constant + np.logaddexp(alive, dropped)


def grouped_neg_log_likelihood(params, data) -> tuple[float, np.ndarray]:
    r"""Weighted negative log-likelihood and its gradient over grouped customers.

    Terms that depend on :math:`x` alone are computed once per distinct frequency, the logarithms of
    :math:`\alpha + T` and :math:`\alpha + t_x` once per distinct value; only the ``logaddexp`` runs per
    group. Gradient (natural parameters), with :math:`\pi = ` the share of the second bracket term:

    .. math::

        \partial_r \ell &= \psi(r+x) - \psi(r) + \ln\alpha - (1-\pi)\ln(\alpha+T) - \pi\ln(\alpha+t_x) \\
        \partial_\alpha \ell &= r/\alpha - (r+x)\,[(1-\pi)/(\alpha+T) + \pi/(\alpha+t_x)] \\
        \partial_a \ell &= \psi(a+b) - \psi(a+b+x) + \pi/a \\
        \partial_b \ell &= \psi(a+b) + \psi(b+x) - \psi(b) - \psi(a+b+x) - \pi/(b+x-1)

    Parameters
    ----------
    params : sequence of 4 floats
        ``(r, alpha, a, b)``.
    data : GroupedData
        From :func:`opencmo.analytics.clv.grouping.group_customers`.

    Returns
    -------
    (float, ndarray)
        :math:`-\sum_i w_i \ell_i` and its gradient with respect to ``(r, alpha, a, b)``.
    """
    r, alpha, a, b = (float(v) for v in params)
    xu, wx = data.x_values, data.x_weights  # distinct frequencies and their total weights
    w = data.weights
    x = data.x
    # --- terms in x only ---
    const = (
        gammaln(r + xu)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + xu)
        - gammaln(b)
        - gammaln(a + b + xu)
    )
    total = wsum(wx, const)
    g_r = wsum(wx, digamma(r + xu) - digamma(r) + np.log(alpha))
    g_alpha = float(wx.sum()) * r / alpha
    g_a = wsum(wx, digamma(a + b) - digamma(a + b + xu))
    g_b = wsum(wx, digamma(a + b) + digamma(b + xu) - digamma(b) - digamma(a + b + xu))
    # --- per group ---
    log_aT = np.log(alpha + data.T_values)[data.T_index]
    log_at = np.log(alpha + data.t_values)[data.t_index]
    rx = r + x
    alive = -rx * log_aT
    repeat = data.repeat
    log_bx1 = np.log(np.where(repeat, b + x - 1.0, 1.0))
    dropped = np.where(repeat, np.log(a) - log_bx1 - rx * log_at, -np.inf)
    mix = np.logaddexp(alive, dropped)
    total += wsum(w, mix)
    pi = np.exp(dropped - mix)  # 0 where x == 0
    g_r -= wsum(w, (1.0 - pi) * log_aT + pi * log_at)
    inv_aT = (1.0 / (alpha + data.T_values))[data.T_index]
    inv_at = (1.0 / (alpha + data.t_values))[data.t_index]
    g_alpha -= wsum(w, rx * ((1.0 - pi) * inv_aT + pi * inv_at))
    wpi = w * pi
    g_a += float(wpi.sum()) / a
    g_b -= wsum(wpi, np.where(repeat, np.exp(-log_bx1), 0.0))
    return -total, -np.array([g_r, g_alpha, g_a, g_b])


def probability_alive(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    r"""Probability that a customer with history :math:`(x, t_x, T)` is still alive at :math:`T`.

    .. math::

        P(\text{alive}) = \Bigl[1 + \delta_{x>0}\,\frac{a}{b+x-1}
        \Bigl(\frac{\alpha+T}{\alpha+t_x}\Bigr)^{r+x}\Bigr]^{-1}

    computed as ``expit`` of minus the logarithm of the second term (no overflow at any :math:`x`).
    """
    x, t_x, T = _arrays(x, t_x, T)
    repeat = x > 0
    log_odds_dead = (
        np.log(a) - np.log(np.where(repeat, b + x - 1.0, 1.0)) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    )
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def _expected_bracket(t, r, alpha, a, b, x, T):
    """[1 - G] (a+b+x-1)/(a-1) with G = ((alpha+T)/(alpha+T+t))^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z).

    Two removable singularities: :math:`a = 1` (0/0 in the prefactor) and :math:`a + b + x - 1 = 0`
    (possible for :math:`x = 0` when :math:`a + b = 1`; the hypergeometric function has a pole there
    that the prefactor cancels). Near either, the symmetric average of the two neighbours at distance
    :math:`h = 10^{-4}` is used (error :math:`O(h^2)`).
    """
    z = t / (alpha + T + t)
    log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
    h = 1e-4

    def at(a_value, b_value):
        c = a_value + b_value + x - 1.0
        upper = a_value + b_value - 1.0 - r
        g = np.exp((a_value - 1.0) * log_one_minus_z) * hyp2f1(upper, a_value - 1.0, c, z)
        # G is a ratio of expectations in [0, 1] when a > 1; scipy overflows or returns NaN for large
        # parameters with z near 1: redo those terms with the log-space series.
        bad = ~np.isfinite(g) | ((a_value > 1.0) & ((g < -1e-12) | (g > 1.0 + 1e-12)))
        if np.any(bad):
            g = np.array(g, dtype=float, copy=True)
            shape = np.broadcast_shapes(np.shape(upper), np.shape(c), np.shape(z))
            pick = np.broadcast_to(bad, shape)
            log_f, sign = hyp2f1_series(
                np.broadcast_to(upper, shape)[pick],
                a_value - 1.0,
                np.broadcast_to(c, shape)[pick],
                np.broadcast_to(z, shape)[pick],
            )
            g = np.broadcast_to(g, shape).copy()
            g[pick] = sign * np.exp((a_value - 1.0) * np.broadcast_to(log_one_minus_z, shape)[pick] + log_f)
        return c / (a_value - 1.0) * (1.0 - g)

    def near_a_one(b_value):
        if abs(a - 1.0) > h:
            return at(a, b_value)
        return 0.5 * (at(1.0 + h, b_value) + at(1.0 - h, b_value))

    pole = np.abs(a + b + x - 1.0) < h
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # the pole entries are replaced
        out = near_a_one(b)
    if np.any(pole):
        averaged = 0.5 * (near_a_one(b + h) + near_a_one(b - h))
        out = np.where(pole, averaged, out)
    return out


def expected_purchases(t, r, alpha, a, b, x, t_x, T) -> np.ndarray:
    r"""Expected number of purchases in :math:`(T, T + t]` given the history :math:`(x, t_x, T)`.

    .. math::

        E[Y(t) \mid x, t_x, T] = \frac{a+b+x-1}{a-1}
        \Bigl[1 - \Bigl(\frac{\alpha+T}{\alpha+T+t}\Bigr)^{a-1}
        {}_2F_1\Bigl(a+b-1-r,\, a-1;\, a+b+x-1;\, \frac{t}{\alpha+T+t}\Bigr)\Bigr]\; P(\text{alive})

    This is FHL's equation (10) after Euler's transformation
    :math:`{}_2F_1(A,B;C;z) = (1-z)^{C-A-B}\,{}_2F_1(C-A,C-B;C;z)`: the published form
    :math:`(\frac{\alpha+T}{\alpha+T+t})^{r+x}{}_2F_1(r+x, b+x; a+b+x-1; z)` multiplies a vanishing
    power by a hypergeometric function that overflows for large :math:`x`; after the transformation
    both stay of order one (Fader & Hardie's note on the BG/NBD numerical error recommends the same).
    """
    t, x, t_x, T = _arrays(t, x, t_x, T)
    bracket = _expected_bracket(t, r, alpha, a, b, x, T)
    return bracket * probability_alive(r, alpha, a, b, x, t_x, T)


def expected_purchases_new_customer(t, r, alpha, a, b) -> np.ndarray:
    r"""Expected number of repeat purchases in :math:`(0, t]` by a customer just acquired.

    .. math::

        E[X(t)] = \frac{a+b-1}{a-1}\Bigl[1 - \Bigl(\frac{\alpha}{\alpha+t}\Bigr)^{r}
        {}_2F_1\Bigl(r, b; a+b-1; \frac{t}{\alpha+t}\Bigr)\Bigr]

    (the conditional expectation at :math:`x = t_x = T = 0`, evaluated in the same transformed form).
    """
    (t,) = _arrays(t)
    return _expected_bracket(t, r, alpha, a, b, np.zeros_like(t), np.zeros_like(t))
