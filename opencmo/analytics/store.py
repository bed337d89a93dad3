"""The analytics store: one DuckDB file per workspace holding the high-volume marketing facts.

The app database (SQLite/PostgreSQL) keeps the operational records (campaigns, budgets, people); this
store keeps what arrives by the million: ad spend and performance by day, web/app events, sessions,
marketing touchpoints, conversions and orders. The engine (KPIs, journeys, attribution, cohorts) runs
as SQL queries here, with the small matrix maths in NumPy.

Layout
------
``<data_dir>/workspace-<id>.duckdb`` — one file per workspace (the Django side passes
``OPENCMO_DATA_DIR/analytics`` as ``data_dir`` and the workspace's primary key as ``id``). Why one file
per workspace rather than one shared file with a ``workspace_id`` column:

* **isolation by construction** — a query cannot read another workspace's rows because they are not in
  the file it opened; no ``WHERE workspace_id = ?`` can be forgotten;
* **DuckDB allows one writing process per file** — with one file per workspace, an import into one
  workspace never blocks dashboards or imports of another;
* **lifecycle** — deleting, exporting or backing up a workspace's analytics is one file operation;
* the price — a cross-workspace query (an agency's roll-up) must ``ATTACH`` several files, which
  DuckDB does cheaply.

Concurrency
-----------
DuckDB lets one process open a file read-write, or any number of processes open it read-only, never
both at once; it fails rather than waits. :class:`Store` adds a reader-writer lock on a sibling
``.lock`` file (``flock``: shared for readers, exclusive for the writer) so concurrent readers run
together, a writer waits for them to finish and readers wait for the writer, each up to ``timeout``
seconds (then :class:`StoreBusy`). Inside one process, threads share an open store through
:meth:`Store.cursor` (one DuckDB cursor per thread). Writes belong in :meth:`Store.transaction`: a
killed process leaves the store as it was before the transaction (DuckDB's write-ahead log is rolled
back on the next open).

Schema migrations
-----------------
Numbered migrations (:data:`MIGRATIONS`) are applied in order, each in its own transaction, and
recorded in ``schema_version``; applying them again is a no-op. Opening a store read-only migrates it
first (briefly as the writer) when it is missing or behind, so readers always see the current schema.
Timestamps are UTC (``TIMESTAMP`` without a zone); money is ``DECIMAL(18,4)`` with an ISO 4217
``currency`` beside it; the documented schema is in ``docs/analytics.md``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

__all__ = ["MIGRATIONS", "TABLES", "Migration", "Store", "StoreBusy", "StoreError"]


class StoreError(Exception):
    """The analytics store cannot be used as asked."""


class StoreBusy(StoreError):
    """Another process holds the store longer than the timeout allowed."""


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` numbers are consecutive from 1; ``sql`` may hold several statements."""

    version: int
    name: str
    sql: str


MONEY = "DECIMAL(18,4)"

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "facts",
        f"""
        CREATE SEQUENCE import_id_seq START 1;
        CREATE TABLE imports (
            import_id BIGINT PRIMARY KEY DEFAULT nextval('import_id_seq'),
            kind VARCHAR NOT NULL,
            fingerprint VARCHAR NOT NULL UNIQUE,
            filename VARCHAR,
            row_count BIGINT NOT NULL DEFAULT 0,
            imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE ad_performance (
            day DATE NOT NULL,
            platform VARCHAR NOT NULL,
            account VARCHAR NOT NULL DEFAULT '',
            campaign_external VARCHAR NOT NULL,
            ad_group VARCHAR NOT NULL DEFAULT '',
            campaign_id BIGINT,
            channel VARCHAR,
            currency VARCHAR NOT NULL CHECK (regexp_full_match(currency, '[A-Z]{{3}}')),
            spend {MONEY} NOT NULL DEFAULT 0,
            impressions BIGINT NOT NULL DEFAULT 0,
            clicks BIGINT NOT NULL DEFAULT 0,
            conversions {MONEY} NOT NULL DEFAULT 0,
            conversion_value {MONEY} NOT NULL DEFAULT 0,
            import_id BIGINT,
            PRIMARY KEY (day, platform, account, campaign_external, ad_group)
        );
        CREATE TABLE events (
            event_key VARCHAR PRIMARY KEY,
            user_key VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            event_name VARCHAR NOT NULL,
            session_key VARCHAR,
            page VARCHAR,
            value {MONEY},
            currency VARCHAR CHECK (regexp_full_match(currency, '[A-Z]{{3}}')),
            params JSON,
            import_id BIGINT
        );
        CREATE TABLE sessions (
            session_key VARCHAR PRIMARY KEY,
            user_key VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP,
            source VARCHAR NOT NULL DEFAULT '',
            medium VARCHAR NOT NULL DEFAULT '',
            campaign VARCHAR NOT NULL DEFAULT '',
            channel VARCHAR NOT NULL,
            landing_page VARCHAR,
            page_views INTEGER NOT NULL DEFAULT 0,
            engaged BOOLEAN NOT NULL DEFAULT false,
            import_id BIGINT
        );
        CREATE TABLE touchpoints (
            user_key VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            channel VARCHAR NOT NULL,
            source VARCHAR NOT NULL DEFAULT '',
            medium VARCHAR NOT NULL DEFAULT '',
            campaign VARCHAR NOT NULL DEFAULT '',
            campaign_id BIGINT,
            is_direct BOOLEAN NOT NULL DEFAULT false,
            session_key VARCHAR,
            import_id BIGINT,
            PRIMARY KEY (user_key, ts, channel)
        );
        CREATE TABLE conversions (
            user_key VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            kind VARCHAR NOT NULL,
            value {MONEY} NOT NULL DEFAULT 0,
            currency VARCHAR CHECK (regexp_full_match(currency, '[A-Z]{{3}}')),
            import_id BIGINT,
            PRIMARY KEY (user_key, ts, kind)
        );
        CREATE TABLE orders (
            order_key VARCHAR PRIMARY KEY,
            customer_key VARCHAR NOT NULL,
            ts TIMESTAMP NOT NULL,
            value {MONEY} NOT NULL,
            currency VARCHAR NOT NULL CHECK (regexp_full_match(currency, '[A-Z]{{3}}')),
            import_id BIGINT
        );
        """,
    ),
    Migration(
        2,
        "true_effects",
        """
        -- The known true channel effects behind generated (synthetic / demo) data, so a marketing-mix
        -- model fitted on the store can be checked against them (opencmo/analytics/synth.py).
        CREATE TABLE true_effects (
            dataset VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,
            adstock VARCHAR NOT NULL,
            decay DOUBLE,
            shape DOUBLE,
            scale DOUBLE,
            saturation VARCHAR NOT NULL,
            half_saturation DOUBLE NOT NULL,
            slope DOUBLE NOT NULL,
            max_lag INTEGER NOT NULL,
            coefficient DOUBLE NOT NULL,
            spend DOUBLE NOT NULL,
            contribution DOUBLE NOT NULL,
            roi DOUBLE NOT NULL,
            import_id BIGINT,
            PRIMARY KEY (dataset, channel)
        );
        CREATE TABLE true_effects_weekly (
            dataset VARCHAR NOT NULL,
            week DATE NOT NULL,
            channel VARCHAR NOT NULL,
            spend DOUBLE NOT NULL,
            contribution DOUBLE NOT NULL,
            revenue DOUBLE NOT NULL,
            PRIMARY KEY (dataset, week, channel)
        );
        """,
    ),
)

#: The fact tables and their natural keys (what a re-import must not duplicate).
TABLES: dict[str, tuple[str, ...]] = {
    "imports": ("fingerprint",),
    "ad_performance": ("day", "platform", "account", "campaign_external", "ad_group"),
    "events": ("event_key",),
    "sessions": ("session_key",),
    "touchpoints": ("user_key", "ts", "channel"),
    "conversions": ("user_key", "ts", "kind"),
    "orders": ("order_key",),
}

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
)
"""


def _check_migrations(migrations: Sequence[Migration]) -> None:
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"Migrations must be numbered 1, 2, 3… without gaps; got {numbers}.")


class Store:
    """A workspace's DuckDB analytics store.

    Parameters
    ----------
    path : str or Path
        The database file (``":memory:"`` for a private in-memory store, handy in tests).
    read_only : bool
        Open for reading (shared lock; many readers at once) or writing (exclusive lock).
    timeout : float
        Seconds to wait for the lock before raising :class:`StoreBusy`.
    migrations : sequence of Migration
        The schema steps; the default is the current OpenCMO schema.

    Examples
    --------
    >>> with Store.for_workspace(data_dir, 7) as store:          # doctest: +SKIP
    ...     store.migrate()
    ...     with store.transaction() as con:
    ...         con.execute("INSERT INTO orders VALUES ('o1', 'c1', now(), 10, 'EUR', NULL)")
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        timeout: float = 30.0,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        _check_migrations(migrations)
        self.memory = str(path) == ":memory:"
        self.path = Path(path) if not self.memory else None
        self.read_only = read_only and not self.memory
        self.timeout = timeout
        self.migrations = tuple(migrations)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None

    @classmethod
    def for_workspace(cls, data_dir: str | os.PathLike[str], workspace_id: int, **options) -> Store:
        """The store of workspace ``workspace_id`` under ``data_dir`` (created with the directory on
        first write)."""
        if not isinstance(workspace_id, int) or isinstance(workspace_id, bool) or workspace_id < 1:
            raise StoreError(f"A workspace id is a positive integer, not {workspace_id!r}.")
        return cls(Path(data_dir) / f"workspace-{workspace_id}.duckdb", **options)

    # --- opening and closing ---

    @property
    def is_open(self) -> bool:
        return self._con is not None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection (use :meth:`cursor` from other threads)."""
        if self._con is None:
            raise StoreError("The store is not open: call open() or use it in a with block.")
        return self._con

    def open(self) -> Store:
        """Take the lock and connect. A read-only store is migrated first if it is missing or behind."""
        if self._con is not None:
            return self
        if self.memory:
            self._con = duckdb.connect(":memory:")
            self.migrate()
            return self
        assert self.path is not None
        if self.read_only:
            if not self.path.exists() or self._stored_version() < len(self.migrations):
                with Store(self.path, timeout=self.timeout, migrations=self.migrations) as writer:
                    writer.migrate()
            self._lock(fcntl.LOCK_SH)
            try:
                self._con = duckdb.connect(str(self.path), read_only=True)
            except BaseException:
                self._unlock()
                raise
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock(fcntl.LOCK_EX)
            try:
                self._con = duckdb.connect(str(self.path))
            except BaseException:
                self._unlock()
                raise
        return self

    def close(self) -> None:
        """Close the connection and release the lock (safe to call twice)."""
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None
                self._unlock()

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        state = "open" if self.is_open else "closed"
        return f"<Store {self.path or ':memory:'} {mode} {state}>"

    def _stored_version(self) -> int:
        """The version recorded in the file, read under a shared lock (0 if the file is new)."""
        assert self.path is not None
        if not self.path.exists():
            return 0
        self._lock(fcntl.LOCK_SH)
        try:
            con = duckdb.connect(str(self.path), read_only=True)
            try:
                return _version(con)
            finally:
                con.close()
        finally:
            self._unlock()

    def _lock(self, mode: int) -> None:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    who = "a writer" if mode == fcntl.LOCK_SH else "another reader or writer"
                    raise StoreBusy(
                        f"The analytics store {self.path.name} is in use by {who}; "
                        f"gave up after {self.timeout:g} s."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            finally:
                os.close(self._lock_fd)
                self._lock_fd = None

    # --- schema ---

    def version(self) -> int:
        """The schema version of the open store (0 before the first migration)."""
        return _version(self.con)

    def migrate(self) -> list[int]:
        """Apply the pending migrations in order, each in its own transaction; return their numbers.

        Idempotent: a second call applies nothing and returns ``[]``.
        """
        if self.read_only:
            raise StoreError("A read-only store cannot be migrated.")
        con = self.con
        con.execute(_VERSION_TABLE)
        current = _version(con)
        if current > len(self.migrations):
            raise StoreError(
                f"The store is at schema version {current}, newer than this OpenCMO "
                f"({len(self.migrations)}): upgrade OpenCMO before using it."
            )
        applied = []
        for migration in self.migrations[current:]:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(migration.sql)
                con.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                    [migration.version, migration.name],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            applied.append(migration.version)
        return applied

    def describe(self) -> dict[str, list[tuple[str, str, bool]]]:
        """``{table: [(column, type, nullable), …]}`` for every table, in column order."""
        rows = self.con.execute(
            """
            SELECT table_name, column_name, data_type, is_nullable = 'YES'
            FROM information_schema.columns
            WHERE table_schema = 'main'
            ORDER BY table_name, ordinal_position
            """
        ).fetchall()
        tables: dict[str, list[tuple[str, str, bool]]] = {}
        for table, column, data_type, nullable in rows:
            tables.setdefault(table, []).append((column, data_type, bool(nullable)))
        return tables

    # --- use ---

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for another thread of this process (DuckDB connections are not shared by threads)."""
        return self.con.cursor()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing writes: commits when the block ends, rolls back if it raises."""
        if self.read_only:
            raise StoreError("The store is open read-only.")
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def execute(self, sql: str, parameters: Sequence | dict | None = None) -> duckdb.DuckDBPyConnection:
        """Run one statement on the open connection (parameters as ``?`` or ``$name``)."""
        return self.con.execute(sql, parameters) if parameters is not None else self.con.execute(sql)


def _version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0]
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0]
    return int(row[0]) if row else 0
