r"""Gamma-Gamma spend model maths (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note).

A customer's transaction values :math:`z_1, \dots, z_x` are i.i.d. :math:`\mathrm{Gamma}(p, \nu)`; across
customers :math:`\nu \sim \mathrm{Gamma}(q, v)`. Spend is assumed independent of the purchase process.
The observed statistic is the mean :math:`\bar z` of the :math:`x` *repeat* transactions (customers with
:math:`x = 0` carry no information and are left out of the fit).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from .data import wsum

__all__ = ["expected_average_spend", "log_likelihood", "population_mean_spend"]


def _arrays(*values):
    return np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))


def log_likelihood(p, q, v, x, mean_spend) -> np.ndarray:
    r"""Log-density of each customer's average spend :math:`\bar z` given :math:`x`:

    .. math::

        \ell = \ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln v + (px-1)\ln\bar z
              + px\ln x - (px+q)\ln(v + x\bar z)

    Parameters
    ----------
    p, q, v : float
        Positive parameters.
    x, mean_spend : array_like
        Number of repeat transactions (> 0) and their mean value (> 0).
    """
    x, m = _arrays(x, mean_spend)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m)
    )


def grouped_neg_log_likelihood(params, data) -> tuple[float, np.ndarray]:
    r"""Weighted negative log-likelihood and gradient; sums that do not involve the parameters
    non-linearly (:math:`\sum w x \ln\bar z`, :math:`\sum w \ln\bar z`, :math:`\sum w x\ln x`) are
    precomputed in ``data``, the gamma functions evaluated once per distinct :math:`x`.

    .. math::

        \partial_p \ell &= x[\psi(px+q) - \psi(px) + \ln\bar z + \ln x - \ln(v + x\bar z)] \\
        \partial_q \ell &= \psi(px+q) - \psi(q) + \ln v - \ln(v + x\bar z) \\
        \partial_v \ell &= q/v - (px+q)/(v + x\bar z)
    """
    p, q, v = (float(value) for value in params)
    xu, wx = data.x_values, data.x_weights
    w, x = data.weights, data.x
    pxu = p * xu
    total = wsum(wx, gammaln(pxu + q) - gammaln(pxu) - gammaln(q) + q * np.log(v))
    total += p * data.sum_wx_log_m - data.sum_w_log_m + p * data.sum_wx_log_x
    log_vxm = np.log(v + data.xm)
    total -= wsum(w, (p * x + q) * log_vxm)
    g_p = wsum(wx, xu * (digamma(pxu + q) - digamma(pxu))) + data.sum_wx_log_m + data.sum_wx_log_x
    g_p -= wsum(w * x, log_vxm)
    g_q = wsum(wx, digamma(pxu + q) - digamma(q) + np.log(v)) - wsum(w, log_vxm)
    g_v = float(wx.sum()) * q / v - wsum(w, (p * x + q) / (v + data.xm))
    return -total, -np.array([g_p, g_q, g_v])


def expected_average_spend(p, q, v, x, mean_spend) -> np.ndarray:
    r"""Expected value of a customer's future transactions given :math:`x` repeat transactions averaging
    :math:`\bar z`:

    .. math::

        E[Z \mid x, \bar z] = \frac{p(v + x\bar z)}{px + q - 1}
        = \frac{q-1}{px+q-1}\,\frac{pv}{q-1} + \frac{px}{px+q-1}\,\bar z

    a weighted average of the population mean and the customer's own mean. For :math:`x = 0` it is the
    population mean. Needs :math:`q > 1` (the population mean is infinite otherwise).
    """
    x, m = _arrays(x, mean_spend)
    if q <= 1.0:
        return np.full(x.shape, np.inf)
    return p * (v + x * m) / (p * x + q - 1.0)


def population_mean_spend(p, q, v) -> float:
    r"""Mean transaction value across customers, :math:`pv/(q-1)` (infinite when :math:`q \le 1`)."""
    return float(p * v / (q - 1.0)) if q > 1.0 else float("inf")
