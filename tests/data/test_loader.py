"""The store side: all-or-nothing, idempotent, safe against a killed process and concurrent imports."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from opencmo.analytics.store import Store
from opencmo.data import loader
from opencmo.data.parsers import PARSERS

from .conftest import SAMPLES, sample

ROOT = Path(__file__).resolve().parents[2]


def _load(store, kind, data, campaign_ids=None):
    parsed = PARSERS[kind](data, default_currency="EUR")
    assert parsed.ok, parsed.problems
    return loader.load(
        store,
        kind=kind,
        tables=parsed.tables,
        fingerprint=hashlib.sha256(data).hexdigest(),
        filename="f",
        campaign_ids=campaign_ids,
    )


def test_same_file_twice_is_one_copy(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        first = _load(store, "google_ads", sample("google_ads_report.csv"))
        second = _load(store, "google_ads", sample("google_ads_report.csv"))
        counts = loader.table_counts(store)
    assert not first.duplicate and second.duplicate and second.import_id == first.import_id
    assert counts["ad_performance"] == 5 and counts["imports"] == 1


def test_overlapping_range_upserts(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        _load(store, "google_ads", sample("google_ads_report.csv"))  # 1-3 March
        _load(store, "google_ads", sample("google_ads_plain.csv"))  # 3-4 March, 3 March restated
        rows = store.execute(
            "SELECT day, spend FROM ad_performance WHERE campaign_external = 'Always On - Brand' ORDER BY day"
        ).fetchall()
        assert loader.table_counts(store)["imports"] == 2
    assert [str(r[0]) for r in rows] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert str(rows[-1][1]) == "1100.0000"


def test_campaign_mapping_and_remap(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        _load(store, "google_ads", sample("google_ads_report.csv"), {"Spring Sale - Search": 7})
        mapped = store.execute("SELECT count(*) FROM ad_performance WHERE campaign_id = 7").fetchone()[0]
        assert mapped == 3
        changed = loader.remap_campaigns(store, ads={("google_ads", "Always On - Brand"): 9}, utm={})
        assert changed["ad_performance"] == 2
        # a later re-import without the mapping keeps the known campaign
        _load(store, "google_ads", sample("google_ads_plain.csv"))
        assert (
            store.execute("SELECT campaign_id FROM ad_performance WHERE day = '2026-03-03'").fetchone()[0]
            == 9
        )


def test_ga4_reimport_and_session_merge(tmp_path):
    data = sample("ga4.ndjson")
    lines = data.splitlines(keepends=True)
    with Store(tmp_path / "s.duckdb") as store:
        _load(store, "ga4", b"".join(lines[:3]))
        _load(store, "ga4", b"".join(lines[2:]))  # overlaps one event
        counts = loader.table_counts(store)
        started, ended = store.execute(
            "SELECT started_at, ended_at FROM sessions WHERE session_key = 'u1.111:1001'"
        ).fetchone()
    assert counts["events"] == 9 and counts["sessions"] == 5 and counts["orders"] == 1
    assert (ended - started).total_seconds() == 120  # the session spans both files


def test_failure_inside_rolls_back(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        _load(store, "google_ads", sample("google_ads_plain.csv"))
        before = loader.table_counts(store)
        parsed = PARSERS["google_ads"](sample("google_ads_report.csv"))

        def boom():
            raise RuntimeError("app side refused")

        with pytest.raises(RuntimeError):
            loader.load(
                store,
                kind="google_ads",
                tables=parsed.tables,
                fingerprint="x",
                filename="f",
                before_commit=boom,
            )
        assert loader.table_counts(store) == before


CHILD = textwrap.dedent(
    """
    import hashlib, sys, time
    from opencmo.analytics.store import Store
    from opencmo.data import loader
    from opencmo.data.parsers import PARSERS
    path, file, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(file, "rb").read()
    parsed = PARSERS["google_ads"](data, default_currency="EUR")
    tables = parsed.tables
    if mode == "slow":
        base = tables["ad_performance"][0]
        import datetime as dt
        tables = {"ad_performance": [dict(base, day=base["day"] + dt.timedelta(days=i)) for i in range(5000)]}
        loader.BATCH = 500
        def progress(p):
            print("BATCH", p, flush=True)
            time.sleep(0.5)
    else:
        progress = None
    with Store(path, timeout=60) as store:
        r = loader.load(store, kind="google_ads", tables=tables, fingerprint=hashlib.sha256(data).hexdigest(),
                        filename="f", progress=progress)
    print("DONE", r.duplicate, flush=True)
    """
)


def _child(tmp_path, *args):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_killed_import_leaves_store_as_before_and_rerun_succeeds(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        _load(store, "google_ads", sample("google_ads_plain.csv"))
        before = loader.table_counts(store)
    child = _child(tmp_path, db, SAMPLES / "google_ads_report.csv", "slow")
    line = child.stdout.readline()
    assert line.startswith("BATCH"), line  # mid-import: at least one batch written, not committed
    child.stdout.readline()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    with Store(db) as store:
        assert loader.table_counts(store) == before
    rerun = _child(tmp_path, db, SAMPLES / "google_ads_report.csv", "slow")
    out, _ = rerun.communicate(timeout=120)
    assert "DONE False" in out
    with Store(db, read_only=True) as store:
        counts = loader.table_counts(store)
    assert counts["imports"] == before["imports"] + 1
    assert counts["ad_performance"] >= 5000


def test_two_processes_import_the_same_file_once(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.migrate()
    children = [_child(tmp_path, db, SAMPLES / "google_ads_report.csv", "fast") for _ in range(2)]
    outs = [c.communicate(timeout=120)[0] for c in children]
    assert sorted(o.strip().splitlines()[-1] for o in outs) == ["DONE False", "DONE True"]
    with Store(db, read_only=True) as store:
        counts = loader.table_counts(store)
    assert counts["imports"] == 1 and counts["ad_performance"] == 5
    time.sleep(0)
