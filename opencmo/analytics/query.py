"""One query definition, two engines: SQL written once in DuckDB's dialect, run on the DuckDB store or,
transpiled by sqlglot, on Spark SQL (PySpark; local mode here, a cluster for data one machine cannot hold).

* A :class:`Query` is DuckDB SQL with named placeholders (``:since``, ``IN (:kinds)``). It is parsed once;
  :meth:`Query.render` binds the parameters as typed literals (dates, timestamps and decimals as
  ``CAST('…' AS …)``, lists inside ``IN (…)``) and writes the dialect asked for. Binding literals rather
  than engine-specific parameter markers keeps the text identical in meaning on both engines and lets
  tests snapshot the generated SQL.
* A :class:`Backend` runs a rendered query: :class:`DuckDBBackend` on a store,
  :class:`SparkBackend` on a ``SparkSession`` whose temporary views carry the store's table names
  (:meth:`SparkBackend.register_arrow` for small data and tests, :meth:`SparkBackend.register_parquet`
  for a data lake).
* Queries keep to the portable subset both engines share (``date_diff('microsecond', a, b)`` rather than
  ``epoch_us``, ``IN (…)`` rather than ``list_contains``, ``arg_min``, ``median``, window functions,
  ``FILTER``); list building and matrix maths happen in Arrow/NumPy on the result.

This module never imports PySpark: :class:`SparkBackend` takes a session made by the caller.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa
import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    from opencmo.analytics.store import Store

__all__ = ["Backend", "DuckDBBackend", "Query", "QueryError", "Result", "SparkBackend", "backend_for"]

DIALECTS = ("duckdb", "spark")
NAIVE_TIMESTAMP = exp.DataType.build("TIMESTAMP", dialect="duckdb")


class QueryError(ValueError):
    """A query cannot be rendered as asked (unknown or missing parameter, unsupported value)."""


@functools.lru_cache(maxsize=256)
def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="duckdb")


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    if isinstance(value, Decimal):
        places = max(0, -value.as_tuple().exponent) if value.is_finite() else 0
        return exp.cast(exp.Literal.string(str(value)), f"DECIMAL(38, {min(places, 18)})")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise QueryError("Timestamps in the store are naive UTC; convert before querying.")
        # the store's naive TIMESTAMP: DuckDB's TIMESTAMP, Spark's TIMESTAMP_NTZ (not the session zone's)
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), NAIVE_TIMESTAMP)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise QueryError(f"Cannot bind a {type(value).__name__} as a SQL literal.")


@functools.lru_cache(maxsize=512)
def _duckdb_template(sql: str, lengths: tuple[tuple[str, int], ...]) -> str:
    """The query in DuckDB's dialect with ``$name`` placeholders; a list parameter of length n becomes
    ``$name__0 … $name__{n-1}`` (an empty one ``NULL``, which matches nothing, as in :meth:`Query.render`)."""
    tree = _parse(sql).copy()
    sizes = dict(lengths)
    for holder in list(tree.find_all(exp.Placeholder)):
        if holder.name in sizes:
            parent = holder.parent
            if not isinstance(parent, exp.In):
                raise QueryError(f"List parameter :{holder.name} must stand alone inside IN (…).")
            n = sizes[holder.name]
            parent.set(
                "expressions", [exp.Placeholder(this=f"{holder.name}__{i}") for i in range(n)] or [exp.Null()]
            )
    return tree.sql(dialect="duckdb")


@dataclass(frozen=True)
class Query:
    """A named query in DuckDB SQL with ``:name`` placeholders."""

    name: str
    sql: str

    @property
    def parameters(self) -> set[str]:
        return {p.name for p in _parse(self.sql).find_all(exp.Placeholder)}

    def _checked(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        params = dict(params or {})
        missing = self.parameters - set(params)
        if missing:
            raise QueryError(f"Query {self.name} needs {', '.join(sorted(missing))}.")
        unused = set(params) - self.parameters
        if unused:
            raise QueryError(f"Query {self.name} has no parameter {', '.join(sorted(unused))}.")
        return params

    def duckdb(self, params: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """DuckDB SQL with ``$name`` parameters and the values to bind, for the store's own engine.

        Same meaning as :meth:`render` for ``duckdb``, but the text depends only on the query and the
        lengths of list parameters, so it is generated once and cached; DuckDB binds the values natively
        (an interactive dashboard runs these queries often, and transpiling each time cost ~20 ms)."""
        params = self._checked(params)
        lists = {k: v for k, v in params.items() if isinstance(v, (list, tuple, set, frozenset))}
        bound = {k: v for k, v in params.items() if k not in lists}
        for name, values in lists.items():
            items = sorted(values) if isinstance(values, (set, frozenset)) else list(values)
            bound.update({f"{name}__{i}": value for i, value in enumerate(items)})
        lengths = tuple(sorted((name, len(values)) for name, values in lists.items()))
        return _duckdb_template(self.sql, lengths), bound

    def render(self, params: Mapping[str, Any] | None = None, dialect: str = "duckdb") -> str:
        """The SQL for ``dialect`` with ``params`` bound as literals."""
        if dialect not in DIALECTS:
            raise QueryError(f"Unknown dialect {dialect!r}; use {', '.join(DIALECTS)}.")
        params = self._checked(params)
        tree = _parse(self.sql).copy()
        for holder in list(tree.find_all(exp.Placeholder)):
            value = params[holder.name]
            if isinstance(value, (list, tuple, set, frozenset)):
                parent = holder.parent
                if not isinstance(parent, exp.In):
                    raise QueryError(f"List parameter :{holder.name} must stand alone inside IN (…).")
                items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
                # an empty IN () is not SQL: a NULL matches nothing, which is what an empty list means
                parent.set("expressions", [_literal(v) for v in items] or [exp.Null()])
            else:
                holder.replace(_literal(value))
        return tree.sql(dialect=dialect, pretty=True)


@dataclass
class Result:
    """Column names and rows (tuples of Python values) of a query."""

    columns: list[str]
    rows: list[tuple]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class Backend(Protocol):
    """Where a query runs."""

    dialect: str

    def fetch(self, query: Query, params: Mapping[str, Any] | None = None) -> Result: ...

    def arrow(self, query: Query, params: Mapping[str, Any] | None = None) -> pa.Table: ...


class DuckDBBackend:
    """Queries on a workspace's DuckDB store (the default engine)."""

    dialect = "duckdb"

    def __init__(self, store: Store):
        self.store = store

    def fetch(self, query: Query, params: Mapping[str, Any] | None = None) -> Result:
        cursor = self.store.con.execute(*query.duckdb(params))
        return Result([d[0] for d in cursor.description], cursor.fetchall())

    def arrow(self, query: Query, params: Mapping[str, Any] | None = None) -> pa.Table:
        sql, bound = query.duckdb(params)
        return self.store.con.execute(sql, bound).to_arrow_table()


class SparkBackend:
    """Queries on Spark SQL: the store's tables are temporary views of the session."""

    dialect = "spark"

    def __init__(self, session):
        self.session = session

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table (e.g. a store table read through Arrow) the view ``name``."""
        self.session.createDataFrame(table).createOrReplaceTempView(name)

    def register_parquet(self, name: str, path: str) -> None:
        """Make Parquet files (a directory or glob, local or on a cluster's storage) the view ``name``."""
        self.session.read.parquet(path).createOrReplaceTempView(name)

    def register_store(self, store: Store, tables: Sequence[str] | None = None) -> None:
        """Copy the store's tables into the session (for data that fits one machine: tests, checks)."""
        from opencmo.analytics.store import TABLES

        for name in tables or [t for t in TABLES if t != "imports"]:
            self.register_arrow(name, store.con.sql(f"SELECT * FROM {name}").to_arrow_table())  # noqa: S608

    def fetch(self, query: Query, params: Mapping[str, Any] | None = None) -> Result:
        frame = self.session.sql(query.render(params, self.dialect))
        return Result(list(frame.columns), [tuple(row) for row in frame.collect()])

    def arrow(self, query: Query, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self.session.sql(query.render(params, self.dialect)).toArrow()


def backend_for(store_or_backend) -> Backend:
    """A backend from a Store (DuckDB) or a backend given as is: the engine functions accept either."""
    if hasattr(store_or_backend, "dialect") and hasattr(store_or_backend, "fetch"):
        return store_or_backend
    return DuckDBBackend(store_or_backend)
