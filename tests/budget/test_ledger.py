"""Property-based tests of the budget money maths (opencmo/budget/ledger.py: pure Python, no database)."""

import ast
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencmo.budget import ledger
from opencmo.budget.ledger import LedgerError, Tree

CENTS = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)
SMALL_CENTS = st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100)

# One step of a random budget history: (operation, pick a line, pick another, amount).
OPS = st.tuples(
    st.sampled_from(["allocate", "resize", "remove", "reallocate"]),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    SMALL_CENTS,
)


def assert_sound(tree: Tree, total_amount: Decimal) -> None:
    assert tree.violations() == []
    for node_id in tree.nodes:
        amount = tree.amount(node_id)
        assert amount == tree.allocated(node_id) + tree.reserve(node_id)
        assert tree.reserve(node_id) >= 0
        assert amount == amount.quantize(Decimal("0.01"))
    # Reconciliation to the cent: the root equals the sum of all reserves in the tree.
    assert sum((tree.reserve(n) for n in tree.nodes), Decimal(0)) == tree.amount(tree.root) == total_amount


@settings(max_examples=300, deadline=None)
@given(total=CENTS, steps=st.lists(OPS, max_size=40))
def test_any_history_keeps_every_line_equal_to_children_plus_reserve(total, steps):
    tree = Tree([("root", None, total)])
    next_id = 0
    for op, a, b, amount in steps:
        ids = sorted(tree.nodes, key=str)
        first, second = ids[a % len(ids)], ids[b % len(ids)]
        before = tree.amounts()
        try:
            if op == "allocate":
                next_id += 1
                tree.allocate(first, next_id, amount)
            elif op == "resize":
                tree.resize(first, amount)
            elif op == "remove":
                tree.remove(first)
            else:
                tree.reallocate(first, second, amount)
        except LedgerError:
            assert tree.amounts() == before  # a refused step changes nothing
        if op == "resize" and first == "root":
            total = tree.amount("root")
        assert_sound(tree, total)


@given(a=SMALL_CENTS.filter(bool), b=SMALL_CENTS, extra=SMALL_CENTS, share=st.integers(1, 100))
def test_reallocation_moves_money_along_the_path_to_the_common_ancestor(a, b, extra, share):
    total = a + b + extra
    move = max(ledger.money(a * share / 100), Decimal("0.01"))
    tree = Tree([("root", None, total)])
    tree.allocate("root", "obj", a + b)
    tree.allocate("obj", "search", a)
    tree.allocate("obj", "social", b)
    tree.allocate("search", "spring", a)
    changed = tree.reallocate("spring", "social", move)
    assert changed == {"spring": a - move, "search": a - move, "social": b + move}
    assert tree.amount("obj") == a + b and tree.amount("root") == total  # common ancestor untouched
    assert_sound(tree, total)


def test_reallocation_needs_reserve_on_the_source_and_two_lines():
    tree = Tree([("root", None, Decimal("100")), ("a", "root", Decimal("60")), ("b", "root", Decimal("10"))])
    tree.allocate("a", "a1", Decimal("50"))
    with pytest.raises(LedgerError, match=r"only 10.00 unallocated"):
        tree.reallocate("a", "b", Decimal("20"))
    with pytest.raises(LedgerError, match="two different lines"):
        tree.reallocate("a", "a", Decimal("1"))
    # Up to an ancestor: the money lands in the ancestor's reserve.
    tree.reallocate("a1", "root", Decimal("5"))
    assert tree.amount("a") == Decimal("55.00") and tree.reserve("root") == Decimal("35.00")
    # Down from an ancestor's reserve.
    tree.reallocate("root", "a1", Decimal("35"))
    assert tree.reserve("root") == 0 and tree.amount("a1") == Decimal("80.00")
    assert tree.violations() == []


def test_allocation_and_resize_rules_name_the_numbers():
    tree = Tree([("root", None, Decimal("1000"))])
    tree.allocate("root", "a", Decimal("600"))
    with pytest.raises(LedgerError, match=r"Only 400.00 is left unallocated") as error:
        tree.allocate("root", "b", Decimal("400.01"))
    assert error.value.field == "amount"
    tree.allocate("a", "a1", Decimal("500"))
    with pytest.raises(LedgerError, match=r"500.00 of this line is allocated"):
        tree.resize("a", Decimal("499.99"))
    with pytest.raises(LedgerError, match=r"only 400.00 unallocated"):
        tree.resize("a", Decimal("1000.01"))
    assert tree.remove("a") == Decimal("600.00") and tree.reserve("root") == Decimal("1000.00")
    with pytest.raises(LedgerError, match="total line"):
        tree.remove("root")


def test_money_is_decimal_and_rounds_half_even():
    assert ledger.money("0.125") == Decimal("0.12") and ledger.money("0.135") == Decimal("0.14")
    assert ledger.money(Decimal("2.675")) == Decimal("2.68")
    assert ledger.money(3) == Decimal("3.00")
    with pytest.raises(LedgerError, match="not float"):
        ledger.money(0.1)
    with pytest.raises(LedgerError, match="not an amount"):
        ledger.money("ten")
    with pytest.raises(LedgerError, match="too large"):
        ledger.money("1e40")
    assert ledger.convert(Decimal("100.00"), Decimal("10.12345678")) == Decimal("1012.35")


@given(
    amount=st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: Decimal(c) / 100),
    parts=st.integers(min_value=1, max_value=36),
)
def test_even_split_adds_up_to_the_cent(amount, parts):
    split = ledger.split_evenly(amount, parts)
    assert len(split) == parts and sum(split) == amount
    assert max(split) - min(split) <= Decimal("0.01")
    assert all(s == s.quantize(Decimal("0.01")) for s in split)


def test_even_split_gives_leftover_cents_to_the_first_months():
    assert ledger.split_evenly(Decimal("1000"), 3) == [
        Decimal("333.34"),
        Decimal("333.33"),
        Decimal("333.33"),
    ]
    assert ledger.split_evenly(Decimal("0.02"), 3) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]


@given(amount=CENTS, weights=st.lists(SMALL_CENTS, min_size=1, max_size=24))
def test_shaped_split_adds_up_and_follows_the_weights(amount, weights):
    split = ledger.split_by_shape(amount, weights)
    assert sum(split) == amount and all(s >= 0 for s in split)
    if sum(weights) > 0:
        for part, weight in zip(split, weights, strict=True):
            if weight == 0:
                assert part == 0


@given(
    planned=st.lists(SMALL_CENTS, min_size=1, max_size=24),
    new_total=CENTS,
    first_open=st.integers(min_value=0, max_value=30),
)
def test_rephasing_keeps_months_adding_up_and_never_negative(planned, new_total, first_open):
    months = ledger.adjust_phasing(planned, new_total, first_open)
    assert sum(months) == new_total and all(m >= 0 for m in months)
    if new_total >= sum(planned) and first_open < len(planned):
        assert months[:first_open] == [ledger.money(p) for p in planned[:first_open]]  # closed months kept


def test_months_between_and_shape_of_last_year():
    months = ledger.months_between(dt.date(2026, 11, 15), dt.date(2027, 2, 1))
    assert months == [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)]
    last = {dt.date(2025, 11, 1): Decimal(10), dt.date(2026, 1, 1): Decimal(30)}
    assert ledger.shape_from(last, months) == [Decimal(10), Decimal(0), Decimal(30), Decimal(0)]


def _year(planned_each="100"):
    months = ledger.months_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    return months, [Decimal(planned_each)] * 12


def test_pacing_variance_landing_and_burndown():
    months, planned = _year()
    actual = {months[0]: Decimal("90"), months[1]: Decimal("130"), months[2]: Decimal("20")}
    committed = {months[2]: Decimal("50"), months[5]: Decimal("150")}
    p = ledger.pacing(
        Decimal("1200"),
        months,
        planned,
        committed,
        actual,
        dt.date(2026, 3, 10),
        forecast={months[11]: Decimal("0")},
    )
    jan, feb, mar = p.months[:3]
    assert (jan.state, mar.state, p.months[3].state) == ("past", "current", "future")
    assert jan.variance == Decimal("10.00") and feb.variance == Decimal("-30.00")
    assert mar.used == Decimal("70.00") and mar.pct_used == Decimal("0.7000")
    assert p.to_date() == (Decimal("300.00"), Decimal("290.00"))
    # Landing: Jan 90 + Feb 130 + Mar max(100, 70) + Apr-May 100 each + Jun max(100, 150)
    # + Jul-Nov 500 + Dec 0
    assert p.landing == Decimal("90") + 130 + 100 + 200 + 150 + 500 + 0
    assert p.variance == Decimal("1200") - p.landing
    burn = p.burndown()
    assert burn[0] == {
        "month": months[0],
        "planned": Decimal("1100.00"),
        "actual": Decimal("1110.00"),
        "forecast": None,
    }
    assert burn[2]["actual"] == Decimal("910.00") and burn[3]["actual"] is None
    assert burn[-1]["forecast"] == p.variance and burn[-1]["planned"] == 0


@given(
    reserve=SMALL_CENTS,
    planned=st.lists(SMALL_CENTS, min_size=12, max_size=12),
    child_plans=st.lists(st.lists(SMALL_CENTS, min_size=12, max_size=12), max_size=3),
)
def test_a_parents_forecast_is_its_childrens_plus_its_reserve(reserve, planned, child_plans):
    months, _ = _year()
    children = [ledger.pacing(sum(p), months, p, {}, {}, dt.date(2025, 12, 1)) for p in child_plans]
    rolled = ledger.rolled_forecast(months, planned, reserve, children)
    assert sum(rolled.values()) == reserve + sum(sum(p) for p in child_plans)
    assert sum(ledger.rolled_planned(reserve, children, 12)) == reserve + sum(sum(p) for p in child_plans)
    entered = ledger.rolled_forecast(months, planned, reserve, children, {months[0]: Decimal("5")})
    assert entered[months[0]] == Decimal("5.00") and entered[months[1]] == rolled[months[1]]


@pytest.mark.parametrize(
    ("planned", "used", "day", "expected"),
    [
        ("100", "110", 5, None),  # exactly 10 % ahead: not more than the threshold
        ("100", "110.01", 5, "over"),
        ("0", "1", 5, "over"),
        ("0", "0", 25, None),
        ("100", "74.99", 19, None),  # behind, but not yet late in the month
        ("100", "74.99", 20, "under"),
        ("100", "75", 28, None),
    ],
)
def test_pace_status_thresholds(planned, used, day, expected):
    assert ledger.pace_status(Decimal(planned), Decimal(used), day) == expected


def test_efficiency_formulas_and_zero_denominators():
    e = ledger.Efficiency(Decimal("10000"), Decimal("250"), Decimal("20"), Decimal("45000"), Decimal("0.4"))
    assert e.cost_per_lead == Decimal("40.00") and e.cac == Decimal("500.00")
    assert e.roas == Decimal("4.5000") and e.roi == Decimal("0.8000")
    none = ledger.Efficiency(Decimal("0"), Decimal("0"), None, Decimal("100"), None)
    assert none.cost_per_lead is None and none.cac is None and none.roas is None and none.roi is None


def test_ledger_does_not_import_django():
    path = Path(ledger.__file__)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not any(n.split(".")[0] in {"django", "opencmo"} for n in names), names
    code = "import sys, opencmo.budget.ledger; sys.exit(any(m.startswith('django') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
