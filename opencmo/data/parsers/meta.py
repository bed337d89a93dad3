"""Meta Ads Manager exports (CSV or XLSX).

The currency is inside the spend header ("Amount spent (EUR)"); the headers follow the exporting
user's UI language. :data:`SPEC` maps English, Norwegian (bokmål) and German headers to our fields.
"""

from opencmo.data.parsers.ads import AdSpec, parse_ad_report
from opencmo.data.parsers.common import Parsed

#: Header names per field and language (English, Norwegian, German).
HEADERS = {
    "day": {
        "en": ("Day", "Reporting starts"),
        "nb": ("Dag", "Rapporteringsstart"),
        "de": ("Tag", "Berichtsbeginn"),
    },
    "campaign": {"en": ("Campaign name",), "nb": ("Kampanjenavn",), "de": ("Kampagnenname",)},
    "campaign_id": {"en": ("Campaign ID",), "nb": ("Kampanje-ID",), "de": ("Kampagnen-ID",)},
    "ad_group": {"en": ("Ad set name",), "nb": ("Navn på annonsesett",), "de": ("Name der Anzeigengruppe",)},
    "account": {
        "en": ("Account name", "Account ID"),
        "nb": ("Kontonavn", "Konto-ID"),
        "de": ("Kontoname", "Konto-ID"),
    },
    "currency": {"en": ("Currency",), "nb": ("Valuta",), "de": ("Währung",)},
    "spend": {"en": ("Amount spent",), "nb": ("Beløp brukt",), "de": ("Ausgegebener Betrag",)},
    "impressions": {"en": ("Impressions",), "nb": ("Visninger",), "de": ("Impressionen",)},
    "clicks": {
        "en": ("Link clicks", "Clicks (all)"),
        "nb": ("Lenkeklikk", "Klikk (alle)"),
        "de": ("Link-Klicks", "Klicks (alle)"),
    },
    "conversions": {
        "en": ("Results", "Purchases"),
        "nb": ("Resultater", "Kjøp"),
        "de": ("Ergebnisse", "Käufe"),
    },
    "conversion_value": {
        "en": ("Purchases conversion value", "Results value"),
        "nb": ("Konverteringsverdi for kjøp",),
        "de": ("Conversion-Wert für Käufe",),
    },
}

SPEC = AdSpec(
    platform="meta",
    label="Meta Ads Manager",
    channel="Paid Social",
    date_formats=("iso", "dmy"),
    columns={key: tuple(n for names in langs.values() for n in names) for key, langs in HEADERS.items()},
    currency_in_header=(
        r"Amount spent\s*\((?P<currency>[A-Za-z]{3})\)",
        r"Beløp brukt\s*\((?P<currency>[A-Za-z]{3})\)",
        r"Ausgegebener Betrag\s*\((?P<currency>[A-Za-z]{3})\)",
    ),
)


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    return parse_ad_report(data, SPEC, default_currency=default_currency)
