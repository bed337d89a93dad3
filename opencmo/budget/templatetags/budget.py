"""Money and ratio formatting for the budget pages (Decimal in, text out; "—" for no value)."""

from decimal import ROUND_HALF_EVEN, Decimal

from django import template

register = template.Library()
DASH = "—"


@register.filter
def money(value) -> str:
    """1234567.5 -> '1,234,567.50'; negative amounts get a real minus sign."""
    if value is None or value == "":
        return DASH
    text = f"{abs(Decimal(value)):,.2f}"
    return f"\u2212{text}" if Decimal(value) < 0 else text


@register.filter
def pct(value) -> str:
    """A share (0.4567) as a percentage ('45.7 %')."""
    if value is None:
        return DASH
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} %"


@register.filter
def times(value) -> str:
    """A ratio (ROAS 4.5) as '4.50x' (with a multiplication sign)."""
    if value is None:
        return DASH
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)}\u00d7"


@register.filter
def indent(depth) -> str:
    return f"{int(depth) * 1.25:.2f}rem"
