"""The common shape of ad-platform performance exports, configured per platform by :class:`AdSpec`.

Each platform module (``google_ads``, ``meta``, ``linkedin``) declares its header names (in every UI
language it supports), date formats and how it marks totals; :func:`parse_ad_report` does the rest and
yields ``ad_performance`` rows keyed by ``(day, platform, account, campaign_external, ad_group)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from opencmo.data.parsers.common import (
    BadValue,
    FileRejected,
    Parsed,
    TooManyProblems,
    cell,
    check_cells,
    check_header,
    decimal_mark,
    find_column,
    locate_table,
    normalise_header,
    parse_count,
    parse_currency,
    parse_date,
    parse_money,
    text_of,
)

FIELDS = (
    "day",
    "campaign",
    "campaign_id",
    "ad_group",
    "account",
    "currency",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
)


@dataclass(frozen=True)
class AdSpec:
    platform: str
    label: str
    columns: dict[str, tuple[str, ...]]  # field → accepted header names (any language)
    date_formats: tuple[str, ...]
    channel: str
    required: tuple[str, ...] = ("day", "campaign", "spend")
    #: header regexes carrying the currency, e.g. "Amount spent (EUR)" → spend in EUR
    currency_in_header: tuple[str, ...] = ()
    is_total: Callable[[list[str]], bool] = field(default=lambda cells: False)


def _total_row(cells: list[str]) -> bool:
    first = next((c.strip() for c in cells if c.strip()), "")
    return bool(re.match(r"(?i)^(total|totalt|gesamt|summe|sum)\b", first))


def parse_ad_report(data: bytes, spec: AdSpec, *, default_currency: str = "") -> Parsed:
    parsed = Parsed(kind=spec.platform)
    try:
        _parse(data, spec, parsed, default_currency)
    except FileRejected as rejected:
        parsed.problems.append(rejected.problem)
    except TooManyProblems:
        parsed.notes.append("Stopped after 500 problems.")
    if parsed.problems:
        parsed.tables = {}
    return parsed


def _header_currency(header: list[str], spec: AdSpec) -> tuple[dict[str, tuple[str, ...]], str]:
    """Headers like "Amount spent (EUR)": the spend column's name and its currency."""
    columns = dict(spec.columns)
    for name in header:
        for pattern in spec.currency_in_header:
            match = re.fullmatch(pattern, name.strip(), flags=re.IGNORECASE)
            if match:
                columns["spend"] = (name.strip(), *columns.get("spend", ()))
                return columns, match.group("currency").upper()
    return columns, ""


def _parse(data: bytes, spec: AdSpec, parsed: Parsed, default_currency: str) -> None:
    text = text_of(data)
    required_names = []
    for key in spec.required:
        names = spec.columns.get(key, ())
        if key == "spend" and spec.currency_in_header:
            names = names + tuple("re:" + pattern for pattern in spec.currency_in_header)
        required_names.append(names)
    table = _locate(text, spec, required_names)
    columns, header_currency = _header_currency(table.header, spec)
    positions = check_header(table, parsed)
    where = {key: find_column(positions, names) for key, names in columns.items()}
    for key in spec.required:
        if where.get(key) is None:
            parsed.problem(table.header_row, "", f"The column for {key.replace('_', ' ')} is missing.")
    if parsed.problems:
        return
    numeric = [where[k] for k in ("spend", "conversions", "conversion_value") if where.get(k) is not None]
    mark = decimal_mark(cell(cells, p) for _, cells in table.rows[:2000] for p in numeric)
    body = table.rows
    while body and not any(c.strip() for c in body[-1][1]):
        body = body[:-1]
    total_seen = None
    seen: dict[tuple, int] = {}
    rows = []
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        if spec.is_total(cells) or _total_row(cells):
            total_seen = total_seen or line
            continue
        if total_seen is not None:
            parsed.problem(
                line,
                "",
                f"Data after the total row on line {total_seen}: totals must come last "
                "(is this two reports pasted together?).",
            )
            continue
        parsed.rows_read += 1
        if not check_cells(line, cells, table.header, parsed):
            continue
        row = _row(
            line,
            cells,
            table.header,
            where,
            spec,
            parsed,
            mark,
            header_currency or default_currency,
            bool(header_currency),
        )
        if row is None:
            continue
        key = (row["day"], row["account"], row["campaign_external"], row["ad_group"])
        if key in seen:
            parsed.problem(
                line,
                "",
                f"Repeats line {seen[key]}: same day, account, campaign and ad group "
                "(a duplicated row or a missing breakdown column).",
            )
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not parsed.problems:
        parsed.problem(table.header_row + 1, "", "The report has a header but no data rows.")
    if rows:
        parsed.currency = rows[0]["currency"]
    parsed.tables["ad_performance"] = rows


def _locate(text: str, spec: AdSpec, required_names):
    return locate_table(text, required=required_names, hint=f"{spec.label} report")


def _row(
    line,
    cells,
    header,
    where,
    spec: AdSpec,
    parsed: Parsed,
    mark: str,
    currency: str,
    currency_from_header: bool,
) -> dict | None:
    def name_of(key):
        position = where.get(key)
        return header[position] if position is not None and position < len(header) else key

    problems_before = len(parsed.problems)
    values: dict = {}
    try:
        values["day"] = _date(cell(cells, where["day"]), spec.date_formats)
    except BadValue as error:
        parsed.problem(line, name_of("day"), str(error))
    campaign = cell(cells, where["campaign"])
    if not campaign:
        parsed.problem(line, name_of("campaign"), "The campaign name is empty.")
    elif len(campaign) > 255:
        parsed.problem(
            line, name_of("campaign"), f"The campaign name is {len(campaign)} characters long (at most 255)."
        )
    values["campaign_external"] = campaign
    values["ad_group"] = cell(cells, where.get("ad_group"))[:255]
    values["account"] = cell(cells, where.get("account"))[:255]
    values["campaign_external_id"] = cell(cells, where.get("campaign_id"))[:64]
    row_currency = cell(cells, where.get("currency"))
    if where.get("currency") is not None and not row_currency and not currency_from_header:
        parsed.problem(line, name_of("currency"), "The currency is empty.")
        return None
    try:
        values["currency"] = parse_currency(row_currency or currency)
    except BadValue as error:
        if row_currency:
            parsed.problem(line, name_of("currency"), str(error))
        else:
            parsed.problem(
                line, "", "No currency: the report has no currency column and none is set for the workspace."
            )
    for key, parse in (
        ("spend", parse_money),
        ("conversion_value", parse_money),
        ("conversions", parse_money),
        ("impressions", parse_count),
        ("clicks", parse_count),
    ):
        try:
            values[key] = parse(cell(cells, where.get(key)), mark)
        except BadValue as error:
            parsed.problem(line, name_of(key), str(error))
    if len(parsed.problems) > problems_before:
        return None
    values["platform"] = spec.platform
    values["channel"] = spec.channel
    values["line"] = line
    return values


@functools.lru_cache(maxsize=8192)
def _date(raw: str, formats: tuple[str, ...]):
    """A report repeats a few hundred dates on every row: parse each once (errors are not cached)."""
    return parse_date(raw, formats)


def header_names(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for group in groups for n in group)


def norm(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(normalise_header(n) for n in names)
