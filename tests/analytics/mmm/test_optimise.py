"""The budget optimiser against analytic optima, bounds, least cost and S-curves."""

import numpy as np
import pytest

from opencmo.analytics.optimise import OptimiseError, allocate, least_cost, marginal


def sqrt_curves(a):
    return [(lambda b, ai=ai: ai * np.sqrt(np.maximum(b, 0))) for ai in a]


def test_known_analytic_optimum():
    # maximise Σ a_i sqrt(b_i) s.t. Σ b_i = B: b_i = B a_i² / Σ a_j²
    a = np.array([1.0, 2.0, 3.0])
    result = allocate(sqrt_curves(a), 140.0)
    assert result.spend == pytest.approx(140 * a**2 / (a**2).sum(), rel=1e-4)
    assert result.outcome == pytest.approx(np.sqrt(140 * (a**2).sum()), rel=1e-6)
    assert result.kkt_gap < 1e-3
    assert np.ptp(result.marginal) < 1e-3 * result.marginal.mean()  # equal marginal returns


def test_bounds_bind_and_the_rest_share_one_marginal_return():
    result = allocate(sqrt_curves([1.0, 2.0, 3.0]), 140.0, lower=[0, 0, 0], upper=[100, 100, 50])
    assert result.spend[2] == pytest.approx(50, abs=1e-4)
    # the other two split 90 in the ratio 1:4
    assert result.spend[:2] == pytest.approx([18, 72], rel=1e-4)
    assert result.marginal[2] > result.marginal[0]  # at its maximum, the capped channel still earns more
    assert result.kkt_gap < 1e-3


def test_minimums_are_respected():
    result = allocate(sqrt_curves([1.0, 5.0]), 100.0, lower=[40, 0])
    assert result.spend[0] == pytest.approx(40, abs=1e-6) and result.spend.sum() == pytest.approx(100)


def test_beats_the_current_plan_and_reports_uncertainty():
    curves = sqrt_curves([1.0, 2.0])
    draws = [sqrt_curves([1.0 * f, 2.0 * f]) for f in np.linspace(0.8, 1.2, 21)]
    current = np.array([50.0, 50.0])
    result = allocate(curves, 100.0, current=current, draws=draws)
    assert result.outcome > sum(f(np.array([b]))[0] for f, b in zip(curves, current, strict=True))
    lo, hi = result.interval()
    assert lo < result.outcome < hi


def test_s_curves_choose_to_concentrate():
    # Two identical S-curves and a budget that only saturates one: splitting evenly is a poor saddle.
    def s_curve(b):
        b = np.asarray(b, dtype=float)
        return 100 * b**3 / (b**3 + 50.0**3)

    result = allocate([s_curve, s_curve], 80.0)
    even = 2 * s_curve(np.array([40.0]))[0]
    assert result.outcome > even * 1.1
    assert max(result.spend) > 60


def test_least_cost_hits_the_target_at_the_analytic_cost():
    a = np.array([1.0, 2.0, 3.0])
    result = least_cost(sqrt_curves(a), 40.0, upper=[500, 500, 500])
    # outcome = sqrt(B Σa²) ⇒ B = target² / Σa²
    assert result.spend.sum() == pytest.approx(40**2 / (a**2).sum(), rel=1e-3)
    assert result.outcome >= 40.0 - 1e-6


def test_unreachable_and_inconsistent_constraints_are_explained():
    curves = sqrt_curves([1.0, 1.0])
    with pytest.raises(OptimiseError, match="out of reach"):
        least_cost(curves, 1e6, upper=[10, 10])
    with pytest.raises(OptimiseError, match="minimums add up"):
        allocate(curves, 10, lower=[8, 8])
    with pytest.raises(OptimiseError, match="maximums add up"):
        allocate(curves, 10, upper=[2, 2])
    with pytest.raises(OptimiseError, match="minimum is above"):
        allocate(curves, 10, lower=[5, 0], upper=[4, 10])
    with pytest.raises(OptimiseError, match="positive"):
        allocate(curves, -1)


def test_marginal_by_hand():
    assert marginal([lambda b: 3 * b], np.array([10.0]))[0] == pytest.approx(3.0)
