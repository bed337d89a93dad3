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
    rng = random.Random(seed)
    sources = [
        ("google", "cpc"),
        ("google", "organic"),
        ("newsletter", "email"),
        ("facebook", "paid_social"),
        ("(direct)", "(none)"),
        ("partner.example", "referral"),
    ]
    t = 1_704_067_200 * 10**6
    with path.open("w") as out:
        for i in range(events):
            user = f"u{rng.randint(1, max(events // 20, 1))}"
            t += rng.randint(1, 2_000_000)
            source, medium = rng.choice(sources)
            name = "purchase" if rng.random() < 0.01 else "page_view"
            row = {
                "event_date": "20240101",
                "event_timestamp": t,
                "event_name": name,
                "user_pseudo_id": user,
                "event_params": [
                    {"key": "ga_session_id", "value": {"int_value": t // 1_800_000_000}},
                    {"key": "page_location", "value": {"string_value": f"https://shop.example/p/{i % 500}"}},
                ],
                "collected_traffic_source": {
                    "manual_source": source,
                    "manual_medium": medium,
                    "manual_campaign_name": "c",
                },
            }
            if name == "purchase":
                row["ecommerce"] = {
                    "purchase_revenue": round(rng.random() * 300, 2),
                    "transaction_id": f"T{i}",
                }
                row["event_params"].append({"key": "currency", "value": {"string_value": "EUR"}})
            out.write(json.dumps(row) + "\n")


def ours(kind: str, path: Path, tmp: Path) -> tuple[float, int]:
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
    return time.perf_counter() - start, parsed.rows_read


PANDAS = """
import sys, time, sqlite3, pandas as pd
kind, path, db = sys.argv[1:4]
t = time.perf_counter()
if kind == "csv":
    df = pd.read_csv(path, thousands=",")
else:
    df = pd.read_json(path, lines=True)
    df["event_params"] = df["event_params"].astype(str)
    for c in ("collected_traffic_source", "ecommerce"):
        if c in df: df[c] = df[c].astype(str)
con = sqlite3.connect(db)
df.to_sql("t", con, index=False, chunksize=100_000)
con.commit()
print(time.perf_counter() - t, len(df))
"""


def pandas_baseline(kind: str, path: Path, tmp: Path) -> tuple[float, int] | None:
    python = PEERS if PEERS.exists() else None
    if python is None:
        return None
    out = subprocess.run(  # noqa: S603 - our own peer interpreter and temp paths
        [str(python), "-c", PANDAS, kind, str(path), str(tmp / f"pandas-{kind}.sqlite")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
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


def report(label: str, result: tuple[float, int] | None) -> None:
    if result is None:
        print(f"  {label:<16} (skipped: no benchmarks/.venv-peers with pandas)")
        return
    seconds, n = result
    print(f"  {label:<16} {n:>11,} rows {seconds:>8.2f} s {n / seconds:>12,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="ad rows (default 1,000,000)")
    parser.add_argument("--events", type=int, default=10_000_000, help="GA4 events (default 10,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opencmo-bench-") as name:
        tmp = Path(name)
        ads, ga4 = tmp / "google_ads.csv", tmp / "ga4.ndjson"
        make_ads(ads, args.rows, args.seed)
        make_ga4(ga4, args.events, args.seed)
        print(f"Google Ads CSV: {args.rows:,} rows, {ads.stat().st_size / 1e6:.1f} MB")
        report("opencmo", ours("google_ads", ads, tmp))
        report("pandas+to_sql", pandas_baseline("csv", ads, tmp))
        report("pyarrow+duckdb", arrow_baseline("csv", ads, tmp))
        print(f"GA4 NDJSON: {args.events:,} events, {ga4.stat().st_size / 1e6:.1f} MB")
        report("opencmo", ours("ga4", ga4, tmp))
        report("pandas+to_sql", pandas_baseline("json", ga4, tmp))
        report("pyarrow+duckdb", arrow_baseline("json", ga4, tmp))


if __name__ == "__main__":
    main()
