"""`opencmo analyze attribution`: from a path CSV or a workspace's store; tables, CSV and exit codes."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opencmo.analytics.progress import Stages, TextProgress
from opencmo.analytics.store import Store

BRYL = (
    "path,total_conversions,total_conversion_value,total_null\n"
    "C1 > C2 > C3,1,100,0\nC1,0,0,1\nC2 > C3,0,0,1\n"
)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("analyze", "attribution", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def paths_csv(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text(BRYL, encoding="utf-8")
    return file


def test_markov_from_a_paths_file_prints_a_table_and_writes_csv(paths_csv, tmp_path):
    out_file = tmp_path / "credit.csv"
    out, err = run("--paths", str(paths_csv), "--out", str(out_file))
    lines = out.splitlines()
    assert lines[0].split() == ["channel", "markov", "conv", "markov", "value"]
    assert lines[2].split()[:3] == ["C2", "0.40", "40.00"]
    assert lines[-2].split() == ["Total", "1.00", "100.00"]
    assert "3 paths, 1 conversions" in lines[-1]
    with out_file.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert {r["channel"]: (r["conversions"], r["removal_effect"]) for r in rows} == {
        "C1": ("0.200000", "0.500000"),
        "C2": ("0.400000", "1.000000"),
        "C3": ("0.400000", "1.000000"),
    }
    assert "Wrote 3 rows" in err


def test_all_models_side_by_side_and_csv_on_stdout(paths_csv):
    out, _ = run("--paths", str(paths_csv), "--model", "all", "--out", "-")
    header = out.splitlines()[0]
    for name in ("first_touch", "last_non_direct", "time_decay", "position_based", "markov", "shapley"):
        assert f"{name} conv" in header
    assert "shapley,C1,0.333333,33.333333,0.333333," in out
    out, _ = run("--paths", str(paths_csv), "--model", "markov", "--order", "2", "--no-progress")
    assert "markov2 conv" in out.splitlines()[0]


def test_the_progress_bar_goes_to_stderr_and_only_on_long_runs(paths_csv):
    out, err = run("--paths", str(paths_csv), "--model", "linear", "--progress")
    assert "Total" in out and "█" not in out and "█" not in err  # a quick run draws nothing
    stream = io.StringIO()
    bar = TextProgress(stream, delay=0)
    stages = Stages(bar, 2)
    stages.start(0, "reading")
    stages(0.5, "half")
    stages.start(1, "Markov chain")
    stages(1.0, "done")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("reading") and "25%" in lines[1] and lines[-1].endswith("Markov chain: done")
    assert "100%" in lines[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "magic"], "Unknown attribution model"),
        (["--model", "time_decay", "--half-life", "0"], "half_life"),
        (["--max-touches", "0"], "max_touches"),
    ],
)
def test_bad_options_exit_2(paths_csv, args, message):
    with pytest.raises(CommandError, match=message) as error:
        run("--paths", str(paths_csv), *args)
    assert error.value.returncode == 2


def test_bad_files_exit_2_with_every_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,total_conversions\na > > b,1\nb,x\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems") as error:
        call_command("analyze", "attribution", "--paths", str(bad), stderr=err)
    assert error.value.returncode == 2
    assert "line 2: a channel between two > is empty" in err.getvalue()
    assert "line 3: total_conversions is not a number: x" in err.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        run("--paths", str(tmp_path / "missing.csv"))
    empty = tmp_path / "none.csv"
    empty.write_text("path,total_conversions\na,0\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No conversions"):
        run("--paths", str(empty))


def test_a_workspace_store(acme, settings, tmp_path):
    settings.ANALYTICS_DIR = tmp_path
    with pytest.raises(CommandError, match="no analytics data yet") as error:
        run("--workspace", "acme")
    assert error.value.returncode == 2
    with Store.for_workspace(tmp_path, acme.pk) as store:
        store.migrate()
        store.execute(
            """
            INSERT INTO touchpoints (user_key, ts, channel, is_direct) VALUES
              ('u1', '2026-03-01', 'Email', false), ('u1', '2026-03-02', 'Direct', true),
              ('u2', '2026-03-01', 'Paid Search', false), ('u3', '2026-03-05', 'Email', false)
            """
        )
        store.execute(
            """
            INSERT INTO conversions VALUES
              ('u1', '2026-03-03', 'purchase', 1000, 'NOK', NULL),
              ('u2', '2026-03-02', 'purchase', 500, 'NOK', NULL)
            """
        )
    out, _ = run("--workspace", "acme", "--model", "last_non_direct,linear", "--kind", "purchase")
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in out.splitlines()[2:-2])}
    assert rows["Email"][:2] == ["1.00", "1,000.00"]
    assert rows["Paid Search"][:2] == ["1.00", "500.00"]
    assert rows["Direct"][2:4] == ["0.50", "500.00"]
    assert "from acme (30-day lookback)" in out
    with pytest.raises(CommandError, match="No conversions"):
        run("--workspace", "acme", "--kind", "lead")
    with pytest.raises(CommandError, match="No workspace"):
        run("--workspace", "nowhere")
    with pytest.raises(CommandError, match="not a date"):
        run("--workspace", "acme", "--start", "March")
    with pytest.raises(CommandError, match=r"EUR=11\.5"):
        run("--workspace", "acme", "--currency", "EUR", "--fx", "NOK:0.1")


def test_store_options_are_refused_with_a_paths_file(paths_csv):
    with pytest.raises(CommandError, match="--kind, --start apply to a workspace") as error:
        run("--paths", str(paths_csv), "--kind", "lead", "--start", "2026-01-01")
    assert error.value.returncode == 2


def test_the_real_command_line_exits_2_on_bad_input(paths_csv, tmp_path):
    import subprocess
    import sys

    env = {"OPENCMO_DEBUG": "1", "OPENCMO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "opencmo.cli", "analyze", "attribution"]
    ok = subprocess.run(
        [*cli, "--paths", str(paths_csv)], capture_output=True, text=True, env=env, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert "Total" in ok.stdout and ok.stderr == ""
    bad = subprocess.run(
        [*cli, "--paths", str(tmp_path / "missing.csv")], capture_output=True, text=True, env=env, check=False
    )
    assert bad.returncode == 2 and "no such file" in bad.stderr
