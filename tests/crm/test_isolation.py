"""The tenant-isolation walk of tests/core for the customer routes, with a foreign workspace holding one
of every customer object (the global walk needs the same seeds in tests/conftest.py)."""

import re

import pytest

from tests.conftest import seed_plan_objects
from tests.core.test_tenant_isolation import _assert_not_found, _fill, _workspace_routes
from tests.crm.seed import seed_crm_objects

CRM_ROUTES = [r for r in _workspace_routes() if r.startswith("w/<slug:ws>/customers/")]


@pytest.fixture
def globex_crm(globex, eve):
    seed_plan_objects(globex, eve)
    seed_crm_objects(globex, eve)
    return globex


def test_customer_routes_exist():
    assert any(r.endswith("customers/") for r in CRM_ROUTES)
    assert len(CRM_ROUTES) > 40


@pytest.mark.django_db
@pytest.mark.parametrize("route", CRM_ROUTES)
def test_foreign_workspace_is_not_found(route, client, alice, acme, globex_crm):
    client.force_login(alice)
    _assert_not_found(client, "/" + _fill(route, "globex", globex_crm), route)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in CRM_ROUTES if re.search(r"<(?:\w+:)?\w+_pk>", r)])
def test_foreign_object_in_own_workspace_is_not_found(route, client, alice, acme, globex_crm):
    client.force_login(alice)
    _assert_not_found(client, "/" + _fill(route, "acme", globex_crm), route)
