"""The marketing-mix model: a fast MAP fit with a Laplace approximation for credible intervals.

Model (weekly, everything scaled: ``y`` by its mean, each channel's spend by its mean)::

    y_t = b0 + b1 * t + Σ_k fourier_k(t) + Σ_j g_j * control_jt
          + Σ_c beta_c * sat(adstock(x_c; carry-over)_t; K_c, s_c) + e_t,     e_t ~ N(0, sigma)

Priors (as penalties on the log posterior, all on unconstrained parameters):

* carry-over: geometric ``logit(alpha) ~ N(0, 1)``; Weibull ``log shape ~ N(0, 0.5)``,
  ``log scale ~ N(log 2, 0.7)`` (weeks);
* half-saturation ``log K ~ N(0, 0.7)`` (K is in units of the channel's mean spend), slope
  ``log s ~ N(0, 0.3)`` (Hill only);
* effect ``log beta ~ N(log(2 x_scale / y_scale), 1)``: centred on ROI = 1 at half saturation, positive
  by construction (marketing does not destroy sales);
* intercept ``N(1, 1)``, trend ``N(0, 0.5)``, Fourier and controls ``N(0, 0.5)``,
  ``log sigma ~ N(log 0.05, 1)``.

Fit: L-BFGS-B from several starts (the first from the prior centre, the rest jittered), the best kept.
Uncertainty: the Hessian of the negative log posterior at the optimum (central finite differences)
gives the Laplace approximation ``theta ~ N(theta_hat, H^-1)``; ROI, marginal ROI, contributions and
response curves are computed per draw and summarised by their mean and 90% interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize

from .transforms import adstock, geometric_weights, lag_matrix, saturate, weibull_weights

__all__ = ["MMMConfig", "MMMData", "MMMError", "fit", "response", "verdict"]

Progress = Callable[[float, str], None]


class MMMError(ValueError):
    """The data or the configuration cannot be modelled; the message says why."""


@dataclass(frozen=True)
class MMMConfig:
    adstock: str = "geometric"  # or "weibull"
    saturation: str = "hill"  # or "logistic"
    max_lag: int = 8
    fourier_order: int = 2
    trend: bool = True
    draws: int = 400
    starts: int = 4
    seed: int = 0
    interval: float = 0.9

    def validate(self) -> None:
        if self.adstock not in ("geometric", "weibull"):
            raise MMMError("adstock: choose geometric or weibull.")
        if self.saturation not in ("hill", "logistic"):
            raise MMMError("saturation: choose hill or logistic.")
        if not 1 <= self.max_lag <= 26:
            raise MMMError("max_lag: between 1 and 26 weeks.")
        if not 0 <= self.fourier_order <= 6:
            raise MMMError("fourier_order: between 0 and 6.")
        if not 0.5 < self.interval < 1:
            raise MMMError("interval: a probability between 0.5 and 1, such as 0.9.")


@dataclass
class MMMData:
    """Weekly inputs. ``weeks`` are ISO dates (week starts); ``spend`` is ``(T, C)``; ``y`` ``(T,)``."""

    weeks: list[str]
    channels: list[str]
    spend: np.ndarray
    y: np.ndarray
    controls: np.ndarray | None = None
    control_names: list[str] = field(default_factory=list)

    def validate(self) -> None:
        self.spend = np.asarray(self.spend, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        t = len(self.weeks)
        if self.spend.ndim != 2 or self.spend.shape != (t, len(self.channels)):
            raise MMMError("spend: one row per week and one column per channel.")
        if self.y.shape != (t,):
            raise MMMError("target: one value per week.")
        if not self.channels:
            raise MMMError("channels: choose at least one channel with spend.")
        if t < 26:
            raise MMMError(f"period: at least 26 weeks are needed; the data has {t}.")
        if not (np.all(np.isfinite(self.spend)) and np.all(np.isfinite(self.y))):
            raise MMMError("The data has missing or infinite values.")
        if np.any(self.spend < 0):
            raise MMMError("spend: negative spend in the data.")
        idle = [c for c, s in zip(self.channels, self.spend.sum(axis=0), strict=True) if s <= 0]
        if idle:
            raise MMMError(f"channels: no spend in the period for {', '.join(idle)}.")
        if self.y.mean() <= 0:
            raise MMMError("target: the outcome is zero over the whole period.")
        if self.controls is not None:
            self.controls = np.asarray(self.controls, dtype=float).reshape(t, -1)
            if len(self.control_names) != self.controls.shape[1]:
                raise MMMError("controls: one name per control column.")


class _Layout:
    """Where each parameter lives in the flat unconstrained vector, with its prior."""

    def __init__(self, n_channels: int, n_fixed: int, config: MMMConfig) -> None:
        c = n_channels
        self.c = c
        self.carry_n = 1 if config.adstock == "geometric" else 2
        self.hill = config.saturation == "hill"
        sizes = {
            "carry": c * self.carry_n,
            "log_k": c,
            "log_s": c if self.hill else 0,
            "log_beta": c,
            "fixed": n_fixed,
            "log_sigma": 1,
        }
        self.slices, start = {}, 0
        for name, size in sizes.items():
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start
        mean = np.zeros(start)
        sd = np.ones(start)
        if config.adstock == "geometric":
            mean[self.slices["carry"]], sd[self.slices["carry"]] = 0.0, 1.0
        else:
            carry = np.zeros((c, 2))
            carry[:, 1] = np.log(2.0)
            mean[self.slices["carry"]] = carry.ravel()
            sd[self.slices["carry"]] = np.tile([0.5, 0.7], c)
        sd[self.slices["log_k"]] = 0.7
        if self.hill:
            sd[self.slices["log_s"]] = 0.3
        mean[self.slices["log_beta"]], sd[self.slices["log_beta"]] = np.log(0.1), 1.5
        mean[self.slices["log_sigma"]], sd[self.slices["log_sigma"]] = np.log(0.05), 1.0
        self.prior_mean, self.prior_sd = mean, sd

    def set_fixed_prior(self, names: list[str]) -> None:
        sl = self.slices["fixed"]
        means = [1.0 if n == "intercept" else 0.0 for n in names]
        sds = [1.0 if n == "intercept" else 0.5 for n in names]
        self.prior_mean[sl], self.prior_sd[sl] = means, sds


class _Problem:
    def __init__(self, data: MMMData, config: MMMConfig) -> None:
        self.config = config
        self.channels = list(data.channels)
        self.y_scale = float(data.y.mean())
        self.x_scale = data.spend.mean(axis=0)
        self.y = data.y / self.y_scale
        self.x = data.spend / self.x_scale
        t = len(self.y)
        self.t = t
        self.lags = lag_matrix(self.x, config.max_lag)
        cols, names = [np.ones(t)], ["intercept"]
        if config.trend:
            cols.append(np.linspace(-0.5, 0.5, t))
            names.append("trend")
        days = (np.array(data.weeks, dtype="datetime64[D]") - np.datetime64("2000-01-03")).astype(float)
        for k in range(1, config.fourier_order + 1):
            cols += [np.sin(2 * np.pi * k * days / 365.25), np.cos(2 * np.pi * k * days / 365.25)]
            names += [f"sin{k}", f"cos{k}"]
        if data.controls is not None:
            sd = data.controls.std(axis=0)
            z = (data.controls - data.controls.mean(axis=0)) / np.where(sd > 0, sd, 1)
            cols += list(z.T)
            names += list(data.control_names)
        self.design = np.column_stack(cols)
        self.fixed_names = names
        self.layout = _Layout(len(self.channels), len(names), config)
        self.layout.set_fixed_prior(names)
        # Effect prior centred on ROI = 1 at half saturation: beta * 0.5 * y_scale = x_scale. A fixed
        # centre in scaled units would promise small channels a large ROI (and shrink big ones).
        beta = self.layout.slices["log_beta"]
        self.layout.prior_mean[beta] = np.log(2.0 * self.x_scale / self.y_scale)
        self.layout.prior_sd[beta] = 1.0

    # --- parameters ---

    def unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        lay, c = self.layout, self.layout.c
        carry = theta[lay.slices["carry"]].reshape(c, lay.carry_n)
        out = {
            "k": np.exp(theta[lay.slices["log_k"]]),
            "slope": np.exp(theta[lay.slices["log_s"]]) if lay.hill else np.ones(c),
            "beta": np.exp(theta[lay.slices["log_beta"]]),
            "fixed": theta[lay.slices["fixed"]],
            "sigma": float(np.exp(theta[lay.slices["log_sigma"]][0])),
        }
        if self.config.adstock == "geometric":
            out["alpha"] = 1 / (1 + np.exp(-carry[:, 0]))
        else:
            out["shape"], out["scale"] = np.exp(carry[:, 0]), np.exp(carry[:, 1])
        return out

    def weights(self, p: dict) -> np.ndarray:
        if self.config.adstock == "geometric":
            return geometric_weights(p["alpha"], self.config.max_lag)
        return weibull_weights(p["shape"], p["scale"], self.config.max_lag)

    def channel_effects(self, p: dict, lags: np.ndarray | None = None) -> np.ndarray:
        """Scaled contributions ``(T, C)``."""
        ad = adstock(
            None if lags is not None else self.x, self.weights(p), self.lags if lags is None else lags
        )
        return p["beta"] * saturate(self.config.saturation, ad, p["k"], p["slope"])

    def neg_log_post(self, theta: np.ndarray) -> float:
        p = self.unpack(theta)
        mu = self.design @ p["fixed"] + self.channel_effects(p).sum(axis=1)
        r = (self.y - mu) / p["sigma"]
        nll = 0.5 * r @ r + self.t * np.log(p["sigma"])
        z = (theta - self.layout.prior_mean) / self.layout.prior_sd
        value = nll + 0.5 * z @ z
        return float(value) if np.isfinite(value) else 1e12

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The negative log posterior and its exact gradient (chain rule through saturation and the
        normalised adstock weights)."""
        lay, cfg = self.layout, self.config
        p = self.unpack(theta)
        w, dw = self._weights_and_grads(theta)  # (C, L), list of (C, L) per carry parameter
        ad = np.einsum("ctl,cl->tc", self.lags, w)
        k, slope, beta = p["k"], p["slope"], p["beta"]
        if cfg.saturation == "hill":
            sat = saturate("hill", ad, k, slope)
            ds = sat * (1 - sat)
            safe = np.where(ad > 0, ad, 1.0)
            d_ad = np.where(ad > 0, slope * ds / safe, 0.0)
            d_logk = -slope * ds
            d_logs = np.where(ad > 0, ds * slope * (np.log(safe) - np.log(k)), 0.0)
        else:
            lam = 2.0 * np.arctanh(0.5) / k
            sat = np.tanh(lam * ad / 2)
            ds = 1 - sat**2
            d_ad = ds * lam / 2
            d_logk = -ds * lam * ad / 2
            d_logs = None
        effects = beta * sat
        mu = self.design @ p["fixed"] + effects.sum(axis=1)
        sigma = p["sigma"]
        resid = self.y - mu
        r = resid / sigma
        z = (theta - lay.prior_mean) / lay.prior_sd
        value = 0.5 * r @ r + self.t * np.log(sigma) + 0.5 * z @ z
        g_mu = -resid / sigma**2  # d value / d mu_t
        grad = z / lay.prior_sd
        grad[lay.slices["fixed"]] += self.design.T @ g_mu
        grad[lay.slices["log_beta"]] += beta * (g_mu @ sat)
        grad[lay.slices["log_k"]] += beta * (g_mu @ d_logk)
        if lay.hill:
            grad[lay.slices["log_s"]] += beta * (g_mu @ d_logs)
        grad[lay.slices["log_sigma"]] += -(r @ r) + self.t
        carry = np.zeros((lay.c, lay.carry_n))
        for j, dwj in enumerate(dw):
            d_ad_j = np.einsum("ctl,cl->tc", self.lags, dwj)
            carry[:, j] = beta * (g_mu @ (d_ad * d_ad_j))
        grad[lay.slices["carry"]] += carry.ravel()
        if not np.isfinite(value):
            return 1e12, np.zeros_like(theta)
        return float(value), grad

    def _weights_and_grads(self, theta: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        lay = self.layout
        carry = theta[lay.slices["carry"]].reshape(lay.c, lay.carry_n)
        lag = np.arange(self.config.max_lag, dtype=float)
        if self.config.adstock == "geometric":
            alpha = 1 / (1 + np.exp(-carry[:, :1]))
            v = alpha**lag
            dv = [lag * alpha ** np.maximum(lag - 1, 0) * alpha * (1 - alpha)]
        else:
            shape, scale = np.exp(carry[:, :1]), np.exp(carry[:, 1:2])
            ratio = lag / scale
            powk = ratio**shape
            v = np.exp(-powk)
            logr = np.log(np.where(lag > 0, ratio, 1.0))
            dv = [v * (-powk * logr * shape), v * powk * shape]
        total = v.sum(axis=1, keepdims=True)
        w = v / total
        grads = [(d - w * d.sum(axis=1, keepdims=True)) / total for d in dv]
        return w, grads

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_grad(theta)[1]

    def hessian(self, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
        n = len(theta)
        hess = np.empty((n, n))
        for i in range(n):
            e = np.zeros(n)
            e[i] = h
            hess[i] = (self.grad(theta + e) - self.grad(theta - e)) / (2 * h)
        return (hess + hess.T) / 2

    def start(self, rng: np.random.Generator, jitter: float) -> np.ndarray:
        theta = self.layout.prior_mean.copy()
        # start the intercept at the part of y the media cannot explain
        fixed = self.layout.slices["fixed"]
        theta[fixed] = 0.0
        theta[fixed.start] = 0.7
        return theta + rng.normal(0, jitter, len(theta)) * self.layout.prior_sd * 0.5


def fit(data: MMMData, config: MMMConfig | None = None, progress: Progress | None = None) -> dict:
    """Fit by MAP + Laplace and summarise. Returns a JSON-ready dict (see ``docs/mmm.md``)."""
    config = config or MMMConfig()
    config.validate()
    data.validate()
    say = progress or (lambda fraction, message: None)
    prob = _Problem(data, config)
    rng = np.random.default_rng(config.seed)
    best = None
    for i in range(config.starts):
        say(0.05 + 0.55 * i / config.starts, f"Fitting (start {i + 1} of {config.starts})")
        result = optimize.minimize(
            prob.value_and_grad,
            prob.start(rng, 0.0 if i == 0 else 1.0),
            jac=True,
            method="BFGS",
            options={"maxiter": 3000, "gtol": 1e-4},
        )
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    theta = best.x
    say(0.65, "Estimating uncertainty (Laplace approximation)")
    hess = prob.hessian(theta)
    vals, vecs = np.linalg.eigh(hess)
    vals = np.maximum(vals, 1e-6 * max(vals.max(), 1.0))
    cov = (vecs / vals) @ vecs.T
    draws = rng.multivariate_normal(theta, cov, size=config.draws, method="cholesky")
    say(0.8, "Summarising contributions, ROI and response curves")
    out = summarise(prob, theta, draws, method="map")
    out["diagnostics"]["converged"] = bool(best.success or np.linalg.norm(prob.grad(theta)) < 1e-2 * prob.t)
    out["diagnostics"]["objective"] = float(best.fun)
    out["verdict"] = verdict(out["diagnostics"], config.interval)
    say(1.0, "Done")
    return out


def summarise(prob: _Problem, theta: np.ndarray, draws: np.ndarray, *, method: str) -> dict:
    cfg = prob.config
    lo_q, hi_q = (1 - cfg.interval) / 2 * 100, (1 + cfg.interval) / 2 * 100
    p_hat = prob.unpack(theta)
    contrib_hat = prob.channel_effects(p_hat) * prob.y_scale
    fitted = (prob.design @ p_hat["fixed"]) * prob.y_scale + contrib_hat.sum(axis=1)
    actual = prob.y * prob.y_scale
    spend_total = prob.x.sum(axis=0) * prob.x_scale
    bumped = lag_matrix(prob.x * 1.01, cfg.max_lag)
    roi, mroi, totals = [], [], []
    for theta_d in draws:
        p = prob.unpack(theta_d)
        base = prob.channel_effects(p).sum(axis=0) * prob.y_scale
        more = prob.channel_effects(p, bumped).sum(axis=0) * prob.y_scale
        totals.append(base)
        roi.append(base / spend_total)
        mroi.append((more - base) / (0.01 * spend_total))
    roi, mroi, totals = np.array(roi), np.array(mroi), np.array(totals)
    params = _params(prob, p_hat)
    sample = draws[: min(len(draws), 200)]
    curves, draw_params = {}, {c: {"beta": [], "k": [], "slope": []} for c in prob.channels}
    for theta_d in sample:
        p = prob.unpack(theta_d)
        for i, c in enumerate(prob.channels):
            draw_params[c]["beta"].append(float(p["beta"][i]))
            draw_params[c]["k"].append(float(p["k"][i]))
            draw_params[c]["slope"].append(float(p["slope"][i]))
    for i, c in enumerate(prob.channels):
        mean_weekly = float(prob.x_scale[i])
        grid = np.linspace(0, 2.5 * mean_weekly, 41)
        ys = np.array(
            [
                response(grid, {"beta": b, "k": k, "slope": s, **_scales(params[c])}, cfg.saturation)
                for b, k, s in zip(
                    draw_params[c]["beta"], draw_params[c]["k"], draw_params[c]["slope"], strict=True
                )
            ]
        )
        curves[c] = {
            "spend": grid.tolist(),
            "mean": response(grid, params[c], cfg.saturation).tolist(),
            "lo": np.percentile(ys, lo_q, axis=0).tolist(),
            "hi": np.percentile(ys, hi_q, axis=0).tolist(),
            "current": mean_weekly,
        }
    summary = []
    total_media = contrib_hat.sum()
    for i, c in enumerate(prob.channels):
        summary.append(
            {
                "channel": c,
                "spend": float(spend_total[i]),
                "contribution": float(contrib_hat[:, i].sum()),
                "contribution_lo": float(np.percentile(totals[:, i], lo_q)),
                "contribution_hi": float(np.percentile(totals[:, i], hi_q)),
                "share": float(contrib_hat[:, i].sum() / actual.sum()),
                "roi": float(contrib_hat[:, i].sum() / spend_total[i]),
                "roi_lo": float(np.percentile(roi[:, i], lo_q)),
                "roi_hi": float(np.percentile(roi[:, i], hi_q)),
                "mroi": float(np.median(mroi[:, i])),
                "mroi_lo": float(np.percentile(mroi[:, i], lo_q)),
                "mroi_hi": float(np.percentile(mroi[:, i], hi_q)),
            }
        )
    resid = actual - fitted
    r2 = 1 - resid @ resid / np.sum((actual - actual.mean()) ** 2)
    nonzero = actual != 0
    mape = float(np.mean(np.abs(resid[nonzero] / actual[nonzero]))) if nonzero.any() else None
    return {
        "method": method,
        "config": asdict(cfg),
        "channels": prob.channels,
        "weeks": None,  # filled by the caller who knows the dates
        "actual": actual.tolist(),
        "fitted": fitted.tolist(),
        "baseline": (fitted - contrib_hat.sum(axis=1)).tolist(),
        "contributions": {c: contrib_hat[:, i].tolist() for i, c in enumerate(prob.channels)},
        "summary": summary,
        "media_share": float(total_media / actual.sum()),
        "curves": curves,
        "params": params,
        "draws": draw_params,
        "diagnostics": {
            "r2": float(r2),
            "mape": mape,
            "weeks": prob.t,
            "parameters": prob.layout.size,
            "rhat_max": None,
            "divergences": None,
        },
    }


def _params(prob: _Problem, p: dict) -> dict[str, dict]:
    out = {}
    for i, c in enumerate(prob.channels):
        row = {
            "beta": float(p["beta"][i]),
            "k": float(p["k"][i]),
            "slope": float(p["slope"][i]),
            "x_scale": float(prob.x_scale[i]),
            "y_scale": prob.y_scale,
        }
        if "alpha" in p:
            row["alpha"] = float(p["alpha"][i])
        else:
            row["shape"], row["scale"] = float(p["shape"][i]), float(p["scale"][i])
        out[c] = row
    return out


def _scales(row: dict) -> dict:
    return {"x_scale": row["x_scale"], "y_scale": row["y_scale"]}


def response(weekly_spend, params: dict, saturation: str = "hill") -> np.ndarray:
    """Expected weekly contribution at a steady weekly spend (normalised adstock: the steady state of a
    constant spend is the spend itself). ``params`` holds beta, k, slope, x_scale and y_scale."""
    x = np.asarray(weekly_spend, dtype=float) / params["x_scale"]
    return params["y_scale"] * params["beta"] * saturate(saturation, x, params["k"], params["slope"])


def verdict(diagnostics: dict, interval: float = 0.9) -> str:
    """The fit in plain words."""
    r2, mape = diagnostics.get("r2"), diagnostics.get("mape")
    if r2 is None:
        return "No fit."
    quality = "good" if r2 >= 0.8 else "fair" if r2 >= 0.6 else "weak: read the ROIs with care"
    text = f"The model explains {r2:.0%} of the weekly variation in the outcome; {quality}."
    if mape is not None:
        text += f" Its weekly predictions are off by {mape:.1%} on average."
    rhat, div = diagnostics.get("rhat_max"), diagnostics.get("divergences")
    if rhat is not None:
        if rhat > 1.05 or (div or 0) > 0:
            text += (
                f" The sampler did not settle everywhere (largest r-hat {rhat:.2f}, {div or 0} divergences):"
                " treat the intervals as rough."
            )
        else:
            text += f" The sampler converged (largest r-hat {rhat:.2f}, no divergences)."
    elif diagnostics.get("converged") is False:
        text += " The optimiser stopped before converging: treat the numbers as rough."
    text += f" Intervals are {interval:.0%} credible intervals."
    return text
