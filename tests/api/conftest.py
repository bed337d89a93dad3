import pytest
from django.core.cache import cache

from tests.api.helpers import bearer, token_for
from tests.conftest import seed_plan_objects


@pytest.fixture
def tokens(alice, acme, bob):
    """Acme seeded with plan objects; bearer headers of Alice (administrator, CMO) and Bob (member)."""
    cache.clear()
    seed_plan_objects(acme, alice)
    return {"alice": bearer(token_for(alice, acme)), "bob": bearer(token_for(bob, acme))}
