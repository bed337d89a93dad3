"""Attribution speed and agreement: OpenCMO's engine against the ChannelAttribution package.

Generates seeded path tables (10k, 1M, 10M paths), installs the peer ``channelattribution`` from PyPI
into ``benchmarks/.venv-peers`` if it is missing (it compiles C++ with g++ and imports matplotlib; if
that fails the reason is printed and only our numbers are reported), and times, on the same CSV:

* heuristics — the peer's ``heuristic_models`` (first, last, linear touch) against our ``FirstTouch``,
  ``LastTouch`` and ``Linear``;
* first-order Markov — the peer's ``markov_model`` (Monte-Carlo simulation of the chain) against our
  ``Markov`` (exact linear algebra).

Both sides start from the path strings in memory (the peer from a pandas DataFrame, we from an Arrow
table), so splitting and encoding the paths is inside both timings; reading the file is not (it is
shown separately as "our CSV read"). The printed ratio is peer time / our time. The results are
compared too: heuristics must agree exactly, the peer's Markov credits are estimates of ours.

Usage::

    .venv/bin/python benchmarks/attribution_vs_channelattribution.py                # 10k, 1M and 10M paths
    .venv/bin/python benchmarks/attribution_vs_channelattribution.py --sizes 10k,1m
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from opencmo.analytics.attribution import FirstTouch, LastTouch, Linear, Markov  # noqa: E402
from opencmo.analytics.paths import PathTable  # noqa: E402

PEER_VENV = ROOT / ".venv-peers"
DATA = ROOT / ".data"
PEER_PACKAGES = ["channelattribution==2.2.5", "matplotlib"]
CHANNELS = [
    "Organic Search",
    "Paid Search",
    "Paid Social",
    "Organic Social",
    "Email",
    "Display",
    "Affiliates",
    "Referral",
    "Direct",
    "Paid Video",
    "Cross-network",
    "SMS",
]

CONVERGENCE_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from ChannelAttribution import markov_model
df = pd.read_csv(sys.argv[1])
for nsim in (1e5, 1e6, 4e6):
    m = markov_model(df, "path", "total_conversions", var_null="total_null", sep=">", nsim_start=nsim,
                     verbose=False, flg_pro=False)
    print(json.dumps({"nsim": nsim, "conv": dict(zip(m["channel_name"], m["total_conversions"]))}))
"""

PEER_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from ChannelAttribution import heuristic_models, markov_model
path, cores, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter(); df = pd.read_csv(path); read = time.perf_counter() - t
heuristic = markov = float("inf")
for _ in range(repeat):  # best of ``repeat``, like our side
    t = time.perf_counter()
    h = heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value", sep=">",
                         flg_pro=False)
    heuristic = min(heuristic, time.perf_counter() - t)
    t = time.perf_counter()
    m = markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                     var_null="total_null", sep=">", ncore=cores, verbose=False, flg_pro=False)
    markov = min(markov, time.perf_counter() - t)
print(json.dumps({
    "read": read, "heuristic": heuristic, "markov": markov,
    "first": dict(zip(h["channel_name"], h["first_touch_conversions"])),
    "last": dict(zip(h["channel_name"], h["last_touch_conversions"])),
    "linear": dict(zip(h["channel_name"], h["linear_touch_conversions"])),
    "markov_conv": dict(zip(m["channel_name"], m["total_conversions"])),
    "markov_value": dict(zip(m["channel_name"], m["total_conversion_value"])),
}))
"""


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1_000}k"


def generate(n: int, seed: int) -> Path:
    """A seeded path table of ``n`` rows: journeys from a Markov process with channel effects."""
    DATA.mkdir(exist_ok=True)
    file = DATA / f"paths-{label(n)}-seed{seed}.csv"
    if file.exists():
        return file
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    start = rng.dirichlet(np.ones(k) * 2)
    transition = rng.dirichlet(np.ones(k) * 0.7, size=k)
    cumulative = np.cumsum(transition, axis=1)
    lengths = np.minimum(rng.geometric(0.35, n), 15)
    codes = np.zeros((n, 15), dtype=np.int32)
    codes[:, 0] = rng.choice(k, size=n, p=start)
    for step in range(1, 15):
        alive = np.flatnonzero(lengths > step)
        u = rng.random(len(alive))
        codes[alive, step] = (cumulative[codes[alive, step - 1]] < u[:, None]).sum(axis=1).clip(0, k - 1)
    effect = rng.normal(-0.2, 0.35, k)
    mask = np.arange(15) < lengths[:, None]
    lift = np.where(mask, effect[codes], 0.0).sum(axis=1)
    probability = 1 / (1 + np.exp(-(-2.4 + lift)))
    journeys = 1 + rng.poisson(1.5, n)
    conversions = rng.binomial(journeys, probability)
    value = np.round(conversions * rng.gamma(2.0, 60.0, n), 2)
    nulls = journeys - conversions
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = codes[mask]
    table = pa.table(
        {
            "codes": pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat)),
            "total_conversions": conversions,
            "total_conversion_value": value,
            "total_null": nulls,
        }
    )
    con = duckdb.connect()
    con.register("generated", table)
    names = "[" + ", ".join("'" + c + "'" for c in CHANNELS) + "]"
    con.execute(
        f"""
        COPY (
            SELECT array_to_string(list_transform(codes, lambda c: {names}[c + 1]), ' > ') AS path,
                   total_conversions, total_conversion_value, total_null
            FROM generated
        ) TO '{file}' (HEADER, DELIMITER ',')
        """  # noqa: S608
    )
    con.close()
    return file


def peer_python() -> tuple[Path | None, str]:
    """The peer venv's python, installing ChannelAttribution first if needed."""
    python = PEER_VENV / "bin" / "python"
    check = [str(python), "-c", "import ChannelAttribution"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:  # noqa: S603
        return python, "installed"
    print(
        f"Installing {', '.join(PEER_PACKAGES)} into {PEER_VENV} (compiles C++; a minute or two)…", flush=True
    )
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True)  # noqa: S603
        result = subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
            capture_output=True,
            text=True,
            check=False,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        return None, f"could not create the peer environment: {error}"
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        return None, f"pip could not install ChannelAttribution:\n{tail}"
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:  # noqa: S603
        return None, "ChannelAttribution installed but does not import"
    return python, "installed now"


def best(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def ours(file: Path, repeat: int) -> dict:
    read, _ = best(lambda: PathTable.from_csv(file), repeat)
    arrow = pcsv.read_csv(file)
    parse, paths = best(lambda: PathTable.from_arrow(arrow), repeat)

    def heuristics():
        return [model.fit(paths) for model in (FirstTouch(), LastTouch(), Linear())]

    heuristic, fitted = best(heuristics, repeat)
    markov_time, markov = best(lambda: Markov().fit(paths), repeat)
    first, last, linear = fitted
    return {
        "csv": read,
        "parse": parse,
        "heuristic": heuristic,
        "markov": markov_time,
        "first": dict(zip(paths.channels, first.conversions_, strict=True)),
        "last": dict(zip(paths.channels, last.conversions_, strict=True)),
        "linear": dict(zip(paths.channels, linear.conversions_, strict=True)),
        "markov_conv": dict(zip(paths.channels, markov.conversions_, strict=True)),
        "markov_value": dict(zip(paths.channels, markov.value_, strict=True)),
        "paths": paths.n_paths,
        "conversions": paths.total_conversions,
    }


def peer(python: Path, file: Path, cores: int, repeat: int = 1) -> dict | str:
    result = subprocess.run(  # noqa: S603
        [str(python), "-c", PEER_SCRIPT, str(file), str(cores), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return "the peer failed: " + "\n".join(result.stderr.strip().splitlines()[-5:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def convergence(python: Path, file: Path, exact: dict) -> list[str]:
    """The peer's Markov credits against our exact ones as its number of simulations grows."""
    result = subprocess.run(  # noqa: S603 - our own peer venv and script
        [str(python), "-c", CONVERGENCE_SCRIPT, str(file)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return ["  (the convergence check failed)"]
    lines = []
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            run = json.loads(line)
            worst = differences(exact, run["conv"])[1]
            lines.append(f"  nsim_start={run['nsim']:>9,.0f}: max relative difference {worst:.2%}")
    return lines


def differences(a: dict, b: dict) -> tuple[float, float]:
    """Largest absolute and relative difference between two {channel: credit} maps."""
    worst_abs = worst_rel = 0.0
    for channel, value in a.items():
        other = float(b.get(channel, 0.0))
        worst_abs = max(worst_abs, abs(value - other))
        worst_rel = max(worst_rel, abs(value - other) / max(abs(value), 1e-12))
    return worst_abs, worst_rel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,1m,10m", help="Comma-separated path counts, e.g. 10k,1m.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--peer-cores", type=int, default=os.cpu_count() or 1, help="ncore for markov_model.")
    parser.add_argument("--no-peer", action="store_true", help="Only time OpenCMO.")
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        help="Best of N runs on both sides (default 3 up to 100k paths, else 1); helps on a busy machine.",
    )
    options = parser.parse_args()
    sizes = [parse_size(s) for s in options.sizes.split(",") if s.strip()]

    python, status = (None, "skipped (--no-peer)") if options.no_peer else peer_python()
    print(f"Peer ChannelAttribution: {status}")
    print(f"Machine: {os.cpu_count()} cores; numpy {np.__version__}, duckdb {duckdb.__version__}\n")
    rows = []
    for n in sizes:
        started = time.perf_counter()
        file = generate(n, options.seed)
        print(
            f"{label(n)}: {file.name} ({file.stat().st_size / 1e6:.0f} MB, "
            f"{time.perf_counter() - started:.1f} s)"
        )
        repeat = options.repeat or (3 if n <= 100_000 else 1)
        mine = ours(file, repeat)
        theirs = peer(python, file, options.peer_cores, repeat) if python else status
        rows.append((n, mine, theirs))
        if isinstance(theirs, str):
            print("  " + theirs.replace("\n", "\n  "))

    print()
    head = (
        f"{'paths':>6} | {'task':<20} | {'ours (s)':>9} | {'peer (s)':>9} | {'peer/ours':>9} | "
        f"{'fit only':>9} | agreement"
    )
    print(head)
    print("-" * len(head))
    for n, mine, theirs in rows:
        peer_ok = isinstance(theirs, dict)
        for task, fit_key, results in (
            ("heuristics (3)", "heuristic", ("first", "last", "linear")),
            ("Markov, 1st order", "markov", ("markov_conv",)),
        ):
            total = mine["parse"] + mine[fit_key]
            peer_time = theirs[fit_key] if peer_ok else None
            if peer_ok:
                agreement = max(differences(mine[key], theirs[key])[1] for key in results)
                words = "identical" if agreement < 1e-9 else f"max rel. diff {agreement:.2%}"
                if fit_key == "markov":
                    value_diff = differences(mine["markov_value"], theirs["markov_value"])[1]
                    words += f" (value {value_diff:.2%})"
            else:
                words = "-"
            print(
                f"{label(n):>6} | {task:<20} | {total:9.3f} | "
                f"{(f'{peer_time:9.3f}' if peer_time else '        -')} | "
                f"{(f'{peer_time / total:8.1f}x' if peer_time else '        -')} | "
                f"{(f'{peer_time / mine[fit_key]:8.0f}x' if peer_time else '        -')} | {words}"
            )
        print(
            f"{'':>6} | {'(our CSV read+parse)':<20} | {mine['csv']:9.3f} | "
            f"{(f'{theirs["read"]:9.3f}' if peer_ok else '        -')} | pandas read_csv for the peer"
        )
    print(
        "\nours = parse the path strings + fit; fit only = peer time / our fit on parsed paths. "
        "The peer's Markov is a simulation: its credits are estimates of our exact ones."
    )
    if python and rows and isinstance(rows[0][2], dict):
        n, mine, _ = rows[0]
        print(
            f"\nThe peer's first-order Markov against our exact credits on {label(n)} paths, by simulations:"
        )
        for line in convergence(python, generate(n, options.seed), mine["markov_conv"]):
            print(line)


if __name__ == "__main__":
    main()
