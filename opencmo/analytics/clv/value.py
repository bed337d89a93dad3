r"""Customer lifetime value: expected purchases times expected spend, discounted month by month.

Convention (the one of ``lifetimes.GammaGammaFitter.customer_lifetime_value``, so results compare):

.. math::

    \mathrm{CLV} = m \sum_{i=1}^{n} \frac{E[\text{spend}]\;
        \bigl(E[N(i f)] - E[N((i-1) f)]\bigr)}{(1 + d)^{i}}

* :math:`n` = ``months``, the horizon in months;
* :math:`d` = ``discount_rate``, the **monthly** discount rate (an annual rate :math:`A` is
  :math:`d = (1 + A)^{1/12} - 1`, see :func:`monthly_discount_rate`);
* :math:`f` = the number of the data's time units in a month: 30 for days (``"D"``), 4.345 for weeks
  (``"W"``), 1 for months (``"M"``), 720 for hours (``"H"``) — the unit ``recency`` and ``T`` were
  measured in;
* :math:`E[N(t)]` = the transaction model's expected purchases in the next :math:`t` time units, so
  each month's expected purchases are discounted at the end of that month;
* :math:`E[\text{spend}]` = the spend model's expected value per transaction;
* :math:`m` = ``margin``, the share of revenue that is profit (1 gives revenue lifetime value).
"""

from __future__ import annotations

import math

import numpy as np

from .data import CLVInputError, check_rfm

__all__ = ["MONTH_IN_TIME_UNITS", "customer_lifetime_value", "monthly_discount_rate"]

#: How many of each time unit make a month (lifetimes' convention).
MONTH_IN_TIME_UNITS = {"D": 30.0, "W": 4.345, "M": 1.0, "H": 720.0}


def monthly_discount_rate(annual_rate: float) -> float:
    """The monthly rate equivalent to an annual discount rate: :math:`(1 + A)^{1/12} - 1`."""
    if not (isinstance(annual_rate, int | float) and math.isfinite(annual_rate) and annual_rate > -1):
        raise CLVInputError("The annual discount rate must be a number above -1 (e.g. 0.1 for 10%).")
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def customer_lifetime_value(
    transaction_model,
    spend_model,
    frequency,
    recency,
    T,
    monetary_value,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str = "D",
    margin: float = 1.0,
):
    """Discounted expected value of each customer's purchases over the next ``months`` months.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ParetoNBDModel
        Fitted purchase model (any object with ``expected_purchases(t, frequency, recency, T)``).
    spend_model : GammaGammaModel
        Fitted spend model (any object with ``expected_average_spend(frequency, monetary_value)``).
    frequency, recency, T : array_like
        The customers' summaries, in ``time_unit``.
    monetary_value : array_like
        Mean value of each customer's repeat transactions (0 for customers without any: they get the
        population mean).
    months : int, default 12
        Horizon.
    discount_rate : float, default 0.01
        Monthly discount rate.
    time_unit : {"D", "W", "M", "H"}, default "D"
        Unit of ``recency`` and ``T``.
    margin : float, default 1
        Profit share of revenue.

    Returns
    -------
    ndarray or float
        Lifetime value per customer, in the currency of ``monetary_value``.
    """
    if not (isinstance(months, int) and not isinstance(months, bool) and months >= 1):
        raise CLVInputError("months must be a whole number of months, 1 or more.")
    if not (isinstance(discount_rate, int | float) and math.isfinite(discount_rate) and discount_rate > -1):
        raise CLVInputError("discount_rate must be a monthly rate above -1 (e.g. 0.01 for 1% a month).")
    if not (isinstance(margin, int | float) and math.isfinite(margin) and margin >= 0):
        raise CLVInputError("margin must be a number >= 0 (1 = revenue).")
    if time_unit not in MONTH_IN_TIME_UNITS:
        raise CLVInputError(f"time_unit must be one of {', '.join(MONTH_IN_TIME_UNITS)}, not {time_unit!r}.")
    x, t_x, age, _ = check_rfm(frequency, recency, T, for_fit=False)
    spend = np.asarray(spend_model.expected_average_spend(x, monetary_value), dtype=float)
    factor = MONTH_IN_TIME_UNITS[time_unit]
    value = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(t_x), np.shape(age), spend.shape))
    previous = np.zeros_like(value)
    for i in range(1, months + 1):
        cumulative = np.asarray(transaction_model.expected_purchases(i * factor, x, t_x, age), dtype=float)
        value = value + spend * (cumulative - previous) / (1.0 + discount_rate) ** i
        previous = cumulative
    value = margin * value
    return float(value) if value.ndim == 0 else value
