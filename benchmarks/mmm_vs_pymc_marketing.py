"""Marketing-mix model: our MAP + Laplace fit against a plain PyMC-Marketing script, same data, same run.

Data: two years of weekly spend on four channels with independent flighting and known true effects
(``synth.simulate_spend`` + ``synth.generate``, revenue from the generated orders).

Compared:

* ours — ``opencmo.analytics.mmm.fit`` (geometric adstock, logistic saturation: the same family as the
  PyMC-Marketing defaults below), wall time of the whole fit (4 optimiser starts, Laplace Hessian,
  400 posterior draws and the summaries);
* PyMC-Marketing — the plain script anyone would write: ``MMM(date_column, channel_columns,
  adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), yearly_seasonality=2)`` and
  ``fit(X, y)`` with its default sampler settings (PyMC NUTS, 1,000 draws after 1,000 tuning steps
  per chain, ``max(2, cores)`` chains in parallel: two chains on this two-core machine); wall time of
  ``fit`` including model compilation.

Effective samples per second: the smallest effective sample size over the adstock and saturation
parameters (Geyer's initial monotone sequence estimator, ``mmm.diagnostics.ess``) divided by the wall
time. The Laplace draws are independent, so their ESS is close to their number. Also printed: each
channel's ROI from both against the truth.

Run: ``.venv/bin/python benchmarks/mmm_vs_pymc_marketing.py [--draws 1000 --tune 1000 --chains 4]``.
Needs PyMC-Marketing (optional dependency). PYTENSOR_FLAGS=base_compiledir=... is set to a temporary
directory unless already set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={tempfile.gettempdir()}/opencmo-pytensor")

from opencmo.analytics import synth
from opencmo.analytics.mmm import MMMConfig, MMMData, fit
from opencmo.analytics.mmm.diagnostics import ess, split_rhat

CHANNELS = ["paid_search", "paid_social", "display", "email"]
START = dt.date(2024, 12, 30)


def make_data(seed: int):
    spend = synth.simulate_spend(CHANNELS, START, 104 * 7, weekly_budget=120_000, seed=seed)
    data = synth.generate(START, spend, users=20_000, seed=seed + 10)
    tw = data.truth_weekly.to_pydict()
    weeks = sorted(set(tw["week"]))
    width = len(CHANNELS) + 1
    matrix = np.array(tw["spend"]).reshape(len(weeks), width)[:, :-1]
    y = np.array(tw["revenue"]).reshape(len(weeks), width)[:, 0]
    truth = dict(zip(data.truth["channel"].to_pylist(), data.truth["roi"].to_pylist(), strict=True))
    return MMMData([str(w) for w in weeks], list(CHANNELS), matrix, y), truth


def ours(data: MMMData):
    config = MMMConfig(saturation="logistic")
    fit(data, MMMConfig(saturation="logistic", starts=1, draws=20))  # warm-up (imports, caches)
    started = time.perf_counter()
    result = fit(data, config)
    seconds = time.perf_counter() - started
    draws = result["draws"]
    n_ess = min(ess(np.asarray(draws[c][k])[None, :]) for c in CHANNELS for k in ("beta", "k"))
    return result, seconds, n_ess


def pymc_marketing(data: MMMData, draws: int | None, tune: int | None, chains: int | None):
    import pandas as pd
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    frame = pd.DataFrame(data.spend, columns=CHANNELS)
    frame.insert(0, "date", pd.to_datetime(data.weeks))
    y = pd.Series(data.y, name="y")
    model = MMM(
        date_column="date",
        channel_columns=CHANNELS,
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    options = {k: v for k, v in {"draws": draws, "tune": tune, "chains": chains}.items() if v is not None}
    started = time.perf_counter()
    model.fit(frame, y, progressbar=False, random_seed=1, **options)
    seconds = time.perf_counter() - started
    post = model.idata.posterior
    names = [v for v in post.data_vars if v.startswith(("adstock_", "saturation_"))]
    esses, rhats = [], []
    for name in names:
        a = np.asarray(post[name])
        a = a.reshape(a.shape[0], a.shape[1], -1)
        for j in range(a.shape[2]):
            esses.append(ess(a[:, :, j]))
            rhats.append(split_rhat(a[:, :, j]))
    scale = float(np.asarray(model.get_scales_as_xarray()["target_scale"]))
    contrib = np.asarray(post["channel_contribution"]) * scale  # chain, draw, date, channel
    roi = contrib.sum(axis=2).reshape(-1, len(CHANNELS)) / data.spend.sum(axis=0)
    divergences = int(np.asarray(model.idata.sample_stats["diverging"]).sum())
    return roi, seconds, min(esses), max(rhats), divergences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--draws", type=int, default=None, help="default: PyMC's (1000)")
    parser.add_argument("--tune", type=int, default=None, help="default: PyMC's (1000)")
    parser.add_argument("--chains", type=int, default=None, help="default: PyMC's (4)")
    args = parser.parse_args()
    data, truth = make_data(args.seed)
    result, our_seconds, our_ess = ours(data)
    print(
        f"ours (MAP + Laplace): {our_seconds:.2f} s, min ESS {our_ess:.0f}, "
        f"{our_ess / our_seconds:,.0f} ESS/s"
    )
    roi, their_seconds, their_ess, rhat, divergences = pymc_marketing(
        data, args.draws, args.tune, args.chains
    )
    print(
        f"PyMC-Marketing (NUTS, defaults): {their_seconds:.1f} s, min ESS {their_ess:.0f}, "
        f"{their_ess / their_seconds:,.1f} ESS/s, max r-hat {rhat:.3f}, {divergences} divergences"
    )
    print(
        f"\nwall time ratio (PyMC-Marketing / ours): {their_seconds / our_seconds:,.0f}x; "
        f"ESS/s ratio (ours / PyMC-Marketing): {(our_ess / our_seconds) / (their_ess / their_seconds):,.0f}x"
    )
    print(f"\n{'channel':<13}{'true':>7}{'ours':>7}{'  90%':>15}{'PyMC-M':>8}{'  90%':>15}")
    for i, row in enumerate(result["summary"]):
        c = row["channel"]
        lo, hi = np.percentile(roi[:, i], [5, 95])
        print(
            f"{c:<13}{truth[c]:>7.2f}{row['roi']:>7.2f}  {row['roi_lo']:>5.2f}-{row['roi_hi']:<6.2f}"
            f"{roi[:, i].mean():>8.2f}  {lo:>5.2f}-{hi:<6.2f}"
        )


if __name__ == "__main__":
    main()
