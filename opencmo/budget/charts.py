"""Inline SVG charts drawn on the server (no JavaScript library): monthly pacing bars and the burn-down.
Coordinates are computed in Decimal like the money they show. Every chart has a <title>/<desc> for
screen readers and a <title> per mark as a hover tooltip; the pages also show each chart as a table
and offer it as CSV."""

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from html import escape

from opencmo.budget.ledger import Pacing

WIDTH, HEIGHT = Decimal(600), Decimal(290)
LEFT, RIGHT, TOP, BOTTOM = Decimal(50), Decimal(10), Decimal(14), Decimal(34)
FONT = 12
COLORS = {
    "planned": "#c9d3de",
    "actual": "#2f5d8a",
    "committed": "#8fb3d9",
    "forecast": "#b26b00",
    "over": "#b3261e",
    "grid": "#e6ebf0",
    "text": "#5f6b7a",
}


def _n(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def short(amount: Decimal) -> str:
    """1234567 -> '1.2M', 350000 -> '350k', 950 -> '950'."""
    value = abs(Decimal(amount))
    sign = "-" if amount < 0 else ""
    for limit, suffix in ((Decimal(10**9), "bn"), (Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if value >= limit:
            scaled = (value / limit).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
            text = f"{scaled:f}".removesuffix(".0")
            return f"{sign}{text}{suffix}"
    return f"{sign}{value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)}"


def nice_ceiling(value: Decimal) -> tuple[Decimal, Decimal]:
    """(top of the axis, step between 5 or fewer gridlines) for a largest value."""
    if value <= 0:
        return Decimal(1), Decimal(1)
    raw = value / 4
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, 2.5, 5, 10):
        step = magnitude * Decimal(str(factor))
        if step >= raw:
            break
    top = step
    while top < value:
        top += step
    return top, step


def _month_label(month: dt.date, first: bool) -> str:
    return f"{month:%b %y}" if first or month.month == 1 else f"{month:%b}"


def _label_every(count: int) -> int:
    """Label every month up to a year; every 2nd, 3rd... for longer periods so labels never collide."""
    return max(1, -(-count // 12))


def _frame(title: str, desc: str, test_id: str) -> list[str]:
    return [
        f'<svg class="budget-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{test_id}-t {test_id}-d" data-testid="{test_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{test_id}-t">{escape(title)}</title><desc id="{test_id}-d">{escape(desc)}</desc>',
    ]


def _axis(parts: list[str], low: Decimal, top: Decimal, step: Decimal, y) -> None:
    value = low
    while value <= top:
        ypos = y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(ypos)}" y2="{_n(ypos)}" '
            f'stroke="{COLORS["grid"] if value else "#9aa5b1"}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{_n(ypos + 4)}" text-anchor="end" font-size="{FONT}" '
            f'fill="{COLORS["text"]}">{short(value)}</text>'
        )
        value += step


def pacing_svg(pacing: Pacing, currency: str, name: str) -> str:
    """Bars per month: planned (grey, behind) and used (actual dark + committed light, stacked), with
    the forecast of current and future months as an orange tick."""
    months = pacing.months
    if not months:
        return ""
    biggest = max(max(m.planned, m.used, m.expected if m.state != "past" else 0) for m in months)
    top, step = nice_ceiling(Decimal(biggest) * Decimal("1.04"))  # headroom above the tallest bar
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(months)
    bar = min(slot * Decimal("0.7"), Decimal(44))
    every = _label_every(len(months))

    def y(value: Decimal) -> Decimal:
        return TOP + plot_h - plot_h * Decimal(value) / top

    desc = (
        f"Planned against actual and committed spend per month for {name}, in {currency}. "
        f"Planned {pacing.planned:,.2f}, actual {pacing.actual:,.2f}, committed {pacing.committed:,.2f}."
    )
    parts = _frame(f"Pacing: {name}", desc, "pacing-chart")
    _axis(parts, Decimal(0), top, step, y)
    for i, m in enumerate(months):
        x0 = LEFT + slot * i + (slot - bar) / 2
        tip = (
            f"{m.month:%B %Y}: planned {currency} {m.planned:,.2f}, actual {m.actual:,.2f}, "
            f"committed {m.committed:,.2f}, forecast {m.expected:,.2f}"
        )
        parts.append(f"<g><title>{escape(tip)}</title>")
        parts.append(
            f'<rect x="{_n(x0)}" y="{_n(y(m.planned))}" width="{_n(bar)}" '
            f'height="{_n(y(0) - y(m.planned))}" fill="{COLORS["planned"]}" rx="2"/>'
        )
        inner = bar * Decimal("0.56")
        xi = x0 + (bar - inner) / 2
        over = m.used > m.planned
        if m.actual > 0:
            parts.append(
                f'<rect x="{_n(xi)}" y="{_n(y(m.actual))}" width="{_n(inner)}" '
                f'height="{_n(y(0) - y(m.actual))}" fill="{COLORS["over"] if over else COLORS["actual"]}"/>'
            )
        if m.committed > 0:
            base = max(m.actual, Decimal(0))
            parts.append(
                f'<rect x="{_n(xi)}" y="{_n(y(base + m.committed))}" width="{_n(inner)}" '
                f'height="{_n(y(base) - y(base + m.committed))}" fill="{COLORS["committed"]}"/>'
            )
        if m.state != "past":
            yf = y(m.expected)
            parts.append(
                f'<line x1="{_n(x0 - 2)}" x2="{_n(x0 + bar + 2)}" y1="{_n(yf)}" y2="{_n(yf)}" '
                f'stroke="{COLORS["forecast"]}" stroke-width="2.5" stroke-dasharray="5 3"/>'
            )
        weight = ' font-weight="700"' if m.state == "current" else ""
        label = _month_label(m.month, i == 0) if i % every == 0 else ""
        parts.append(
            f'<text x="{_n(x0 + bar / 2)}" y="{_n(HEIGHT - BOTTOM + 16)}" text-anchor="middle" '
            f'font-size="{FONT}" fill="{COLORS["text"]}"{weight}>{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def burndown_svg(pacing: Pacing, currency: str, name: str) -> str:
    """Remaining budget after each month: planned (grey), actual (blue, up to the current month) and
    forecast (orange dashed, from the current month on)."""
    points = pacing.burndown()
    if not points:
        return ""
    values = [pacing.amount] + [
        v for p in points for v in (p["planned"], p["actual"], p["forecast"]) if v is not None
    ]
    low_value = min([*values, Decimal(0)])
    top, step = nice_ceiling(max(max(values), Decimal(1)))
    low = Decimal(0)
    while low > low_value:
        low -= step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(points)
    every = _label_every(len(points))

    def x(i: int) -> Decimal:  # i = -1 is the start of the period
        return LEFT + slot * (i + 1)

    def y(value: Decimal) -> Decimal:
        return TOP + plot_h - plot_h * (Decimal(value) - low) / (top - low)

    desc = (
        f"Budget left over the period for {name}, in {currency}: planned, actual and forecast. "
        f"Forecast at the end: {pacing.variance:,.2f} left."
    )
    parts = _frame(f"Burn-down: {name}", desc, "burndown-chart")
    _axis(parts, low, top, step, y)

    def polyline(key: str, color: str, dash: str = "") -> None:
        coords = [(x(-1), y(pacing.amount))] if key != "forecast" else []
        for i, p in enumerate(points):
            if p[key] is None:
                continue
            if key == "forecast" and not coords:
                previous = pacing.amount if i == 0 else points[i - 1]["actual"]
                coords.append((x(i - 1), y(previous if previous is not None else pacing.amount)))
            coords.append((x(i), y(p[key])))
        if len(coords) < 2:
            return
        path = " ".join(f"{_n(a)},{_n(b)}" for a, b in coords)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"{dashed} '
            f'data-series="{key}"/>'
        )
        for a, b in coords[1:]:
            parts.append(f'<circle cx="{_n(a)}" cy="{_n(b)}" r="2.5" fill="{color}"/>')

    polyline("planned", COLORS["planned"])
    polyline("forecast", COLORS["forecast"], "6 4")
    polyline("actual", COLORS["actual"])
    for i, p in enumerate(points):
        tip = f"After {p['month']:%B %Y}: planned left {currency} {p['planned']:,.2f}"
        if p["actual"] is not None:
            tip += f", actually left {p['actual']:,.2f}"
        if p["forecast"] is not None:
            tip += f", forecast left {p['forecast']:,.2f}"
        label = _month_label(p["month"], i == 0) if i % every == 0 else ""
        parts.append(
            f'<g><title>{escape(tip)}</title><rect x="{_n(x(i) - slot / 2)}" y="{TOP}" width="{_n(slot)}" '
            f'height="{_n(plot_h)}" fill="transparent"/>'
            f'<text x="{_n(x(i))}" y="{_n(HEIGHT - BOTTOM + 16)}" text-anchor="middle" font-size="{FONT}" '
            f'fill="{COLORS["text"]}">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
