"""Parsers: the malformed corpus is rejected with precise messages; real exports parse to exact values."""

import datetime as dt
import io
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencmo.data.parsers import PARSERS, common
from opencmo.data.parsers.common import parse_date, parse_decimal

from .conftest import CORPUS, sample
from .make_samples import ga4_rows

MANIFEST = json.loads((CORPUS / "manifest.json").read_text())


def test_corpus_is_big_enough():
    assert len(MANIFEST) >= 50
    assert len({m["file"] for m in MANIFEST}) == len(MANIFEST)


@pytest.mark.parametrize("entry", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_malformed_file_is_rejected_precisely(entry):
    parsed = PARSERS[entry["kind"]]((CORPUS / entry["file"]).read_bytes(), default_currency="")
    assert parsed.problems, f"{entry['file']} was accepted"
    assert parsed.tables == {}
    text = " | ".join(str(p) for p in parsed.problems)
    assert entry["expect"] in text


def test_google_ads_utf16_report():
    parsed = PARSERS["google_ads"](sample("google_ads_report.csv"))
    assert parsed.ok, parsed.problems
    rows = parsed.tables["ad_performance"]
    assert len(rows) == 5  # the two Total: rows are skipped
    first = rows[0]
    assert first["day"] == dt.date(2026, 3, 1)
    assert first["campaign_external"] == "Spring Sale - Search"
    assert first["campaign_external_id"] == "1234567"
    assert first["spend"] == Decimal("1234.56")
    assert first["impressions"] == 12345
    assert first["conversion_value"] == Decimal("2345.00")
    assert first["currency"] == "EUR"
    assert rows[2]["spend"] == 0 and rows[2]["impressions"] == 0  # "--"
    assert rows[3]["clicks"] == 1050
    assert sum(r["spend"] for r in rows) == Decimal("3278.91")
    assert first["line"] == 4  # the line number a user sees


def test_google_ads_plain_csv_uses_workspace_currency_when_missing():
    data = b'Day,Campaign,Cost\n2026-03-01,Spring,"1,000.50"\n'
    parsed = PARSERS["google_ads"](data, default_currency="NOK")
    assert parsed.ok
    assert parsed.tables["ad_performance"][0]["currency"] == "NOK"
    assert parsed.tables["ad_performance"][0]["spend"] == Decimal("1000.50")


def test_google_ads_text_dates():
    data = b"Day\tCampaign\tCost\tCurrency code\nMar 5, 2026\tS\t1\tEUR\n"
    assert PARSERS["google_ads"](data).tables["ad_performance"][0]["day"] == dt.date(2026, 3, 5)


@pytest.mark.parametrize(
    "name,currency,spend",
    [("meta_en.csv", "NOK", "1250.50"), ("meta_nb.csv", "NOK", "1250.50"), ("meta_de.csv", "EUR", "1250.50")],
)
def test_meta_languages_and_currency_in_header(name, currency, spend):
    parsed = PARSERS["meta"](sample(name), default_currency="SEK")
    assert parsed.ok, parsed.problems
    row = parsed.tables["ad_performance"][0]
    assert row["currency"] == currency
    assert row["spend"] == Decimal(spend)
    assert row["impressions"] == 40210
    assert row["day"] == dt.date(2026, 3, 1)
    assert row["platform"] == "meta" and row["channel"] == "Paid Social"


def test_linkedin_preamble_dates_and_total():
    parsed = PARSERS["linkedin"](sample("linkedin.csv"))
    assert parsed.ok, parsed.problems
    rows = parsed.tables["ad_performance"]
    assert [r["day"] for r in rows] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 12)]
    assert rows[0]["account"] == "Acme AS" and rows[0]["ad_group"] == "Brand"
    assert rows[0]["spend"] == Decimal("1234.56") and rows[0]["currency"] == "NOK"


def _xlsx(rows) -> bytes:
    xlsxwriter = pytest.importorskip("xlsxwriter")  # the budget app's export dependency writes the fixtures
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def test_xlsx_for_tabular_kinds():
    google = _xlsx(
        [
            ["Campaign report"],
            ["Day", "Campaign", "Cost", "Currency code", "Impr."],
            ["2026-03-01", "Spring", 1234.5, "EUR", 1000],
            ["Total: Account", "", 1234.5, "", 1000],
        ]
    )
    parsed = PARSERS["google_ads"](google)
    assert parsed.ok, parsed.problems
    assert parsed.tables["ad_performance"][0]["spend"] == Decimal("1234.5")
    meta = _xlsx([["Reporting starts", "Campaign name", "Amount spent (DKK)"], ["2026-03-01", "S", 99.95]])
    assert PARSERS["meta"](meta).tables["ad_performance"][0]["currency"] == "DKK"
    linkedin = _xlsx(
        [["Start Date (in UTC)", "Campaign Name", "Total Spent", "Currency"], ["3/1/2026", "B2B", 10, "NOK"]]
    )
    assert PARSERS["linkedin"](linkedin).ok
    crm = _xlsx([["Email", "First Name"], ["a@example.no", "A"]])
    assert PARSERS["crm_contacts"](crm).tables["contacts"] == [{"Email": "a@example.no", "First Name": "A"}]


def test_ga4_ndjson_to_sessions_touchpoints_conversions():
    parsed = PARSERS["ga4"](sample("ga4.ndjson"), default_currency="NOK")
    assert parsed.ok, parsed.problems
    t = parsed.tables
    assert len(t["events"]) == 9
    sessions = {s["session_key"]: s for s in t["sessions"]}
    paid = sessions["u1.111:1001"]
    assert (paid["source"], paid["medium"], paid["campaign"], paid["channel"]) == (
        "google",
        "cpc",
        "spring_sale",
        "Paid Search",
    )
    assert paid["page_views"] == 2 and paid["engaged"] is True and paid["landing_page"] == "/"
    assert paid["started_at"] == dt.datetime(2026, 3, 1, 8, 0, 0)
    assert sessions["u2.222:2001"]["channel"] == "Organic Search"  # referrer google.no
    assert sessions["u2.222:2002"]["channel"] == "Email"
    assert sessions["u3.333:3001"]["channel"] == "Direct"
    assert sessions["u4.444:4001"]["channel"] == "Paid Social"
    assert len(t["touchpoints"]) == 5
    kinds = {(c["user_key"], c["kind"]): c for c in t["conversions"]}
    assert (
        kinds[("u1.111", "purchase")]["value"] == Decimal("149.9")
        and kinds[("u1.111", "purchase")]["currency"] == "EUR"
    )
    assert kinds[("u2.222", "lead")]["value"] == 0
    assert t["orders"] == [
        {
            "order_key": "T-1001",
            "customer_key": "u1.111",
            "ts": dt.datetime(2026, 3, 1, 8, 2),
            "value": Decimal("149.9000"),
            "currency": "EUR",
        }
    ]


def test_ga4_parquet_equals_ndjson():
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(ga4_rows()), buffer)
    from_parquet = PARSERS["ga4"](buffer.getvalue(), default_currency="NOK")
    from_json = PARSERS["ga4"](sample("ga4.ndjson"), default_currency="NOK")
    assert from_parquet.ok, from_parquet.problems
    assert {e["event_name"] for e in from_parquet.tables["events"]} == {
        e["event_name"] for e in from_json.tables["events"]
    }
    assert sorted(s["channel"] for s in from_parquet.tables["sessions"]) == sorted(
        s["channel"] for s in from_json.tables["sessions"]
    )


def test_ga4_duplicate_event_rows_count_once():
    line = next(x for x in sample("ga4.ndjson").splitlines() if b'"page_view"' in x)
    parsed = PARSERS["ga4"](line + b"\n" + line + b"\n")
    assert len(parsed.tables["events"]) == 1
    assert [s["page_views"] for s in parsed.tables["sessions"]] == [1]  # not counted twice either


def test_ga4_rows_span_arrow_batches(monkeypatch):
    from opencmo.data import loader

    monkeypatch.setattr(loader, "ROWS_PER_BATCH", 2)
    whole = PARSERS["ga4"](sample("ga4.ndjson"), default_currency="NOK")
    events = list(whole.tables["events"])
    assert len(events) == 9 and len({e["event_key"] for e in events}) == 9
    assert len(whole.tables["events"].arrow()) == 5  # nine events in batches of two
    assert all(e["ts"].year == 2026 for e in events)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1}\n{"b": 2}\n{"c": "caf\xe9"}\n', "Line 3 is not UTF-8 text (byte 0xE9 at position 28)"),
        (b'\xef\xbb\xbf{"a": 1}\n{"b": "\x00"}\n', "Line 2 contains a NUL byte"),
        (b"\n  \n\r\n", "The file has no content"),
        (b"", "The file is empty"),
    ],
)
def test_text_lines_checks_as_decode_does(data, message):
    with pytest.raises(common.FileRejected) as streamed:
        list(common.text_lines(data))
    with pytest.raises(common.FileRejected) as whole:
        common.decode(data)
    assert message in str(streamed.value) and str(streamed.value) == str(whole.value)


def test_text_lines_numbers_lines_as_an_editor_does():
    data = '{"a": 1}\r\n\r\n{"b": "x\u2028y"}\n'.encode()
    assert [(n, line.strip()) for n, line in common.text_lines(data)] == [
        (1, '{"a": 1}'),
        (3, '{"b": "x\u2028y"}'),  # a JSON string may hold U+2028; it does not end the line
    ]
    utf16 = '{"a": 1}\n\n{"b": 2}\n'.encode("utf-16")
    assert [n for n, _ in common.text_lines(utf16)] == [1, 3]


@pytest.mark.parametrize(
    "raw,mark,expected",
    [
        ("1,234.56", ".", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("1 234,56", ",", "1234.56"),
        ("1234", ".", "1234"),
        ("--", ".", None),
        ("< 10%", ".", "0.1"),
        ("12.5%", ".", "0.125"),
        ("(5.00)", ".", "-5.00"),
        ("€ 1,000", ".", "1000"),
        ("0,5", ",", "0.5"),
    ],
)
def test_locale_numbers(raw, mark, expected):
    value = parse_decimal(raw, mark)
    assert value == (Decimal(expected) if expected is not None else None)


def test_decimal_mark_detection():
    assert common.decimal_mark(["1.234,56", "12,50"]) == ","
    assert common.decimal_mark(["1,234.56", "12.50"]) == "."
    assert common.decimal_mark(["1234", "55"]) == "."


@pytest.mark.parametrize(
    "raw,formats,expected",
    [
        ("2026-03-01", ("iso",), dt.date(2026, 3, 1)),
        ("3/1/2026", ("mdy",), dt.date(2026, 3, 1)),
        ("01.03.2026", ("dmy",), dt.date(2026, 3, 1)),
        ("Mar 1, 2026", ("text",), dt.date(2026, 3, 1)),
        ("1. mars 2026", ("text",), dt.date(2026, 3, 1)),
        ("20260301", ("compact",), dt.date(2026, 3, 1)),
        ("Sun, Mar 1, 2026", ("text",), dt.date(2026, 3, 1)),
    ],
)
def test_platform_dates(raw, formats, expected):
    assert parse_date(raw, formats) == expected


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_locale_number_round_trip(value):
    english = f"{value:,.2f}"
    norwegian = english.replace(",", " ").replace(".", ",").replace(" ", ".")
    assert parse_decimal(english, ".") == value
    assert parse_decimal(norwegian, ",") == value
    assert common.decimal_mark([norwegian, "12,50"]) == ","
