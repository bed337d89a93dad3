"""Writes carrying fields the client must not set (ids, workspace, owner of the row, staff flags,
timestamps, consent timestamps, scores) are refused with 422 and change nothing."""

import pytest
from django.core.cache import cache

from opencmo.campaigns.models import Campaign
from opencmo.crm.models import ConsentRecord, Contact
from opencmo.work.models import Task
from tests.api.helpers import bearer, token_for
from tests.api.schema_tools import json_body, operations, schema
from tests.conftest import seed_plan_objects

FORBIDDEN = {
    "id": 999,
    "workspace": 2,
    "workspace_id": 2,
    "owner": 1,
    "is_staff": True,
    "is_superuser": True,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "given_at_server": "2020-01-01T00:00:00Z",
    "withdrawn_at": "2020-01-01T00:00:00Z",
    "score": 100,
    "activity_id": 1,
}


def test_every_request_body_refuses_unknown_fields():
    """Schema-level guarantee: each JSON body declares additionalProperties false."""
    doc = schema()
    components = doc["components"]["schemas"]
    for path, method, op in operations(doc):
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            name = content["schema"]["$ref"].rsplit("/", 1)[-1]
            assert components[name].get("additionalProperties") is False, f"{method} {path}"


@pytest.fixture
def seeded(alice, acme):
    cache.clear()
    seed_plan_objects(acme, alice)
    return token_for(alice, acme)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", sorted(FORBIDDEN))
def test_creates_refuse_extra_fields(client, seeded, acme, globex, extra):
    before = (Contact.objects.count(), Campaign.objects.count(), Task.objects.count())
    for path, payload in [
        ("/api/w/acme/contacts", {"first_name": "Ann", "email": "ann@example.com"}),
        ("/api/w/acme/campaigns", {"name": "Autumn", "start_date": "2026-09-01", "end_date": "2026-09-30"}),
        ("/api/w/acme/tasks", {"title": "Write copy"}),
    ]:
        response = client.post(
            path, {**payload, extra: FORBIDDEN[extra]}, content_type="application/json", **bearer(seeded)
        )
        assert response.status_code == 422, (path, extra, response.content)
        assert response.json()["errors"][0]["field"] == extra
    assert (Contact.objects.count(), Campaign.objects.count(), Task.objects.count()) == before


@pytest.mark.django_db
def test_updates_refuse_extra_fields_and_leave_the_row_alone(client, seeded, acme, globex):
    contact = Contact.objects.filter(workspace=acme).first()
    snapshot = Contact.objects.filter(pk=contact.pk).values().get()
    for extra, value in FORBIDDEN.items():
        response = client.patch(
            f"/api/w/acme/contacts/{contact.pk}",
            {"first_name": "Changed", extra: value},
            content_type="application/json",
            **bearer(seeded),
        )
        assert response.status_code == 422, extra
    assert Contact.objects.filter(pk=contact.pk).values().get() == snapshot
    consent = ConsentRecord.objects.filter(workspace=acme).first()
    given = consent.given_at
    response = client.post(
        f"/api/w/acme/contacts/{contact.pk}/consents",
        {
            "purpose": consent.purpose.key,
            "wording": "Yes",
            "source": "api",
            "withdrawn_at": "2020-01-01T00:00:00Z",
        },
        content_type="application/json",
        **bearer(seeded),
    )
    assert response.status_code == 422 and ConsentRecord.objects.filter(contact=contact).count() == 1
    consent.refresh_from_db()
    assert consent.given_at == given and consent.withdrawn_at is None


@pytest.mark.django_db
def test_every_write_endpoint_refuses_an_extra_field(client, seeded, acme):
    """Generated from the schema: each JSON write with a valid body plus `workspace_id` is a 422."""
    doc = schema()
    for path, method, op in operations(doc):
        body = json_body(doc, op)
        if body is None:
            continue
        url = path.replace("{ws}", "acme")
        for param in ("person_pk", "activity_pk", "kpi_pk", "campaign_pk", "task_pk", "budgetplan_pk"):
            url = url.replace("{" + param + "}", "1")
        url = (
            url.replace("{approvalrequest_pk}", "1")
            .replace("{contact_pk}", "1")
            .replace("{consentrecord_pk}", "1")
        )
        response = getattr(client, method)(
            url, {**body, "workspace_id": 2}, content_type="application/json", **bearer(seeded)
        )
        assert response.status_code == 422, (method, path, response.status_code)
        assert {"field": "workspace_id", "message": "Extra inputs are not permitted"} in response.json()[
            "errors"
        ]
