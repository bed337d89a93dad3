"""Path tables: the ChannelAttribution CSV format (good and bad files), records, and journeys built
from the store's touchpoints and conversions with a lookback window."""

import datetime as dt

import numpy as np
import pytest

from opencmo.analytics.paths import PathTable, PathTableError
from opencmo.analytics.store import Store


def write(tmp_path, text, name="paths.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_a_channelattribution_csv(tmp_path):
    file = write(
        tmp_path,
        "path,total_conversions,total_conversion_value,total_null\n"
        "Paid Search > Email > Direct,3,120.5,7\n"
        '"Social, organic > Paid Search",0,0,4\n'
        "Email,1,10,\n",
    )
    table = PathTable.from_csv(file)
    assert table.channels == ("Direct", "Email", "Paid Search", "Social, organic")
    assert table.paths() == ["Paid Search > Email > Direct", "Social, organic > Paid Search", "Email"]
    assert table.conversions.tolist() == [3, 0, 1]
    assert table.value.tolist() == [120.5, 0, 10]
    assert table.nulls.tolist() == [7, 4, 0]
    assert table.direct.tolist() == [False, False, True, False, False, False]
    assert table.total_conversions == 4


def test_semicolons_tabs_aliases_and_optional_columns(tmp_path):
    semi = PathTable.from_csv(write(tmp_path, "Path;Conversions\na>b;2\nb;1\n", "semi.csv"))
    assert semi.paths() == ["a > b", "b"] and semi.value.tolist() == [0, 0] and not semi.has_nulls
    tab = PathTable.from_csv(write(tmp_path, "journey\tconv\tnulls\na|b\t2\t1\n", "tab.csv"), sep="|")
    assert tab.paths() == ["a > b"] and tab.nulls.tolist() == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,total_conversions\na > > b,1\n", "line 2: a channel between two > is empty"),
        ("path,total_conversions\na,1\nb,lots\n", "line 3: total_conversions is not a number: lots"),
        ("path,total_conversions\na,-2\n", "line 2: total_conversions must not be negative"),
        ("path,total_conversions,total_null\na,1,-1\n", "line 2: total_null must not be negative"),
        ("path,total_conversions\n,1\n", "line 2: the path is empty"),
        ("channels,total_conversions\na,1\n", "missing the path column"),
        ("path,value\na,1\n", "missing the total_conversions column"),
        ("path,conversions,total_conversions\na,1,1\n", "keep one"),
        ("path,total_conversions\n", "the file has no paths"),
    ],
)
def test_bad_files_are_rejected_with_every_problem_located(tmp_path, text, message):
    with pytest.raises(PathTableError) as error:
        PathTable.from_csv(write(tmp_path, text))
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_many_problems_are_listed_then_summarised(tmp_path):
    text = "path,total_conversions\n" + "a,x\n" * 30
    with pytest.raises(PathTableError) as error:
        PathTable.from_csv(write(tmp_path, text))
    assert len(error.value.problems) == 21
    assert error.value.problems[0] == "line 2: total_conversions is not a number: x"
    assert "more problems" in error.value.problems[-1]


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(PathTableError, match="no such file"):
        PathTable.from_csv(tmp_path / "nope.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe")
    with pytest.raises(PathTableError):
        PathTable.from_csv(binary)


def test_records_select_trim_and_aggregate():
    table = PathTable.from_records([("a > b > c", 2, 20, 1), (["c"], 1, 5, 0), ("a > b > c", 1, 10, 2)])
    assert table.lengths.tolist() == [3, 1, 3]
    assert table.position.tolist() == [0, 1, 2, 0, 0, 1, 2]
    assert table.select(np.array([2, 1])).paths() == ["a > b > c", "c"]
    trimmed = table.trim(max_touches=1)
    assert trimmed.paths() == ["c", "c", "c"]
    merged = table.aggregate()
    assert merged.paths() == ["a > b > c", "c"]
    assert merged.conversions.tolist() == [3, 1] and merged.nulls.tolist() == [3, 0]
    with pytest.raises(ValueError, match="touch times"):
        table.trim(max_age_days=3)
    with pytest.raises(PathTableError):
        PathTable.from_records([("a", -1)])
    with pytest.raises(PathTableError, match="empty channel"):
        PathTable.from_records([("a >  > b", 1)])


@pytest.fixture
def store():
    with Store(":memory:") as store:
        store.execute(
            """
            INSERT INTO touchpoints (user_key, ts, channel, is_direct) VALUES
              ('u1', '2026-03-01 10:00', 'Organic Search', false),
              ('u1', '2026-03-20 10:00', 'Email', false),
              ('u1', '2026-03-25 10:00', 'Direct', true),
              ('u1', '2026-04-02 10:00', 'Paid Social', false),
              ('u2', '2026-03-10 09:00', 'Paid Search', false),
              ('u3', '2026-03-11 09:00', 'Email', false),
              ('u3', '2026-03-12 09:00', 'Display', false)
            """
        )
        store.execute(
            """
            INSERT INTO conversions VALUES
              ('u1', '2026-03-26 12:00', 'purchase', 100, 'EUR', NULL),
              ('u2', '2026-03-10 10:00', 'lead', 0, NULL, NULL),
              ('u4', '2026-03-15 10:00', 'purchase', 40, 'EUR', NULL)
            """
        )
        yield store


def test_journeys_from_the_store_respect_the_lookback_and_previous_conversions(store):
    table = PathTable.from_store(store, lookback_days=10)
    journeys = dict(
        zip(table.paths(), zip(table.conversions, table.value, table.nulls, strict=True), strict=True)
    )
    # u1's organic touch on 1 March is more than 10 days before the purchase on 26 March.
    assert journeys["Email > Direct"] == (1, 100, 0)
    assert journeys["Paid Search"] == (1, 0, 0)
    # After u1's purchase, Paid Social starts a journey that has not converted; u3 never converted.
    assert journeys["Paid Social"] == (0, 0, 1)
    assert journeys["Email > Display"] == (0, 0, 1)
    assert table.unattributed == (1, 40)  # u4 converted without any touch
    assert table.currency == "EUR"
    email_direct = table.paths().index("Email > Direct")
    ages = table.ages[table.offsets[email_direct] : table.offsets[email_direct + 1]]
    assert ages == pytest.approx([6 + 2 / 24, 1 + 2 / 24])
    assert table.direct[table.offsets[email_direct] + 1]


def test_journeys_by_kind_dates_and_without_nulls(store):
    leads = PathTable.from_store(store, kinds=["lead"], include_nulls=False)
    assert leads.paths() == ["Paid Search"]
    longer = PathTable.from_store(store, kinds=["purchase"], lookback_days=60, include_nulls=False)
    assert longer.paths() == ["Organic Search > Email > Direct"]
    april = PathTable.from_store(store, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30))
    assert april.total_conversions == 0
    assert april.paths() == ["Paid Social"]
    with pytest.raises(ValueError):
        PathTable.from_store(store, start=dt.date(2026, 5, 1), end=dt.date(2026, 4, 1))
    with pytest.raises(ValueError):
        PathTable.from_store(store, lookback_days=0)


def test_conversion_values_in_several_currencies_need_rates(store):
    store.execute("INSERT INTO touchpoints (user_key, ts, channel) VALUES ('u5', '2026-03-01', 'Email')")
    store.execute("INSERT INTO conversions VALUES ('u5', '2026-03-02', 'purchase', 1000, 'NOK', NULL)")
    with pytest.raises(ValueError, match="EUR, NOK"):
        PathTable.from_store(store)
    with pytest.raises(ValueError, match="No exchange rate into EUR for NOK"):
        PathTable.from_store(store, currency="EUR", fx={"SEK": 0.09})
    table = PathTable.from_store(store, currency="EUR", fx={"NOK": "0.085"})
    assert table.currency == "EUR"
    assert table.total_value == pytest.approx(100 + 85)
