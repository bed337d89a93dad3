"""Campaigns, their channels and expected results, and per-user calendar feeds."""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped
from opencmo.org.models import Activity
from opencmo.strategy.models import Kpi, Objective, Segment

# The channels the brief names; each workspace gets these and may add custom ones.
BUILTIN_CHANNELS: list[tuple[str, str]] = [
    ("paid_search", "Paid search"),
    ("paid_social", "Paid social"),
    ("organic_social", "Organic social"),
    ("seo_content", "SEO / content"),
    ("email", "Email"),
    ("events", "Events"),
    ("pr", "PR"),
    ("display", "Display"),
    ("offline_print", "Offline / print"),
    ("tv_radio", "TV / radio"),
    ("partnerships", "Partnerships"),
]


class Channel(WorkspaceScoped):
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    is_builtin = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="channel_key_unique")]

    def __str__(self) -> str:
        return self.name


class Campaign(WorkspaceScoped):
    """A campaign: traces up to objectives, runs on channels for a segment, with its own RACI (activity)."""

    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PLANNED = "planned", "Planned"
        APPROVED = "approved", "Approved"
        LIVE = "live", "Live"
        DONE = "done", "Done"
        EVALUATED = "evaluated", "Evaluated"

    name = models.CharField(max_length=200)
    code = models.SlugField(
        max_length=80, help_text="Stable id used to match ad-platform campaign names and UTM campaigns."
    )
    description = models.TextField(blank=True)
    objectives = models.ManyToManyField(Objective, related_name="campaigns", blank=True)
    channels = models.ManyToManyField(Channel, related_name="campaigns", blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    agency = models.CharField(max_length=150, blank=True, help_text="External agency running it, if any.")
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDEA)
    activity = models.OneToOneField(Activity, on_delete=models.RESTRICT, related_name="campaign")

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="campaign_code_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExpectedResult(WorkspaceScoped):
    """What a campaign is expected to add to one KPI of its objectives."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="expected_results")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="expected_results")
    value = models.DecimalField(max_digits=16, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "kpi"], name="one_expectation_per_kpi")]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.kpi} +{self.value}"


class CalendarFeed(WorkspaceScoped):
    """A secret iCal URL for one user in one workspace. Only a hash of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} in {self.workspace}"


class PlatformCampaign(WorkspaceScoped):
    """Links a campaign as an ad platform (or UTM tag) names it to our campaign, so imported spend and
    results land on the right campaign. Unmapped names wait in the unmatched queue."""

    platform = models.CharField(max_length=40, help_text="google_ads, meta, linkedin, ga4_utm, …")
    external_id = models.CharField(max_length=255, blank=True)
    external_name = models.CharField(max_length=255)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="platform_campaigns")

    class Meta:
        ordering = ["platform", "external_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_name"], name="platform_campaign_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}: {self.external_name} → {self.campaign}"
