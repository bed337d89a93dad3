"""Marketing-mix parameter recovery at full size: generated data with known truth, through the store.

For each seed: two years of daily spend on seven channels with independent flighting
(``synth.simulate_spend``), the demo's true effects (``synth.default_effects``), ~200k users with
sessions, touchpoints, conversions and orders (``synth.generate``), loaded into an in-memory analytics
store (``synth.load``), weekly revenue read back from the store's orders with SQL, then the MAP +
Laplace fit. Prints per channel the true ROI, the estimate, its 90% interval and the relative error,
and the timings of each step.

Run: ``.venv/bin/python benchmarks/mmm_recovery.py [--seeds 3] [--users 200000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencmo.analytics import synth
from opencmo.analytics.mmm import MMMConfig, MMMData, fit
from opencmo.analytics.store import Store

CHANNELS = ["paid_search", "paid_social", "display", "events", "offline_print", "email", "seo_content"]
START = dt.date(2024, 12, 30)  # a Monday
DAYS = 104 * 7


def run(seed: int, users: int) -> list[dict]:
    t0 = time.perf_counter()
    spend = synth.simulate_spend(CHANNELS, START, DAYS, weekly_budget=180_000, seed=seed)
    data = synth.generate(START, spend, users=users, seed=seed + 100)
    t1 = time.perf_counter()
    with Store(":memory:") as store:
        synth.load(store, data, prefix="bench")
        t2 = time.perf_counter()
        rows = store.execute(
            "SELECT CAST(date_trunc('week', ts) AS DATE) w, sum(value)::DOUBLE FROM orders "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    revenue = {w: v for w, v in rows}
    weeks, spend_w, _ = synth.weekly(
        np.datetime64(START) + np.arange(DAYS), np.column_stack([spend[c] for c in CHANNELS])
    )
    y = np.array([revenue.get(w, 0.0) for w in weeks.astype(object)])
    t3 = time.perf_counter()
    result = fit(MMMData([str(w) for w in weeks], CHANNELS, spend_w, y), MMMConfig(seed=seed))
    t4 = time.perf_counter()
    truth = dict(zip(data.truth["channel"].to_pylist(), data.truth["roi"].to_pylist(), strict=True))
    print(
        f"\nseed {seed}: {data.summary['orders']:,} orders, {data.summary['sessions']:,} sessions, "
        f"{users:,} users · generate {t1 - t0:.1f} s · load {t2 - t1:.1f} s · fit {t4 - t3:.2f} s · "
        f"R² {result['diagnostics']['r2']:.3f}"
    )
    print(f"{'channel':<14}{'true':>7}{'est.':>7}{'90% interval':>18}{'error':>9}  inside")
    out = []
    for row in result["summary"]:
        t = truth[row["channel"]]
        err = row["roi"] / t - 1
        inside = row["roi_lo"] <= t <= row["roi_hi"]
        print(
            f"{row['channel']:<14}{t:>7.2f}{row['roi']:>7.2f}   "
            f"{row['roi_lo']:>6.2f} to {row['roi_hi']:<6.2f}"
            f"{err:>+9.1%}  {'yes' if inside else 'NO'}"
        )
        out.append({"error": err, "inside": inside, "abs": abs(row["roi"] - t)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--users", type=int, default=200_000)
    args = parser.parse_args()
    results = [r for seed in range(args.seeds) for r in run(seed, args.users)]
    errors = np.array([abs(r["error"]) for r in results])
    coverage = np.mean([r["inside"] for r in results])
    within = np.mean([abs(r["error"]) <= 0.25 or r["abs"] <= 0.25 for r in results])
    print(
        f"\n{len(results)} channel ROIs over {args.seeds} seeds: median |error| {np.median(errors):.1%}, "
        f"90th percentile {np.percentile(errors, 90):.1%}; within 25% or 0.25: {within:.0%}; "
        f"truth inside the 90% interval: {coverage:.0%}"
    )


if __name__ == "__main__":
    main()
