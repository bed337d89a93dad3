import datetime as dt

import pytest

from tests.conftest import seed_plan_objects

# seed_plan_objects dates everything in 2026; the tests look at the data on this day.
TODAY = dt.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test gets its own analytics store directory and an empty cache."""
    from django.core.cache import cache

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    return tmp_path


@pytest.fixture
def planned(acme, alice):
    """Acme with an objective, KPI, campaign (mapped to Paid Search data), channel, task and budget plan."""
    seed_plan_objects(acme, alice)
    return acme
