"""Path strings with repeats: the rows read are exactly those of a plain split, and every model fitted
on the merged distinct paths (``PathTable.compact``) gives the credits of a fit on every row."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from opencmo.analytics.attribution import make_model
from opencmo.analytics.paths import PathTable, _from_list_array, _replace

CHANNELS = ["Email", " Paid Search", "Direct ", "Display", "Organic Search"]


@pytest.fixture(scope="module")
def strings():
    rng = np.random.default_rng(3)
    n = 4000
    lengths = rng.geometric(0.45, n).clip(1, 6)
    paths = [" > ".join(rng.choice(CHANNELS, size=k)) for k in lengths]
    return pa.table(
        {
            "path": paths,
            "total_conversions": rng.integers(0, 3, n).astype(float),
            "total_conversion_value": rng.gamma(2.0, 30.0, n).round(2),
            "total_null": rng.integers(0, 3, n).astype(float),
        }
    )


def test_rows_match_a_plain_split(strings):
    table = PathTable.from_arrow(strings)
    plain = _from_list_array(
        pc.split_pattern(strings.column("path").combine_chunks(), ">"),
        table.conversions,
        table.value,
        table.nulls,
        trim=True,
    )
    assert table.channels == plain.channels == tuple(sorted(c.strip() for c in CHANNELS))
    assert np.array_equal(table.offsets, plain.offsets) and np.array_equal(table.codes, plain.codes)
    assert np.array_equal(table.direct, plain.direct)
    compact = table.compact()
    assert compact.n_paths < table.n_paths / 2
    assert compact.total_conversions == pytest.approx(table.total_conversions)
    assert compact.total_value == pytest.approx(table.total_value)
    assert compact.compact() is compact and table.compact() is compact


@pytest.mark.parametrize(
    "model",
    ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "markov", "shapley"],
)
def test_models_on_merged_paths_equal_models_on_every_row(strings, model):
    table = PathTable.from_arrow(strings)
    every_row = _replace(table)  # a copy that does not know its distinct paths
    assert every_row.compact() is every_row
    merged = make_model(model).fit(table).results()
    plain = make_model(model).fit(every_row).results()
    assert [r.channel for r in merged] == [r.channel for r in plain]
    assert [r.conversions for r in merged] == pytest.approx([r.conversions for r in plain], rel=1e-9)
    assert [r.value for r in merged] == pytest.approx([r.value for r in plain], rel=1e-9)


def test_fitting_never_materialises_every_touch(strings):
    """The per-touch arrays of a table read from strings are gathered only when read: models fit the
    distinct paths, so a million-row table costs no million-row gather (the heuristics benchmark)."""
    table = PathTable.from_arrow(strings)
    for model in ("first_touch", "last_touch", "linear", "markov"):
        make_model(model).fit(table)
    assert "_touches" not in table.__dict__
    assert table.n_paths == strings.num_rows  # reading the offsets gathers them, once
    assert "_touches" in table.__dict__ and table.codes is table.codes
