"""Formatting for the insights pages: one `cell` filter that knows each table column's kind."""

from decimal import ROUND_HALF_EVEN, Decimal

from django import template
from django.utils.html import format_html

from opencmo.budget.templatetags.budget import money, pct, times
from opencmo.strategy.selectors import fmt

register = template.Library()
DASH = "—"


@register.filter
def cell(value, kind: str = "text"):
    if value is None or value == "":
        return DASH
    if kind == "link":
        label, url = value
        return format_html('<a href="{}">{}</a>', url, label) if url else label
    if kind == "money":
        return money(value)
    if kind == "ratio":
        return times(value)
    if kind == "pct":
        return pct(value)
    if kind == "percent":
        return f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} %"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "number":
        return fmt(Decimal(value))
    if kind == "float":
        return f"{float(value):,.1f}"
    if kind == "date":
        return value.strftime("%Y-%m-%d")
    if kind == "month":
        return value.strftime("%b %Y")
    return value


@register.filter
def change(value) -> str:
    """A relative change (0.123) as '+12.3 %'."""
    if value is None:
        return ""
    pct_value = (Decimal(value) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return f"{'+' if pct_value > 0 else ''}{pct_value} %".replace("-", "\u2212")


@register.filter
def headline(value, kind: str) -> str:
    return cell(value, {"money": "money", "ratio": "ratio", "count": "count"}.get(kind, "number"))
