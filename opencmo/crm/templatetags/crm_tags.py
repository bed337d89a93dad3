"""Small filters for the customer pages and the access report."""

import datetime as dt

from django import template

register = template.Library()


@register.filter
def when(value) -> str:
    """An ISO timestamp (as in the JSON access export) as 'YYYY-MM-DD HH:MM'; dates stay dates."""
    if not value:
        return ""
    text = str(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%Y-%m-%d") if len(text) == 10 else moment.strftime("%Y-%m-%d %H:%M")


@register.filter
def label(value) -> str:
    """first_touch_channel -> 'First touch channel'."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def event_label(kind: str) -> str:
    """email_click -> 'Clicked in an email'; unknown kinds read as words."""
    from opencmo.crm.services import EVENT_KINDS

    return dict(EVENT_KINDS).get(kind) or label(kind)


@register.filter
def change(value) -> str:
    """An audit change [old, new] as 'old → new' ('new' when there was nothing before)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        old, new = value
        return f"{listed(new)}" if old in (None, "", []) else f"{listed(old)} → {listed(new)}"
    return listed(value)


@register.filter
def listed(value) -> str:
    """Lists joined with commas; anything else as text."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
