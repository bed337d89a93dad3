"""LinkedIn Campaign Manager campaign performance exports: a few preamble lines (report name, start,
end, generated), M/D/YYYY dates and a trailing total row."""

from opencmo.data.parsers.ads import AdSpec, parse_ad_report
from opencmo.data.parsers.common import Parsed

SPEC = AdSpec(
    platform="linkedin",
    label="LinkedIn Campaign Manager",
    channel="Paid Social",
    date_formats=("mdy",),
    columns={
        "day": ("Start Date (in UTC)", "Start Date", "Date"),
        "campaign": ("Campaign Name", "Campaign"),
        "campaign_id": ("Campaign ID",),
        "ad_group": ("Campaign Group Name", "Campaign Group"),
        "account": ("Account Name", "Account ID"),
        "currency": ("Currency",),
        "spend": ("Total Spent", "Amount Spent"),
        "impressions": ("Impressions",),
        "clicks": ("Clicks",),
        "conversions": ("Conversions",),
        "conversion_value": ("Total Conversion Value", "Conversion Value"),
    },
)


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    return parse_ad_report(data, SPEC, default_currency=default_currency)
