"""Company goals, marketing objectives with KPI targets, target segments and the versioned brand strategy."""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped
from opencmo.org.models import Person


class CompanyGoal(WorkspaceScoped):
    """A long-term company goal the marketing strategy supports (e.g. "Double B2C revenue by 2028")."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    target_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Objective(WorkspaceScoped):
    class Horizon(models.TextChoices):
        SHORT = "short", "Short term (sales, launch)"
        LONG = "long", "Long term (brand)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        DROPPED = "dropped", "Dropped"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    goals = models.ManyToManyField(CompanyGoal, related_name="objectives", blank=True)
    horizon = models.CharField(max_length=5, choices=Horizon.choices, default=Horizon.SHORT)
    owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
        help_text="Accountable for the objective.",
    )
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="objective_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Kpi(WorkspaceScoped):
    """A measurable result of an objective: from baseline to target over a period."""

    class Unit(models.TextChoices):
        COUNT = "count", "Count"
        PERCENT = "percent", "Percent"
        CURRENCY = "currency", "Money (workspace currency)"
        RATIO = "ratio", "Ratio"
        SCORE = "score", "Score"

    class Direction(models.TextChoices):
        UP = "up", "Higher is better"
        DOWN = "down", "Lower is better"

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORTED = "imported", "Imported metric"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=150)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.COUNT)
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    target = models.DecimalField(max_digits=16, decimal_places=4)
    period_start = models.DateField()
    period_end = models.DateField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    metric_key = models.CharField(
        max_length=60, blank=True, help_text="For imported actuals: the metric name in the analytics store."
    )
    cumulative = models.BooleanField(
        default=True, help_text="Actuals add up over the period (leads) rather than being a level (NPS)."
    )

    class Meta:
        ordering = ["objective", "name"]
        verbose_name = "KPI"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="kpi_period_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class KpiActual(WorkspaceScoped):
    """One observation of a KPI (manual now; imported later)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="actuals")
    date = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=4)
    note = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kpi", "date"]
        constraints = [models.UniqueConstraint(fields=["kpi", "date"], name="one_actual_per_kpi_and_date")]

    def __str__(self) -> str:
        return f"{self.kpi} on {self.date}: {self.value}"


class Segment(WorkspaceScoped):
    """A target segment campaigns aim at (e.g. "Nordic sports retailers", "Urban hikers 25-40")."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_b2b = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="segment_name_unique")]

    def __str__(self) -> str:
        return self.name


class StrategyVersion(WorkspaceScoped):
    """The brand and marketing strategy as one versioned document. A change is a new version, proposed
    and approved by someone with strategy authority (the CMO); the approved one in force is `is_current`."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    positioning = models.TextField("positioning statement", blank=True)
    segments = models.ManyToManyField(Segment, related_name="strategies", blank=True)
    tone_of_voice = models.TextField(blank=True)
    competitors = models.TextField(blank=True)
    trends = models.TextField("trend notes", blank=True)
    change_summary = models.CharField(max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="strategy_version_number")
        ]

    def __str__(self) -> str:
        return f"Strategy v{self.number} ({self.get_status_display()})"
