"""Formatting for KPI values and percentages in the strategy templates."""

from decimal import Decimal

from django import template

from opencmo.strategy.selectors import fmt

register = template.Library()


@register.simple_tag(takes_context=True)
def measure(context, value, kpi) -> str:
    """A KPI value with its unit (the workspace currency for money): `{% measure p.actual kpi %}`."""
    workspace = context.get("workspace")
    return fmt(value, kpi.unit, workspace.currency if workspace else "")


@register.filter
def pct(value) -> str:
    """A percentage without decimals: 63.7 → "64 %"; None → a dash."""
    if value is None:
        return "\N{EN DASH}"
    return f"{Decimal(value).quantize(Decimal('1')):,f} %"


@register.filter
def css_pct(value) -> str:
    """A 0-100 number for a CSS width, with a dot as decimal separator whatever the locale."""
    if value is None:
        return "0"
    number = min(max(Decimal(value), Decimal(0)), Decimal(100))
    return f"{number.quantize(Decimal('0.1')):f}"
