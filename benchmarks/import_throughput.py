"""Import throughput: OpenCMO's validated importers next to plain bulk loaders, measured in one run.

    .venv/bin/python benchmarks/import_throughput.py                       # 1M ad rows, 10M GA4 events
    .venv/bin/python benchmarks/import_throughput.py --rows 200000 --events 200000

Generates (seeded) a Google Ads CSV export and a GA4 BigQuery NDJSON export, then times:

* **opencmo** — parse + validate every cell (locale numbers, dates, totals, duplicates) + load into the
  DuckDB analytics store in one transaction with natural-key upserts and the file ledger; for GA4 also
  sessions, touchpoints (channel grouping), conversions and orders;
* **pandas** — ``pandas.read_csv`` + ``DataFrame.to_sql`` into SQLite (no validation), run with the
  peer venv ``benchmarks/.venv-peers`` (pandas is never an OpenCMO dependency);
* **pyarrow+duckdb** — ``pyarrow.csv.read_csv`` / ``pyarrow.json.read_json`` + one ``INSERT`` into
  DuckDB (no validation, no derived tables).

Prints rows/s for each. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PEERS = ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"


def make_ads(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    campaigns = [f"Campaign {i:03d}" for i in range(200)]
    groups = [f"Group {i:02d}" for i in range(25)]
    days = rows // (len(campaigns) * len(groups)) + 1
    with path.open("w") as out:
        out.write("Day,Campaign,Ad group,Currency code,Cost,Impr.,Clicks,Conversions,Conv. value\n")
        n = 0
        for d in range(days):
            day = (dt.date(2024, 1, 1) + dt.timedelta(days=d)).isoformat()
            for c in campaigns:
                for g in groups:
                    if n == rows:
                        return
                    cost = rng.randint(0, 500000) / 100
                    out.write(
                        f'{day},{c},{g},EUR,"{cost:,.2f}",{rng.randint(0, 99999)},{rng.randint(0, 999)},'
                        f"{rng.randint(0, 20)},{rng.randint(0, 999999) / 100:.2f}\n"
                    )
                    n += 1


def make_ga4(path: Path, events: int, seed: int) -> None:
    """Sessions as GA4 records them: ``session_start`` and a ``page_view`` first (the traffic source on
    the session's first event), then more page views, ``scroll`` and ``user_engagement`` (about six
    events a session), a purchase in one session of fifty; users come back on later days."""
    rng = random.Random(seed)
    sources = [
        ("google", "cpc"),
        ("google", "organic"),
        ("newsletter", "email"),
        ("facebook", "paid_social"),
        ("(direct)", "(none)"),
        ("partner.example", "referral"),
    ]
    users = max(events // 15, 1)
    t = 1_704_067_200 * 10**6
    written = 0
    with path.open("w") as out:
        while written < events:
            user = f"u{rng.randint(1, users)}"
            t += rng.randint(1, 4_000_000)
            session = t // 10**6
            source, medium = rng.choice(sources)
            names = ["session_start", "page_view"]
            names += rng.choices(["page_view", "scroll", "user_engagement"], k=rng.randint(0, 8))
            if rng.random() < 0.02:
                names.append("purchase")
            stamp = t
            for position, name in enumerate(names[: events - written]):
                stamp += rng.randint(0, 30_000_000) if position else 0
                row = {
                    "event_date": "20240101",
                    "event_timestamp": stamp,
                    "event_name": name,
                    "user_pseudo_id": user,
                    "event_params": [
                        {"key": "ga_session_id", "value": {"int_value": session}},
                        {
                            "key": "page_location",
                            "value": {"string_value": f"https://shop.example/p/{rng.randint(1, 500)}"},
                        },
                    ],
                }
                if position == 0:
                    row["collected_traffic_source"] = {
                        "manual_source": source,
                        "manual_medium": medium,
                        "manual_campaign_name": "c",
                    }
                if name == "user_engagement":
                    row["event_params"].append(
                        {"key": "engagement_time_msec", "value": {"int_value": rng.randint(500, 60_000)}}
                    )
                if name == "purchase":
                    row["ecommerce"] = {
                        "purchase_revenue": round(rng.random() * 300, 2),
                        "transaction_id": f"T{written}",
                    }
                    row["event_params"].append({"key": "currency", "value": {"string_value": "EUR"}})
                out.write(json.dumps(row) + "\n")
                written += 1


def _ours(kind: str, path: Path, tmp: Path) -> None:
    """Runs in a child process (``--ours``) so its peak memory is its own; prints seconds, rows, MB."""
    import resource

    from opencmo.analytics.store import Store
    from opencmo.data import loader
    from opencmo.data.parsers import PARSERS

    start = time.perf_counter()
    data = path.read_bytes()
    parsed = PARSERS[kind](data, default_currency="EUR")
    assert parsed.ok, parsed.problems[:3]
    with Store(tmp / f"ours-{kind}.duckdb") as store:
        loader.load(
            store,
            kind=kind,
            tables=parsed.tables,
            fingerprint=hashlib.sha256(data).hexdigest(),
            filename=path.name,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(time.perf_counter() - start, parsed.rows_read, peak)


def ours(kind: str, path: Path, tmp: Path) -> tuple[float, int] | str:
    done = subprocess.run(  # noqa: S603 - this script, our paths
        [sys.executable, __file__, "--ours", kind, str(path), str(tmp)], capture_output=True, text=True
    )
    if done.returncode:
        return _failure(done)
    seconds, rows, peak = done.stdout.split()[-3:]
    print(f"  (opencmo peak memory {float(peak):,.0f} MB for a {path.stat().st_size / 1e6:,.0f} MB file)")
    return float(seconds), int(rows)


def _failure(done: subprocess.CompletedProcess) -> str:
    if done.returncode in (-9, 137):
        return "killed by the kernel (out of memory)"
    return f"failed: {(done.stderr or '').strip().splitlines()[-1:]}"


PANDAS = """
import sys, time, sqlite3, pandas as pd
kind, path, db = sys.argv[1:4]
t = time.perf_counter()
if kind == "csv":
    df = pd.read_csv(path, thousands=",")
else:
    df = None
con = sqlite3.connect(db)
# JSON in chunks of 1M lines (all at once, a 4 GB export needs more memory than the machine has).
chunks = [df] if df is not None else pd.read_json(path, lines=True, chunksize=1_000_000)
n = 0
for df in chunks:
    for c in ("event_params", "collected_traffic_source", "ecommerce"):
        if c in df: df[c] = df[c].astype(str)
    df.to_sql("t", con, index=False, chunksize=100_000, if_exists="append")
    n += len(df)
con.commit()
print(time.perf_counter() - t, n)
"""


def pandas_baseline(kind: str, path: Path, tmp: Path) -> tuple[float, int] | str | None:
    python = PEERS if PEERS.exists() else None
    if python is None:
        return None
    done = subprocess.run(  # noqa: S603 - our own peer interpreter and temp paths
        [str(python), "-c", PANDAS, kind, str(path), str(tmp / f"pandas-{kind}.sqlite")],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return _failure(done)
    out = done.stdout.split()
    return float(out[0]), int(out[1])


def arrow_baseline(kind: str, path: Path, tmp: Path) -> tuple[float, int]:
    import duckdb
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson

    start = time.perf_counter()
    table = pacsv.read_csv(path) if kind == "csv" else pajson.read_json(path)
    con = duckdb.connect(str(tmp / f"arrow-{kind}.duckdb"))
    con.register("incoming", table)
    con.execute("CREATE TABLE t AS SELECT * FROM incoming")
    con.close()
    return time.perf_counter() - start, table.num_rows


def report(label: str, result: tuple[float, int] | str | None) -> None:
    if result is None:
        print(f"  {label:<16} (skipped: no benchmarks/.venv-peers with pandas)")
        return
    if isinstance(result, str):
        print(f"  {label:<16} {result}")
        return
    seconds, n = result
    print(f"  {label:<16} {n:>11,} rows {seconds:>8.2f} s {n / seconds:>12,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="ad rows (default 1,000,000; 0 skips)")
    parser.add_argument(
        "--events", type=int, default=10_000_000, help="GA4 events (default 10,000,000; 0 skips)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ours", nargs=3, help=argparse.SUPPRESS)  # kind path tmp: the child process
    args = parser.parse_args()
    if args.ours:
        kind, path, tmp = args.ours
        _ours(kind, Path(path), Path(tmp))
        return
    with tempfile.TemporaryDirectory(prefix="opencmo-bench-") as name:
        tmp = Path(name)
        files = [  # what, how many, generator, our parser, the baselines' reader, label
            ("google_ads.csv", args.rows, make_ads, "google_ads", "csv", "Google Ads CSV: {:,} rows"),
            ("ga4.ndjson", args.events, make_ga4, "ga4", "json", "GA4 NDJSON: {:,} events"),
        ]
        for filename, count, make, kind, reader, label in files:
            if not count:
                continue
            path = tmp / filename
            make(path, count, args.seed)
            print(f"{label.format(count)}, {path.stat().st_size / 1e6:.1f} MB")
            report("opencmo", ours(kind, path, tmp))
            report("pandas+to_sql", pandas_baseline(reader, path, tmp))
            report("pyarrow+duckdb", arrow_baseline(reader, path, tmp))


if __name__ == "__main__":
    main()
