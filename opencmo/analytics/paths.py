"""Customer journeys as a compact path table: the input of every attribution model.

A journey is the ordered list of marketing channels a person touched before converting (or before
dropping out: a *null* journey). Millions of them are held as flat NumPy arrays in CSR layout, so the
models are vectorised (``bincount``, ``reduceat``) instead of looping over journeys in Python:

* ``codes[offsets[i]:offsets[i + 1]]`` — the channels of path ``i``, as indices into ``channels``;
* ``conversions[i]``, ``value[i]``, ``nulls[i]`` — how many journeys took that path and converted,
  the value of those conversions, and how many took it without converting;
* ``direct`` — per touch, whether it was *direct* (typed-in, bookmarks: no marketing source);
* ``ages`` — per touch, days before the conversion (or the journey's end); only known for journeys
  built from the store's touchpoints, and needed only by time-decay attribution.

Sources: a ChannelAttribution-style CSV (``path`` as ``"a > b > c"``, ``total_conversions``,
``total_conversion_value``, ``total_null``), Python records, or the store's ``touchpoints`` and
``conversions`` with a lookback window (:meth:`PathTable.from_store`).
"""

from __future__ import annotations

# SQL here is assembled from fixed fragments and quoted identifiers (hence the S608 markers); every value is a
# bound parameter.
import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from opencmo.analytics.store import Store

__all__ = ["DIRECT_CHANNELS", "PathTable", "PathTableError"]

#: Channel names treated as direct (compared case-insensitively) when a path table has no flags.
DIRECT_CHANNELS = frozenset({"direct", "(direct)", "direct traffic", "(none)"})

#: Accepted CSV headers (lower-cased) for each path-table column, the ChannelAttribution name first.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "path": ("path", "paths", "journey", "channel_path"),
    "conversions": ("total_conversions", "conversions", "total_conv", "conv"),
    "value": ("total_conversion_value", "conversion_value", "total_value", "value", "revenue"),
    "nulls": ("total_null", "total_nulls", "nulls", "null", "non_conversions"),
}

MAX_PROBLEMS = 20


class PathTableError(ValueError):
    """Bad path-table input; ``problems`` lists every problem found (row-numbered where it applies)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) if len(self.problems) < 4 else self._summary())

    def _summary(self) -> str:
        shown = "; ".join(self.problems[:3])
        return f"{shown}; and {len(self.problems) - 3} more problems"


@dataclass(frozen=True, eq=False)
class PathTable:
    """Journeys in CSR layout (see the module docstring). Build one with a ``from_*`` constructor."""

    channels: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    direct: np.ndarray
    ages: np.ndarray | None = None
    currency: str | None = None
    #: Conversions (count, value) that had no touchpoint inside the lookback window: no model can
    #: credit them to a channel, so they are reported beside the results instead.
    unattributed: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        n = len(self.offsets) - 1
        problems = []
        if n < 0 or self.offsets[0] != 0 or self.offsets[-1] != len(self.codes):
            problems.append("offsets must start at 0 and end at the number of touches")
        if n > 0 and np.any(np.diff(self.offsets) < 1):
            problems.append("every path needs at least one channel")
        for name in ("conversions", "value", "nulls"):
            array = getattr(self, name)
            if array.shape != (n,):
                problems.append(f"{name} must have one entry per path")
            elif not np.all(np.isfinite(array)) or np.any(array < 0):
                problems.append(f"{name} must be finite and not negative")
        if self.direct.shape != self.codes.shape:
            problems.append("direct must have one flag per touch")
        if self.ages is not None and self.ages.shape != self.codes.shape:
            problems.append("ages must have one entry per touch")
        if len(self.codes) and (self.codes.min() < 0 or self.codes.max() >= len(self.channels)):
            problems.append("codes must index channels")
        if problems:
            raise PathTableError(problems)

    # --- sizes and per-touch helpers (computed once, vectorised) ---

    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @cached_property
    def lengths(self) -> np.ndarray:
        """Touches per path."""
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> np.ndarray:
        """For each touch, the index of its path."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        """For each touch, its 0-based position within its path."""
        return np.arange(len(self.codes), dtype=np.int64) - self.offsets[:-1][self.path_of_touch]

    @property
    def first(self) -> np.ndarray:
        """Index (into ``codes``) of each path's first touch."""
        return self.offsets[:-1]

    @property
    def last(self) -> np.ndarray:
        """Index (into ``codes``) of each path's last touch."""
        return self.offsets[1:] - 1

    @property
    def journeys(self) -> np.ndarray:
        """Journeys per path: converting plus null ones."""
        return self.conversions + self.nulls

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def has_nulls(self) -> bool:
        return bool(self.nulls.any())

    def path(self, i: int) -> list[str]:
        """The channel names of path ``i`` (for display and tests, not for bulk work)."""
        return [self.channels[c] for c in self.codes[self.offsets[i] : self.offsets[i + 1]]]

    def paths(self, sep: str = " > ") -> list[str]:
        """Every path as a string (small tables only: a Python loop)."""
        return [sep.join(self.path(i)) for i in range(self.n_paths)]

    def to_arrow(self) -> pa.Table:
        """The table as Arrow (zero-copy lists of channel codes), for SQL over it in DuckDB."""
        return pa.table(
            {
                "path": pa.ListArray.from_arrays(
                    pa.array(self.offsets.astype(np.int32)), pa.array(self.codes.astype(np.int32))
                ),
                "conversions": self.conversions,
                "value": self.value,
                "nulls": self.nulls,
            }
        )

    def __repr__(self) -> str:
        return (
            f"<PathTable {self.n_paths} paths, {len(self.codes)} touches, {self.n_channels} channels, "
            f"{self.total_conversions:g} conversions>"
        )

    # --- transformations ---

    def select(self, rows: np.ndarray) -> PathTable:
        """A new table with the paths at ``rows`` (a boolean mask or indices), same channels."""
        rows = np.flatnonzero(rows) if rows.dtype == bool else np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        starts = self.offsets[rows]
        take = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        return _replace(
            self,
            offsets=offsets,
            codes=self.codes[take],
            conversions=self.conversions[rows],
            value=self.value[rows],
            nulls=self.nulls[rows],
            direct=self.direct[take],
            ages=None if self.ages is None else self.ages[take],
        )

    def trim(self, *, max_touches: int | None = None, max_age_days: float | None = None) -> PathTable:
        """Keep only the last ``max_touches`` touches and/or those at most ``max_age_days`` old.

        A lookback window for path tables: paths left without a touch are dropped and their
        conversions move to :attr:`unattributed`.
        """
        keep = np.ones(len(self.codes), dtype=bool)
        if max_touches is not None:
            if max_touches < 1:
                raise ValueError("max_touches must be at least 1.")
            keep &= (self.lengths[self.path_of_touch] - self.position) <= max_touches
        if max_age_days is not None:
            if self.ages is None:
                raise ValueError("This path table has no touch times; trim by max_touches instead.")
            keep &= self.ages <= max_age_days
        if keep.all():
            return self
        kept = np.bincount(self.path_of_touch[keep], minlength=self.n_paths)
        offsets = np.concatenate([[0], np.cumsum(kept[kept > 0])]).astype(np.int64)
        alive = kept > 0
        lost_conv = float(self.conversions[~alive].sum())
        lost_value = float(self.value[~alive].sum())
        return _replace(
            self,
            offsets=offsets,
            codes=self.codes[keep],
            conversions=self.conversions[alive],
            value=self.value[alive],
            nulls=self.nulls[alive],
            direct=self.direct[keep],
            ages=None if self.ages is None else self.ages[keep],
            unattributed=(self.unattributed[0] + lost_conv, self.unattributed[1] + lost_value),
        )

    def compact(self) -> PathTable:
        """The same journeys with repeated paths merged (totals summed), when the table knows its
        distinct paths (tables read from path strings, which carry no touch ages); otherwise itself.

        Every model's credit for a journey depends only on its path (channels and direct flags) when
        there are no ages, so fitting the compact table gives the same credits, several times faster.
        Unlike :meth:`aggregate` it costs two bincounts: the distinct paths were found while parsing."""
        distinct = self.__dict__.get("_distinct")
        if distinct is None or self.ages is not None:
            return self
        cached = self.__dict__.get("_compact")
        if cached is None:
            unique, rows = distinct
            size = unique.n_paths
            cached = _replace(
                unique,
                conversions=np.bincount(rows, self.conversions, size),
                value=np.bincount(rows, self.value, size),
                nulls=np.bincount(rows, self.nulls, size),
                currency=self.currency,
                unattributed=self.unattributed,
            )
            object.__setattr__(self, "_compact", cached)
        return cached

    def aggregate(self) -> PathTable:
        """Identical paths merged into one row (totals summed; touch ages dropped), largest first."""
        con = duckdb.connect()
        try:
            table = self.to_arrow()
            con.register("paths_in", table)
            grouped = con.sql(
                """
                SELECT path, sum(conversions) AS conversions, sum(value) AS value, sum(nulls) AS nulls
                FROM paths_in GROUP BY path ORDER BY sum(conversions) + sum(nulls) DESC, path
                """
            ).to_arrow_table()
        finally:
            con.close()
        lists = grouped.column("path").combine_chunks()
        codes = lists.values.to_numpy(zero_copy_only=False).astype(np.int32)
        return _replace(
            self,
            offsets=lists.offsets.to_numpy().astype(np.int64),
            codes=codes,
            conversions=grouped.column("conversions").to_numpy(),
            value=grouped.column("value").to_numpy(),
            nulls=grouped.column("nulls").to_numpy(),
            direct=self.channel_is_direct[codes],
            ages=None,
        )

    @cached_property
    def channel_is_direct(self) -> np.ndarray:
        """Per channel: whether its touches are direct (any touch flagged direct makes it so)."""
        flags = np.zeros(self.n_channels, dtype=bool)
        flags[self.codes[self.direct]] = True
        return flags

    # --- constructors ---

    @classmethod
    def from_lists(
        cls,
        paths: Sequence[Sequence[str]] | pa.Array,
        conversions: Sequence[float] | np.ndarray,
        value: Sequence[float] | np.ndarray | None = None,
        nulls: Sequence[float] | np.ndarray | None = None,
        *,
        direct_channels: Iterable[str] = DIRECT_CHANNELS,
        currency: str | None = None,
    ) -> PathTable:
        """From channel lists, e.g. ``[["seo", "email"], ["paid"]]`` with their totals."""
        lists = paths if isinstance(paths, pa.Array) else pa.array(list(paths), type=pa.list_(pa.string()))
        return _from_list_array(
            lists,
            _floats(conversions, "conversions"),
            _floats(value, "value", like=len(lists)),
            _floats(nulls, "nulls", like=len(lists)),
            direct_channels=direct_channels,
            currency=currency,
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Sequence],
        *,
        sep: str = ">",
        direct_channels: Iterable[str] = DIRECT_CHANNELS,
        currency: str | None = None,
    ) -> PathTable:
        """From ``(path, conversions[, value[, nulls]])`` tuples; ``path`` is ``"a > b"`` or a list."""
        paths, conv, value, nulls = [], [], [], []
        for i, record in enumerate(records, start=1):
            if not 2 <= len(record) <= 4:
                raise PathTableError([f"record {i}: expected (path, conversions[, value[, nulls]])"])
            path = record[0]
            paths.append([p.strip() for p in path.split(sep)] if isinstance(path, str) else list(path))
            conv.append(record[1])
            value.append(record[2] if len(record) > 2 else 0)
            nulls.append(record[3] if len(record) > 3 else 0)
        return cls.from_lists(paths, conv, value, nulls, direct_channels=direct_channels, currency=currency)

    @classmethod
    def from_arrow(
        cls,
        table: pa.Table,
        *,
        sep: str = ">",
        direct_channels: Iterable[str] = DIRECT_CHANNELS,
        currency: str | None = None,
    ) -> PathTable:
        """From an Arrow table with a ``path`` string column (``"a > b"``) and ``conversions`` and
        optionally ``value`` and ``nulls`` (ChannelAttribution's column names are accepted too).
        Splitting and dictionary-encoding run in Arrow's C++ kernels: no Python loop per path."""
        mapping = _map_columns(table.column_names)
        n = table.num_rows

        def numbers(key: str) -> np.ndarray:
            if key not in mapping:
                return np.zeros(n)
            column = table.column(mapping[key])
            if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                raise PathTableError([f"{mapping[key]} must be numbers"])
            return column.fill_null(0).to_numpy().astype(np.float64)

        paths = table.column(mapping["path"])
        if not pa.types.is_string(paths.type) and not pa.types.is_large_string(paths.type):
            raise PathTableError([f"{mapping['path']} must be text such as a > b > c"])
        conversions, value, nulls = numbers("conversions"), numbers("value"), numbers("nulls")
        for key, array in (("conversions", conversions), ("value", value), ("nulls", nulls)):
            if not np.all(np.isfinite(array)) or np.any(array < 0):
                raise PathTableError([f"{mapping.get(key, key)} must be finite and not negative"])
        return _from_strings(paths, sep, conversions, value, nulls, direct_channels, currency)

    @classmethod
    def from_csv(
        cls,
        file: str | os.PathLike[str],
        *,
        sep: str = ">",
        direct_channels: Iterable[str] = DIRECT_CHANNELS,
        currency: str | None = None,
    ) -> PathTable:
        """Read a ChannelAttribution-style path table (comma, semicolon or tab separated, UTF-8).

        Columns (case-insensitive): ``path`` (channels joined by ``sep``), ``total_conversions``, and
        optionally ``total_conversion_value`` and ``total_null``. Raises :class:`PathTableError` with
        every problem (line-numbered) and reads nothing when the file is invalid.
        """
        file = os.fspath(file)
        if not os.path.isfile(file):
            raise PathTableError([f"{file}: no such file"])
        if not sep or sep.isspace():
            raise PathTableError(["the path separator must be a visible character such as >"])
        con = duckdb.connect()
        try:
            options = "header = true, null_padding = false, strict_mode = true"
            try:
                columns = [
                    row[0]
                    for row in con.execute(
                        f"DESCRIBE SELECT * FROM read_csv(?, {options}, all_varchar = true)",  # noqa: S608
                        [file],
                    ).fetchall()
                ]
            except duckdb.Error as error:
                raise PathTableError(
                    [f"{os.path.basename(file)} is not a readable CSV file: {error}"]
                ) from None
            mapping = _map_columns(columns)
            types = ", ".join(
                f"{_literal(column)}: {'VARCHAR' if key == 'path' else 'DOUBLE'}"
                for key, column in mapping.items()
            )
            select = [f"{_ident(mapping['path'])} AS path"]
            for key in ("conversions", "value", "nulls"):
                source = mapping.get(key)
                select.append(
                    f"coalesce({_ident(source)}, 0.0)::DOUBLE AS {key}" if source else f"0.0::DOUBLE AS {key}"
                )
            try:
                # The fast path: typed columns straight into Arrow, checked below with vectorised tests.
                table = con.sql(
                    f"SELECT {', '.join(select)} FROM read_csv(?, {options}, types = {{{types}}})",  # noqa: S608
                    params=[file],
                ).to_arrow_table()
                bad = _numbers_invalid(table)
            except duckdb.Error:
                bad = True
            if bad:
                # Something is wrong: read again as text to name every problem with its line.
                con.execute(
                    f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv(?, {options}, all_varchar = true)",  # noqa: S608
                    [file],
                )
                _check_raw(con, mapping, sep)
                raise PathTableError([f"{os.path.basename(file)} could not be read as a path table"])
        finally:
            con.close()
        try:
            return _from_strings(
                table.column("path"),
                sep,
                table.column("conversions").to_numpy(),
                table.column("value").to_numpy(),
                table.column("nulls").to_numpy(),
                direct_channels,
                currency,
            )
        except PathTableError:
            # An empty channel or path: find the lines.
            con = duckdb.connect()
            try:
                con.execute(
                    f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv(?, {options}, all_varchar = true)",  # noqa: S608
                    [file],
                )
                _check_raw(con, mapping, sep)
            finally:
                con.close()
            raise

    @classmethod
    def from_store(
        cls,
        store: Store,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        lookback_days: float = 30,
        kinds: Sequence[str] | None = None,
        currency: str | None = None,
        fx: Mapping[str, Decimal | float] | None = None,
        include_nulls: bool = True,
    ) -> PathTable:
        """Journeys built in SQL from the store's ``touchpoints`` and ``conversions``.

        Each conversion (of ``kinds``, with ``start <= date <= end``) closes a journey made of the
        person's touchpoints since their previous conversion and at most ``lookback_days`` before it.
        With ``include_nulls``, touchpoints after a person's last conversion (or of people who never
        converted) form one null journey, limited to ``lookback_days`` before its last touch.
        Conversion values must share one currency, or ``fx`` must give each currency's rate into
        ``currency``.
        """
        if lookback_days <= 0:
            raise ValueError("lookback_days must be positive.")
        from opencmo.analytics import queries
        from opencmo.analytics.query import backend_for

        backend = backend_for(store)  # a Store (DuckDB) or a query backend such as Spark
        since, until = _bounds(start, end)
        window = round(lookback_days * 86_400_000_000)
        base: dict = {"since": since, "until": until}
        if kinds is not None:
            base["kinds"] = list(kinds)
        present = [
            row[0] for row in backend.fetch(queries.conversion_currencies(kinds=kinds is not None), base).rows
        ]
        target, rates = _fx_plan(present, currency, fx)
        params = {
            **base,
            "tp_since": since - dt.timedelta(microseconds=window),
            "window": window,
            **{f"fx_code_{i}": code for i, (code, _) in enumerate(rates)},
            **{f"fx_rate_{i}": rate for i, (_, rate) in enumerate(rates)},
        }
        shape = {"kinds": kinds is not None, "rates": len(rates)}
        table = backend.arrow(queries.path_touches(**shape, include_nulls=include_nulls), params)
        unattributed = backend.fetch(queries.path_unattributed(**shape), params).rows[0]
        result = _from_touch_rows(table, currency=target)
        return _replace(result, unattributed=(float(unattributed[0]), float(unattributed[1] or 0)))


# --- helpers ---


def _replace(table: PathTable, **changes) -> PathTable:
    fields = {
        name: getattr(table, name)
        for name in (
            "channels",
            "offsets",
            "codes",
            "conversions",
            "value",
            "nulls",
            "direct",
            "ages",
            "currency",
            "unattributed",
        )
    }
    fields.update(changes)
    return PathTable(**fields)


def _floats(values, name: str, like: int | None = None) -> np.ndarray:
    if values is None:
        return np.zeros(like or 0, dtype=np.float64)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PathTableError([f"{name} must be numbers"]) from None
    if array.ndim != 1:
        raise PathTableError([f"{name} must be a flat list of numbers"])
    return array


def _from_strings(
    paths: pa.Array | pa.ChunkedArray,
    sep: str,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    direct_channels: Iterable[str],
    currency: str | None,
) -> PathTable:
    """Split ``"a > b"`` strings into a PathTable (Arrow's split kernel; no Python loop per path)."""
    if isinstance(paths, pa.ChunkedArray):
        paths = paths.combine_chunks()
    if paths.null_count:
        raise PathTableError(["a path is missing"])
    n = len(paths)
    for name, array in (("conversions", conversions), ("value", value), ("nulls", nulls)):
        if len(array) != n:
            raise PathTableError([f"{name} has {len(array)} entries for {n} paths"])
    # Path tables repeat paths a lot (short journeys dominate): hash whole strings once, split only the
    # distinct ones and gather their codes for every row. The distinct paths are kept with the table, so
    # models fit the merged table (``PathTable.compact``) — exact, as credits depend only on the path.
    encoded = pc.dictionary_encode(paths)
    distinct = encoded.dictionary
    if len(distinct) > n // 2:
        return _from_list_array(
            pc.split_pattern(paths, sep),
            conversions,
            value,
            nulls,
            direct_channels=direct_channels,
            currency=currency,
            trim=True,
        )
    zeros = np.zeros(len(distinct))
    unique = _from_list_array(
        pc.split_pattern(distinct, sep), zeros, zeros, zeros, direct_channels=direct_channels, trim=True
    )
    rows = encoded.indices.to_numpy(zero_copy_only=False)
    return _DistinctPaths.build(unique, rows, conversions, value, nulls, currency)


class _DistinctPaths(PathTable):
    """A table read from path strings, held as its distinct paths plus, per row, which one it is.

    The per-touch arrays (``offsets``, ``codes``, ``direct``) are gathered for every row only when
    something reads them: the models fit :meth:`PathTable.compact`, which needs only the distinct paths,
    so fitting a million-row path table never materialises its millions of touches."""

    @classmethod
    def build(cls, unique: PathTable, rows: np.ndarray, conversions, value, nulls, currency) -> PathTable:
        # Built from checked parts (the caller validated the numbers; ``unique`` passed PathTable's own
        # checks), so the dataclass __init__ and its whole-table validation are skipped.
        table = object.__new__(cls)
        for name, field_value in (
            ("channels", unique.channels),
            ("conversions", np.ascontiguousarray(conversions, dtype=np.float64)),
            ("value", np.ascontiguousarray(value, dtype=np.float64)),
            ("nulls", np.ascontiguousarray(nulls, dtype=np.float64)),
            ("ages", None),
            ("currency", currency),
            ("unattributed", (0.0, 0.0)),
            ("_distinct", (unique, rows)),
        ):
            object.__setattr__(table, name, field_value)
        return table

    @cached_property
    def _touches(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        unique, rows = self.__dict__["_distinct"]
        distinct_lists = pa.ListArray.from_arrays(
            pa.array(unique.offsets, pa.int64()).cast(pa.int32()), pa.array(unique.codes, pa.int32())
        )
        taken = distinct_lists.take(pa.array(rows))  # Arrow's list take (C++), one gather for the flags
        codes = taken.values.to_numpy()
        return taken.offsets.to_numpy().astype(np.int64), codes, unique.channel_is_direct[codes]

    @cached_property
    def offsets(self) -> np.ndarray:  # type: ignore[override]
        return self._touches[0]

    @cached_property
    def codes(self) -> np.ndarray:  # type: ignore[override]
        return self._touches[1]

    @cached_property
    def direct(self) -> np.ndarray:  # type: ignore[override]
        return self._touches[2]


def _from_list_array(
    lists: pa.ListArray,
    conversions: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    direct_channels: Iterable[str] = DIRECT_CHANNELS,
    direct_flags: np.ndarray | None = None,
    ages: np.ndarray | None = None,
    currency: str | None = None,
    trim: bool = False,
) -> PathTable:
    """Dictionary-encode the channel names of a list array (vectorised in Arrow) into a PathTable."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    n = len(lists)
    for name, array in (("conversions", conversions), ("value", value), ("nulls", nulls)):
        if len(array) != n:
            raise PathTableError([f"{name} has {len(array)} entries for {n} paths"])
    if lists.null_count:
        raise PathTableError(["a path is missing"])
    offsets = lists.offsets.to_numpy().astype(np.int64)
    names = lists.values if lists.offset == 0 else lists.flatten()
    if lists.offset:
        offsets = offsets - offsets[0]
    encoded = pc.dictionary_encode(names)
    raw = encoded.dictionary.to_pylist()
    if encoded.indices.null_count:
        raise PathTableError(["a path has a missing channel name"])
    # Trim the (small) dictionary rather than every touch, then merge names that now coincide.
    cleaned = [name.strip() for name in raw] if trim else raw
    if any(not name for name in cleaned):
        raise PathTableError(["a path has an empty channel name"])
    # Channels in sorted order, so results do not depend on which one appeared first.
    channels = tuple(sorted(set(cleaned)))
    index = {name: i for i, name in enumerate(channels)}
    remap = np.array([index[name] for name in cleaned], dtype=np.int32)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    codes = remap[indices] if len(indices) else np.zeros(0, dtype=np.int32)
    if direct_flags is None:
        lowered = {d.casefold() for d in direct_channels}
        channel_direct = np.array([c.casefold() in lowered for c in channels], dtype=bool)
        direct_flags = channel_direct[codes] if len(codes) else np.zeros(0, dtype=bool)
    return PathTable(
        channels=channels,
        offsets=offsets,
        codes=codes.astype(np.int32),
        conversions=np.ascontiguousarray(conversions, dtype=np.float64),
        value=np.ascontiguousarray(value, dtype=np.float64),
        nulls=np.ascontiguousarray(nulls, dtype=np.float64),
        direct=np.asarray(direct_flags, dtype=bool),
        ages=ages,
        currency=currency,
    )


def _map_columns(columns: list[str]) -> dict[str, str]:
    lowered = {c.strip().casefold(): c for c in columns}
    mapping: dict[str, str] = {}
    problems = []
    for key, aliases in COLUMN_ALIASES.items():
        found = [lowered[a] for a in aliases if a in lowered]
        if len(found) > 1:
            problems.append(f"columns {', '.join(found)} all look like the {aliases[0]} column: keep one")
        elif found:
            mapping[key] = found[0]
    for key in ("path", "conversions"):
        if key not in mapping:
            problems.append(
                f"missing the {COLUMN_ALIASES[key][0]} column (found: {', '.join(columns) or 'no columns'})"
            )
    if problems:
        raise PathTableError(problems)
    return mapping


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _numbers_invalid(table: pa.Table) -> bool:
    for key in ("conversions", "value", "nulls"):
        array = table.column(key).to_numpy()
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            return True
    return table.column("path").null_count > 0 or table.num_rows == 0


def _check_raw(con: duckdb.DuckDBPyConnection, mapping: dict[str, str], sep: str) -> None:
    """Every problem of the raw text table, with its line (header = line 1), in one vectorised pass."""
    path = _ident(mapping["path"])
    checks = [
        (f"{path} IS NULL OR trim({path}) = ''", "'the path is empty'"),
        (
            f"list_contains(list_transform(string_split({path}, $sep), lambda x: trim(x)), '')",
            _literal(f"a channel between two {sep} is empty"),
        ),
    ]
    for key in ("conversions", "value", "nulls"):
        column = mapping.get(key)
        if not column:
            continue
        quoted = _ident(column)
        number = f"TRY_CAST(trim({quoted}) AS DOUBLE)"
        checks.append(
            (
                f"{quoted} IS NOT NULL AND trim({quoted}) <> '' AND {number} IS NULL",
                f"{_literal(column + ' is not a number: ')} || {quoted}",
            )
        )
        checks.append(
            (
                f"{number} < 0 OR isinf({number}) OR isnan({number})",
                _literal(f"{column} must not be negative"),
            )
        )
    cases = " ".join(f"WHEN {condition} THEN {message}" for condition, message in checks)
    rows = con.execute(
        f"""
        SELECT line, problem FROM (
            SELECT row_number() OVER () + 1 AS line, CASE {cases} END AS problem FROM raw
        ) WHERE problem IS NOT NULL ORDER BY line LIMIT {MAX_PROBLEMS + 1}
        """,  # noqa: S608
        {"sep": sep},
    ).fetchall()
    count = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    problems = [f"line {line}: {problem}" for line, problem in rows[:MAX_PROBLEMS]]
    if len(rows) > MAX_PROBLEMS:
        problems.append(f"more problems after line {rows[MAX_PROBLEMS - 1][0]}")
    if not count:
        problems.append("the file has no paths")
    if problems:
        raise PathTableError(problems)


def _bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """Inclusive dates to a half-open UTC timestamp range."""
    since = dt.datetime.combine(start, dt.time()) if start else dt.datetime(1970, 1, 1)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else dt.datetime(9999, 1, 1)
    if since >= until:
        raise ValueError("The start date must not be after the end date.")
    return since, until


def _fx_plan(
    present: list[str], currency: str | None, fx: Mapping[str, Decimal | float] | None
) -> tuple[str | None, list[tuple[str, float]]]:
    """The currency of the journeys' values and the rates bringing the ``present`` currencies into it."""
    if fx:
        if not currency:
            raise ValueError("Name the target currency of the fx rates.")
        rates = {code: Decimal(str(rate)) for code, rate in fx.items()}
        rates.setdefault(currency, Decimal(1))
        missing = [code for code in present if code not in rates]
        if missing:
            raise ValueError(f"No exchange rate into {currency} for {', '.join(missing)}.")
        return currency, [(code, float(rate)) for code, rate in sorted(rates.items())]
    if len(present) > 1 or (currency and present and present != [currency]):
        listed = ", ".join(present)
        raise ValueError(
            f"Conversion values are in {listed}: give exchange rates (fx) into one currency to add them up."
        )
    target = present[0] if present else currency
    return target, []


def _from_touch_rows(table: pa.Table, *, currency: str | None) -> PathTable:
    """Fold touch rows ordered by journey (``jid``) into paths: a journey's rows are consecutive, so
    the list offsets are where ``jid`` changes (vectorised; no per-row Python)."""
    jid = table.column("jid").to_numpy()
    starts = np.flatnonzero(np.r_[True, jid[1:] != jid[:-1]]) if len(jid) else np.zeros(0, dtype=np.int64)
    offsets = pa.array(np.r_[starts, len(jid)].astype(np.int32), type=pa.int32())
    channels = table.column("channel").combine_chunks().cast(pa.string())
    lists = pa.ListArray.from_arrays(offsets, channels)

    def first(name: str) -> np.ndarray:
        return table.column(name).to_numpy()[starts].astype(np.float64)

    return _from_list_array(
        lists,
        first("conversions"),
        first("value"),
        first("nulls"),
        direct_flags=table.column("is_direct").to_numpy(zero_copy_only=False).astype(bool),
        ages=table.column("age").to_numpy().astype(np.float64),
        currency=currency,
    )
