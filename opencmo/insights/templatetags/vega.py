"""`{% load vega %}{% vega_assets %}`: the Vega runtime and charts.js, for pages that show charts."""

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html

from opencmo.insights.vega import VERSION

register = template.Library()


@register.simple_tag
def vega_assets() -> str:
    return format_html(
        '<script src="{}" defer></script>\n<script src="{}" defer></script>',
        reverse("vega_bundle", kwargs={"version": VERSION}),
        static("opencmo/charts.js"),
    )
