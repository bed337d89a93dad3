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
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from opencmo.data.parsers.channels import channel_group
from opencmo.data.parsers.common import (
    MONEY_LIMIT,
    MONEY_PLACES,
    FileRejected,
    Parsed,
    Problem,
    TooManyProblems,
    decode,
)

CONVERSIONS = {"purchase": "purchase", "generate_lead": "lead", "sign_up": "signup", "form_submit": "lead"}
EPOCH = dt.datetime(1970, 1, 1)
MIN_TS, MAX_TS = 946684800 * 10**6, 4102444800 * 10**6  # 2000-01-01 .. 2100-01-01


def is_parquet(data: bytes) -> bool:
    return data[:4] == b"PAR1"


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    parsed = Parsed(kind="ga4")
    try:
        records = _records(data, parsed)
        if not parsed.problems:
            _transform(records, parsed, default_currency)
    except FileRejected as rejected:
        parsed.problems.append(rejected.problem)
    except TooManyProblems:
        parsed.notes.append("Stopped after 500 problems.")
    if parsed.problems:
        parsed.tables = {}
    return parsed


def _records(data: bytes, parsed: Parsed) -> list[tuple[int, dict]]:
    if is_parquet(data):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError) as error:
            raise FileRejected(f"The Parquet file cannot be read: {str(error)[:200]}.") from None
        return list(enumerate(table.to_pylist(), start=1))
    text = decode(data)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
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
        records.append((number, value))
    if not records and not parsed.problems:
        raise FileRejected("The file holds no events.")
    return records


def _param(params: dict, key: str):
    return params.get(key)


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


def _transform(records: list[tuple[int, dict]], parsed: Parsed, default_currency: str) -> None:
    events: dict[str, dict] = {}
    sessions: dict[str, dict] = {}
    conversions: dict[tuple, dict] = {}
    orders: dict[str, dict] = {}
    for number, row in records:
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
            revenue
            if revenue is not None
            else _money(params.get("value"), number, "event_params.value", parsed)
        )
        currency = str(params.get("currency") or default_currency or "").upper()
        if value is not None and not (len(currency) == 3 and currency.isalpha()):
            parsed.problem(number, "event_params.currency", "A value needs a three-letter currency code.")
        if len(parsed.problems) > before:
            continue
        user = str(user)
        ts = EPOCH + dt.timedelta(microseconds=stamp)
        key = _key(json.dumps(row, sort_keys=True, default=str))
        session_id = params.get("ga_session_id")
        session_key = f"{user}:{session_id}" if session_id is not None else None
        page = params.get("page_location")
        path = urlsplit(str(page)).path or "/" if page else None
        events[key] = {
            "event_key": key,
            "user_key": user,
            "ts": ts,
            "event_name": name.strip()[:100],
            "session_key": session_key,
            "page": path[:2000] if path else None,
            "value": value,
            "currency": currency if value is not None else None,
            "params": json.dumps(
                {k: v for k, v in params.items() if k not in ("page_location",)}, default=str
            ),
        }
        if session_key:
            _session(sessions, session_key, user, ts, name, params, row, path)
        kind = CONVERSIONS.get(name)
        if kind:
            conv_key = (user, ts, kind)
            conversions[conv_key] = {
                "user_key": user,
                "ts": ts,
                "kind": kind,
                "value": value or Decimal(0),
                "currency": currency or None,
            }
            transaction_id = ecommerce.get("transaction_id") or params.get("transaction_id")
            if kind == "purchase" and transaction_id and value is not None:
                orders[str(transaction_id)] = {
                    "order_key": str(transaction_id)[:200],
                    "customer_key": user,
                    "ts": ts,
                    "value": value,
                    "currency": currency,
                }
    if parsed.problems:
        return
    touchpoints: dict[tuple, dict] = {}
    for session in sessions.values():
        session["channel"] = channel_group(session["source"], session["medium"], session["campaign"])
        tp_key = (session["user_key"], session["started_at"], session["channel"])
        touchpoints[tp_key] = {
            "user_key": session["user_key"],
            "ts": session["started_at"],
            "channel": session["channel"],
            "source": session["source"],
            "medium": session["medium"],
            "campaign": session["campaign"],
            "is_direct": session["channel"] == "Direct",
            "session_key": session["session_key"],
        }
        session.pop("_source_ts", None)
        session.pop("_landing_ts", None)
    parsed.tables = {
        "events": list(events.values()),
        "sessions": list(sessions.values()),
        "touchpoints": list(touchpoints.values()),
        "conversions": list(conversions.values()),
        "orders": list(orders.values()),
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


def _session(sessions, session_key, user, ts, name, params, row, path) -> None:
    session = sessions.get(session_key)
    if session is None:
        session = sessions[session_key] = {
            "session_key": session_key,
            "user_key": user,
            "started_at": ts,
            "ended_at": ts,
            "source": "(direct)",
            "medium": "(none)",
            "campaign": "",
            "channel": "Direct",
            "landing_page": None,
            "page_views": 0,
            "engaged": False,
            "_source_ts": None,
            "_landing_ts": None,
        }
    session["started_at"] = min(session["started_at"], ts)
    session["ended_at"] = max(session["ended_at"], ts)
    if name == "page_view":
        session["page_views"] += 1
        if path and (session["_landing_ts"] is None or ts < session["_landing_ts"]):
            session["landing_page"], session["_landing_ts"] = path[:2000], ts
    if (
        str(params.get("session_engaged", "")) in ("1", "true")
        or (params.get("engagement_time_msec") or 0) >= 10_000
    ):
        session["engaged"] = True
    source = _source_of(row, params)
    if source and (session["_source_ts"] is None or ts < session["_source_ts"]):
        session["source"], session["medium"], session["campaign"] = (v[:255] for v in source)
        session["_source_ts"] = ts


__all__ = ["Problem", "parse"]
