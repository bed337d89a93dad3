"""Attribution correctness: published worked examples, hand-computed Shapley values, exact Markov
maths cross-checked, and property tests on generated paths."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencmo.analytics import markov
from opencmo.analytics.attribution import (
    MODELS,
    FirstTouch,
    LastNonDirect,
    LastTouch,
    Linear,
    Markov,
    PositionBased,
    Shapley,
    TimeDecay,
    make_model,
)
from opencmo.analytics.paths import PathTable

# Bryl (2016), "Marketing Multi-Channel Attribution model with R (part 1: Markov chains concept)":
# C1 > C2 > C3 converts, C1 and C2 > C3 do not. Removal effects 0.5 / 1 / 1, attribution 0.2 / 0.4 / 0.4.
BRYL = [("C1 > C2 > C3", 1, 100, 0), ("C1", 0, 0, 1), ("C2 > C3", 0, 0, 1)]


def credits(model) -> dict[str, float]:
    return dict(zip(model.channels_, model.conversions_, strict=True))


@pytest.mark.parametrize("order", [1, 2])
def test_the_published_three_path_markov_example(order):
    model = Markov(order=order).fit(PathTable.from_records(BRYL))
    assert model.conversion_probability_ == pytest.approx(1 / 3)
    assert dict(zip(model.channels_, model.removal_effects_, strict=True)) == pytest.approx(
        {"C1": 0.5, "C2": 1.0, "C3": 1.0}
    )
    assert credits(model) == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert model.value_ == pytest.approx([20, 40, 40])


def test_markov_transitions_of_the_example():
    model = Markov().fit(PathTable.from_records(BRYL))
    rows = {(a, b): p for a, b, p in model.transitions()}
    assert rows[("(start)", "C1")] == pytest.approx(2 / 3)
    assert rows[("C1", "C2")] == pytest.approx(0.5)
    assert rows[("C1", "(null)")] == pytest.approx(0.5)
    assert rows[("C2", "C3")] == pytest.approx(1.0)
    assert rows[("C3", "(conversion)")] == pytest.approx(0.5)
    assert model.visit_probability_ == pytest.approx([2 / 3, 2 / 3, 2 / 3])


@pytest.mark.parametrize("order", [2, 3])
def test_higher_order_on_paths_no_longer_than_the_order_is_the_exact_prefix_tree(order):
    # With memory as long as every path, the chain reproduces the data: removing c loses exactly the
    # conversions of the paths that contain c.
    records = [("a > c", 3, 0, 1), ("b > c", 0, 0, 4), ("a", 1, 0, 2), ("b > a", 2, 0, 2), ("c > b", 1, 0, 0)]
    records = [r for r in records if len(r[0].split(">")) <= order]
    table = PathTable.from_records(records)
    model = Markov(order=order).fit(table)
    total = sum(r[1] for r in records)
    for channel, effect in zip(model.channels_, model.removal_effects_, strict=True):
        with_c = sum(r[1] for r in records if channel in [p.strip() for p in r[0].split(">")])
        assert effect == pytest.approx(with_c / total)


def test_order_two_sees_what_came_before_and_order_one_does_not():
    table = PathTable.from_records([("a > c", 1, 0, 0), ("b > c", 0, 0, 1)])
    assert credits(Markov(order=1).fit(table)) == pytest.approx({"a": 0.25, "b": 0.25, "c": 0.5})
    assert credits(Markov(order=2).fit(table)) == pytest.approx({"a": 0.5, "b": 0.0, "c": 0.5})


def test_higher_orders_equal_first_order_on_a_memoryless_chain():
    # Every path is one channel: there is no sequence to remember.
    table = PathTable.from_records([("a", 3, 30, 7), ("b", 1, 5, 9), ("c", 2, 8, 2)])
    first = Markov(order=1).fit(table)
    for order in (2, 3):
        other = Markov(order=order).fit(table)
        assert other.removal_effects_ == pytest.approx(first.removal_effects_)
        assert other.conversions_ == pytest.approx(first.conversions_)


def test_repeated_channels_do_not_change_first_order_removal_effects():
    plain = Markov().fit(PathTable.from_records([("a > b", 2, 0, 1), ("b", 1, 0, 3), ("a", 0, 0, 2)]))
    looped = Markov().fit(
        PathTable.from_records([("a > a > b > b > b", 2, 0, 1), ("b > b", 1, 0, 3), ("a", 0, 0, 2)])
    )
    assert looped.removal_effects_ == pytest.approx(plain.removal_effects_)


def _random_chain(seed: int, n: int):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 5, (n, n)).astype(float)
    conv, null = rng.integers(1, 4, n).astype(float), rng.integers(1, 6, n).astype(float)
    value = conv * rng.uniform(10, 100, n)
    return markov.absorbing_chain(counts, rng.integers(1, 9, n).astype(float), conv, null, value)


@pytest.mark.parametrize("seed", range(5))
def test_sherman_morrison_removal_effects_equal_one_solve_per_channel(seed):
    q, r, rv, s = _random_chain(seed, 9)
    p1, fast, v1, fast_value, visits = markov.removal_effects_first_order(q, r, s, rv)
    p2, slow, v2, slow_value = markov.removal_effects(q, r, s, [np.arange(9) == k for k in range(9)], rv)
    assert p1 == pytest.approx(p2)
    assert v1 == pytest.approx(v2)
    assert fast == pytest.approx(slow, abs=1e-12)
    assert fast_value == pytest.approx(slow_value, abs=1e-12)
    assert np.all((visits >= 0) & (visits <= 1 + 1e-12))


def test_conversion_probability_matches_the_power_series():
    q, r, _, s = _random_chain(7, 6)
    dense = q.toarray()
    total, step = np.zeros(6), s.copy()
    for _ in range(2000):
        total += step
        step = step @ dense
    assert markov.conversion_probability(q, r, s) == pytest.approx(float(total @ r), rel=1e-9)


def test_sparse_and_dense_solves_agree(monkeypatch):
    q, r, rv, s = _random_chain(3, 12)
    removed = [np.arange(12) % 3 == k for k in range(3)]
    dense = markov.removal_effects(q, r, s, removed, rv)
    monkeypatch.setattr(markov, "DENSE_LIMIT", 2)
    sparse = markov.removal_effects(q, r, s, removed, rv)
    for a, b in zip(dense, sparse, strict=True):
        assert np.asarray(a) == pytest.approx(np.asarray(b))


# --- Shapley ---


def test_shapley_two_channels_by_hand():
    # Rates: {A} 2/10 = 0.2, {B} 1/10 = 0.1, {A,B} 4/10 = 0.4.
    # For {A,B}: phi_A = 1/2 (0.2 - 0) + 1/2 (0.4 - 0.1) = 0.25, phi_B = 1/2 (0.1) + 1/2 (0.4 - 0.2) = 0.15,
    # so its 4 conversions split 2.5 / 1.5; {A} keeps its 2 and {B} its 1: A 4.5, B 2.5.
    table = PathTable.from_records(
        [("A", 2, 20, 8), ("B", 1, 10, 9), ("A > B", 4, 40, 6), ("B > A", 0, 0, 0)]
    )
    model = Shapley().fit(table)
    assert credits(model) == pytest.approx({"A": 4.5, "B": 2.5})
    assert model.value_ == pytest.approx([45, 25])
    assert model.coalitions_ == 3


def test_shapley_three_channels_by_hand():
    # v: a 0.1, b 0.2, c 0 (unseen), ab 0.3, ac 0.2, bc 0.4, abc 0.6; {a,b,c} has 6 conversions.
    rows = [("a", 1, 0, 9), ("b", 2, 0, 8), ("a > b", 3, 0, 7), ("a > c", 2, 0, 8), ("b > c", 4, 0, 6)]
    rows.append(("c > b > a", 6, 0, 4))
    v = {"": 0, "a": 0.1, "b": 0.2, "c": 0.0, "ab": 0.3, "ac": 0.2, "bc": 0.4, "abc": 0.6}

    def phi(j):
        others = [p for p in "abc" if p != j]
        total = 0.0
        for size in range(3):
            for s in itertools.combinations(others, size):
                key = "".join(sorted(s))
                with_j = "".join(sorted((*s, j)))
                total += math.factorial(size) * math.factorial(2 - size) / 6 * (v[with_j] - v[key])
        return total

    expected_abc = {j: 6 * phi(j) / 0.6 for j in "abc"}
    assert sum(expected_abc.values()) == pytest.approx(6)
    model = Shapley().fit(PathTable.from_records(rows))
    # Each other converting set is shared the same way within itself; add them up by hand too.
    expected = {"a": expected_abc["a"], "b": expected_abc["b"], "c": expected_abc["c"]}
    expected["a"] += 1  # {a}
    expected["b"] += 2  # {b}
    # {a,b}: phi_a = 1/2 (0.1) + 1/2 (0.3 - 0.2) = 0.1, phi_b = 0.2 → 3 conversions split 1 / 2
    expected["a"] += 1
    expected["b"] += 2
    # {a,c}: phi_a = 1/2 (0.1) + 1/2 (0.2 - 0) = 0.15, phi_c = 1/2 (0) + 1/2 (0.2 - 0.1) = 0.05 → 1.5 / 0.5
    expected["a"] += 1.5
    expected["c"] += 0.5
    # {b,c}: phi_b = 1/2 (0.2) + 1/2 (0.4) = 0.3, phi_c = 1/2 (0) + 1/2 (0.4 - 0.2) = 0.1 → 3 / 1
    expected["b"] += 3
    expected["c"] += 1
    assert credits(model) == pytest.approx(expected)


def test_sampled_shapley_is_seeded_and_close_to_exact():
    rng = np.random.default_rng(4)
    names = [f"c{i}" for i in range(7)]
    records = []
    for _ in range(300):
        k = rng.integers(1, 8)
        path = list(rng.choice(names, size=k, replace=False))
        records.append((path, int(rng.integers(0, 4)), float(rng.uniform(0, 50)), int(rng.integers(0, 6))))
    table = PathTable.from_records(records)
    exact = Shapley().fit(table)
    sampled = Shapley(max_exact=3, n_samples=4000, random_state=1).fit(table)
    again = Shapley(max_exact=3, n_samples=4000, random_state=1).fit(table)
    assert sampled.sampled_sets_ > 0
    assert np.array_equal(sampled.conversions_, again.conversions_)
    assert sampled.conversions_.sum() == pytest.approx(table.total_conversions)
    assert sampled.conversions_ == pytest.approx(exact.conversions_, rel=0.05)


def test_more_than_64_channels_use_hashed_coalitions():
    records = [([f"ch{i}", f"ch{(i + 1) % 70}"], 1 + i % 3, 10.0, i % 4) for i in range(70)]
    records += [([f"ch{i}"], i % 2, 5.0, 3) for i in range(70)]
    model = Shapley().fit(PathTable.from_records(records))
    assert len(model.channels_) == 70
    assert model.conversions_.sum() == pytest.approx(sum(r[1] for r in records))


# --- rule-based models by hand ---


def test_rule_based_models_on_one_path():
    table = PathTable.from_records([("seo > paid > email > direct", 10, 100, 5)])
    assert credits(FirstTouch().fit(table))["seo"] == 10
    assert credits(LastTouch().fit(table))["direct"] == 10
    assert credits(LastNonDirect().fit(table))["email"] == 10
    assert credits(LastNonDirect(direct_channels=["email", "direct"]).fit(table))["paid"] == 10
    assert credits(Linear().fit(table)) == pytest.approx(
        {"seo": 2.5, "paid": 2.5, "email": 2.5, "direct": 2.5}
    )
    assert credits(PositionBased().fit(table)) == pytest.approx(
        {"seo": 4, "paid": 1, "email": 1, "direct": 4}
    )
    decay = credits(TimeDecay(half_life=1).fit(table))  # weights 1/8, 1/4, 1/2, 1 of 15/8
    assert decay == pytest.approx({"seo": 10 / 15, "paid": 20 / 15, "email": 40 / 15, "direct": 80 / 15})


def test_position_based_on_short_paths_and_all_direct_paths():
    table = PathTable.from_records([("a > b", 1, 0, 0), ("c", 1, 0, 0), ("direct > direct", 1, 0, 0)])
    assert credits(PositionBased().fit(table)) == pytest.approx({"a": 0.5, "b": 0.5, "c": 1, "direct": 1})
    assert credits(LastNonDirect().fit(table))["direct"] == 1


def test_bad_hyperparameters_are_refused():
    table = PathTable.from_records(BRYL)
    for model in (Markov(order=4), TimeDecay(half_life=0), PositionBased(0.7, 0.7), Shapley(max_exact=0)):
        with pytest.raises(ValueError):
            model.fit(table)
    with pytest.raises(ValueError, match="Unknown"):
        make_model("magic")
    assert make_model("markov3").order == 3
    with pytest.raises(RuntimeError, match="not fitted"):
        Linear().results()
    with pytest.raises(TypeError):
        Linear().fit([("a", 1)])


# --- properties on generated paths ---

channel = st.sampled_from(["seo", "paid", "email", "social", "direct", "display"])
record = st.tuples(
    st.lists(channel, min_size=1, max_size=8),
    st.integers(0, 20),
    st.floats(0, 1000, allow_nan=False),
    st.integers(0, 20),
).map(lambda r: (r[0], r[1], r[2] if r[1] else 0.0, r[3]))  # no value without a conversion
tables = st.lists(record, min_size=1, max_size=25)


def _reference(model, rows) -> np.ndarray:
    """Plain-Python per-path weights, to check the vectorised ones."""
    names = sorted({c for path, *_ in rows for c in path})
    out = dict.fromkeys(names, 0.0)
    for path, conv, _value, _null in rows:
        n = len(path)
        if isinstance(model, FirstTouch):
            w = [1.0] + [0.0] * (n - 1)
        elif isinstance(model, LastTouch):
            w = [0.0] * (n - 1) + [1.0]
        elif isinstance(model, LastNonDirect):
            idx = max((i for i, c in enumerate(path) if c != "direct"), default=n - 1)
            w = [1.0 if i == idx else 0.0 for i in range(n)]
        elif isinstance(model, Linear):
            w = [1 / n] * n
        elif isinstance(model, TimeDecay):
            raw = [2 ** (-(n - 1 - i) / model.half_life) for i in range(n)]
            w = [x / sum(raw) for x in raw]
        else:
            if n == 1:
                w = [1.0]
            elif n == 2:
                w = [0.5, 0.5]
            else:
                w = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
        for c, weight in zip(path, w, strict=True):
            out[c] += weight * conv
    return np.array([out[c] for c in names])


@settings(max_examples=60, deadline=None)
@given(rows=tables)
def test_rule_based_credits_add_up_and_match_a_plain_implementation(rows):
    table = PathTable.from_lists(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    for model in (
        FirstTouch(),
        LastTouch(),
        LastNonDirect(),
        Linear(),
        TimeDecay(half_life=2),
        PositionBased(),
    ):
        model.fit(table)
        assert model.conversions_.sum() == pytest.approx(table.total_conversions, abs=1e-9)
        assert model.value_.sum() == pytest.approx(table.total_value, rel=1e-9, abs=1e-9)
        assert model.conversions_ == pytest.approx(_reference(model, rows), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(rows=tables, order=st.sampled_from([1, 2, 3]))
def test_data_driven_credits_add_up(rows, order):
    table = PathTable.from_lists(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    for model in (Markov(order=order), Shapley()):
        model.fit(table)
        if table.total_conversions > 0:
            assert model.conversions_.sum() == pytest.approx(table.total_conversions)
        if isinstance(model, Markov):
            assert np.all((model.removal_effects_ >= 0) & (model.removal_effects_ <= 1))
            if table.total_value > 0:
                assert model.value_.sum() == pytest.approx(table.total_value)
        elif table.total_value > 0:
            assert model.value_.sum() == pytest.approx(table.total_value)


def test_every_model_is_registered_and_reports_results():
    table = PathTable.from_records(BRYL)
    for name, cls in MODELS.items():
        assert cls.name == name
        rows = make_model(name).fit(table).results()
        assert {r.channel for r in rows} == {"C1", "C2", "C3"}
        assert sum(r.share for r in rows) == pytest.approx(1)


def test_exact_removal_effects_agree_with_a_simulation_of_the_same_chain():
    """A plain Monte-Carlo walk through the fitted chain (what simulation-based tools do) converges to
    the exact solution."""
    table = PathTable.from_records(
        [
            ("a > b", 3, 0, 5),
            ("b > a > c", 2, 0, 1),
            ("c", 1, 0, 6),
            ("a > a > c > b", 4, 0, 2),
            ("b", 0, 0, 3),
        ]
    )
    model = Markov().fit(table)
    q, r, s = model.transition_matrix_.toarray(), model.to_conversion_, model.start_
    moves = np.zeros((5, 5))  # states 0-2, 3 = conversion, 4 = null
    moves[:3, :3], moves[:3, 3], moves[:3, 4] = q, r, 1 - q.sum(axis=1) - r
    moves[3, 3] = moves[4, 4] = 1
    rng = np.random.default_rng(0)

    def simulate(removed=None, walks=200_000):
        state = rng.choice(3, size=walks, p=s)
        for _ in range(100):
            if removed is not None:
                state[state == removed] = 4
            active = state < 3
            if not active.any():
                break
            cumulative = np.cumsum(moves[state[active]], axis=1)
            state[active] = (cumulative < rng.random(active.sum())[:, None]).sum(axis=1)
        return (state == 3).mean()

    p = simulate()
    assert p == pytest.approx(model.conversion_probability_, rel=0.01)
    for k in range(3):
        assert 1 - simulate(k) / p == pytest.approx(model.removal_effects_[k], abs=0.01)
