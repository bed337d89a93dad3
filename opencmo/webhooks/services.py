"""Webhook endpoint management (workspace administrators only) and manual sends.

The signing secret never enters the audit log: changes are recorded without it, and a rotation is
recorded as the fact of a rotation.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.models import Workspace
from opencmo.core.permissions import check_fields, require_admin
from opencmo.webhooks import events, signing, transport
from opencmo.webhooks.models import TEST_EVENT, EventType, WebhookDelivery, WebhookEndpoint

EDITABLE = ("kind", "url", "description", "event_types", "is_active")


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    values = audit.snapshot(endpoint)
    values.pop("secret", None)
    return values


def _clean(endpoint: WebhookEndpoint) -> None:
    errors: dict[str, str] = {}
    if endpoint.kind not in WebhookEndpoint.Kind.values:
        errors["kind"] = f"Unknown endpoint type “{endpoint.kind}”."
    url = (endpoint.url or "").strip()
    if not url:
        errors["url"] = "Give the address that receives the events."
    elif len(url) > 500:
        errors["url"] = "The address is longer than 500 characters."
    else:
        try:
            transport.check_url(url)
        except transport.TargetRefused as error:
            errors["url"] = str(error)
    endpoint.url = url
    types = endpoint.event_types
    if not isinstance(types, list) or not types:
        errors["event_types"] = "Choose at least one event type."
    else:
        unknown = sorted(set(types) - set(EventType.values))
        if unknown:
            errors["event_types"] = f"Unknown event types: {', '.join(map(str, unknown))}."
        endpoint.event_types = [t for t in EventType.values if t in types]
    endpoint.description = (endpoint.description or "").strip()[:200]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def endpoint_create(*, actor, workspace: Workspace, **fields) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret (empty for Slack), shown once to the admin."""
    require_admin(actor, workspace)
    check_fields(fields, EDITABLE, "webhook endpoint")
    endpoint = WebhookEndpoint(
        workspace=workspace, created_by=actor if actor and actor.pk else None, **fields
    )
    _clean(endpoint)
    if endpoint.kind == WebhookEndpoint.Kind.STANDARD:
        endpoint.secret = signing.new_secret()
    endpoint.save()
    created = {k: [None, v] for k, v in _snapshot(endpoint).items() if v not in (None, "", [])}
    audit.record(actor=actor, workspace=workspace, action="create", obj=endpoint, changes=created)
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_update(*, actor, endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change an endpoint. Re-activating one clears its failure count, so it gets a fresh start."""
    require_admin(actor, endpoint.workspace)
    check_fields(fields, EDITABLE, "webhook endpoint")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _snapshot(endpoint)
    was_active = endpoint.is_active
    for key, value in fields.items():
        setattr(endpoint, key, value)
    _clean(endpoint)
    if endpoint.kind == WebhookEndpoint.Kind.STANDARD and not endpoint.secret:
        endpoint.secret = signing.new_secret()  # a Slack endpoint turned into a signed one
    if endpoint.is_active and not was_active:
        endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
    endpoint.save()
    changes = audit.diff(before, _snapshot(endpoint))
    if changes:
        audit.record(
            actor=actor, workspace=endpoint.workspace, action="update", obj=endpoint, changes=changes
        )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, actor, endpoint: WebhookEndpoint) -> str:
    require_admin(actor, endpoint.workspace)
    if endpoint.kind != WebhookEndpoint.Kind.STANDARD:
        raise ValidationError("Slack endpoints are not signed; there is no secret to rotate.")
    endpoint.secret, endpoint.secret_rotated_at = signing.new_secret(), timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    audit.record(
        actor=actor,
        workspace=endpoint.workspace,
        action="update",
        obj=endpoint,
        changes={"secret": ["(previous)", "(rotated)"]},
    )
    return endpoint.secret


@transaction.atomic
def endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    require_admin(actor, endpoint.workspace)
    removed = {k: [v, None] for k, v in _snapshot(endpoint).items() if v not in (None, "", [])}
    audit.record(actor=actor, workspace=endpoint.workspace, action="delete", obj=endpoint, changes=removed)
    endpoint.delete()


@transaction.atomic
def endpoint_send_test(*, actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` event to this endpoint only (even if it subscribes to nothing else)."""
    require_admin(actor, endpoint.workspace)
    if not endpoint.is_active:
        raise ValidationError("The endpoint is disabled: activate it before sending a test event.")
    who = getattr(actor, "email", None) or "system"
    body = events.payload(
        TEST_EVENT,
        {"workspace": endpoint.workspace.slug, "endpoint_id": endpoint.pk, "sent_by": who},
        f"Test event from OpenCMO ({endpoint.workspace.name}), sent by {who}: this endpoint works.",
    )
    delivery = events.create_delivery(endpoint, body)
    events.queue([delivery.pk])
    return delivery


@transaction.atomic
def delivery_redeliver(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again with the same webhook-id (receivers deduplicate on it); a new round of
    retries starts."""
    require_admin(actor, delivery.workspace)
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if not delivery.endpoint.is_active:
        raise ValidationError("The endpoint is disabled: activate it before redelivering.")
    if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING):
        raise ValidationError("This delivery is still being tried; wait for it to succeed or fail.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = (
        WebhookDelivery.Status.PENDING,
        0,
        timezone.now(),
    )
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    audit.record(
        actor=actor,
        workspace=delivery.workspace,
        action="update",
        obj=delivery,
        changes={"redelivered": [None, delivery.message_id]},
    )
    events.queue([delivery.pk])
    return delivery
