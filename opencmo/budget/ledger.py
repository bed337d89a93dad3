"""The money maths of budgeting, in pure Python (no Django import; a test enforces it).

Money is `decimal.Decimal` end to end, never float. Every amount is quantized to cents (0.01) with
ROUND_HALF_EVEN ("banker's rounding": 0.125 -> 0.12, 0.135 -> 0.14), which does not drift up or down
when many amounts are rounded. Splitting an amount over months works in whole cents and hands out the
remainder cent by cent, so the parts always add up exactly to the whole.

What is here:
- `Tree`: the allocation tree. For every line, amount = sum(children's amounts) + reserve, reserve >= 0.
  Allocations take money out of the parent's reserve; resizing and deleting give it back; a reallocation
  moves money along the path from the source line up to the common ancestor and down to the target.
- Phasing: the months of a period, `split_evenly`, `split_by_shape` (copy last year's shape) and
  `adjust_phasing` (keep a line's months adding up when its amount changes).
- Pacing: per month planned vs committed vs actual vs forecast, variance and % used, the landing
  forecast, the burn-down and the over/under-spend status used by the alerts.
- Efficiency: cost per lead, CAC, ROAS and ROI, with None where a denominator is zero or missing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
RATIO = Decimal("0.0001")
MAX_MONEY = Decimal("99999999999999.99")  # what the database stores: 16 digits, 2 after the point


class LedgerError(ValueError):
    """A rule of the money maths was broken. `field` names the input it is about (for forms)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- money -------------------------------------------------------------------------------------------


def money(value) -> Decimal:
    """`value` as a Decimal in cents (ROUND_HALF_EVEN). Accepts Decimal, int and numeric text; refuses
    float, whose binary rounding is exactly what money must not have."""
    if isinstance(value, bool | float):
        raise LedgerError(f"Money must be a Decimal or text, not {type(value).__name__} ({value!r}).")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise LedgerError(f"“{value}” is not an amount.") from None
    else:
        raise LedgerError(f"Money must be a Decimal or text, not {type(value).__name__}.")
    if not number.is_finite():
        raise LedgerError(f"“{value}” is not an amount.")
    if abs(number) > MAX_MONEY:
        raise LedgerError(f"{value} is too large an amount (at most {MAX_MONEY:,.2f}).")
    return number.quantize(CENT, rounding=ROUND_HALF_EVEN)


def to_cents(amount: Decimal) -> int:
    return int(money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a foreign currency converted at `rate` (workspace currency per unit), in cents."""
    if rate <= 0:
        raise LedgerError("An exchange rate must be positive.", "rate")
    return (Decimal(amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_EVEN)


# --- the allocation tree -------------------------------------------------------------------------------


@dataclass
class Node:
    id: Hashable
    parent: Hashable | None
    amount: Decimal
    children: list[Hashable] = field(default_factory=list)


class Tree:
    """An allocation tree held in memory. Build it from (id, parent id, amount) rows, change it with
    the methods below (each checks its rule before changing anything), read back `amounts()`."""

    def __init__(self, rows: Iterable[tuple[Hashable, Hashable | None, Decimal]] = ()):
        self.nodes: dict[Hashable, Node] = {}
        self.root: Hashable | None = None
        pending = list(rows)
        for node_id, parent, amount in pending:
            self.nodes[node_id] = Node(node_id, parent, money(amount))
        for node in self.nodes.values():
            if node.parent is None:
                if self.root is not None:
                    raise LedgerError("A budget has exactly one total line.")
                self.root = node.id
            elif node.parent not in self.nodes:
                raise LedgerError(f"Line {node.id} hangs under a line that is not in this budget.")
            else:
                self.nodes[node.parent].children.append(node.id)

    # reading

    def amount(self, node_id: Hashable) -> Decimal:
        return self.nodes[node_id].amount

    def allocated(self, node_id: Hashable) -> Decimal:
        return sum((self.nodes[c].amount for c in self.nodes[node_id].children), ZERO)

    def reserve(self, node_id: Hashable) -> Decimal:
        return self.nodes[node_id].amount - self.allocated(node_id)

    def amounts(self) -> dict[Hashable, Decimal]:
        return {node_id: node.amount for node_id, node in self.nodes.items()}

    def path_to_root(self, node_id: Hashable) -> list[Hashable]:
        """[node, parent, grandparent, ..., root]."""
        path, seen = [], set()
        current: Hashable | None = node_id
        while current is not None:
            if current in seen:
                raise LedgerError("The budget lines form a cycle.")
            seen.add(current)
            path.append(current)
            current = self.nodes[current].parent
        return path

    def common_ancestor(self, a: Hashable, b: Hashable) -> Hashable:
        above_a = self.path_to_root(a)
        on_a = set(above_a)
        for node_id in self.path_to_root(b):
            if node_id in on_a:
                return node_id
        raise LedgerError("These lines are not in the same budget.")

    def subtree(self, node_id: Hashable) -> list[Hashable]:
        out, stack = [], [node_id]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.nodes[current].children)
        return out

    def violations(self) -> list[str]:
        """Broken invariants (empty when the tree is sound)."""
        problems = []
        for node_id, node in self.nodes.items():
            if node.amount != money(node.amount):
                problems.append(f"{node_id}: {node.amount} is not in whole cents")
            if node.amount < 0:
                problems.append(f"{node_id}: negative amount {node.amount}")
            reserve = self.reserve(node_id)
            if reserve < 0:
                problems.append(f"{node_id}: children take {self.allocated(node_id)} of {node.amount}")
            if node.amount != self.allocated(node_id) + reserve:
                problems.append(f"{node_id}: amount != children + reserve")
        return problems

    # changing

    def _known(self, node_id: Hashable) -> Node:
        if node_id not in self.nodes:
            raise LedgerError(f"Line {node_id} is not in this budget.")
        return self.nodes[node_id]

    def allocate(self, parent: Hashable, node_id: Hashable, amount) -> None:
        """Add a line under `parent`, taking `amount` out of the parent's reserve."""
        self._known(parent)
        amount = money(amount)
        if node_id in self.nodes:
            raise LedgerError(f"Line {node_id} already exists.")
        if amount < 0:
            raise LedgerError("An allocation cannot be negative.", "amount")
        reserve = self.reserve(parent)
        if amount > reserve:
            raise LedgerError(
                f"Only {fmt(reserve)} is left unallocated on this line; {fmt(amount)} does not fit.", "amount"
            )
        self.nodes[node_id] = Node(node_id, parent, amount)
        self.nodes[parent].children.append(node_id)

    def resize(self, node_id: Hashable, new_amount) -> Decimal:
        """Set a line's amount. Growing takes the difference from the parent's reserve; shrinking gives it
        back but cannot go below what is allocated under the line. Returns the change."""
        node = self._known(node_id)
        new_amount = money(new_amount)
        if new_amount < 0:
            raise LedgerError("An amount cannot be negative.", "amount")
        below = self.allocated(node_id)
        if new_amount < below:
            raise LedgerError(
                f"{fmt(below)} of this line is allocated to the lines under it; shrink those first "
                f"or choose at least {fmt(below)}.",
                "amount",
            )
        delta = new_amount - node.amount
        if node.parent is not None and delta > self.reserve(node.parent):
            raise LedgerError(
                f"The line above has only {fmt(self.reserve(node.parent))} unallocated; "
                f"it cannot give {fmt(delta)} more.",
                "amount",
            )
        node.amount = new_amount
        return delta

    def remove(self, node_id: Hashable) -> Decimal:
        """Delete a line and everything under it; its amount goes back to the parent's reserve."""
        node = self._known(node_id)
        if node.parent is None:
            raise LedgerError("The total line goes only with its budget plan.")
        for gone in self.subtree(node_id):
            self.nodes.pop(gone)
        self.nodes[node.parent].children.remove(node_id)
        return node.amount

    def reallocate(self, source: Hashable, target: Hashable, amount) -> dict[Hashable, Decimal]:
        """Move `amount` from `source` to `target`. The source must have that much in reserve. Lines from
        the source up to (not including) the common ancestor shrink by it; lines from the target up to the
        common ancestor grow by it; every reserve on the way is unchanged except the source's (down) and,
        when the target is an ancestor of the source, the target's (up). Returns {line: new amount} of
        the lines that changed."""
        self._known(source)
        self._known(target)
        amount = money(amount)
        if source == target:
            raise LedgerError("Choose two different lines.", "to_line")
        if amount <= 0:
            raise LedgerError("Move a positive amount.", "amount")
        reserve = self.reserve(source)
        if amount > reserve:
            raise LedgerError(
                f"“From” has only {fmt(reserve)} unallocated; {fmt(amount)} cannot be moved.", "amount"
            )
        top = self.common_ancestor(source, target)
        changed: dict[Hashable, Decimal] = {}
        for node_id in self.path_to_root(source):
            if node_id == top:
                break
            self.nodes[node_id].amount -= amount
            changed[node_id] = self.nodes[node_id].amount
        for node_id in self.path_to_root(target):
            if node_id == top:
                break
            self.nodes[node_id].amount += amount
            changed[node_id] = self.nodes[node_id].amount
        return changed


def fmt(amount: Decimal) -> str:
    """1234567.5 -> '1,234,567.50' (the currency is added by whoever shows it)."""
    return f"{money(amount):,.2f}"


# --- months and phasing -----------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of every month that overlaps [start, end]."""
    if end < start:
        return []
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = next_month(current)
    return months


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def split_evenly(amount, parts: int) -> list[Decimal]:
    """`amount` in `parts` nearly equal slices of whole cents that add up exactly; the first slices get
    the leftover cents (1000.00 / 3 -> 333.34, 333.33, 333.33)."""
    if parts <= 0:
        raise LedgerError("There is no month to spread over.")
    cents = to_cents(amount)
    sign = -1 if cents < 0 else 1
    base, left = divmod(abs(cents), parts)
    return [from_cents(sign * (base + (1 if i < left else 0))) for i in range(parts)]


def split_by_shape(amount, weights: Sequence[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights` (say last year's spend per month) in whole cents, with
    the largest-remainder method so the parts add up exactly. Zero or negative weights count as 0; with
    no positive weight at all the split is even."""
    if not weights:
        raise LedgerError("There is no month to spread over.")
    clean = [max(Decimal(w), Decimal(0)) for w in weights]
    total_weight = sum(clean, Decimal(0))
    if total_weight == 0:
        return split_evenly(amount, len(weights))
    cents = to_cents(amount)
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    exact = [Decimal(cents) * w / total_weight for w in clean]
    floors = [int(x) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [from_cents(sign * c) for c in floors]


def adjust_phasing(planned: Sequence[Decimal], new_total, first_open: int = 0) -> list[Decimal]:
    """Change monthly planned amounts so they add up to `new_total`, touching the open months (index
    `first_open` onwards; all months if none is open) first. More money is spread evenly over the open
    months; less is taken from them in proportion to what they hold, then, if that is not enough, from
    the closed months, latest first. No month goes below zero."""
    months = [money(p) for p in planned]
    if not months:
        raise LedgerError("There is no month to spread over.")
    new_total = money(new_total)
    if new_total < 0:
        raise LedgerError("An amount cannot be negative.", "amount")
    first_open = min(max(first_open, 0), len(months))
    open_idx = list(range(first_open, len(months))) or list(range(len(months)))
    delta = new_total - sum(months, ZERO)
    if delta > 0:
        for i, part in zip(open_idx, split_evenly(delta, len(open_idx)), strict=True):
            months[i] += part
        return months
    to_take = -delta
    if to_take == 0:
        return months
    pool = [i for i in open_idx if months[i] > 0]
    available = sum((months[i] for i in pool), ZERO)
    take_now = min(to_take, available)
    if take_now > 0:
        cuts = split_by_shape(take_now, [months[i] for i in pool])
        for i, cut in zip(pool, cuts, strict=True):
            months[i] -= cut
        to_take -= take_now
    for i in reversed(range(len(months))):
        if to_take <= 0:
            break
        cut = min(months[i], to_take)
        months[i] -= cut
        to_take -= cut
    # Largest-remainder cuts never exceed a month's own amount, but guard the invariant anyway.
    if any(m < 0 for m in months) or sum(months, ZERO) != new_total:
        raise LedgerError("Could not rephase the months.")  # pragma: no cover - arithmetic guard
    return months


def shape_from(last_year: dict[dt.date, Decimal], months: Sequence[dt.date]) -> list[Decimal]:
    """Weights for `months` from last year's amounts by calendar month (same month one year earlier)."""
    by_month = {(m.month, m.year): v for m, v in last_year.items()}
    return [Decimal(by_month.get((m.month, m.year - 1), 0)) for m in months]


# --- pacing, variance, burn-down, forecast -----------------------------------------------------------


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator / denominator to 4 decimals, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


@dataclass
class MonthFigures:
    month: dt.date
    planned: Decimal
    forecast: Decimal  # the month's forecast (as entered; planned when not entered)
    committed: Decimal
    actual: Decimal
    state: str  # "past", "current" or "future"
    cum_planned: Decimal = ZERO
    cum_used: Decimal = ZERO
    expected: Decimal = ZERO  # what the month is expected to end at (see `pacing`)

    @property
    def used(self) -> Decimal:
        return self.actual + self.committed

    @property
    def variance(self) -> Decimal:
        """Planned minus used: positive is under plan, negative is over."""
        return self.planned - self.used

    @property
    def pct_used(self) -> Decimal | None:
        return ratio(self.used, self.planned)


@dataclass
class Pacing:
    amount: Decimal
    months: list[MonthFigures]

    @property
    def planned(self) -> Decimal:
        return sum((m.planned for m in self.months), ZERO)

    @property
    def committed(self) -> Decimal:
        return sum((m.committed for m in self.months), ZERO)

    @property
    def actual(self) -> Decimal:
        return sum((m.actual for m in self.months), ZERO)

    @property
    def used(self) -> Decimal:
        return self.actual + self.committed

    @property
    def plan_variance(self) -> Decimal:
        """Planned minus used over all months (the sum of the monthly variances)."""
        return self.planned - self.used

    @property
    def landing(self) -> Decimal:
        """The forecast for the whole period: what has happened plus what is expected."""
        return sum((m.expected for m in self.months), ZERO)

    @property
    def variance(self) -> Decimal:
        """Amount minus the landing forecast: positive means money left over, negative an overspend."""
        return self.amount - self.landing

    @property
    def pct_used(self) -> Decimal | None:
        return ratio(self.used, self.amount)

    def to_date(self) -> tuple[Decimal, Decimal]:
        """(planned, used) up to and including the current month."""
        done = [m for m in self.months if m.state != "future"]
        return (done[-1].cum_planned, done[-1].cum_used) if done else (ZERO, ZERO)

    def burndown(self) -> list[dict]:
        """Remaining budget after each month: planned, actual (up to the current month) and forecast
        (from the current month on). The first point is the full amount before the period starts."""
        points = []
        remaining_forecast = self.amount
        for m in self.months:
            remaining_forecast -= m.expected
            points.append(
                {
                    "month": m.month,
                    "planned": self.amount - m.cum_planned,
                    "actual": self.amount - m.cum_used if m.state != "future" else None,
                    "forecast": remaining_forecast if m.state != "past" else None,
                }
            )
        return points


def pacing(
    amount,
    months: Sequence[dt.date],
    planned: Sequence[Decimal],
    committed: dict[dt.date, Decimal],
    actual: dict[dt.date, Decimal],
    today: dt.date,
    forecast: dict[dt.date, Decimal | None] | None = None,
) -> Pacing:
    """Per-month figures of one line. A month is expected to end at: what was used (actual + committed)
    for past months; the larger of its forecast and what is already used for the current and future
    months (a forecast below money already spent or promised is not credible)."""
    if len(months) != len(planned):
        raise LedgerError("One planned amount per month is needed.")
    forecast = forecast or {}
    current = month_start(today)
    rows, cum_p, cum_u = [], ZERO, ZERO
    for month, plan in zip(months, planned, strict=True):
        state = "past" if month < current else ("current" if month == current else "future")
        entered = forecast.get(month)
        row = MonthFigures(
            month=month,
            planned=money(plan),
            forecast=money(entered) if entered is not None else money(plan),
            committed=money(committed.get(month, ZERO)),
            actual=money(actual.get(month, ZERO)),
            state=state,
        )
        cum_p += row.planned
        cum_u += row.used
        row.cum_planned, row.cum_used = cum_p, cum_u
        row.expected = row.used if state == "past" else max(row.forecast, row.used)
        rows.append(row)
    return Pacing(money(amount), rows)


def rolled_planned(reserve: Decimal, children: Sequence[Pacing], months: int) -> list[Decimal]:
    """The default phasing of a line with lines under it that has none of its own: the lines under it as
    they are phased, plus its reserve spread evenly. Adds up to the line's amount."""
    even = split_evenly(max(money(reserve), ZERO), months)
    return [even[i] + sum((child.months[i].planned for child in children), ZERO) for i in range(months)]


def rolled_forecast(
    months: Sequence[dt.date],
    planned: Sequence[Decimal],
    reserve: Decimal,
    children: Sequence[Pacing],
    entered: dict[dt.date, Decimal | None] | None = None,
) -> dict[dt.date, Decimal]:
    """The forecast of a line with lines under it, month by month: what the lines under it are expected
    to spend, plus its own unallocated reserve spread like its own phasing (money not yet allocated is
    expected to be spent as planned). A forecast entered for a month wins."""
    parts = split_by_shape(max(money(reserve), ZERO), planned) if months else []
    out = {}
    for i, month in enumerate(months):
        if entered and entered.get(month) is not None:
            out[month] = money(entered[month])
        else:
            out[month] = parts[i] + sum((child.months[i].expected for child in children), ZERO)
    return out


OVER, UNDER = "over", "under"


def pace_status(
    planned_to_date: Decimal,
    used_to_date: Decimal,
    day_of_month: int,
    *,
    over: Decimal = Decimal("0.10"),
    under: Decimal = Decimal("0.25"),
    late_day: int = 20,
) -> str | None:
    """ "over" when actual + committed runs ahead of the phased plan to date by more than `over` (a share,
    0.10 = 10 %); "under" when, from `late_day` of the month on, it runs behind by more than `under`;
    else None. Plan to date includes the whole current month."""
    if used_to_date > planned_to_date * (1 + over) and used_to_date > 0:
        return OVER
    if day_of_month >= late_day and planned_to_date > 0 and used_to_date < planned_to_date * (1 - under):
        return UNDER
    return None


# --- efficiency ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Efficiency:
    spend: Decimal
    leads: Decimal | None
    customers: Decimal | None
    revenue: Decimal | None
    margin: Decimal | None  # gross margin as a share of revenue (0.45 = 45 %)

    @property
    def cost_per_lead(self) -> Decimal | None:
        value = ratio(self.spend, self.leads)
        return None if value is None else money(value)

    @property
    def cac(self) -> Decimal | None:
        value = ratio(self.spend, self.customers)
        return None if value is None else money(value)

    @property
    def roas(self) -> Decimal | None:
        return ratio(self.revenue, self.spend)

    @property
    def roi(self) -> Decimal | None:
        if self.revenue is None or self.margin is None:
            return None
        return ratio(Decimal(self.revenue) * Decimal(self.margin) - self.spend, self.spend)
