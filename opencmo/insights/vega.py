"""Vega-Lite charts for the app: one theme, an interactive HTML embed and a static SVG for PDFs.

Pages call `chart_html(chart, label=...)`; `static/opencmo/charts.js` turns each `.vega-chart` element
into an interactive chart (tooltips) with the Vega runtime that `bundle_view` serves from the app
itself (vl-convert ships vega + vega-lite + vega-embed as one script), so no CDN is involved.
PDFs (WeasyPrint runs no JavaScript) use `chart_svg`, which renders the same spec server-side.
"""

import copy
import hashlib
import json
import threading
from typing import Any

import vl_convert
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

# Colours and fonts from app.css (:root), so charts read as part of the page.
INK = "#1d2733"
MUTED = "#5f6b7a"
LINE = "#dde3ea"
BRAND = "#2f5d8a"
OK = "#2e7d4f"
WARN = "#b26b00"
BAD = "#b3261e"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'
# Categorical palette led by the brand blue; distinguishable and colour-blind friendly enough for ~10.
PALETTE = [
    BRAND,
    "#e08a2c",
    "#3f9b6e",
    "#c4504a",
    "#7b62a8",
    "#3c9fc0",
    "#b8893a",
    "#d06fa0",
    "#6d7c8c",
    "#94b447",
]
PDF_WIDTH = 520  # px: fits an A4 column at WeasyPrint's 96 dpi with margins

THEME: dict[str, Any] = {
    "font": FONT,
    "background": None,
    "view": {"stroke": None},
    "padding": 4,
    "title": {"color": INK, "fontSize": 14, "fontWeight": 600, "anchor": "start", "font": FONT},
    "axis": {
        "labelColor": MUTED,
        "titleColor": MUTED,
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 500,
        "gridColor": "#eef1f4",
        "domainColor": LINE,
        "tickColor": LINE,
    },
    "legend": {
        "labelColor": INK,
        "titleColor": MUTED,
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "orient": "bottom",
        "direction": "horizontal",
    },
    "range": {"category": PALETTE},
    "mark": {"color": BRAND},
    "bar": {"color": BRAND},
    "line": {"color": BRAND, "strokeWidth": 2},
    "point": {"color": BRAND, "filled": True},
    "area": {"color": BRAND},
}


def to_spec(chart: Any, *, validate: bool = False) -> dict:
    """A Vega-Lite spec dict (a copy) from an altair chart or a dict, with the app theme applied.

    Schema validation costs ~50 ms a chart, so pages skip it; the tests validate every chart builder."""
    spec = copy.deepcopy(chart) if isinstance(chart, dict) else chart.to_dict(validate=validate)
    spec.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v6.json")
    config = spec.get("config") or {}
    merged = copy.deepcopy(THEME)
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    spec["config"] = merged
    return spec


def _is_single_view(spec: dict) -> bool:
    # width "container" only applies to single and layered views, not to concat/facet/repeat.
    return not any(key in spec for key in ("hconcat", "vconcat", "concat", "facet", "repeat"))


def chart_html(chart: Any, *, label: str, height: int | None = None) -> SafeString:
    """A <figure> holding the spec; charts.js embeds it. `label` is the accessible name (screen readers)."""
    spec = to_spec(chart)
    if _is_single_view(spec):
        spec.setdefault("width", "container")
        spec.setdefault("autosize", {"type": "fit", "contains": "padding"})
    if height is not None:
        spec["height"] = height
    data = json.dumps(spec, separators=(",", ":"), default=str)
    return format_html(
        '<figure class="chart"><div class="vega-chart" data-spec="{}" role="img" aria-label="{}">'
        "</div></figure>",
        data,
        label,
    )


def chart_svg(chart: Any, *, width: int = PDF_WIDTH) -> str:
    """The chart as a static SVG string (for WeasyPrint/PDF and e-mails)."""
    spec = to_spec(chart)
    if _is_single_view(spec) and spec.get("width") in (None, "container"):
        spec["width"] = width
    return vl_convert.vegalite_to_svg(spec)


# --- the Vega runtime served by the app -----------------------------------------------------------

VERSION = f"{vl_convert.__version__}-{vl_convert.get_vega_embed_version()}".replace("/", "-")
_bundle: tuple[bytes, str] | None = None
_bundle_lock = threading.Lock()


def bundle() -> tuple[bytes, str]:
    """(JavaScript, ETag) of the Vega runtime. Built once per process: vl-convert takes ~3 s."""
    global _bundle
    if _bundle is None:
        with _bundle_lock:
            if _bundle is None:
                body = vl_convert.javascript_bundle().encode()
                _bundle = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return _bundle


@require_safe
def bundle_view(request: HttpRequest, version: str) -> HttpResponse:
    """Public on purpose: the bundle is open-source library code and holds no data."""
    if version != VERSION:  # an old URL: never cache this process's bundle under another version
        raise Http404("No such asset version.")
    body, etag = bundle()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    # The URL carries the version, so a new vl-convert gets a new URL: cache for a year.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
