"""Outgoing webhook endpoints, their deliveries and each delivery attempt.

A *delivery* is one event sent to one endpoint; it keeps the same `message_id` (the `webhook-id`
header) through retries and manual redeliveries so receivers can deduplicate. Each HTTP try is an
*attempt* row: that is the delivery log shown on the endpoint page.
"""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped


class EventType(models.TextChoices):
    APPROVAL_REQUESTED = "approval.requested", "Approval requested"
    APPROVAL_DECIDED = "approval.decided", "Approval decided"
    CAMPAIGN_STATUS_CHANGED = "campaign.status_changed", "Campaign status changed"
    BUDGET_ALERT = "budget.alert", "Budget alert raised"
    CRM_MQL_HANDOFF = "crm.mql_handoff", "MQL handed to sales"


TEST_EVENT = "webhook.test"


class WebhookEndpoint(WorkspaceScoped):
    class Kind(models.TextChoices):
        STANDARD = "standard", "Signed JSON (Standard Webhooks)"
        SLACK = "slack", "Slack incoming webhook"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    is_active = models.BooleanField("active", default=True)
    # The signing key must be usable to sign, so it is stored as given (like any integration secret);
    # it is shown to the admin once, when created or rotated. Slack endpoints do not sign.
    secret = models.CharField(max_length=100, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event_type: str) -> bool:
        return event_type == TEST_EVENT or event_type in self.event_types


class WebhookDelivery(WorkspaceScoped):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts in the current round.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint}"


class WebhookAttempt(WorkspaceScoped):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery}"
