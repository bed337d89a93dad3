"""Customer summaries (frequency, recency, T, monetary value) built from transactions, with an optional
calibration/holdout split, and an adapter for the analytics store's ``orders`` table.

Conventions (those of Fader, Hardie & Lee and of ``lifetimes``):

* transactions are counted per **calendar day**: several orders on one day are one purchase whose
  value is their sum;
* ``frequency`` = number of purchase days after the first one within the calibration period (repeat
  purchases); ``recency`` = time from the first to the last of those days (0 if none); ``T`` = time from
  the first purchase day to the end of the calibration period;
* ``monetary_value`` = mean value of the repeat purchase days (the first purchase is left out, as the
  Gamma-Gamma model expects; 0 when there is no repeat purchase);
* customers whose first purchase falls after the calibration end are not in the summary;
* holdout: purchase days in ``(calibration_end, observation_end]`` (``frequency_holdout``) and their mean
  value, with the holdout length ``duration_holdout``;
* times are in days (``time_unit="D"``) or weeks of 7 days (``"W"``, fractional: FHL's CDNOW summary
  uses days / 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import CLVInputError, as_float_array

__all__ = ["TIME_UNIT_DAYS", "RFMSummary", "rfm_from_orders", "rfm_summary"]

#: Length of each supported time unit in days.
TIME_UNIT_DAYS = {"D": 1.0, "W": 7.0}


@dataclass(frozen=True)
class RFMSummary:
    """One row per customer (arrays of equal length, ordered by customer id).

    Attributes
    ----------
    customer_id, frequency, recency, T, monetary_value : ndarray
        See the module docstring.
    frequency_holdout, monetary_value_holdout : ndarray or None
        Purchases (days) and their mean value in the holdout period (None without a holdout).
    duration_holdout : float
        Holdout length in ``time_unit`` (0 without a holdout).
    calibration_end, observation_end : numpy.datetime64
        Last day of the calibration period and of the data used.
    time_unit : str
        ``"D"`` or ``"W"``.
    """

    customer_id: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray
    frequency_holdout: np.ndarray | None
    monetary_value_holdout: np.ndarray | None
    duration_holdout: float
    calibration_end: np.datetime64
    observation_end: np.datetime64
    time_unit: str

    def __len__(self) -> int:
        return int(self.customer_id.shape[0])

    @property
    def repeat_customers(self) -> np.ndarray:
        """Mask of customers the spend model can be fitted on (a repeat purchase with a positive mean)."""
        return (self.frequency > 0) & (self.monetary_value > 0)

    def columns(self) -> dict[str, np.ndarray]:
        """The per-customer arrays by name (holdout columns only when there is a holdout)."""
        out = {
            "customer_id": self.customer_id,
            "frequency": self.frequency,
            "recency": self.recency,
            "T": self.T,
            "monetary_value": self.monetary_value,
        }
        if self.frequency_holdout is not None:
            out["frequency_holdout"] = self.frequency_holdout
            out["monetary_value_holdout"] = self.monetary_value_holdout
        return out


def _to_days(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values)
        if array.dtype.kind == "M":
            days = array.astype("datetime64[D]")
        else:
            days = np.asarray(values, dtype="datetime64[D]")
    except (TypeError, ValueError) as error:
        raise CLVInputError(f"{name} must be dates or timestamps: {error}") from None
    if days.ndim != 1:
        raise CLVInputError(f"{name} must be a one-dimensional sequence of dates.")
    if np.any(np.isnat(days)):
        raise CLVInputError(f"{name} contains missing dates.")
    return days


def _to_day(name: str, value) -> np.datetime64:
    days = _to_days(name, [value])
    return days[0]


def _ids(values) -> np.ndarray:
    """Customer ids as an array without merging values of different types (NumPy would turn
    ``[1, "1"]`` into two equal strings)."""
    if isinstance(values, np.ndarray):
        return values
    if hasattr(values, "to_numpy"):  # pandas, pyarrow
        return np.asarray(values.to_numpy())
    items = list(values)
    if len({type(v) for v in items}) > 1:
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array
    return np.asarray(items)


def _factorize(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        return np.unique(ids, return_inverse=True)
    except TypeError:  # mixed types: order by their text, keep the originals
        mapping: dict = {}
        codes = np.fromiter((mapping.setdefault(v, len(mapping)) for v in ids.tolist()), np.int64, ids.size)
        originals = np.empty(len(mapping), dtype=object)
        for key, code in mapping.items():
            originals[code] = key
        order = np.argsort(np.array([str(v) for v in originals]), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return originals[order], rank[codes]


def rfm_summary(
    customer_id,
    date,
    value=None,
    *,
    calibration_end=None,
    observation_end=None,
    time_unit: str = "D",
) -> RFMSummary:
    """Summarise transactions per customer for the CLV models.

    Parameters
    ----------
    customer_id : array_like
        Customer of each transaction (any hashable values).
    date : array_like
        Date or timestamp of each transaction (``datetime64``, ``date``/``datetime`` or ISO strings);
        timestamps are cut to their calendar day.
    value : array_like, optional
        Value of each transaction (0 when not given).
    calibration_end : date-like, optional
        Last day of the calibration period; transactions after it form the holdout. Defaults to
        ``observation_end`` (no holdout).
    observation_end : date-like, optional
        Last day of data to use (later transactions are ignored). Defaults to the last transaction day.
    time_unit : {"D", "W"}, default "D"
        Unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    RFMSummary

    Raises
    ------
    CLVInputError
        On unusable input (lengths differ, missing or non-date dates, non-finite values, calibration end
        after the observation end, unknown time unit, no transactions left).
    """
    if time_unit not in TIME_UNIT_DAYS:
        raise CLVInputError(f"time_unit must be one of {', '.join(TIME_UNIT_DAYS)}, not {time_unit!r}.")
    ids = _ids(customer_id)
    if ids.ndim != 1:
        raise CLVInputError("customer_id must be a one-dimensional sequence.")
    days = _to_days("date", date)
    values = np.zeros(days.shape[0]) if value is None else as_float_array("value", value)
    if not (ids.shape[0] == days.shape[0] == values.shape[0]):
        raise CLVInputError(
            f"customer_id, date and value must have the same length ({ids.shape[0]}, {days.shape[0]}, "
            f"{values.shape[0]})."
        )
    if days.shape[0] == 0:
        raise CLVInputError("There are no transactions to summarise.")
    obs_end = days.max() if observation_end is None else _to_day("observation_end", observation_end)
    cal_end = obs_end if calibration_end is None else _to_day("calibration_end", calibration_end)
    if cal_end > obs_end:
        raise CLVInputError("calibration_end must not be after observation_end.")
    keep = days <= obs_end
    if not np.any(keep & (days <= cal_end)):
        raise CLVInputError("No transaction falls on or before the calibration end.")
    ids, days, values = ids[keep], days[keep], values[keep]
    uniques, codes = _factorize(ids)

    # One row per (customer, day), sorted by customer then day; values summed.
    day_number = (days - days.min()).astype(np.int64)
    span = int(day_number.max()) + 1
    key = codes.astype(np.int64) * span + day_number
    unique_keys, inverse = np.unique(key, return_inverse=True)
    day_value = np.bincount(inverse.ravel(), weights=values, minlength=unique_keys.size)
    cust = unique_keys // span
    day = unique_keys % span
    cal_day = int((cal_end - days.min()).astype(np.int64))
    obs_day = int((obs_end - days.min()).astype(np.int64))

    first_of_customer = np.r_[True, cust[1:] != cust[:-1]]
    first_day = day[first_of_customer]  # per customer, in code order
    customer_codes = cust[first_of_customer]
    included = first_day <= cal_day
    n_all = uniques.shape[0]
    slot = np.full(n_all, -1, dtype=np.int64)  # code -> output row
    slot[customer_codes[included]] = np.arange(int(included.sum()))
    n = int(included.sum())
    row = slot[cust]
    in_cal = (day <= cal_day) & (row >= 0)
    repeat = in_cal & ~first_of_customer

    unit = TIME_UNIT_DAYS[time_unit]
    frequency = np.bincount(row[repeat], minlength=n).astype(np.int64)
    repeat_value = np.bincount(row[repeat], weights=day_value[repeat], minlength=n)
    last_cal = np.zeros(n, dtype=np.int64)
    cal_rows = np.flatnonzero(in_cal)
    last_of_customer = np.r_[cust[cal_rows][1:] != cust[cal_rows][:-1], True]
    last_cal[row[cal_rows[last_of_customer]]] = day[cal_rows[last_of_customer]]
    start = first_day[included]
    recency = (last_cal - start) / unit
    T = (cal_day - start) / unit
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_value / np.maximum(frequency, 1), 0.0)

    frequency_holdout = monetary_holdout = None
    duration = 0.0
    if cal_end < obs_end:
        hold = (day > cal_day) & (row >= 0)
        frequency_holdout = np.bincount(row[hold], minlength=n).astype(np.int64)
        hold_value = np.bincount(row[hold], weights=day_value[hold], minlength=n)
        monetary_holdout = np.where(frequency_holdout > 0, hold_value / np.maximum(frequency_holdout, 1), 0.0)
        duration = (obs_day - cal_day) / unit

    return RFMSummary(
        customer_id=uniques[customer_codes[included]],
        frequency=frequency,
        recency=recency,
        T=T,
        monetary_value=monetary,
        frequency_holdout=frequency_holdout,
        monetary_value_holdout=monetary_holdout,
        duration_holdout=float(duration),
        calibration_end=cal_end,
        observation_end=obs_end,
        time_unit=time_unit,
    )


_CUSTOMER_COLUMNS = ("customer_id", "customer_key", "customer")
_TS_COLUMNS = ("order_ts", "ts", "date", "order_date", "timestamp")
_VALUE_COLUMNS = ("value", "revenue", "amount")


def _pick(available: list[str], wanted: str | None, candidates: tuple[str, ...], role: str) -> str:
    if wanted is not None:
        if wanted not in available:
            raise CLVInputError(f"Column {wanted!r} ({role}) is not in the data: {', '.join(available)}.")
        return wanted
    for name in candidates:
        if name in available:
            return name
    raise CLVInputError(
        f"No {role} column: expected one of {', '.join(candidates)} (columns: {', '.join(available)})."
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rfm_from_orders(
    source,
    *,
    calibration_end=None,
    observation_end=None,
    time_unit: str = "D",
    currency: str | None = None,
    customer_column: str | None = None,
    ts_column: str | None = None,
    value_column: str | None = None,
) -> RFMSummary:
    r""":func:`rfm_summary` of an orders table, aggregated to one row per customer and day in DuckDB.

    Parameters
    ----------
    source
        One of: a DuckDB connection (or an open :class:`opencmo.analytics.store.Store`) whose ``orders``
        table is read (``customer_key``, ``ts``, ``value``, ``currency``); a DuckDB relation; a pandas
        ``DataFrame`` or pyarrow ``Table``. Columns are found by name — customer: ``customer_id``,
        ``customer_key`` or ``customer``; time: ``order_ts``, ``ts``, ``date``, ``order_date`` or
        ``timestamp``; value: ``value``, ``revenue`` or ``amount`` — or given explicitly.
    calibration_end, observation_end, time_unit
        As for :func:`rfm_summary`.
    currency : str, optional
        Only orders in this currency (when the data has a ``currency`` column). Required when the
        data holds several currencies: values in different currencies are never added up.

    Notes
    -----
    Timestamps are taken as UTC and cut to their UTC date (the store keeps UTC ``TIMESTAMP``\ s).
    """
    import duckdb

    if hasattr(source, "con") and hasattr(source, "migrate"):  # an analytics Store
        source = source.con
    if isinstance(source, duckdb.DuckDBPyConnection):
        con, table = source, "orders"
        available = [row[0] for row in con.execute("DESCRIBE orders").fetchall()]
        run = con.execute
    else:
        con = duckdb.connect(":memory:")
        table = "clv_orders_input"
        if isinstance(source, duckdb.DuckDBPyRelation):
            available = list(source.columns)

            def run(sql, params=None):
                # A relation is queried through its own connection under a temporary view name.
                return source.query(table, _bind(sql, params))

        else:
            try:
                con.register(table, source)
            except Exception as error:  # duckdb raises several types for objects it cannot scan
                raise CLVInputError(
                    "rfm_from_orders needs a DuckDB connection or relation, a pandas DataFrame or a pyarrow "
                    f"Table; got {type(source).__name__} ({error})."
                ) from None
            available = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
            run = con.execute
    customer = _quote(_pick(available, customer_column, _CUSTOMER_COLUMNS, "customer"))
    ts = _quote(_pick(available, ts_column, _TS_COLUMNS, "order time"))
    value = _quote(_pick(available, value_column, _VALUE_COLUMNS, "order value"))

    where = [f"{customer} IS NOT NULL", f"{ts} IS NOT NULL"]
    params: list = []
    if "currency" in available:
        distinct = f"SELECT DISTINCT currency FROM {table} WHERE currency IS NOT NULL"  # noqa: S608
        found = sorted(row[0] for row in _fetch(run(distinct)))
        if currency is None and len(found) > 1:
            raise CLVInputError(
                f"The orders are in several currencies ({', '.join(found)}): choose one with currency=."
            )
        if currency is not None:
            where.append("currency = ?")
            params.append(currency)
    elif currency is not None:
        raise CLVInputError("currency= was given but the orders have no currency column.")
    if observation_end is not None:
        where.append(f"CAST({ts} AS DATE) <= CAST(? AS DATE)")
        params.append(str(_to_day("observation_end", observation_end)))
    # Identifiers are our own table name and quoted column names; values are bound as parameters.
    sql = (
        f"SELECT CAST({customer} AS VARCHAR) AS customer, CAST({ts} AS DATE) AS day, "  # noqa: S608
        f"CAST(COALESCE(SUM({value}), 0) AS DOUBLE) AS value FROM {table} "
        f"WHERE {' AND '.join(where)} GROUP BY ALL ORDER BY customer, day"
    )
    columns = (run(sql, params) if params else run(sql)).fetchnumpy()
    customers = np.asarray(columns["customer"], dtype=object)
    if customers.size == 0:
        raise CLVInputError("There are no orders to summarise" + (f" in {currency}." if currency else "."))
    days = np.asarray(columns["day"]).astype("datetime64[D]")
    values = np.asarray(columns["value"], dtype=np.float64)
    return rfm_summary(
        customers,
        days,
        values,
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
    )


def _fetch(result) -> list[tuple]:
    return result.fetchall()


def _bind(sql: str, params) -> str:
    """Inline ``?`` parameters as SQL literals (relations' ``query`` takes no parameters)."""
    for param in params or []:
        literal = "'" + str(param).replace("'", "''") + "'"
        sql = sql.replace("?", literal, 1)
    return sql
