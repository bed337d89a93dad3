"""Load check: start OpenCMO on 127.0.0.1 with the demo company, drive it with locust at 20, 50 and 100
concurrent users, on SQLite and on PostgreSQL, and print p50/p95/p99 and the error rate per endpoint
kind (dashboard, list pages, API). Not a test; numbers depend on the machine.

    .venv/bin/python benchmarks/load_run.py                          # both databases, 60 s per level
    .venv/bin/python benchmarks/load_run.py --db sqlite --users 20 --seconds 15
    .venv/bin/python benchmarks/load_run.py --pg-url postgres://postgres@127.0.0.1:5432/postgres

The server is gunicorn (`pip install -e ".[bench]"`; 2 worker processes x 4 threads by default, as
one would run OpenCMO in production on two cores) or, with `--server runserver`, Django's threaded
development server (one process, so one core under the GIL). Production settings (DEBUG off, so no
per-query logging) apart from plain HTTP. Data lives in benchmarks/.data/load-<db>/ and a PostgreSQL
database `opencmo_load`, both rebuilt per run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PORT = 8105


def env_for(db: str, pg_url: str) -> dict[str, str]:
    data = ROOT / "benchmarks" / ".data" / f"load-{db}"
    env = {
        **os.environ,
        "OPENCMO_DATA_DIR": str(data),
        "SECRET_KEY": "load-test-" + secrets.token_hex(24),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        # 100 simulated users sign in from one address: keep the per-address brake out of the way.
        "LOGIN_THROTTLE_IP_LIMIT": "100000",
    }
    if db == "postgres":
        env["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/opencmo_load"
    else:
        env.pop("DATABASE_URL", None)
    return env


def opencmo(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own CLI
        [str(BIN / "opencmo"), *args], env=env, check=check, capture_output=True, text=True
    )


def prepare(db: str, env: dict, pg_url: str, *, reuse: bool = False) -> str:
    """Fresh data: migrate, build the demo, collect static files. Returns a workspace admin's email."""
    data = Path(env["OPENCMO_DATA_DIR"])
    if reuse and (data / "static").exists():
        return admin_email(env)
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    if db == "postgres":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS opencmo_load WITH (FORCE)")
            conn.execute("CREATE DATABASE opencmo_load")
    started = time.monotonic()
    opencmo(env, "migrate", "--noinput")
    opencmo(env, "collectstatic", "--noinput")
    opencmo(env, "demo")
    print(f"  [{db}] migrate + demo + collectstatic in {time.monotonic() - started:.0f} s", flush=True)
    return admin_email(env)


def admin_email(env: dict) -> str:
    code = (
        "from opencmo.core.models import Membership;"
        "m=Membership.objects.filter(workspace__slug='nordlys',access='admin',is_active=True)"
        ".select_related('user').order_by('pk').first();print(m.user.email)"
    )
    return opencmo(env, "shell", "-c", code).stdout.strip().splitlines()[-1]


def wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our http URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url}")


def dashboard_path(env: dict, host: str, email: str) -> str:
    """insights_home if that page exists in this build, else the budget home."""
    code = (
        "from django.urls import reverse, NoReverseMatch\n"
        "try:\n print(reverse('insights_home', kwargs={'ws': 'nordlys'}))\n"
        "except NoReverseMatch:\n print(reverse('budget_home', kwargs={'ws': 'nordlys'}))"
    )
    return opencmo(env, "shell", "-c", code).stdout.strip().splitlines()[-1]


def run_locust(
    env: dict, host: str, users: int, seconds: int, prefix: Path, email: str, dash: str
) -> tuple[list[dict], dict[str, list[float]]]:
    locust_env = {
        **env,
        "OPENCMO_LOAD_EMAIL": email,
        "OPENCMO_LOAD_WS": "nordlys",
        "OPENCMO_LOAD_DASHBOARD": dash,
        "OPENCMO_LOAD_SERVER_TIMES": f"{prefix}_server.json",
    }
    subprocess.run(  # noqa: S603 - locust from our venv
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "load_locust.py"),
            "--host",
            host,
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 2)),
            "--run-time",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
        ],
        env=locust_env,
        check=False,
        capture_output=True,
        text=True,
    )
    with open(f"{prefix}_stats.csv") as handle:
        rows = list(csv.DictReader(handle))
    server = Path(f"{prefix}_server.json")
    return rows, json.loads(server.read_text()) if server.exists() else {}


def _kind_of(name: str) -> str | None:
    return next((k for k in ("dashboard", "list", "api") if name == k or name.startswith(k + ":")), None)


def server_percentiles(samples: dict[str, list[float]]) -> dict[str, tuple[str, str]]:
    """p50 and p95 of the server's own time (Server-Timing) per endpoint kind and over all, exact: the
    raw samples are there."""
    kinds: dict[str, list[float]] = {}
    for name, values in samples.items():
        kind = _kind_of(name)
        if kind:
            kinds.setdefault(kind, []).extend(values)
            kinds.setdefault("all", []).extend(values)
    return {kind: (_percentile(v, 0.50), _percentile(v, 0.95)) for kind, v in kinds.items()}


def _percentile(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.0f}"


def group(rows: list[dict]) -> list[tuple[str, int, int, str, str, str, float]]:
    """Per endpoint kind (dashboard, list, api; a kind's percentile is its worst endpoint's, as the CSV
    has no raw samples) plus the true aggregate over every request."""
    out = []
    kinds = {"dashboard": [], "list": [], "api": []}
    for row in rows:
        kind = _kind_of(row["Name"])
        if kind:
            kinds[kind].append(row)
    for kind, members in [*kinds.items(), ("all", [r for r in rows if r["Name"] == "Aggregated"])]:
        if not members:
            continue
        count = sum(int(r["Request Count"]) for r in members)
        fails = sum(int(r["Failure Count"]) for r in members)
        # Percentiles across several endpoints: the worst member (conservative, no raw samples in the CSV).
        p = {q: max(float(r[q] or 0) for r in members) for q in ("50%", "95%", "99%")}
        out.append(
            (
                kind,
                count,
                fails,
                f"{p['50%']:.0f}",
                f"{p['95%']:.0f}",
                f"{p['99%']:.0f}",
                fails / count if count else 0,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", default="20,50,100", help="comma-separated concurrency levels")
    parser.add_argument("--seconds", type=int, default=60, help="run time per level")
    parser.add_argument(
        "--warmup",
        type=int,
        default=15,
        help="seconds of load before the first level, not counted: each worker process fills its caches "
        "(dashboard panels, analytics) on its first requests; 0 counts the cold start",
    )
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument(
        "--server",
        choices=["gunicorn", "runserver"],
        default="gunicorn",
        help="gunicorn (the production WSGI server: --workers processes x --threads) or Django's "
        "threaded development server (one process)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    args = parser.parse_args()
    levels = [int(u) for u in args.users.split(",")]
    host = f"http://127.0.0.1:{args.port}"
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        env = env_for(db, args.pg_url)
        email = prepare(db, env, args.pg_url, reuse=args.reuse)
        dash = dashboard_path(env, host, email)
        log = (Path(env["OPENCMO_DATA_DIR"]) / "server.log").open("w")  # errors, for the report
        if args.server == "gunicorn":
            command = [
                str(BIN / "gunicorn"),
                "opencmo.wsgi:application",
                f"--bind=127.0.0.1:{args.port}",
                f"--workers={args.workers}",
                f"--threads={args.threads}",
                "--timeout=120",
                "--keep-alive=30",  # locust reuses connections; a shorter idle close races its next request
            ]
        else:
            command = [str(BIN / "opencmo"), "runserver", f"127.0.0.1:{args.port}", "--noreload"]
        print(f"[{db}] server: {' '.join(command)}", flush=True)
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_up(f"{host}/healthz")
            if args.warmup:
                prefix = Path(env["OPENCMO_DATA_DIR"]) / "locust-warmup"
                _, samples = run_locust(env, host, levels[0], args.warmup, prefix, email, dash)
                cold = max(samples.get("dashboard") or [0])
                print(
                    f"  [{db}] warm-up {args.warmup} s (not counted): slowest dashboard {cold:.0f} ms",
                    flush=True,
                )
            for users in levels:
                prefix = Path(env["OPENCMO_DATA_DIR"]) / f"locust-{users}"
                rows, samples = run_locust(env, host, users, args.seconds, prefix, email, dash)
                timing = server_percentiles(samples)
                for row in group(rows):
                    s50, s95 = timing.get(row[0], ("-", "-"))
                    results.append((db, users, *row, s50, s95))
                    print(
                        f"  [{db}] {users:>3} users {row[0]:<9} n={row[1]:<6} p50={row[3]:>5} ms "
                        f"p95={row[4]:>5} ms p99={row[5]:>5} ms errors={row[6]:.2%} "
                        f"server p50={s50:>4} ms p95={s95:>4} ms",
                        flush=True,
                    )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    print(
        "\n| db | users | endpoints | requests | p50 ms | p95 ms | p99 ms | error rate "
        "| server p50 ms | server p95 ms |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for db, users, kind, count, _fails, p50, p95, p99, rate, s50, s95 in results:
        print(f"| {db} | {users} | {kind} | {count} | {p50} | {p95} | {p99} | {rate:.2%} | {s50} | {s95} |")


if __name__ == "__main__":
    sys.exit(main())
