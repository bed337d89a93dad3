"""Parsers: pure functions from a file's bytes to validated rows (or precise problems).

``PARSERS[kind](data, default_currency=…)`` → :class:`~opencmo.data.parsers.common.Parsed`.
"""

from opencmo.data.parsers import crm, ga4, google_ads, linkedin, meta
from opencmo.data.parsers.common import Parsed, Problem

PARSERS = {
    "google_ads": google_ads.parse,
    "meta": meta.parse,
    "linkedin": linkedin.parse,
    "ga4": ga4.parse,
    "crm_contacts": crm.parse,
}

KINDS = {
    "google_ads": "Google Ads report",
    "meta": "Meta Ads Manager export",
    "linkedin": "LinkedIn Campaign Manager export",
    "ga4": "GA4 BigQuery export (NDJSON or Parquet)",
    "crm_contacts": "CRM contacts / leads (HubSpot, Salesforce)",
}

AD_KINDS = ("google_ads", "meta", "linkedin")

__all__ = ["AD_KINDS", "KINDS", "PARSERS", "Parsed", "Problem"]
