"""Full-Bayes fit through PyMC-Marketing (optional: used when the package is installed).

The same model family as the MAP fit — normalised geometric or Weibull (survival) adstock, logistic or
Hill saturation, yearly Fourier terms and a linear trend as a control — with PyMC-Marketing's default
priors, sampled with PyMC's default NUTS sampler (the fastest that works here: nutpie and numpyro are
not installed; see docs/mmm.md for the measurements). Results have the same shape as
:func:`opencmo.analytics.mmm.fit`, plus r-hat, divergences and effective sample sizes.

PyTensor compiles C code on first use into ``compile_dir`` (set before PyTensor is imported).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np

from .diagnostics import ess, split_rhat
from .model import MMMConfig, MMMData, MMMError, Progress, response, verdict
from .transforms import adstock, geometric_weights, saturate, weibull_weights

__all__ = ["available", "fit"]


def available() -> bool:
    """Whether PyMC-Marketing is installed (cheap: does not import it)."""
    return importlib.util.find_spec("pymc_marketing") is not None


def _import(compile_dir: Path | None):
    if compile_dir is not None and "pytensor" not in sys.modules:
        Path(compile_dir).mkdir(parents=True, exist_ok=True)
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        if "base_compiledir" not in flags:
            os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [flags, f"base_compiledir={compile_dir}"]))
    try:
        import pandas as pd
        from pymc_marketing.mmm import (
            MMM,
            GeometricAdstock,
            HillSaturation,
            LogisticSaturation,
            WeibullCDFAdstock,
        )
    except Exception as error:  # ImportError, or numba refusing this NumPy
        raise MMMError(f"PyMC-Marketing could not be loaded ({type(error).__name__}: {error}).") from None
    return pd, MMM, GeometricAdstock, WeibullCDFAdstock, LogisticSaturation, HillSaturation


def build(data: MMMData, config: MMMConfig, compile_dir: Path | None = None):
    """The PyMC-Marketing model and its inputs (also used by the benchmark's plain script)."""
    pd, MMM, Geometric, Weibull, Logistic, Hill = _import(compile_dir)
    frame = pd.DataFrame(data.spend, columns=data.channels)
    frame.insert(0, "date", pd.to_datetime(data.weeks))
    frame["trend"] = np.linspace(-0.5, 0.5, len(frame))
    model = MMM(
        date_column="date",
        channel_columns=list(data.channels),
        control_columns=["trend"] if config.trend else None,
        adstock=(Geometric if config.adstock == "geometric" else Weibull)(l_max=config.max_lag),
        saturation=Logistic() if config.saturation == "logistic" else Hill(),
        yearly_seasonality=config.fourier_order or None,
    )
    return model, frame, pd.Series(np.asarray(data.y, dtype=float), name="y")


def fit(
    data: MMMData,
    config: MMMConfig | None = None,
    progress: Progress | None = None,
    *,
    compile_dir: Path | None = None,
    chains: int = 2,
    draws: int = 500,
    tune: int = 500,
    seed: int = 0,
) -> dict:
    config = config or MMMConfig()
    config.validate()
    data.validate()
    say = progress or (lambda fraction, message: None)
    say(0.02, "Loading PyMC-Marketing")
    model, frame, y = build(data, config, compile_dir)
    say(0.1, f"Sampling {chains} chains x {draws} draws (compiling on first use)")
    started = time.monotonic()
    model.fit(frame, y, chains=chains, draws=draws, tune=tune, cores=1, progressbar=False, random_seed=seed)
    seconds = time.monotonic() - started
    say(0.85, "Summarising the posterior")
    post = model.idata.posterior
    scales = model.get_scales_as_xarray()
    y_scale = float(np.asarray(scales["target_scale"]))
    x_scale = np.asarray(scales["channel_scale"], dtype=float).reshape(-1) * np.ones(len(data.channels))

    def flat(name):
        a = np.asarray(post[name])
        return a.reshape(a.shape[0] * a.shape[1], *a.shape[2:])

    contrib = flat("channel_contribution") * y_scale  # (S, T, C)
    mu = flat("mu").mean(axis=0) * y_scale
    spend_total = data.spend.sum(axis=0)
    roi = contrib.sum(axis=1) / spend_total
    beta = flat("saturation_beta")
    if config.saturation == "logistic":
        k = 2.0 * np.arctanh(0.5) / flat("saturation_lam")
        slope = np.ones_like(k)
    else:
        k, slope = flat("saturation_kappa"), flat("saturation_slope")
    if config.adstock == "geometric":
        alpha = flat("adstock_alpha")
        weights = geometric_weights(alpha, config.max_lag)
    else:
        weights = weibull_weights(flat("adstock_k"), flat("adstock_lam"), config.max_lag)
    x = data.spend / x_scale
    mroi = np.empty_like(roi)
    for s in range(len(beta)):
        base = beta[s] * saturate(config.saturation, adstock(x, weights[s]), k[s], slope[s])
        more = beta[s] * saturate(config.saturation, adstock(x * 1.01, weights[s]), k[s], slope[s])
        mroi[s] = (more.sum(axis=0) - base.sum(axis=0)) * y_scale / (0.01 * spend_total)
    lo_q, hi_q = (1 - config.interval) / 2 * 100, (1 + config.interval) / 2 * 100
    contrib_mean = contrib.mean(axis=0)
    actual = np.asarray(data.y, dtype=float)
    params, draw_params, curves, summary = {}, {}, {}, []
    take = np.linspace(0, len(beta) - 1, min(200, len(beta))).astype(int)
    for i, c in enumerate(data.channels):
        params[c] = {
            "beta": float(beta[:, i].mean()),
            "k": float(np.median(k[:, i])),
            "slope": float(slope[:, i].mean()),
            "x_scale": float(x_scale[i]),
            "y_scale": y_scale,
        }
        draw_params[c] = {
            "beta": beta[take, i].tolist(),
            "k": k[take, i].tolist(),
            "slope": slope[take, i].tolist(),
        }
        mean_weekly = float(data.spend[:, i].mean())
        grid = np.linspace(0, 2.5 * mean_weekly, 41)
        ys = np.array(
            [
                response(grid, {**params[c], "beta": b, "k": kk, "slope": ss}, config.saturation)
                for b, kk, ss in zip(beta[take, i], k[take, i], slope[take, i], strict=True)
            ]
        )
        curves[c] = {
            "spend": grid.tolist(),
            "mean": ys.mean(axis=0).tolist(),
            "lo": np.percentile(ys, lo_q, axis=0).tolist(),
            "hi": np.percentile(ys, hi_q, axis=0).tolist(),
            "current": mean_weekly,
        }
        totals = contrib[:, :, i].sum(axis=1)
        summary.append(
            {
                "channel": c,
                "spend": float(spend_total[i]),
                "contribution": float(contrib_mean[:, i].sum()),
                "contribution_lo": float(np.percentile(totals, lo_q)),
                "contribution_hi": float(np.percentile(totals, hi_q)),
                "share": float(contrib_mean[:, i].sum() / actual.sum()),
                "roi": float(roi[:, i].mean()),
                "roi_lo": float(np.percentile(roi[:, i], lo_q)),
                "roi_hi": float(np.percentile(roi[:, i], hi_q)),
                "mroi": float(np.median(mroi[:, i])),
                "mroi_lo": float(np.percentile(mroi[:, i], lo_q)),
                "mroi_hi": float(np.percentile(mroi[:, i], hi_q)),
            }
        )
    resid = actual - mu
    r2 = 1 - resid @ resid / np.sum((actual - actual.mean()) ** 2)
    nonzero = actual != 0
    key_vars = [
        v for v in post.data_vars if v.startswith(("adstock_", "saturation_", "intercept", "y_sigma"))
    ]
    rhats, esss = [], []
    for name in key_vars:
        a = np.asarray(post[name])
        a = a.reshape(a.shape[0], a.shape[1], -1)
        for j in range(a.shape[2]):
            rhats.append(split_rhat(a[:, :, j]))
            esss.append(ess(a[:, :, j]))
    divergences = int(np.asarray(model.idata.sample_stats["diverging"]).sum())
    diagnostics = {
        "r2": float(r2),
        "mape": float(np.mean(np.abs(resid[nonzero] / actual[nonzero]))),
        "weeks": len(actual),
        "parameters": len(rhats),
        "rhat_max": float(np.nanmax(rhats)) if rhats else None,
        "divergences": divergences,
        "ess_min": float(np.nanmin(esss)) if esss else None,
        "sampling_seconds": round(seconds, 2),
        "chains": chains,
        "draws": draws,
    }
    out = {
        "method": "bayes",
        "config": {**config.__dict__},
        "channels": list(data.channels),
        "weeks": list(data.weeks),
        "actual": actual.tolist(),
        "fitted": mu.tolist(),
        "baseline": (mu - contrib_mean.sum(axis=1)).tolist(),
        "contributions": {c: contrib_mean[:, i].tolist() for i, c in enumerate(data.channels)},
        "summary": summary,
        "media_share": float(contrib_mean.sum() / actual.sum()),
        "curves": curves,
        "params": params,
        "draws": draw_params,
        "diagnostics": diagnostics,
    }
    out["verdict"] = verdict(diagnostics, config.interval)
    say(1.0, "Done")
    return out
