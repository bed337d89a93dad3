"""The analytics store: numbered idempotent migrations, the documented schema, locking, transactions."""

import re
from pathlib import Path

import duckdb
import pytest

from opencmo.analytics.store import MIGRATIONS, TABLES, Migration, Store, StoreBusy, StoreError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"


def test_migrating_twice_is_a_no_op(tmp_path):
    with Store.for_workspace(tmp_path, 1) as store:
        assert store.migrate() == [m.version for m in MIGRATIONS]
        before = store.describe()
        assert store.migrate() == []
        assert store.describe() == before
        assert store.version() == len(MIGRATIONS)
        versions = store.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert versions == [(m.version, m.name) for m in MIGRATIONS]


def test_a_new_migration_is_applied_once_on_top_of_an_existing_store(tmp_path):
    with Store.for_workspace(tmp_path, 1) as store:
        store.migrate()
        store.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'EUR', NULL)")
    extra = (
        *MIGRATIONS,
        Migration(len(MIGRATIONS) + 1, "order notes", "ALTER TABLE orders ADD COLUMN note VARCHAR"),
    )
    with Store.for_workspace(tmp_path, 1, migrations=extra) as store:
        assert store.migrate() == [len(MIGRATIONS) + 1]
        assert store.migrate() == []
        assert store.execute("SELECT order_key, note FROM orders").fetchall() == [("o1", None)]


def test_a_failing_migration_leaves_the_store_at_the_previous_version(tmp_path):
    broken = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", "CREATE TABLE x (a INT); SELEC nonsense"))
    with Store.for_workspace(tmp_path, 1, migrations=broken) as store:
        with pytest.raises(duckdb.Error):
            store.migrate()
        assert store.version() == len(MIGRATIONS)
        assert "x" not in store.describe()


def test_migrations_must_be_numbered_without_gaps(tmp_path):
    with pytest.raises(StoreError, match="without gaps"):
        Store(tmp_path / "a.duckdb", migrations=[Migration(2, "two", "SELECT 1")])


def test_a_store_newer_than_the_code_is_refused(tmp_path):
    extra = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "future", "SELECT 1"))
    with Store.for_workspace(tmp_path, 1, migrations=extra) as store:
        store.migrate()
    with Store.for_workspace(tmp_path, 1) as store, pytest.raises(StoreError, match="newer"):
        store.migrate()


def _documented_schema() -> dict[str, list[tuple[str, str, bool]]]:
    """Parse the `### table` sections of docs/analytics.md: | column | type | null | meaning |."""
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = heading.group(1)
            tables[current] = []
            continue
        if current and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            tables[current].append((cells[0].strip("`"), cells[1].strip("`"), cells[2] == "yes"))
        elif current and line.startswith("## "):
            current = None
    return tables


def test_the_schema_matches_the_documentation():
    with Store(":memory:") as store:
        actual = store.describe()
    documented = _documented_schema()
    assert set(documented) == set(actual)
    for table, columns in actual.items():
        assert documented[table] == columns, table
    assert set(TABLES) <= set(actual)


def test_natural_keys_reject_duplicates():
    with Store(":memory:") as store:
        row = "('2026-01-01', 'meta', 'acc', 'Spring', '', NULL, NULL, 'EUR', 10, 100, 5, 1, 20, NULL)"
        store.execute(f"INSERT INTO ad_performance VALUES {row}")  # noqa: S608
        with pytest.raises(duckdb.ConstraintException):
            store.execute(f"INSERT INTO ad_performance VALUES {row}")  # noqa: S608
        with pytest.raises(duckdb.ConstraintException):
            store.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'eur', NULL)")


def test_a_transaction_is_all_or_nothing():
    with Store(":memory:") as store:
        with pytest.raises(duckdb.ConstraintException), store.transaction() as con:
            con.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'EUR', NULL)")
            con.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'EUR', NULL)")
        assert store.execute("SELECT count(*) FROM orders").fetchall() == [(0,)]
        with store.transaction() as con:
            con.execute("INSERT INTO orders VALUES ('o2', 'c1', '2026-01-01', 10, 'EUR', NULL)")
        assert store.execute("SELECT count(*) FROM orders").fetchall() == [(1,)]


def test_one_file_per_workspace(tmp_path):
    with Store.for_workspace(tmp_path, 1) as one, Store.for_workspace(tmp_path, 2) as two:
        one.migrate()
        two.migrate()
        one.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'EUR', NULL)")
        assert two.execute("SELECT count(*) FROM orders").fetchall() == [(0,)]
    assert (tmp_path / "workspace-1.duckdb").exists() and (tmp_path / "workspace-2.duckdb").exists()
    for bad in (0, -1, "1", True):
        with pytest.raises(StoreError):
            Store.for_workspace(tmp_path, bad)


def test_readers_share_and_a_writer_waits_for_them(tmp_path):
    path = tmp_path / "workspace-5.duckdb"
    with Store(path, read_only=True) as first, Store(path, read_only=True) as second:
        # Opening read-only created and migrated the missing store first.
        assert first.version() == second.version() == len(MIGRATIONS)
        with pytest.raises(StoreBusy, match="in use"):
            Store(path, timeout=0.05).open()
        with pytest.raises(StoreError, match="read-only"), first.transaction():
            pass
    with Store(path, timeout=0.05) as writer:
        with pytest.raises(StoreBusy):
            Store(path, read_only=True, timeout=0.05).open()
        writer.execute("INSERT INTO orders VALUES ('o1', 'c1', '2026-01-01', 10, 'EUR', NULL)")
    with Store(path, read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM orders").fetchall() == [(1,)]


def test_a_closed_store_says_so(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    with pytest.raises(StoreError, match="not open"):
        store.execute("SELECT 1")
    store.open()
    store.close()
    store.close()
    assert "closed" in repr(store)
