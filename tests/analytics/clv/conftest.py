"""CDNOW data from the `lifetimes` package (test-only dependency) and a lifetimes wrapper.

The files are read straight from lifetimes' ``datasets`` folder: ``lifetimes.datasets`` itself imports
``pkg_resources``, which recent setuptools no longer ship.
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

spec = importlib.util.find_spec("lifetimes")
DATASETS = Path(next(iter(spec.submodule_search_locations))) / "datasets" if spec else None


def _datasets() -> Path:
    if DATASETS is None:
        pytest.fail("lifetimes is not installed: it is in the test extra (pip install -e '.[test]').")
    return DATASETS


def _csv(name: str) -> dict[str, np.ndarray]:
    path = _datasets() / name
    header = path.read_text().splitlines()[0].split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return {column: table[:, i] for i, column in enumerate(header)}


@pytest.fixture(scope="session")
def cdnow():
    """FHL's CDNOW sample summary: 2,357 customers, weeks; ID, frequency, recency, T."""
    return _csv("cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend():
    """The same customers with x, t_x, T and zbar, the mean value of their repeat purchases."""
    return _csv("cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_transactions():
    """CDNOW_sample.txt: master id, sample id (the summary's ID), date YYYYMMDD, CDs bought, dollars."""
    raw = np.loadtxt(_datasets() / "CDNOW_sample.txt", dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return {"customer": raw[:, 1].astype(int), "date": dates, "value": raw[:, 4].astype(float)}


@pytest.fixture(scope="session")
def lifetimes():
    """The lifetimes package with its warnings silenced (the suite turns RuntimeWarnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes as module
    return module


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)
