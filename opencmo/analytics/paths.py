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
        con = store.con
        since, until = _bounds(start, end)
        window = round(lookback_days * 86_400_000_000)
        kind_filter = "TRUE" if kinds is None else "list_contains(?::VARCHAR[], kind)"
        kind_params: list = [] if kinds is None else [list(kinds)]
        fx_cte, fx_params, target = _fx_cte(con, since, until, kind_filter, kind_params, currency, fx)
        query = f"""
        WITH {fx_cte},
        conv_all AS (
            SELECT user_key, ts, value, currency,
                   lag(ts) OVER (PARTITION BY user_key ORDER BY ts, kind) AS prev_ts
            FROM conversions WHERE {kind_filter}
        ),
        conv AS (
            SELECT row_number() OVER (ORDER BY ts, user_key) AS jid, c.user_key, c.ts, c.prev_ts,
                   CAST(c.value AS DOUBLE) * coalesce(fx.rate, 1.0) AS value
            FROM conv_all c LEFT JOIN fx ON fx.currency = c.currency
            WHERE c.ts >= ? AND c.ts < ?
        ),
        tp AS (
            SELECT user_key, ts, channel, is_direct FROM touchpoints
            WHERE ts >= ?::TIMESTAMP - to_microseconds(?) AND ts < ?
        ),
        converted AS (
            SELECT c.jid, 1.0 AS conversions, c.value, 0.0 AS nulls, c.ts AS end_ts,
                   t.ts, t.channel, t.is_direct
            FROM conv c JOIN tp t ON t.user_key = c.user_key AND t.ts <= c.ts
                 AND t.ts >= c.ts - to_microseconds(?) AND (c.prev_ts IS NULL OR t.ts > c.prev_ts)
        ),
        last_conv AS (
            SELECT user_key, max(ts) AS last_ts FROM conv_all WHERE ts < ? GROUP BY user_key
        ),
        tail AS (
            SELECT t.* FROM tp t LEFT JOIN last_conv l USING (user_key)
            WHERE t.ts >= ? AND (l.last_ts IS NULL OR t.ts > l.last_ts)
        ),
        tail_end AS (
            SELECT user_key, max(ts) AS end_ts, -row_number() OVER (ORDER BY user_key) AS jid
            FROM tail GROUP BY user_key
        ),
        dropped AS (
            SELECT e.jid, 0.0 AS conversions, 0.0 AS value, 1.0 AS nulls, e.end_ts,
                   t.ts, t.channel, t.is_direct
            FROM tail t JOIN tail_end e USING (user_key)
            WHERE {"TRUE" if include_nulls else "FALSE"} AND t.ts >= e.end_ts - to_microseconds(?)
        ),
        touches AS (SELECT * FROM converted UNION ALL SELECT * FROM dropped)
        SELECT jid,
               any_value(conversions) AS conversions, any_value(value) AS value, any_value(nulls) AS nulls,
               list(channel ORDER BY ts, channel) AS path,
               list(is_direct ORDER BY ts, channel) AS direct,
               list(epoch_us(end_ts - ts) / 86400e6 ORDER BY ts, channel) AS ages
        FROM touches GROUP BY jid ORDER BY jid
        """  # noqa: S608
        params = [
            *fx_params,
            *kind_params,
            since,
            until,
            since,
            window,
            until,
            window,
            until,
            since,
            window,
        ]
        table = con.sql(query, params=params).to_arrow_table()
        unattributed = con.execute(
            f"""
            WITH {fx_cte},
            conv_all AS (
                SELECT user_key, ts, value, currency,
                       lag(ts) OVER (PARTITION BY user_key ORDER BY ts, kind) AS prev_ts
                FROM conversions WHERE {kind_filter}
            )
            SELECT count(*), coalesce(sum(CAST(c.value AS DOUBLE) * coalesce(fx.rate, 1.0)), 0)
            FROM conv_all c LEFT JOIN fx ON fx.currency = c.currency
            WHERE c.ts >= ? AND c.ts < ? AND NOT EXISTS (
                SELECT 1 FROM touchpoints t WHERE t.user_key = c.user_key AND t.ts <= c.ts
                  AND t.ts >= c.ts - to_microseconds(?) AND (c.prev_ts IS NULL OR t.ts > c.prev_ts)
            )
            """,  # noqa: S608
            [*fx_params, *kind_params, since, until, window],
        ).fetchall()[0]
        lists = table.column("path").combine_chunks()
        direct = table.column("direct").combine_chunks().values.to_numpy(zero_copy_only=False)
        ages = table.column("ages").combine_chunks().values.to_numpy(zero_copy_only=False)
        result = _from_list_array(
            lists,
            table.column("conversions").to_numpy(),
            table.column("value").to_numpy(),
            table.column("nulls").to_numpy(),
            direct_flags=direct.astype(bool),
            ages=ages.astype(np.float64),
            currency=target,
        )
        return _replace(result, unattributed=(float(unattributed[0]), float(unattributed[1])))


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
    return _from_list_array(
        pc.split_pattern(paths, sep),
        conversions,
        value,
        nulls,
        direct_channels=direct_channels,
        currency=currency,
        trim=True,
    )


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


def _fx_cte(
    con: duckdb.DuckDBPyConnection,
    since: dt.datetime,
    until: dt.datetime,
    kind_filter: str,
    kind_params: list,
    currency: str | None,
    fx: Mapping[str, Decimal | float] | None,
) -> tuple[str, list, str | None]:
    """A ``fx(currency, rate)`` CTE that brings conversion values into one currency, or an error."""
    present = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT currency FROM conversions WHERE {kind_filter} AND ts >= ? AND ts < ? "  # noqa: S608
            "AND value <> 0 AND currency IS NOT NULL ORDER BY 1",
            [*kind_params, since, until],
        ).fetchall()
    ]
    if fx:
        if not currency:
            raise ValueError("Name the target currency of the fx rates.")
        rates = {code: Decimal(str(rate)) for code, rate in fx.items()}
        rates.setdefault(currency, Decimal(1))
        missing = [code for code in present if code not in rates]
        if missing:
            raise ValueError(f"No exchange rate into {currency} for {', '.join(missing)}.")
        values = ", ".join("(?, ?::DOUBLE)" for _ in rates)
        params: list = [item for code, rate in sorted(rates.items()) for item in (code, float(rate))]
        return f"fx(currency, rate) AS (VALUES {values})", params, currency
    if len(present) > 1 or (currency and present and present != [currency]):
        listed = ", ".join(present)
        raise ValueError(
            f"Conversion values are in {listed}: give exchange rates (fx) into one currency to add them up."
        )
    target = present[0] if present else currency
    return "fx(currency, rate) AS (SELECT NULL::VARCHAR, NULL::DOUBLE WHERE FALSE)", [], target
