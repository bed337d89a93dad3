"""Marketing-mix model runs and the budget recommendations made from them."""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped


class ModelRun(WorkspaceScoped):
    """One fit of the marketing-mix model on a workspace's data. A run with the same data fingerprint
    and configuration as a finished run is not fitted again: the finished run is returned."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    config = models.JSONField(default=dict, help_text="channels, period, target, adstock, saturation, method")
    fingerprint = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the weekly input data")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent done")
    message = models.CharField(max_length=200, blank=True, help_text="what the job is doing")
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Which process fits the run and when it last showed life, so a fit whose worker died is found and
    # marked failed instead of "running" forever (opencmo/core/recovery.py, kind "mmm").
    worker = models.CharField(max_length=120, blank=True, help_text="host:pid of the fitting process")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "fingerprint"])]

    def __str__(self) -> str:
        return f"Model run {self.pk} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def label(self) -> str:
        c = self.config or {}
        target, method = c.get("target", "revenue").capitalize(), c.get("method", "map").upper()
        return f"{target} · {c.get('start', '?')} to {c.get('end', '?')} · {method}"


class Recommendation(WorkspaceScoped):
    """An optimised split of a budget over channels for a period, with the model's predicted outcome.

    ``allocation`` is a list of ``{channel, current, recommended}`` (amounts for the whole period, in
    the workspace currency)."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="recommendations")
    period_start = models.DateField()
    period_end = models.DateField()
    target = models.CharField(max_length=12, default="revenue")
    total = models.DecimalField(max_digits=18, decimal_places=2)
    allocation = models.JSONField(default=list)
    predicted_outcome = models.FloatField()
    predicted_low = models.FloatField(null=True, blank=True)
    predicted_high = models.FloatField(null=True, blank=True)
    current_outcome = models.FloatField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    requests = models.JSONField(default=list, blank=True, help_text="ids of the reallocation requests made")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Recommendation {self.pk} for {self.period_start} to {self.period_end}"
