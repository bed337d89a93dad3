"""Small display helpers for the work pages."""

from django import template

register = template.Library()


@register.filter
def initials(name: str) -> str:
    """'Ingrid Haugen' -> 'IH'; one word -> its first two letters."""
    parts = [p for p in str(name or "").replace("-", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()
