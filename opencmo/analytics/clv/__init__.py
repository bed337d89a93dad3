"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma fitted by maximum likelihood.

Pure NumPy/SciPy (no Django). Typical use::

    from opencmo.analytics.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value, rfm_summary

    summary = rfm_summary(customer_ids, order_dates, order_values, calibration_end="2026-06-30")
    purchases = BetaGeoModel().fit(summary.frequency, summary.recency, summary.T)
    repeat = summary.repeat_customers
    spend = GammaGammaModel().fit(summary.frequency[repeat], summary.monetary_value[repeat])
    clv = customer_lifetime_value(
        purchases, spend, summary.frequency, summary.recency, summary.T, summary.monetary_value,
        months=12, discount_rate=0.01, time_unit=summary.time_unit,
    )

Modules: :mod:`.bgnbd`, :mod:`.paretonbd`, :mod:`.gammagamma` (the formulas), :mod:`.models` (the
estimators), :mod:`.value` (discounted CLV), :mod:`.rfm` (summaries from transactions or the
analytics store's orders), :mod:`.data` (validation, grouping), :mod:`.synthetic` (simulators).
See ``docs/clv.md``.
"""

from .data import CLVInputError, group_customers
from .models import BetaGeoModel, GammaGammaModel, NotFittedError, ParetoNBDModel
from .rfm import RFMSummary, rfm_from_orders, rfm_summary
from .synthetic import simulate_bgnbd, simulate_paretonbd, simulate_spend
from .value import MONTH_IN_TIME_UNITS, customer_lifetime_value, monthly_discount_rate

__all__ = [
    "MONTH_IN_TIME_UNITS",
    "BetaGeoModel",
    "CLVInputError",
    "GammaGammaModel",
    "NotFittedError",
    "ParetoNBDModel",
    "RFMSummary",
    "customer_lifetime_value",
    "group_customers",
    "monthly_discount_rate",
    "rfm_from_orders",
    "rfm_summary",
    "simulate_bgnbd",
    "simulate_paretonbd",
    "simulate_spend",
]
