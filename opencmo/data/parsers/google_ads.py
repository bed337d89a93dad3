"""Google Ads campaign (and ad group) report downloads.

The "download" export is UTF-16LE with a BOM, tab-separated, with a title line and a date-range line
above the header, numbers quoted with thousands separators ("1,234.56"), ``--`` for empty cells,
``< 10%`` for small impression shares and trailing ``Total: …`` rows. The CSV variant is plain UTF-8
with commas. Both are read here (and the same columns from XLSX).
"""

from opencmo.data.parsers.ads import AdSpec, parse_ad_report
from opencmo.data.parsers.common import Parsed

SPEC = AdSpec(
    platform="google_ads",
    label="Google Ads",
    channel="Paid Search",
    date_formats=("iso", "text", "mdy"),
    columns={
        "day": ("Day", "Date", "Dag", "Tag", "Datum"),
        "campaign": ("Campaign", "Kampanje", "Kampagne"),
        "campaign_id": ("Campaign ID", "Kampanje-ID", "Kampagnen-ID"),
        "ad_group": ("Ad group", "Annonsegruppe", "Anzeigengruppe"),
        "account": ("Account", "Account name", "Customer ID", "Konto", "Kundennummer"),
        "currency": ("Currency code", "Currency", "Valutakode", "Währungscode"),
        "spend": ("Cost", "Kostnad", "Kosten"),
        "impressions": ("Impr.", "Impressions", "Visninger", "Impressionen"),
        "clicks": ("Clicks", "Klikk", "Klicks"),
        "conversions": ("Conversions", "Konverteringer", "Conversions"),
        "conversion_value": ("Conv. value", "Conversion value", "Konv.verdi", "Conv.-Wert"),
    },
)


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    return parse_ad_report(data, SPEC, default_currency=default_currency)
