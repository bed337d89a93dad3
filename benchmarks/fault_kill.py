"""Fault check: kill -9 the web server and the task worker in the middle of an import and of a
background job, restart them, and verify nothing was lost or duplicated. Not a test; prints a report
and exits 1 if any check fails.

    .venv/bin/python benchmarks/fault_kill.py                    # SQLite, 200,000-row ad report
    .venv/bin/python benchmarks/fault_kill.py --db postgres --rows 100000

Scenarios
1. worker killed during an import: the run must not stay "running" (recovered as failed, with a
   clear message), the analytics store must hold none of its rows (a file loads all or nothing), the
   budget ledger none of its spend; importing the file again loads every row exactly once, and a
   third import of the same file is refused as a repeat.
2. server killed during uploads: each upload either exists (and is then imported exactly once by the
   worker) or does not; never a half-recorded run, never two loads of one file.
3. worker killed while sending webhooks (a background job with retries): after restart and the
   `webhooks-retry` sweep every delivery reaches the receiver; the only repeats are the deliveries
   that were in flight at the kill, and they carry the same webhook-id (receivers deduplicate).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "benchmarks"))
from import_throughput import make_ads  # noqa: E402

PORT = 8105
EMAIL, PASSWORD = "fault@example.com", "fault-check-password-2026"
FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        FAILURES.append(what)


def make_env(db: str, pg_url: str) -> dict[str, str]:
    data = ROOT / "benchmarks" / ".data" / f"fault-{db}"
    env = {
        **os.environ,
        "OPENCMO_DATA_DIR": str(data),
        "SECRET_KEY": "fault-check-" + secrets.token_hex(24),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "OPENCMO_WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",  # the receiver below listens on loopback
        "OPENCMO_WEBHOOK_TIMEOUT_SECONDS": "3",
    }
    if db == "postgres":
        env["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/opencmo_fault"
    else:
        env.pop("DATABASE_URL", None)
    return env


def opencmo(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(BIN / "opencmo"), *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"opencmo {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


LOCKED: list[str] = []  # reads refused with "database is locked" while an import writes (SQLite)


def django(env: dict, code: str, tries: int = 20):
    """Run Python in the app (a fresh process, as an operator would) and return its last line as JSON.
    On SQLite a long import transaction can lock readers out past Django's 5 s busy timeout; such a
    read is retried (and counted: the report prints how often it happened)."""
    for attempt in range(tries):
        try:
            out = opencmo(env, "shell", "-c", code)
            return json.loads(out.strip().splitlines()[-1])
        except RuntimeError as error:
            if "database is locked" not in str(error) or attempt == tries - 1:
                raise
            LOCKED.append(code.splitlines()[-1][:60])
            time.sleep(1)
    raise AssertionError("unreachable")


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [str(BIN / "opencmo"), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # kill -9 the whole process group: the command and any children
    )


def kill9(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill9(process)


def prepare(db: str, env: dict, pg_url: str) -> None:
    data = Path(env["OPENCMO_DATA_DIR"])
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    if db == "postgres":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS opencmo_fault WITH (FORCE)")
            conn.execute("CREATE DATABASE opencmo_fault")
    opencmo(env, "migrate", "--noinput")
    opencmo(env, "collectstatic", "--noinput")
    django(
        env,
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "from opencmo.core.services import workspace_create\n"
        f"u = get_user_model().objects.create_user(email='{EMAIL}', password='{PASSWORD}')\n"
        "ws = workspace_create(actor=u, name='Fault check', slug='fault', currency='EUR')\n"
        "print(json.dumps(ws.pk))",
    )


STATE = """
import json
from opencmo.core.models import Workspace
from opencmo.data.models import ImportRun
from opencmo.data.services import open_store
from opencmo.budget.models import SpendEntry
ws = Workspace.objects.get(slug='fault')
runs = list(ImportRun.objects.filter(workspace=ws).order_by('pk')
            .values('pk', 'status', 'fingerprint', 'message'))
store = {'ad_rows': 0, 'imports': 0, 'fingerprints': []}
if open_store(ws).path.exists():
    with open_store(ws, read_only=True, timeout=30) as s:
        store['ad_rows'] = s.execute('SELECT count(*) FROM ad_performance').fetchone()[0]
        store['imports'] = s.execute('SELECT count(*) FROM imports').fetchone()[0]
        store['fingerprints'] = [r[0] for r in s.execute('SELECT fingerprint FROM imports').fetchall()]
print(json.dumps({'runs': runs, 'store': store, 'spend': SpendEntry.objects.filter(workspace=ws).count()}))
"""


def enqueue_import(env: dict, path: Path) -> int:
    return django(
        env,
        "import json\nfrom pathlib import Path\n"
        "from opencmo.core.models import Workspace\n"
        "from opencmo.data.services import importrun_create\n"
        f"p = Path({str(path)!r})\n"
        "run = importrun_create(actor=None, workspace=Workspace.objects.get(slug='fault'), "
        "kind='google_ads', "
        "filename=p.name, data=p.read_bytes())\n"
        "print(json.dumps(run.pk))",
    )


def run_status(env: dict, pk: int) -> dict:
    return django(
        env,
        "import json\nfrom opencmo.data.models import ImportRun\n"
        f"r = ImportRun.objects.get(pk={pk})\n"
        "print(json.dumps({'status': r.status, 'progress': r.progress, 'message': r.message}))",
    )


def wait_for(predicate, seconds: float, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def scenario_worker_killed_during_import(env: dict, rows: int, tmp: Path) -> None:
    print("\n1. kill -9 of the worker during an import", flush=True)
    path = tmp / "ads-1.csv"
    make_ads(path, rows, seed=11)
    worker = start(env, "db_worker")
    pk = enqueue_import(env, path)
    running = wait_for(lambda: run_status(env, pk)["status"] == "running", 120, 0.2)
    check(bool(running), f"import run {pk} started in the worker")
    time.sleep(1.0)  # well inside the parse/load of {rows} rows
    before_kill = run_status(env, pk)
    kill9(worker)
    print(f"  killed the worker while the run was {before_kill['status']} ({before_kill['progress']} %)")
    state = django(env, STATE)
    print(f"  after the kill: run {state['runs'][-1]['status']}, store rows {state['store']['ad_rows']}")
    opencmo(env, "import", "--recover")
    state = django(env, STATE)
    run = next(r for r in state["runs"] if r["pk"] == pk)
    loaded = state["store"]["ad_rows"]
    if before_kill["status"] == "running":
        check(
            run["status"] == "failed",
            f"the interrupted run is marked failed, not left running ({run['status']})",
        )
        check("stopped" in run["message"], f"its message says what happened: {run['message'][:90]}…")
    check(loaded in (0, rows), f"the store holds all or nothing of the file ({loaded} of {rows} rows)")
    worker = start(env, "db_worker")
    try:
        pk2 = enqueue_import(env, path)
        finished = wait_for(
            lambda: run_status(env, pk2)["status"] in {"succeeded", "failed", "checked"}, 600, 1
        )
        state = django(env, STATE)
        run2 = next(r for r in state["runs"] if r["pk"] == pk2)
        check(bool(finished), f"the re-import finished ({run2['status']}: {run2['message'][:80]})")
        check(
            state["store"]["ad_rows"] == rows,
            f"every row is in the store exactly once ({state['store']['ad_rows']} = {rows})",
        )
        fps = state["store"]["fingerprints"]
        check(len(fps) == len(set(fps)), f"the file ledger has no duplicate file ({len(fps)} files)")
        pk3 = enqueue_import(env, path)
        wait_for(lambda: run_status(env, pk3)["status"] not in {"queued", "running", "pending"}, 120, 1)
        again = django(env, STATE)
        check(again["store"]["ad_rows"] == rows, "a third import of the same file adds nothing")
        check(
            again["spend"] == state["spend"], f"budget spend rows unchanged by the repeat ({again['spend']})"
        )
    finally:
        stop(worker)


def _login(host: str):
    import requests

    session = requests.Session()
    page = session.get(f"{host}/accounts/login/")
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    done = session.post(
        f"{host}/accounts/login/",
        data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{host}/accounts/login/"},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.status_code
    return session


def scenario_server_killed_during_uploads(env: dict, rows: int, tmp: Path) -> None:
    print("\n2. kill -9 of the server during uploads", flush=True)
    host = f"http://127.0.0.1:{PORT}"
    files = []
    for n in range(4):
        path = tmp / f"ads-up-{n}.csv"
        make_ads(path, rows // 4, seed=100 + n)
        # Other years than the first file's, so every row is a new natural key (rows upsert on
        # day + campaign + ad group) and the expected count is a plain sum.
        path.write_text(path.read_text().replace("\n2024-", f"\n{2019 + n}-"))
        files.append(path)
    before = django(env, STATE)
    server = start(env, "runserver", f"127.0.0.1:{PORT}", "--noreload")
    wait_for(lambda: _up(host), 60, 0.3)
    session = _login(host)
    results: dict[str, object] = {}

    def upload(path: Path) -> None:
        try:
            page = session.get(f"{host}/w/fault/data/import/")
            token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            with path.open("rb") as handle:
                response = session.post(
                    f"{host}/w/fault/data/import/",
                    data={"kind": "google_ads", "csrfmiddlewaretoken": token},
                    files={"file": (path.name, handle, "text/csv")},
                    headers={"Referer": f"{host}/w/fault/data/import/"},
                    allow_redirects=False,
                    timeout=120,
                )
            results[path.name] = response.status_code
        except Exception as error:  # the kill cuts some uploads off
            results[path.name] = type(error).__name__

    threads = [threading.Thread(target=upload, args=(p,)) for p in files]
    for t in threads:
        t.start()
        time.sleep(0.05)
    time.sleep(0.1)
    kill9(server)
    for t in threads:
        t.join()
    print(f"  upload answers at the kill: {results}")
    state = django(env, STATE)
    new_runs = [r for r in state["runs"] if r["pk"] not in {x["pk"] for x in before["runs"]}]
    check(
        all(r["status"] in {"queued", "running", "succeeded", "failed"} for r in new_runs),
        f"{len(new_runs)} upload(s) recorded whole, none half-written",
    )
    worker = start(env, "db_worker")
    server = start(env, "runserver", f"127.0.0.1:{PORT}", "--noreload")
    try:
        wait_for(lambda: _up(host), 60, 0.3)
        pks = [r["pk"] for r in new_runs]
        wait_for(lambda: all(run_status(env, pk)["status"] in {"succeeded", "failed"} for pk in pks), 600, 1)
        after = django(env, STATE)
        runs = [r for r in after["runs"] if r["pk"] in pks]
        fingerprints = {r["fingerprint"] for r in runs if r["status"] == "succeeded"}
        fps = after["store"]["fingerprints"]
        check(
            all(r["status"] == "succeeded" for r in runs),
            f"every recorded upload was imported ({[r['status'] for r in runs]})",
        )
        check(
            len(fps) == len(set(fps)) and fingerprints <= set(fps),
            "each uploaded file is in the store exactly once",
        )
        expected = before["store"]["ad_rows"] + len(fingerprints) * (rows // 4)
        check(after["store"]["ad_rows"] == expected, f"store rows {after['store']['ad_rows']} = {expected}")
        check(_up(host), "the restarted server answers")
    finally:
        stop(worker)
        stop(server)


def _up(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"{host}/healthz", timeout=2) as response:  # noqa: S310 - http only
            return response.status == 200
    except OSError:
        return False


class SlowReceiver:
    def __init__(self, delay: float):
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(delay)
                receiver.ids.append(self.headers.get("webhook-id", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def scenario_worker_killed_during_webhooks(env: dict, count: int) -> None:
    print("\n3. kill -9 of the worker while it sends webhooks (background job)", flush=True)
    receiver = SlowReceiver(delay=0.2)
    django(
        env,
        "import json\nfrom opencmo.core.models import Workspace\n"
        "from opencmo.webhooks.services import endpoint_create\n"
        "ws = Workspace.objects.get(slug='fault')\n"
        f"e, s = endpoint_create(actor=None, workspace=ws, url={receiver.url!r}, "
        "event_types=['budget.alert'])\n"
        "print(json.dumps(e.pk))",
    )
    worker = start(env, "db_worker")
    django(
        env,
        "import json\nfrom opencmo.core.models import Workspace\nfrom opencmo.webhooks import events\n"
        "ws = Workspace.objects.get(slug='fault')\n"
        f"n = [events.emit(ws, 'budget.alert', {{'n': i}}, 'x') for i in range({count})]\n"
        "print(json.dumps(len(n)))",
    )
    wait_for(lambda: len(receiver.ids) >= count // 3, 120, 0.1)
    kill9(worker)
    at_kill = len(receiver.ids)
    print(f"  killed the worker after {at_kill} of {count} deliveries")
    state = lambda: django(  # noqa: E731
        env,
        "import json\nfrom collections import Counter\n"
        "from opencmo.webhooks.models import WebhookDelivery as D\n"
        "print(json.dumps(dict(Counter(D.objects.values_list('status', flat=True)))))",
    )
    print(f"  deliveries by status after the kill: {state()}")
    worker = start(env, "db_worker")
    try:
        # Queued tasks resume in the new worker; a delivery claimed by the dead one waits out its
        # lease (timeout + 30 s) and is picked up by the sweep, as cron would run it.
        def all_sent() -> bool:
            try:
                opencmo(env, "webhooks-retry")  # what cron runs every minute
            except RuntimeError as error:
                if "database is locked" not in str(error):
                    raise
                LOCKED.append("webhooks-retry")  # SQLite: the worker holds the write lock; try again
            return state().get("succeeded", 0) == count

        wait_for(all_sent, 120, 3)
    finally:
        stop(worker)
    final = state()
    ids = receiver.ids
    repeats = len(ids) - len(set(ids))
    check(final.get("succeeded", 0) == count, f"every delivery succeeded in the end ({final})")
    check(len(set(ids)) == count, f"the receiver saw all {count} webhook-ids ({len(set(ids))})")
    check(repeats <= 2, f"repeats only for deliveries in flight at the kill ({repeats}), same webhook-id")
    receiver.server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the killed import")
    parser.add_argument("--webhooks", type=int, default=60)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    env = make_env(args.db, args.pg_url)
    print(f"Fault check on {args.db}: data in {env['OPENCMO_DATA_DIR']}", flush=True)
    prepare(args.db, env, args.pg_url)
    with tempfile.TemporaryDirectory() as tmp:
        scenario_worker_killed_during_import(env, args.rows, Path(tmp))
        scenario_server_killed_during_uploads(env, args.rows, Path(tmp))
    scenario_worker_killed_during_webhooks(env, args.webhooks)
    if LOCKED:
        print(
            f"\nNote: {len(LOCKED)} read(s) from another process hit 'database is locked' during an import."
        )
    print(f"\n{'All checks passed.' if not FAILURES else f'{len(FAILURES)} check(s) FAILED:'}")
    for failure in FAILURES:
        print(f"  - {failure}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
