"""Customer fixtures: Acme's team (tests.org.test_approvals.Team: Sam wears the sales hat), the CRM
defaults, a fixed clock and contact factories."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from opencmo.crm import services
from opencmo.crm.models import LifecycleStage, Purpose
from tests.org.test_approvals import Team

# A fixed moment for SLA and decay arithmetic: Tuesday 3 March 2026, 09:00 in Oslo.
T0 = timezone.make_aware(dt.datetime(2026, 3, 3, 9, 0))


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


@pytest.fixture
def crm(acme):
    return services.ensure_defaults(acme)


@pytest.fixture
def stage(acme, crm):
    def get(key: str) -> LifecycleStage:
        return LifecycleStage.objects.get(workspace=acme, key=key)

    return get


@pytest.fixture
def purpose(acme, crm):
    def get(key: str) -> Purpose:
        return Purpose.objects.get(workspace=acme, key=key)

    return get


@pytest.fixture
def make_contact(acme, alice, crm):
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, stage_key: str = "lead", actor=None, **fields):
        n = next(counter)
        email = email if email is not None else f"person{n}@kunde.example"
        return services.contact_create(
            actor=actor or alice,
            workspace=acme,
            email=email,
            stage=LifecycleStage.objects.get(workspace=acme, key=stage_key),
            **{"first_name": f"Person{n}", "last_name": "Testesen", **fields},
        )

    return make


def no_rules(workspace) -> None:
    """Remove the starter scoring rules so a test controls every point."""
    from opencmo.crm.models import ScoringRule

    ScoringRule.objects.filter(workspace=workspace).delete()


def points(value) -> Decimal:
    return Decimal(str(value))
