"""Signs of life from the process executing an import run (or a model fit), and the check that finds runs
whose worker died.

A run says which process executes it (``ImportRun.worker`` = ``host:pid``) and shows it is alive in two
ways:

* ``ImportRun.heartbeat_at`` — set on every status/progress save made outside the load transaction;
* a heartbeat file ``<DATA_DIR>/imports/heartbeats/<run pk>`` whose modification time a daemon thread
  refreshes every :data:`BEAT_EVERY` seconds while the run executes (and every progress step touches).

Why a file as well: during the load the progress updates happen inside the app database transaction
(the spend ledger and the store commit together), so PostgreSQL readers do not see them and SQLite would
block a second writer; a file's mtime is visible at once and needs no lock. Every worker must share the
data directory anyway (the DuckDB store lives there), so the file is seen by every web process.

A running run is dead when its worker is on this host and the process is gone (immediately), or when
no sign of life came for :func:`stale_after` seconds (any host; a hung or unreachable worker).
Marking it failed is safe: the store loads a file in one DuckDB transaction, so a dead worker wrote
nothing and importing the file again loads it exactly once (the fingerprint ledger guards repeats).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone

#: seconds between heartbeats of a running import
BEAT_EVERY = 10.0
#: default seconds without a sign of life after which a running import counts as dead
STALE_AFTER = 300


def stale_after() -> int:
    return int(getattr(settings, "OPENCMO_IMPORT_STALE_SECONDS", STALE_AFTER))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat_dir(kind: str = "imports") -> Path:
    """Heartbeat files of one kind of background run: `imports`, `mmm` (model fits)."""
    return Path(settings.DATA_DIR) / kind / "heartbeats"


def beat_path(run_pk: int, kind: str = "imports") -> Path:
    return beat_dir(kind) / str(int(run_pk))


def beat(run_pk: int, kind: str = "imports") -> None:
    """Touch the run's heartbeat file (cheap; called from progress callbacks and the beat thread)."""
    path = beat_path(run_pk, kind)
    try:
        path.touch()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def forget(run_pk: int, kind: str = "imports") -> None:
    beat_path(run_pk, kind).unlink(missing_ok=True)


def last_beat(run, kind: str = "imports") -> dt.datetime | None:
    """The latest sign of life of a run: its heartbeat file or its ``heartbeat_at``, else its start."""
    seen = [t for t in (run.heartbeat_at, run.started_at) if t is not None]
    try:
        mtime = beat_path(run.pk, kind).stat().st_mtime
    except OSError:
        pass
    else:
        seen.append(dt.datetime.fromtimestamp(mtime, tz=dt.UTC))
    return max(seen) if seen else None


def _process_gone(worker: str) -> bool:
    """True only when the worker ran on this host and no process with its pid exists now."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


def death_reason(run, now: dt.datetime | None = None, kind: str = "imports") -> str | None:
    """Why a running run is considered dead, or None while it may still be alive."""
    if run.status != "running":
        return None
    now = now or timezone.now()
    if run.worker and _process_gone(run.worker):
        return f"its worker process ({run.worker}) is no longer running"
    seen = last_beat(run, kind)
    if seen is None or (now - seen).total_seconds() > stale_after():
        when = seen.strftime("%Y-%m-%d %H:%M:%S UTC") if seen else "never"
        who = f" ({run.worker})" if run.worker else ""
        return f"its worker{who} stopped responding (last sign of life: {when})"
    return None


class Heartbeat:
    """Context manager: a daemon thread touches the run's heartbeat file every ``every`` seconds.

    The thread dies with the process, which is the point: a killed worker stops beating."""

    def __init__(self, run_pk: int, every: float = BEAT_EVERY, kind: str = "imports"):
        self.run_pk, self.every, self.kind = run_pk, every, kind
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{kind}-heartbeat-{run_pk}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(OSError):  # a full or read-only disk must not kill the import
                beat(self.run_pk, self.kind)

    def __enter__(self) -> Heartbeat:
        beat(self.run_pk, self.kind)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 1)
        forget(self.run_pk, self.kind)
