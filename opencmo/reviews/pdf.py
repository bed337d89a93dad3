"""The board report: a review pack rendered to PDF with WeasyPrint (cover, one-page executive summary,
then the pack's sections with the same charts as static SVG). Nothing is fetched from the network:
the stylesheet is inline and charts are embedded SVG."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from opencmo.reviews import charts


def render_html(pack: dict) -> str:
    svgs = {name: mark_safe(charts.to_svg(chart)) for name, chart in charts.charts_for(pack).items()}  # noqa: S308 - our own SVG
    return render_to_string("reviews/board_report.html", {"pack": pack, "charts": svgs, "web": False})


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"The board report does not load external resources ({url}).")


def render_pdf(pack: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(pack), url_fetcher=_no_fetch).write_pdf()
