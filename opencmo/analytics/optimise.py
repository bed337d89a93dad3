"""Budget allocation over fitted response curves.

Two questions:

* :func:`allocate` — given a budget per period and per-channel minimum and maximum, the split that
  maximises the expected outcome ``Σ f_c(b_c)``;
* :func:`least_cost` — the cheapest split whose expected outcome reaches a target.

Response curves are any vectorised callables ``f_c(spend) -> outcome`` (the MMM gives Hill / logistic
curves, which may be S-shaped, so the problem is not always concave). Method: SLSQP from several starts
(current plan, proportional to the bounds, equal split) plus a marginal-return greedy on a fine grid,
which is exact up to its step for concave curves and a safe fallback for S-curves; the best feasible
answer wins and its optimality is checked (KKT: interior channels share one marginal return, channels at
the minimum have lower, at the maximum higher). Uncertainty: the chosen split evaluated under every draw
of the curves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

__all__ = ["Allocation", "OptimiseError", "allocate", "least_cost", "marginal"]

Curve = Callable[[np.ndarray], np.ndarray]


class OptimiseError(ValueError):
    """The constraints cannot be met; the message says which."""


@dataclass
class Allocation:
    spend: np.ndarray
    outcome: float
    marginal: np.ndarray
    kkt_gap: float  # largest violation of the optimality conditions, relative to the mean marginal return
    method: str
    outcome_draws: np.ndarray = field(default_factory=lambda: np.array([]))

    def interval(self, level: float = 0.9) -> tuple[float, float] | None:
        if not len(self.outcome_draws):
            return None
        lo, hi = np.percentile(self.outcome_draws, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
        return float(lo), float(hi)


def marginal(curves: Sequence[Curve], spend: np.ndarray, h: float | None = None) -> np.ndarray:
    """Marginal return ``f_c'(b_c)`` by central differences (one-sided at zero)."""
    out = np.empty(len(curves))
    for i, f in enumerate(curves):
        step = h or max(abs(spend[i]) * 1e-4, 1e-6)
        lo = max(spend[i] - step, 0.0)
        out[i] = (float(f(np.array([spend[i] + step]))[0]) - float(f(np.array([lo]))[0])) / (
            spend[i] + step - lo
        )
    return out


def _total(curves: Sequence[Curve], spend: np.ndarray) -> float:
    return float(sum(float(f(np.array([b]))[0]) for f, b in zip(curves, spend, strict=True)))


def _check(n: int, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    lower = np.zeros(n) if lower is None else np.asarray(lower, dtype=float)
    upper = np.full(n, np.inf) if upper is None else np.asarray(upper, dtype=float)
    if lower.shape != (n,) or upper.shape != (n,):
        raise OptimiseError("Give one minimum and one maximum per channel.")
    if np.any(lower < 0):
        raise OptimiseError("A channel's minimum cannot be negative.")
    bad = np.flatnonzero(lower > upper)
    if len(bad):
        raise OptimiseError(f"Channel {bad[0] + 1}: the minimum is above the maximum.")
    return lower, upper


def _kkt(curves, spend, lower, upper, tol_rel=1e-3) -> float:
    m = marginal(curves, spend)
    scale = max(float(np.mean(np.abs(m))), 1e-12)
    span = np.maximum(upper - lower, 1.0)
    at_lo = spend <= lower + tol_rel * span
    at_hi = spend >= upper - tol_rel * span
    interior = ~(at_lo | at_hi)
    lam = float(np.median(m[interior] if interior.any() else m))
    gap = np.abs(m[interior] - lam).max() if interior.any() else 0.0
    gap = max(gap, float(np.max(m[at_lo] - lam, initial=0.0)), float(np.max(lam - m[at_hi], initial=0.0)))
    return gap / scale


def _greedy(curves, total, lower, upper, steps=4000) -> np.ndarray:
    """Fill from the minimums in small steps, each to the channel with the best return on the step."""
    spend = lower.copy()
    left = total - spend.sum()
    if left <= 0:
        return spend
    step = left / steps
    cap = np.where(np.isfinite(upper), upper, lower + left)
    now = np.array([float(f(np.array([b]))[0]) for f, b in zip(curves, spend, strict=True)])
    for _ in range(steps):
        room = cap - spend
        take = np.minimum(step, room)
        gains = np.array(
            [
                (float(f(np.array([b + t]))[0]) - v) / t if t > 1e-12 else -np.inf
                for f, b, t, v in zip(curves, spend, take, now, strict=True)
            ]
        )
        best = int(np.argmax(gains))
        if not np.isfinite(gains[best]):
            break
        spend[best] += take[best]
        now[best] = float(curves[best](np.array([spend[best]]))[0])
    return spend


def allocate(
    curves: Sequence[Curve],
    total: float,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    *,
    current: Sequence[float] | None = None,
    draws: Sequence[Sequence[Curve]] | None = None,
    greedy_steps: int = 2000,
) -> Allocation:
    """The split of ``total`` maximising ``Σ f_c(b_c)`` with ``lower <= b <= upper``."""
    n = len(curves)
    if n == 0:
        raise OptimiseError("No channels to allocate to.")
    if not np.isfinite(total) or total < 0:
        raise OptimiseError("The total budget must be a positive amount.")
    lower, upper = _check(n, lower, upper)
    if lower.sum() > total + 1e-9:
        raise OptimiseError("The channel minimums add up to more than the total budget.")
    if upper.sum() < total - 1e-9:
        raise OptimiseError("The channel maximums add up to less than the total budget.")
    cap = np.where(np.isfinite(upper), upper, total)
    starts = []
    if current is not None:
        c = np.clip(np.asarray(current, dtype=float), lower, cap)
        if c.sum() > 0:
            starts.append(c)
    starts.append(lower + (total - lower.sum()) * (cap - lower) / max((cap - lower).sum(), 1e-12))
    starts.append(np.clip(np.full(n, total / n), lower, cap))
    scale = max(total, 1.0)

    def neg(x):
        return -_total(curves, x * scale) / scale

    candidates = []
    for x0 in starts:
        x0 = x0 * total / x0.sum() if x0.sum() > 0 else x0
        res = optimize.minimize(
            neg,
            np.clip(x0, lower, cap) / scale,
            method="SLSQP",
            bounds=list(zip(lower / scale, cap / scale, strict=True)),
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - total / scale}],
            options={"maxiter": 500, "ftol": 1e-12},
        )
        x = np.clip(res.x * scale, lower, cap)
        if abs(x.sum() - total) <= 1e-6 * scale:
            candidates.append((x, "slsqp"))
    candidates.append((_greedy(curves, total, lower, cap, greedy_steps), "greedy"))
    best, method = max(candidates, key=lambda item: _total(curves, item[0]))
    return _result(curves, best, method, lower, cap, draws)


def least_cost(
    curves: Sequence[Curve],
    target: float,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    *,
    draws: Sequence[Sequence[Curve]] | None = None,
    tol: float = 1e-4,
) -> Allocation:
    """The cheapest split whose expected outcome reaches ``target``: bisection on the total budget
    (the best outcome for a budget grows with the budget)."""
    n = len(curves)
    lower, upper = _check(n, lower, upper)
    if not np.all(np.isfinite(upper)):
        raise OptimiseError("Give every channel a maximum to search for the least-cost plan.")
    best_at_max = allocate(curves, float(upper.sum()), lower, upper, greedy_steps=200)
    if best_at_max.outcome < target:
        raise OptimiseError(
            f"The target is out of reach: spending every channel's maximum gives {best_at_max.outcome:,.0f}."
        )
    lo, hi = float(lower.sum()), float(upper.sum())
    if _total(curves, lower) >= target:
        return _result(curves, lower.copy(), "minimums", lower, upper, draws)
    found = best_at_max
    while hi - lo > tol * max(hi, 1.0):
        mid = (lo + hi) / 2
        trial = allocate(curves, mid, lower, upper, greedy_steps=200)
        if trial.outcome >= target:
            hi, found = mid, trial
        else:
            lo = mid
    return _result(curves, found.spend, found.method, lower, upper, draws)


def _result(curves, spend, method, lower, upper, draws) -> Allocation:
    outcome_draws = np.array([_total(d, spend) for d in draws]) if draws else np.array([])
    return Allocation(
        spend=spend,
        outcome=_total(curves, spend),
        marginal=marginal(curves, spend),
        kkt_gap=_kkt(curves, spend, lower, upper),
        method=method,
        outcome_draws=outcome_draws,
    )
