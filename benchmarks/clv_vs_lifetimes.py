"""CLV fit speed and agreement: opencmo.analytics.clv against lifetimes, same data, same run.

Data: ``--customers`` (default 1,000,000) customers simulated from the BG/NBD process with the CDNOW
estimates (r = 0.243, alpha = 4.414 per week, a = 0.793, b = 2.426), acquired over 12 weeks and
observed to week 39, purchases recorded by the day (so recency and T are whole days, expressed in
weeks as in the CDNOW data); repeat customers get Gamma-Gamma spend (p = 6.25, q = 3.74, v = 15.44).

Compared (each fit timed once, wall clock, after a warm-up fit on 1,000 customers):

* BG/NBD: ours on the raw per-customer arrays (grouping included in the time) against
  ``lifetimes.BetaGeoFitter`` on the same arrays; lifetimes is also timed on pre-grouped rows with
  weights, to show how much of the gain is grouping;
* Pareto/NBD: ours on the raw arrays against ``lifetimes.ParetoNBDFitter`` on the pre-grouped rows
  (on raw arrays lifetimes' Nelder-Mead needs well over ten minutes at this size);
* Gamma-Gamma: both on the repeat customers.

Agreement: the largest relative difference between the two sets of estimates, and the difference of
the two log-likelihoods, both evaluated with the same formula on the same data (ours should be at
least as high, up to rounding: it is the maximum).

Run: ``.venv/bin/python benchmarks/clv_vs_lifetimes.py [--customers N] [--seed S] [--skip-pareto]``.
Needs the test extra (lifetimes). The default run takes about two to three minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencmo.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    bgnbd,
    gammagamma,
    group_customers,
    paretonbd,
    simulate_bgnbd,
    simulate_spend,
)

TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def simulate(customers: int, seed: int):
    rng = np.random.default_rng(seed)
    T_days = 273 - rng.integers(0, 84, customers)
    # The BG/NBD in days: alpha scales with the time unit (a rate of purchases per unit of time).
    x, t_x = simulate_bgnbd(
        customers, TRUE_BG["r"], TRUE_BG["alpha"] * 7, TRUE_BG["a"], TRUE_BG["b"], T_days, seed=seed + 1
    )
    recency = np.where(x > 0, np.floor(t_x), 0) / 7.0
    T = T_days / 7.0
    repeat = x > 0
    spend = simulate_spend(x[repeat], **TRUE_GG, seed=seed + 2)
    return x, recency, T, x[repeat], spend


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def max_rel_diff(ours: dict, theirs: dict) -> float:
    return max(abs(ours[k] - float(theirs[k])) / abs(float(theirs[k])) for k in ours)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-pareto", action="store_true", help="leave out the Pareto/NBD comparison")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes

    x, recency, T, x_repeat, spend = simulate(args.customers, args.seed)
    groups = group_customers(x, recency, T)
    print(f"{args.customers:,} customers ({(x > 0).mean():.1%} repeat buyers, max frequency {x.max()});")
    print(
        f"{groups.n_groups:,} distinct (frequency, recency, T); {x_repeat.size:,} repeat customers for spend"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, lifetimes {lifetimes.__version__}")

    # Warm-up: imports and first-call costs on both sides.
    small = slice(0, 1000)
    timed(BetaGeoModel().fit, x[small], recency[small], T[small])
    timed(lifetimes.BetaGeoFitter().fit, x[small], recency[small], T[small])

    results = {"customers": args.customers, "groups": groups.n_groups, "models": {}}
    rows = []

    ours, t_ours = timed(BetaGeoModel().fit, x, recency, T)
    theirs, t_theirs = timed(lifetimes.BetaGeoFitter().fit, x, recency, T)
    _, t_theirs_grouped = timed(
        lifetimes.BetaGeoFitter().fit, groups.x, groups.t, groups.T, weights=groups.weights
    )
    lls = [
        float(bgnbd.log_likelihood(*p, x, recency, T).sum())
        for p in (ours.params_.values(), theirs.params_.values)
    ]
    rows.append(("BG/NBD", t_ours, t_theirs, t_theirs_grouped, ours, theirs, lls))

    if not args.skip_pareto:
        ours_p, t_ours_p = timed(ParetoNBDModel().fit, x, recency, T)
        theirs_p, t_theirs_p = timed(
            lifetimes.ParetoNBDFitter().fit, groups.x, groups.t, groups.T, weights=groups.weights
        )
        lls_p = [
            float((groups.weights * paretonbd.log_likelihood(*p, groups.x, groups.t, groups.T)).sum())
            for p in (ours_p.params_.values(), theirs_p.params_.values)
        ]
        rows.append(("Pareto/NBD", t_ours_p, None, t_theirs_p, ours_p, theirs_p, lls_p))

    ours_g, t_ours_g = timed(GammaGammaModel().fit, x_repeat, spend)
    theirs_g, t_theirs_g = timed(lifetimes.GammaGammaFitter().fit, x_repeat, spend)
    lls_g = [
        float(gammagamma.log_likelihood(*p, x_repeat, spend).sum())
        for p in (ours_g.params_.values(), theirs_g.params_.values)
    ]
    rows.append(("Gamma-Gamma", t_ours_g, t_theirs_g, None, ours_g, theirs_g, lls_g))

    print()
    header = (
        f"{'model':<12}{'ours s':>9}{'lifetimes s':>13}{'speed-up':>10}{'lt grouped s':>14}{'speed-up':>10}"
    )
    header += f"{'max rel diff':>14}{'LL ours - LL lifetimes':>25}"
    print(header)
    print("-" * len(header))
    for name, t_o, t_raw, t_grouped, model, reference, (ll_ours, ll_ref) in rows:
        diff = max_rel_diff(model.params_, reference.params_)
        raw = f"{t_raw:>13.2f}{t_raw / t_o:>9.1f}x" if t_raw is not None else f"{'-':>13}{'-':>10}"
        grouped = (
            f"{t_grouped:>14.2f}{t_grouped / t_o:>9.1f}x" if t_grouped is not None else f"{'-':>14}{'-':>10}"
        )
        print(f"{name:<12}{t_o:>9.2f}{raw}{grouped}{diff:>14.1e}{ll_ours - ll_ref:>25.2e}")
        results["models"][name] = {
            "ours_seconds": t_o,
            "lifetimes_seconds": t_raw,
            "lifetimes_grouped_seconds": t_grouped,
            "speedup": (t_raw / t_o) if t_raw else None,
            "speedup_vs_grouped": (t_grouped / t_o) if t_grouped else None,
            "ours": model.params_,
            "lifetimes": {k: float(v) for k, v in reference.params_.items()},
            "max_relative_difference": diff,
            "log_likelihood_ours": ll_ours,
            "log_likelihood_lifetimes": ll_ref,
        }
    print()
    for name, *_, model, _reference, _ll in rows:
        estimates = ", ".join(f"{k} = {v:.4g}" for k, v in model.params_.items())
        print(f"{name} estimates (ours): {estimates}")
    print(f"simulated with: BG/NBD {TRUE_BG}, Gamma-Gamma {TRUE_GG}")
    bg = results["models"]["BG/NBD"]
    verdict = "met" if bg["speedup"] >= 10 and bg["max_relative_difference"] < 1e-4 else "NOT met"
    print(
        f"goal (BG/NBD at least 10x faster than lifetimes, same estimates): {verdict} ({bg['speedup']:.1f}x)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
