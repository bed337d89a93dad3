"""One webhook endpoint and one delivery per workspace, for the tenant-isolation walk."""

from django.utils import timezone

from opencmo.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def seed(workspace, admin, context) -> None:
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=f"https://hooks.{workspace.slug}.example/opencmo",
        description=f"{workspace.name} CRM",
        event_types=[EventType.CAMPAIGN_STATUS_CHANGED],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        created_by=admin,
    )
    delivery = WebhookDelivery.objects.create(
        workspace=workspace,
        endpoint=endpoint,
        message_id=f"msg_seed_{workspace.slug}",
        event_type=EventType.CAMPAIGN_STATUS_CHANGED,
        payload={"type": "campaign.status_changed", "timestamp": "2026-01-01T00:00:00Z", "data": {}},
        status=WebhookDelivery.Status.FAILED,
    )
    WebhookAttempt.objects.create(
        workspace=workspace, delivery=delivery, number=1, at=timezone.now(), status_code=500, error="HTTP 500"
    )
