"""Shared personas. Alice is the CMO of Acme and administers it; Bob is a member of Acme (a content
producer); Vera only views Acme; Eve administers Globex, a workspace the others must never see into."""

import os

import pytest
from django.contrib.auth import get_user_model

from opencmo.core.models import Access
from opencmo.core.notifications import notify
from opencmo.core.services import membership_add, workspace_create
from opencmo.org.models import Role, RoleReview
from opencmo.org.raci_services import activity_create, raci_set
from opencmo.org.services import person_create, role_create

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, first: str = "", last: str = ""):
    return get_user_model().objects.create_user(
        email=email, password=PASSWORD, first_name=first, last_name=last
    )


def seed_workspace(name: str, slug: str, admin, currency: str = "EUR"):
    """A workspace with its admin as a person, one custom role and a second person reporting to them."""
    workspace = workspace_create(actor=admin, name=name, slug=slug, currency=currency)
    cmo = Role.objects.get(workspace=workspace, key="cmo")
    boss = person_create(
        actor=admin, workspace=workspace, name=admin.get_full_name() or admin.email, user=admin, roles=[cmo]
    )
    role = role_create(actor=admin, workspace=workspace, name=f"{name} influencer lead")
    specialist = person_create(
        actor=admin, workspace=workspace, name=f"{name} Specialist", reports_to=boss, roles=[role]
    )
    newsletter = activity_create(actor=admin, workspace=workspace, name=f"{name} monthly newsletter")
    raci_set(actor=admin, activity=newsletter, person=boss, letters="A")
    raci_set(actor=admin, activity=newsletter, person=specialist, letters="R")
    # One of every other workspace-scoped object, so the tenant-isolation walk can aim at each.
    RoleReview.objects.create(workspace=workspace, held_by=admin, notes=f"{name} spring review")
    notify(workspace=workspace, users=[admin], subject=f"Welcome to {name}")
    return workspace


@pytest.fixture
def alice(db):
    return make_user("alice@acme.example", "Alice", "Andersen")


@pytest.fixture
def eve(db):
    return make_user("eve@globex.example", "Eve", "Evensen")


@pytest.fixture
def acme(alice):
    return seed_workspace("Acme", "acme", alice, "NOK")


@pytest.fixture
def globex(eve):
    return seed_workspace("Globex", "globex", eve, "DKK")


@pytest.fixture
def bob(acme, alice):
    bob = make_user("bob@acme.example", "Bob", "Berg")
    membership_add(actor=alice, workspace=acme, user=bob, access=Access.MEMBER)
    person_create(
        actor=alice,
        workspace=acme,
        name="Bob Berg",
        user=bob,
        roles=[Role.objects.get(workspace=acme, key="content_producer")],
    )
    return bob


@pytest.fixture
def vera(acme, alice):
    vera = make_user("vera@acme.example", "Vera", "Vik")
    membership_add(actor=alice, workspace=acme, user=vera, access=Access.VIEWER)
    return vera


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"OpenCMO tests on {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})"
