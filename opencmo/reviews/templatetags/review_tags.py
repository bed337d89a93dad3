"""Formatting of pack values (Decimals stored as strings) for the page and the PDF; "—" for nothing."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django import template

register = template.Library()
DASH = "—"


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def amount(value) -> str:
    """Money without cents, thousands separated: '1,234,568'; a real minus sign."""
    d = _dec(value)
    if d is None:
        return DASH
    text = f"{abs(d).quantize(Decimal('1'), rounding=ROUND_HALF_EVEN):,}"
    return f"\u2212{text}" if d < 0 else text


@register.filter
def percent(value) -> str:
    """A value already in percent (45.55) as '45.6 %'."""
    d = _dec(value)
    return DASH if d is None else f"{d.quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} %"


@register.filter
def share(value) -> str:
    """A share (0.4567) as '45.7 %'."""
    d = _dec(value)
    return DASH if d is None else f"{(d * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN)} %"


@register.filter
def ratio(value) -> str:
    """ROAS 4.5 as '4.50x' (with a multiplication sign)."""
    d = _dec(value)
    return DASH if d is None else f"{d.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)}\u00d7"


@register.filter
def number(value) -> str:
    """A measure: thousands separated, at most two decimals, no trailing zeros."""
    d = _dec(value)
    if d is None:
        return DASH
    rounded = d.quantize(Decimal("0.01")) if abs(d) < 1000 else d.quantize(Decimal("1"))
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


@register.filter
def negative(value) -> bool:
    d = _dec(value)
    return d is not None and d < 0


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
