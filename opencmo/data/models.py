"""Import runs and first-party collection settings (see the data-import issue).

The facts themselves live in the workspace's DuckDB analytics store (``opencmo.analytics.store``); the
app database keeps who imported what, when, with which outcome and problems, and the public site keys of
the first-party collector.
"""

import secrets

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped


class ImportRun(WorkspaceScoped):
    """One file brought in (or checked, for a dry run): its outcome, counts and every problem found."""

    class Kind(models.TextChoices):
        GOOGLE_ADS = "google_ads", "Google Ads report"
        META = "meta", "Meta Ads Manager export"
        LINKEDIN = "linkedin", "LinkedIn Campaign Manager export"
        GA4 = "ga4", "GA4 BigQuery export (NDJSON or Parquet)"
        CRM_CONTACTS = "crm_contacts", "CRM contacts / leads"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Imported"
        CHECKED = "checked", "Checked (dry run)"
        DUPLICATE = "duplicate", "Already imported"
        FAILED = "failed", "Rejected"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the file")
    size = models.PositiveBigIntegerField(default=0)
    source = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent done")
    rows_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="rows written (or to write) per table")
    problems = models.JSONField(default=list, blank=True)
    unmapped = models.JSONField(
        default=list, blank=True, help_text="platform campaign names without a mapping"
    )
    message = models.TextField(blank=True)
    store_import_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=120, blank=True, help_text="host:pid of the process executing the run"
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="last sign of life from the worker (see data.recovery)"
    )
    recovered_at = models.DateTimeField(
        null=True, blank=True, help_text="when a run whose worker died was marked failed"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "fingerprint"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename} ({self.get_status_display()})"

    @property
    def count_rows(self) -> list[tuple[str, str, int]]:
        """(key, label, count) per table, for display."""
        return [
            (k, TABLE_LABELS.get(k, k.replace("_", " ").capitalize()), n)
            for k, n in (self.counts or {}).items()
        ]

    @property
    def duration(self) -> str:
        """How long the run took, for people ("0.4 s", "2 min 5 s")."""
        if not (self.started_at and self.finished_at):
            return ""
        seconds = (self.finished_at - self.started_at).total_seconds()
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


TABLE_LABELS = {
    "ad_performance": "Ad performance rows",
    "events": "Events",
    "sessions": "Sessions",
    "touchpoints": "Touchpoints",
    "conversions": "Conversions",
    "orders": "Orders",
    "contacts_created": "Contacts created",
    "contacts_updated": "Contacts updated",
    "consents": "Consents recorded",
}


def new_site_key() -> str:
    return "site_" + secrets.token_urlsafe(18)


class CollectSite(WorkspaceScoped):
    """A website that sends page views to /collect/ with its public key; only its origin may post."""

    name = models.CharField(max_length=120)
    origin = models.URLField(
        max_length=200, help_text="https://www.example.com — the only origin allowed to post"
    )
    key = models.CharField(max_length=40, unique=True, default=new_site_key)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.origin})"
