# ruff: noqa: E501, RUF001  (export samples reproduce the platforms' long header lines and typography)
"""Regenerate the sample files and the malformed-file corpus: .venv/bin/python tests/data/make_samples.py

The files are committed; this script documents how each was made (and rebuilds them byte for byte)."""

import json
from pathlib import Path

HERE = Path(__file__).parent
SAMPLES, CORPUS = HERE / "samples", HERE / "corpus"

GOOGLE_TSV = (
    "Campaign performance report\n"
    '"March 1, 2026 - March 3, 2026"\n'
    "Day\tCampaign\tCampaign ID\tAd group\tCurrency code\tCost\tImpr.\tClicks\tConversions\tConv. value\tSearch impr. share\n"
    '2026-03-01\tSpring Sale - Search\t1234567\tBrand\tEUR\t"1,234.56"\t"12,345"\t678\t12.00\t"2,345.00"\t< 10%\n'
    '2026-03-01\tSpring Sale - Search\t1234567\tGeneric\tEUR\t987.10\t"8,001"\t245\t3.50\t610.00\t12.34%\n'
    "2026-03-02\tSpring Sale - Search\t1234567\tBrand\tEUR\t--\t--\t0\t0.00\t--\t--\n"
    '2026-03-02\tAlways On - Brand\t7654321\tBrand\tEUR\t"1,002.00"\t"10,000"\t"1,050"\t20.00\t"4,000.00"\t45.10%\n'
    "2026-03-03\tAlways On - Brand\t7654321\tBrand\tEUR\t55.25\t900\t31\t1.00\t120.00\t> 90%\n"
    'Total: Account\t\t\t\t\t"3,278.91"\t"31,246"\t"2,004"\t36.50\t"7,075.00"\t--\n'
    'Total: Search\t\t\t\t\t"3,278.91"\t"31,246"\t"2,004"\t36.50\t"7,075.00"\t--\n'
)

GOOGLE_CSV = (
    "Day,Campaign,Ad group,Currency code,Cost,Impr.,Clicks,Conversions,Conv. value\n"
    "2026-03-03,Always On - Brand,Brand,EUR,55.25,900,31,1.00,120.00\n"
    '2026-03-04,Always On - Brand,Brand,EUR,"1,100.00","11,000",1200,22.00,"4,400.00"\n'
    'Total: Account,,,,"1,155.25","11,900",1231,23.00,"4,520.00"\n'
)

META_EN = (
    "Reporting starts,Reporting ends,Campaign name,Ad set name,Amount spent (NOK),Impressions,Link clicks,Results,Purchases conversion value\n"
    "2026-03-01,2026-03-01,Spring Sale - Prospecting,Lookalike 1%,1250.50,40210,512,9,8400.00\n"
    "2026-03-01,2026-03-01,Spring Sale - Retargeting,Site visitors 30d,640.00,9050,301,14,12950.50\n"
    "2026-03-02,2026-03-02,Spring Sale - Prospecting,Lookalike 1%,1190.25,38900,488,7,6100.00\n"
)

META_NB = (
    "Rapporteringsstart;Kampanjenavn;Navn på annonsesett;Beløp brukt (NOK);Visninger;Lenkeklikk;Resultater;Konverteringsverdi for kjøp\n"
    "01.03.2026;Vårsalg – Prospecting;Lookalike 1 %;1.250,50;40.210;512;9;8.400,00\n"
    "02.03.2026;Vårsalg – Prospecting;Lookalike 1 %;1.190,25;38.900;488;7;6.100,00\n"
)

META_DE = (
    "Tag,Kampagnenname,Name der Anzeigengruppe,Ausgegebener Betrag (EUR),Impressionen,Link-Klicks,Ergebnisse\n"
    '2026-03-01,Frühling,Alle,"1.250,50","40.210",512,9\n'
)

LINKEDIN = (
    "Campaign Performance Report (in UTC)\n"
    "Report Start: 3/1/2026, 12:00 AM\n"
    "Report End: 3/31/2026, 11:59 PM\n"
    "Date Generated: 4/1/2026, 9:14 AM\n"
    "Start Date (in UTC),Account Name,Campaign Group Name,Campaign Name,Campaign ID,Currency,Total Spent,Impressions,Clicks,Conversions,Total Conversion Value\n"
    '3/1/2026,Acme AS,Brand,B2B Decision Makers,987654,NOK,"1,234.56","5,400",61,2,0\n'
    '3/2/2026,Acme AS,Brand,B2B Decision Makers,987654,NOK,998.10,"4,980",55,1,0\n'
    '3/12/2026,Acme AS,Hiring,Employer brand,987655,NOK,300.00,"2,000",12,0,0\n'
    'Total,,,,,,"2,532.66","12,380",128,3,0\n'
)

CRM = (
    "First Name,Last Name,Email,Lifecycle Stage,Company Name\n"
    "Kari,Nordmann,kari@example.no,lead,Nordmann AS\n"
    "Ola,Hansen,ola@example.no,marketingqualifiedlead,Hansen Bygg\n"
)


def ev(user, ts_s, name, session, page, params=None, **extra):
    event_params = [
        {"key": "ga_session_id", "value": {"int_value": session}},
        {"key": "page_location", "value": {"string_value": page}},
    ]
    for key, value in (params or {}).items():
        kind = (
            "string_value"
            if isinstance(value, str)
            else ("double_value" if isinstance(value, float) else "int_value")
        )
        event_params.append({"key": key, "value": {kind: value}})
    row = {
        "event_date": "20260301",
        "event_timestamp": ts_s * 1_000_000,
        "event_name": name,
        "event_params": event_params,
        "user_pseudo_id": user,
        "user_id": None,
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
    }
    row.update(extra)
    return row


T0 = 1772352000  # 2026-03-01 08:00:00 UTC


def ga4_rows():
    return [
        ev(
            "u1.111",
            T0,
            "session_start",
            1001,
            "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale",
            collected_traffic_source={
                "manual_source": "google",
                "manual_medium": "cpc",
                "manual_campaign_name": "spring_sale",
            },
        ),
        ev(
            "u1.111",
            T0 + 1,
            "page_view",
            1001,
            "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale",
            collected_traffic_source={
                "manual_source": "google",
                "manual_medium": "cpc",
                "manual_campaign_name": "spring_sale",
            },
        ),
        ev(
            "u1.111",
            T0 + 60,
            "page_view",
            1001,
            "https://shop.example/product/42",
            {"engagement_time_msec": 15000},
        ),
        ev(
            "u1.111",
            T0 + 120,
            "purchase",
            1001,
            "https://shop.example/checkout/done",
            {"currency": "EUR", "transaction_id": "T-1001"},
            ecommerce={"purchase_revenue": 149.9, "transaction_id": "T-1001"},
        ),
        ev(
            "u2.222",
            T0 + 300,
            "page_view",
            2001,
            "https://shop.example/blog/post",
            {"page_referrer": "https://www.google.no/"},
        ),
        ev(
            "u2.222",
            T0 + 86400,
            "page_view",
            2002,
            "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=march",
            collected_traffic_source={
                "manual_source": "newsletter",
                "manual_medium": "email",
                "manual_campaign_name": "march",
            },
        ),
        ev(
            "u2.222",
            T0 + 86460,
            "generate_lead",
            2002,
            "https://shop.example/contact",
            {"session_engaged": "1"},
        ),
        ev("u3.333", T0 + 500, "page_view", 3001, "https://shop.example/", {}),
        ev(
            "u4.444",
            T0 + 700,
            "page_view",
            4001,
            "https://shop.example/x",
            {"page_referrer": "https://l.facebook.com/"},
            collected_traffic_source={
                "manual_source": "facebook",
                "manual_medium": "paid_social",
                "manual_campaign_name": "spring_sale",
            },
        ),
    ]


def write_samples():
    SAMPLES.mkdir(exist_ok=True)
    (SAMPLES / "google_ads_report.csv").write_bytes(b"\xff\xfe" + GOOGLE_TSV.encode("utf-16-le"))
    (SAMPLES / "google_ads_plain.csv").write_bytes(GOOGLE_CSV.encode())
    (SAMPLES / "meta_en.csv").write_bytes(META_EN.encode())
    (SAMPLES / "meta_nb.csv").write_bytes("\ufeff".encode() + META_NB.encode())
    (SAMPLES / "meta_de.csv").write_bytes(META_DE.encode())
    (SAMPLES / "linkedin.csv").write_bytes(LINKEDIN.encode())
    (SAMPLES / "crm_hubspot.csv").write_bytes(CRM.encode())
    (SAMPLES / "ga4.ndjson").write_text("".join(json.dumps(r) + "\n" for r in ga4_rows()))


# --- the malformed corpus: (file name, kind, bytes, expected message fragment) ---


def u16(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


G_HEAD = "Day,Campaign,Ad group,Currency code,Cost,Impr.,Clicks,Conversions,Conv. value\n"
G_ROW = "2026-03-01,Spring,Brand,EUR,10.00,100,5,1,20.00\n"
M_HEAD = "Reporting starts,Campaign name,Ad set name,Amount spent (EUR),Impressions,Link clicks,Results\n"
L_HEAD = "Start Date (in UTC),Account Name,Campaign Name,Currency,Total Spent,Impressions,Clicks\n"
C_HEAD = "First Name,Last Name,Email,Lifecycle Stage\n"


def ga4_line(**changes):
    row = ev("u9.999", T0, "page_view", 9001, "https://shop.example/")
    row.update(changes)
    return json.dumps(row) + "\n"


def corpus():
    c = []

    def add(name, kind, data, fragment):
        c.append((name, kind, data if isinstance(data, bytes) else data.encode(), fragment))

    # encodings and BOMs
    add("g_empty.csv", "google_ads", b"", "The file is empty")
    add("g_whitespace.csv", "google_ads", "   \n\n  \n", "no content")
    add(
        "g_latin1.csv",
        "google_ads",
        (G_HEAD + "2026-03-01,Vårsalg,Brand,EUR,10.00,100,5,1,20.00\n").encode("latin-1"),
        "not UTF-8",
    )
    add(
        "g_cp1252_euro.csv",
        "google_ads",
        (G_HEAD + "2026-03-01,Spring €,Brand,EUR,10.00,100,5,1,20.00\n").encode("cp1252"),
        "Windows-1252",
    )
    add("g_utf16_odd_bytes.csv", "google_ads", u16(G_HEAD) + b"\x00", "not valid UTF-16")
    add(
        "g_utf16_bad_surrogate.csv",
        "google_ads",
        b"\xff\xfe" + "Day\tCampaign".encode("utf-16-le") + b"\x00\xd8\x41\x00",
        "not valid UTF-16",
    )
    add("g_bom_only.csv", "google_ads", b"\xef\xbb\xbf", "no content")
    add(
        "g_nul_byte.csv",
        "google_ads",
        (G_HEAD + "2026-03-01,Spr\x00ing,Brand,EUR,10,1,1,1,1\n").encode(),
        "NUL byte",
    )
    add(
        "g_nul_utf16.csv",
        "google_ads",
        u16(G_HEAD + "2026-03-01,Spr\x00ing,Brand,EUR,10,1,1,1,1\n"),
        "NUL byte",
    )
    add("g_binary_png.csv", "google_ads", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not UTF-8")
    add("g_zip_not_xlsx.xlsx", "google_ads", b"PK\x03\x04" + b"garbage" * 20, "workbook cannot be read")
    # headers
    add("g_no_header.csv", "google_ads", G_ROW * 3, "No header row")
    add(
        "g_missing_cost.csv",
        "google_ads",
        "Day,Campaign,Ad group,Impr.,Clicks\n2026-03-01,Spring,Brand,100,5\n",
        "No header row",
    )
    add("g_missing_campaign.csv", "google_ads", "Day,Ad group,Cost\n2026-03-01,Brand,10\n", "No header row")
    add(
        "g_duplicate_header.csv",
        "google_ads",
        "Day,Campaign,Cost,Clicks,Clicks,Currency code\n2026-03-01,S,1,2,3,EUR\n",
        "appears twice",
    )
    add(
        "g_blank_header_with_data.csv",
        "google_ads",
        "Day,Campaign,Cost,,Currency code\n2026-03-01,S,1,99,EUR\n",
        "no header name",
    )
    add("g_header_only.csv", "google_ads", G_HEAD, "no data rows")
    add("g_preamble_too_long.csv", "google_ads", "report\n" * 20 + G_HEAD + G_ROW, "first 16 lines")
    # delimiters and quoting
    add("g_semicolon_mixed.csv", "google_ads", G_HEAD.replace(",", ";") + G_ROW, "wrong delimiter")
    add("g_broken_quote.csv", "google_ads", G_HEAD + '2026-03-01,"Spring,Brand,EUR,10,1,1,1,1\n', "")
    add(
        "g_extra_cells.csv",
        "google_ads",
        G_HEAD + "2026-03-01,Spring,Brand,EUR,10.00,100,5,1,20.00,oops,more\n",
        "cells but the header has",
    )
    add(
        "g_huge_cell.csv",
        "google_ads",
        G_HEAD + "2026-03-01," + "S" * 20000 + ",Brand,EUR,10,1,1,1,1\n",
        "20,000 characters",
    )
    add(
        "g_long_campaign.csv",
        "google_ads",
        G_HEAD + "2026-03-01," + "S" * 300 + ",Brand,EUR,10,1,1,1,1\n",
        "at most 255",
    )
    # totals
    add(
        "g_total_in_middle.csv",
        "google_ads",
        G_HEAD + G_ROW + "Total: Account,,,,10,100,5,1,20\n" + G_ROW.replace("03-01", "03-02"),
        "after the total row",
    )
    add(
        "g_utf16_total_middle.csv",
        "google_ads",
        u16(GOOGLE_TSV + "2026-03-09\tX\t1\tB\tEUR\t1\t1\t1\t1\t1\t1\n"),
        "after the total row",
    )
    add("g_only_totals.csv", "google_ads", G_HEAD + "Total: Account,,,,10,100,5,1,20\n", "no data rows")
    # values
    add("g_bad_date.csv", "google_ads", G_HEAD + G_ROW.replace("2026-03-01", "2026-02-30"), "not a real date")
    add(
        "g_date_words.csv",
        "google_ads",
        G_HEAD + G_ROW.replace("2026-03-01", "yesterday"),
        "not a date in the expected format",
    )
    add("g_date_empty.csv", "google_ads", G_HEAD + G_ROW.replace("2026-03-01", ""), "date is missing")
    add("g_cost_text.csv", "google_ads", G_HEAD + G_ROW.replace("10.00", "ten"), "“ten” is not a number")
    add("g_cost_negative.csv", "google_ads", G_HEAD + G_ROW.replace("10.00", "-10.00"), "negative")
    add("g_clicks_fraction.csv", "google_ads", G_HEAD + G_ROW.replace(",5,", ",5.5,"), "not a whole number")
    add("g_misplaced_thousands.csv", "google_ads", G_HEAD + G_ROW.replace("10.00", '"1,23.00"'), "misplaced")
    add("g_bad_currency.csv", "google_ads", G_HEAD + G_ROW.replace("EUR", "Euro"), "three-letter currency")
    add("g_empty_campaign.csv", "google_ads", G_HEAD + G_ROW.replace("Spring", ""), "campaign name is empty")
    add("g_duplicate_rows.csv", "google_ads", G_HEAD + G_ROW + G_ROW, "Repeats line 2")
    add("g_huge_number.csv", "google_ads", G_HEAD + G_ROW.replace("10.00", "1" * 30), "too large")
    # meta
    add(
        "m_no_spend.csv",
        "meta",
        "Reporting starts,Campaign name,Impressions\n2026-03-01,S,100\n",
        "No header row",
    )
    add("m_bad_date.csv", "meta", M_HEAD + "2026-13-01,S,A,10.00,100,5,1\n", "not a real date")
    add("m_us_date.csv", "meta", M_HEAD + "3/1/2026,S,A,10.00,100,5,1\n", "expected format")
    add(
        "m_bad_number_nb.csv",
        "meta",
        "Rapporteringsstart;Kampanjenavn;Beløp brukt (NOK)\n01.03.2026;S;12,5,0\n",
        "not a number",
    )
    add(
        "m_currency_header_bad.csv",
        "meta",
        "Reporting starts,Campaign name,Amount spent (E1R)\n2026-03-01,S,10\n",
        "No header row",
    )
    # linkedin
    add("l_iso_date.csv", "linkedin", L_HEAD + "2026-03-01,Acme,B2B,NOK,10,100,5\n", "M/D/YYYY")
    add("l_day_first.csv", "linkedin", L_HEAD + "13/3/2026,Acme,B2B,NOK,10,100,5\n", "not a real date")
    add(
        "l_total_middle.csv",
        "linkedin",
        L_HEAD + "3/1/2026,Acme,B2B,NOK,10,100,5\nTotal,,,,10,100,5\n3/2/2026,Acme,B2B,NOK,10,100,5\n",
        "after the total row",
    )
    add(
        "l_missing_currency.csv",
        "linkedin",
        "Start Date (in UTC),Campaign Name,Total Spent,Currency\n3/1/2026,B2B,10,\n",
        "currency",
    )
    # ga4
    add("ga_not_json.ndjson", "ga4", "event_date,event_name\n20260301,page_view\n", "Not valid JSON")
    add("ga_array.ndjson", "ga4", "[" + ga4_line().strip() + "]\n", "one JSON object")
    add("ga_ms_timestamp.ndjson", "ga4", ga4_line(event_timestamp=T0 * 1000), "milliseconds")
    add("ga_str_timestamp.ndjson", "ga4", ga4_line(event_timestamp="soon"), "microseconds since 1970")
    add("ga_no_user.ndjson", "ga4", ga4_line(user_pseudo_id=None), "user pseudo id is missing")
    add("ga_no_name.ndjson", "ga4", ga4_line(event_name=""), "event name is missing")
    add("ga_bad_params.ndjson", "ga4", ga4_line(event_params={"a": 1}), "list of {key, value}")
    add("ga_bad_date.ndjson", "ga4", ga4_line(event_date="2026-03-01"), "YYYYMMDD")
    add(
        "ga_bad_revenue.ndjson",
        "ga4",
        ga4_line(event_name="purchase", ecommerce={"purchase_revenue": "lots"}),
        "not a number",
    )
    add("ga_truncated.ndjson", "ga4", ga4_line() + ga4_line()[:40], "Not valid JSON")
    add("ga_bad_parquet.parquet", "ga4", b"PAR1" + b"\x00" * 40 + b"PAR1", "Parquet file cannot be read")
    add("ga_empty_lines.ndjson", "ga4", "\n\n\n", "no content")
    # crm
    add("c_no_email.csv", "crm_contacts", "Company,Phone\nAcme,123\n", "No email or name column")
    add("c_dup_header.csv", "crm_contacts", "Email,Email,First Name\na@b.no,c@d.no,A\n", "appears twice")
    add("c_header_only.csv", "crm_contacts", C_HEAD, "no contacts")
    add("c_nul.csv", "crm_contacts", (C_HEAD + "A,B,a@b\x00.no,lead\n").encode(), "NUL byte")
    return c


def write_corpus():
    CORPUS.mkdir(exist_ok=True)
    manifest = []
    for name, kind, data, fragment in corpus():
        (CORPUS / name).write_bytes(data)
        manifest.append({"file": name, "kind": kind, "expect": fragment})
    (CORPUS / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write_samples()
    write_corpus()
