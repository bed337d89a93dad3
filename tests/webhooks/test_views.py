"""Webhook pages: administrators only; the secret is shown once; create, edit, test, rotate, redeliver,
delete through the UI; bad input comes back on the form."""

import pytest

from opencmo.core.models import AuditEvent
from opencmo.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from tests.webhooks.receiver import verify_standard_webhook

pytestmark = pytest.mark.django_db
BASE = "/w/acme/settings/webhooks/"


def _create(client, url, **extra):
    data = {
        "kind": "standard",
        "url": url,
        "description": "CRM",
        "event_types": ["budget.alert"],
        "is_active": "on",
    }
    return client.post(BASE, {**data, **extra})


def test_members_and_viewers_cannot_see_or_manage_webhooks(client_for, acme, alice, bob, vera):
    endpoint = WebhookEndpoint.objects.create(
        workspace=acme, url="https://x.example/", event_types=["budget.alert"]
    )
    for user in (bob, vera):
        client = client_for(user)
        assert client.get(BASE).status_code == 403
        assert _create(client, "https://93.184.215.14/").status_code == 403
        assert client.post(f"{BASE}{endpoint.pk}/delete/").status_code == 403
        assert client.post(f"{BASE}{endpoint.pk}/rotate/").status_code == 403
    assert WebhookEndpoint.objects.filter(workspace=acme).count() == 1


def test_admin_creates_an_endpoint_sees_the_secret_once_and_it_signs(
    client_for, acme, alice, receiver, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    assert client.get(BASE).status_code == 200
    response = _create(client, receiver.url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get(workspace=acme)
    assert endpoint.secret in response.content.decode()
    page = client.get(f"{BASE}{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page  # never again
    create_audit = AuditEvent.objects.get(object_type="webhooks.WebhookEndpoint", action="create")
    assert "secret" not in create_audit.changes and endpoint.secret not in str(create_audit.changes)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}{endpoint.pk}/test/")
    assert response.status_code == 302
    request = receiver.requests[0]
    assert verify_standard_webhook(endpoint.secret, request["headers"], request["body"])
    page = client.get(f"{BASE}{endpoint.pk}/").content.decode()
    assert "webhook.test" in page and "200" in page and " ms" in page  # the delivery log
    old = endpoint.secret
    response = client.post(f"{BASE}{endpoint.pk}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()
    assert old not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_bad_input_is_shown_on_the_form(client_for, acme, alice):
    client = client_for(alice)
    response = _create(client, "http://127.0.0.1:8080/", event_types=[])
    assert response.status_code == 200
    page = response.content.decode()
    assert "private, loopback" in page and "Choose at least one event type" in page
    assert not WebhookEndpoint.objects.exists()
    response = _create(client, "https://93.184.215.14/", event_types=["nonsense"])
    assert response.status_code == 200 and "nonsense" in response.content.decode()


def test_edit_disable_redeliver_and_delete(
    client_for, acme, alice, receiver, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    _create(client, receiver.url, kind="slack", event_types=["campaign.status_changed"])
    endpoint = WebhookEndpoint.objects.get(workspace=acme)
    assert endpoint.kind == "slack" and endpoint.secret == ""
    response = client.post(
        f"{BASE}{endpoint.pk}/",
        {
            "kind": "slack",
            "url": receiver.url,
            "description": "#marketing",
            "event_types": list(EventType.values),
        },
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.description == "#marketing" and len(endpoint.event_types) == 5
    assert "activate it" in client.post(f"{BASE}{endpoint.pk}/test/", follow=True).content.decode()
    client.post(
        f"{BASE}{endpoint.pk}/",
        {
            "kind": "slack",
            "url": receiver.url,
            "description": "#marketing",
            "event_types": ["budget.alert"],
            "is_active": "on",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert "this endpoint works" in receiver.json()["text"]
    page = client.get(f"{BASE}deliveries/{delivery.pk}/").content.decode()
    assert delivery.message_id in page and "Redeliver" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302 and len(receiver.requests) == 2
    assert client.post(f"{BASE}{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_post_only_actions_refuse_get(client_for, acme, alice):
    endpoint = WebhookEndpoint.objects.create(
        workspace=acme, url="https://x.example/", event_types=["budget.alert"]
    )
    client = client_for(alice)
    for action in ("test", "rotate", "delete"):
        assert client.get(f"{BASE}{endpoint.pk}/{action}/").status_code == 405
