"""The feedback trend as an inline SVG drawn on the server (no JavaScript): one point per month on a fixed
scale (NPS -100…100, CSAT 1…5), the number of answers as faint bars behind it. Months without answers
leave a gap in the line. The page also shows the same numbers as a table and offers them as CSV."""

from decimal import ROUND_HALF_EVEN, Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from opencmo.crm.selectors import TrendPoint

WIDTH, HEIGHT = Decimal(760), Decimal(250)
LEFT, RIGHT, TOP, BOTTOM = Decimal(48), Decimal(16), Decimal(16), Decimal(40)
SCALES = {
    "nps": (Decimal(-100), Decimal(100), [Decimal(v) for v in (-100, -50, 0, 50, 100)]),
    "csat": (Decimal(1), Decimal(5), [Decimal(v) for v in (1, 2, 3, 4, 5)]),
}


def _n(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def value_of(point: TrendPoint, kind: str) -> Decimal | None:
    return point.nps if kind == "nps" else point.csat_average


def trend_svg(points: list[TrendPoint], kind: str) -> SafeString:
    low, high, ticks = SCALES[kind]
    name = "NPS" if kind == "nps" else "Average CSAT"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points), 1)

    def y(value: Decimal) -> Decimal:
        return TOP + plot_h * (high - value) / (high - low)

    def x(index: int) -> Decimal:
        return LEFT + step * index + step / 2

    parts = [
        f'<svg class="crm-trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="trend-title trend-desc" data-testid="feedback-trend">',
        f'<title id="trend-title">{name} by month</title>',
    ]
    shown = [(p, value_of(p, kind)) for p in points]
    described = "; ".join(f"{p.month:%b %Y}: {v if v is not None else 'no answers'}" for p, v in shown)
    parts.append(f'<desc id="trend-desc">{escape(described)}</desc>')
    for tick in ticks:
        cls = "zero" if kind == "nps" and tick == 0 else "grid-line"
        parts.append(
            f'<line class="{cls}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y(tick))}" y2="{_n(y(tick))}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 8}" y="{_n(y(tick) + 4)}" text-anchor="end">{tick}</text>'
        )
    most = max((p.responses for p in points), default=0) or 1
    for i, point in enumerate(points):
        if point.responses:
            bar_h = plot_h * Decimal("0.35") * point.responses / most
            left, width = x(i) - step * Decimal("0.3"), step * Decimal("0.6")
            parts.append(
                f'<rect class="answers" x="{_n(left)}" y="{_n(TOP + plot_h - bar_h)}" width="{_n(width)}" '
                f'height="{_n(bar_h)}"><title>{point.responses} answers in {point.month:%B %Y}</title></rect>'
            )
        first = i == 0 or point.month.month == 1
        label = f"{point.month:%b %y}" if first else f"{point.month:%b}"
        parts.append(
            f'<text class="tick" x="{_n(x(i))}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{label}</text>'
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (_point, value) in enumerate(shown):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_n(x(i))},{_n(y(value))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline class="line" points="{" ".join(seg)}"/>')
    for i, (point, value) in enumerate(shown):
        if value is not None:
            parts.append(
                f'<circle class="dot" cx="{_n(x(i))}" cy="{_n(y(value))}" r="4"><title>{point.month:%B %Y}: '
                f"{name} {value} ({point.responses} answers)</title></circle>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from numbers and escaped text only
