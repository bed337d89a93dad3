"""GA4 BigQuery export rows (``events_YYYYMMDD`` tables) as newline-delimited JSON or Parquet.

Each row is one event: ``event_date`` (YYYYMMDD), ``event_timestamp`` (µs since the epoch, UTC),
``event_name``, repeated ``event_params`` ({key, value: {string_value|int_value|float_value|
double_value}}), ``user_pseudo_id``, ``user_id``, ``traffic_source`` (the user's first touch),
``collected_traffic_source`` (this event's manual UTM values and click ids) and ``ecommerce``
(``purchase_revenue``, ``transaction_id``). They become:

* ``events`` — every event, keyed by a hash of the whole row (an identical row is the same event);
* ``sessions`` — per ``user_pseudo_id`` + ``ga_session_id``: first/last event, landing page, page views,
  engagement and the session's source / medium / campaign (from the first event that carries one);
* ``touchpoints`` — one per session, with GA4's default channel group (:mod:`.channels`);
* ``conversions`` — purchases, leads and sign-ups with their value;
* ``orders`` — purchases with a transaction id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from opencmo.data.loader import RowBatches
from opencmo.data.parsers.channels import channel_group
from opencmo.data.parsers.common import (
    MONEY_LIMIT,
    MONEY_PLACES,
    FileRejected,
    Parsed,
    Problem,
    TooManyProblems,
    text_lines,
)

CONVERSIONS = {"purchase": "purchase", "generate_lead": "lead", "sign_up": "signup", "form_submit": "lead"}
EPOCH = dt.datetime(1970, 1, 1)
MIN_TS, MAX_TS = 946684800 * 10**6, 4102444800 * 10**6  # 2000-01-01 .. 2100-01-01


def is_parquet(data: bytes) -> bool:
    return data[:4] == b"PAR1"


def events_in(data: bytes) -> int:
    """Events in a GA4 file, cheaply (before parsing it): Parquet says in its footer, NDJSON has one per
    line. A damaged Parquet file counts 0; the parser names what is wrong with it."""
    if not is_parquet(data):
        return data.count(b"\n") + 1
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
    except (pa.ArrowException, OSError):
        return 0


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    """One pass over the file, event by event: nothing but the output rows (events as Arrow batches,
    sessions, conversions and orders as dicts) is kept, so memory stays a fraction of the file's size."""
    parsed = Parsed(kind="ga4")
    out = _Output()
    try:
        for number, row in _records(data, parsed):
            _event(number, row, parsed, out, default_currency)
        if not parsed.rows_read and not parsed.problems:
            raise FileRejected("The file holds no events.")
    except FileRejected as rejected:
        parsed.problems.append(rejected.problem)
    except TooManyProblems:
        parsed.notes.append("Stopped after 500 problems.")
    if not parsed.problems:
        parsed.tables = out.tables()
    return parsed


def _records(data: bytes, parsed: Parsed) -> Iterator[tuple[int, dict]]:
    if is_parquet(data):
        yield from _parquet_records(data)
        return
    for number, line in text_lines(data):
        if len(line) > 1_000_000:
            parsed.problem(number, "", f"The line is {len(line):,} characters long (at most 1,000,000).")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            hint = " (is this a JSON array or CSV rather than newline-delimited JSON?)" if number == 1 else ""
            parsed.problem(number, "", f"Not valid JSON: {error.msg} at character {error.colno}{hint}.")
            continue
        if not isinstance(value, dict):
            parsed.problem(number, "", "Each line must be one JSON object (one event).")
            continue
        yield number, value


def _parquet_records(data: bytes) -> Iterator[tuple[int, dict]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    number = 0
    try:
        for batch in pq.ParquetFile(io.BytesIO(data)).iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (pa.ArrowException, OSError) as error:
        raise FileRejected(f"The Parquet file cannot be read: {str(error)[:200]}.") from None


def _params(raw, number: int, parsed: Parsed) -> dict:
    out: dict = {}
    if raw in (None, []):
        return out
    if not isinstance(raw, list):
        parsed.problem(number, "event_params", "Must be a list of {key, value} records.")
        return out
    for item in raw:
        if not isinstance(item, dict) or "key" not in item:
            parsed.problem(number, "event_params", "Each parameter needs a key and a value.")
            return out
        value = item.get("value") or {}
        if not isinstance(value, dict):
            parsed.problem(number, "event_params", f"The value of “{item['key']}” must be a record.")
            return out
        for kind in ("string_value", "int_value", "double_value", "float_value"):
            if value.get(kind) is not None:
                out[str(item["key"])] = value[kind]
                break
    return out


def _money(value, number: int, column: str, parsed: Parsed) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        parsed.problem(number, column, f"“{str(value)[:40]}” is not a number.")
        return None
    if not amount.is_finite() or abs(amount) > MONEY_LIMIT:
        parsed.problem(number, column, f"“{str(value)[:40]}” is out of range.")
        return None
    return amount.quantize(MONEY_PLACES)


def _key(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


class _Output:
    """What the file turns into. Identical events (same row, same hash) are one event; their keys are
    remembered as 128-bit integers (about half the memory of the hex strings)."""

    def __init__(self) -> None:
        self.events = RowBatches("events")
        self.seen: set[int] = set()
        self.sessions: dict[str, _Session] = {}
        self.conversions: dict[tuple, dict] = {}
        self.orders: dict[str, dict] = {}
        self.failed = False  # after the first problem only checking goes on; nothing is kept

    def tables(self) -> dict:
        """The rows to load; sessions become Arrow rows one by one, so they are never held twice."""
        sessions, touchpoints = RowBatches("sessions"), RowBatches("touchpoints")
        starts: set[tuple] = set()
        while self.sessions:
            _, session = self.sessions.popitem()
            channel = channel_group(session.source, session.medium, session.campaign)
            sessions.append(session.row(channel))
            start = (session.user_key, session.started_at, channel)
            if start in starts:
                continue  # two sessions of one user starting together on one channel: one touch
            starts.add(start)
            touchpoints.append(
                {
                    "user_key": session.user_key,
                    "ts": session.started_at,
                    "channel": channel,
                    "source": session.source,
                    "medium": session.medium,
                    "campaign": session.campaign,
                    "is_direct": channel == "Direct",
                    "session_key": session.session_key,
                }
            )
        return {
            "events": self.events,
            "sessions": sessions,
            "touchpoints": touchpoints,
            "conversions": list(self.conversions.values()),
            "orders": list(self.orders.values()),
        }


def _event(number: int, row: dict, parsed: Parsed, out: _Output, default_currency: str) -> None:
    parsed.rows_read += 1
    before = len(parsed.problems)
    name = row.get("event_name")
    if not isinstance(name, str) or not name.strip():
        parsed.problem(number, "event_name", "The event name is missing.")
    user = row.get("user_pseudo_id")
    if not isinstance(user, str | int) or not str(user).strip():
        parsed.problem(number, "user_pseudo_id", "The user pseudo id is missing.")
    stamp = row.get("event_timestamp")
    if isinstance(stamp, str) and stamp.isdigit():
        stamp = int(stamp)
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        parsed.problem(number, "event_timestamp", "Must be microseconds since 1970 as a whole number.")
    elif not MIN_TS <= stamp <= MAX_TS:
        hint = " (milliseconds or seconds instead of microseconds?)" if stamp < MIN_TS else ""
        parsed.problem(number, "event_timestamp", f"{stamp} is not a time between 2000 and 2100{hint}.")
    event_date = row.get("event_date")
    if event_date is not None and not (
        isinstance(event_date, str) and len(event_date) == 8 and event_date.isdigit()
    ):
        parsed.problem(number, "event_date", f"“{str(event_date)[:20]}” is not a date as YYYYMMDD.")
    params = _params(row.get("event_params"), number, parsed)
    ecommerce = row.get("ecommerce") or {}
    if not isinstance(ecommerce, dict):
        parsed.problem(number, "ecommerce", "Must be a record.")
        ecommerce = {}
    revenue = _money(ecommerce.get("purchase_revenue"), number, "ecommerce.purchase_revenue", parsed)
    value = (
        revenue if revenue is not None else _money(params.get("value"), number, "event_params.value", parsed)
    )
    currency = str(params.get("currency") or default_currency or "").upper()
    if value is not None and not (len(currency) == 3 and currency.isalpha()):
        parsed.problem(number, "event_params.currency", "A value needs a three-letter currency code.")
    if len(parsed.problems) > before:
        out.failed = True
    if out.failed:
        return
    user = str(user)
    ts = EPOCH + dt.timedelta(microseconds=stamp)
    key = _key(json.dumps(row, sort_keys=True, default=str))
    seen = int(key, 16)
    if seen in out.seen:
        return  # the same row again: the same event
    out.seen.add(seen)
    session_id = params.get("ga_session_id")
    session_key = f"{user}:{session_id}" if session_id is not None else None
    page = params.get("page_location")
    path = urlsplit(str(page)).path or "/" if page else None
    out.events.append(
        {
            "event_key": key,
            "user_key": user,
            "ts": ts,
            "event_name": name.strip()[:100],
            "session_key": session_key,
            "page": path[:2000] if path else None,
            "value": value,
            "currency": currency if value is not None else None,
            "params": json.dumps({k: v for k, v in params.items() if k != "page_location"}, default=str),
        }
    )
    if session_key:
        _session(out.sessions, session_key, user, ts, name, params, row, path)
    kind = CONVERSIONS.get(name)
    if kind:
        out.conversions[(user, ts, kind)] = {
            "user_key": user,
            "ts": ts,
            "kind": kind,
            "value": value or Decimal(0),
            "currency": currency or None,
        }
        transaction_id = ecommerce.get("transaction_id") or params.get("transaction_id")
        if kind == "purchase" and transaction_id and value is not None:
            out.orders[str(transaction_id)] = {
                "order_key": str(transaction_id)[:200],
                "customer_key": user,
                "ts": ts,
                "value": value,
                "currency": currency,
            }


def _source_of(row: dict, params: dict) -> tuple[str, str, str] | None:
    collected = row.get("collected_traffic_source") or {}
    if isinstance(collected, dict):
        if collected.get("gclid"):
            return "google", "cpc", str(collected.get("manual_campaign_name") or "")
        if collected.get("manual_source") or collected.get("manual_medium"):
            return (
                str(collected.get("manual_source") or ""),
                str(collected.get("manual_medium") or ""),
                str(collected.get("manual_campaign_name") or ""),
            )
    if params.get("source") or params.get("medium"):
        return (
            str(params.get("source") or ""),
            str(params.get("medium") or ""),
            str(params.get("campaign") or ""),
        )
    referrer = params.get("page_referrer")
    page = params.get("page_location")
    if referrer and page and urlsplit(str(referrer)).hostname != urlsplit(str(page)).hostname:
        return urlsplit(str(referrer)).hostname or "", "referral", ""
    return None


class _Session:
    """One session while the file is read (slots: a million of them as dicts would cost twice as much)."""

    __slots__ = (
        "campaign",
        "ended_at",
        "engaged",
        "landing_page",
        "landing_ts",
        "medium",
        "page_views",
        "session_key",
        "source",
        "source_ts",
        "started_at",
        "user_key",
    )

    def __init__(self, session_key: str, user: str, ts: dt.datetime) -> None:
        self.session_key, self.user_key, self.started_at, self.ended_at = session_key, user, ts, ts
        self.source, self.medium, self.campaign = "(direct)", "(none)", ""
        self.landing_page = self.source_ts = self.landing_ts = None
        self.page_views, self.engaged = 0, False

    def row(self, channel: str) -> dict:
        return {
            "session_key": self.session_key,
            "user_key": self.user_key,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "source": self.source,
            "medium": self.medium,
            "campaign": self.campaign,
            "channel": channel,
            "landing_page": self.landing_page,
            "page_views": self.page_views,
            "engaged": self.engaged,
        }


def _session(sessions, session_key, user, ts, name, params, row, path) -> None:
    session = sessions.get(session_key)
    if session is None:
        session = sessions[session_key] = _Session(session_key, user, ts)
    session.started_at = min(session.started_at, ts)
    session.ended_at = max(session.ended_at, ts)
    if name == "page_view":
        session.page_views += 1
        if path and (session.landing_ts is None or ts < session.landing_ts):
            session.landing_page, session.landing_ts = path[:2000], ts
    if (
        str(params.get("session_engaged", "")) in ("1", "true")
        or (params.get("engagement_time_msec") or 0) >= 10_000
    ):
        session.engaged = True
    source = _source_of(row, params)
    if source and (session.source_ts is None or ts < session.source_ts):
        session.source, session.medium, session.campaign = (v[:255] for v in source)
        session.source_ts = ts


__all__ = ["Problem", "parse"]
