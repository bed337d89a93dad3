"""Reads for the webhook pages, always within one workspace."""

from django.db.models import Count, Max, Q

from opencmo.core.models import Workspace
from opencmo.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints(workspace: Workspace):
    return WebhookEndpoint.objects.filter(workspace=workspace).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.SUCCEEDED)),
        failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
        last_delivery_at=Max("deliveries__created_at"),
    )


def deliveries(endpoint: WebhookEndpoint, limit: int = 50):
    return WebhookDelivery.objects.filter(workspace=endpoint.workspace, endpoint=endpoint).order_by("-pk")[
        :limit
    ]


def attempts(endpoint: WebhookEndpoint, limit: int = 100):
    """The delivery log: newest attempts first."""
    return (
        WebhookAttempt.objects.filter(workspace=endpoint.workspace, delivery__endpoint=endpoint)
        .select_related("delivery")
        .order_by("-at", "-pk")[:limit]
    )
