"""Budget plans as allocation trees, monthly phasing, commitments, actual spend with exchange rates,
and reallocation requests.

Invariant (property-tested): for every line, amount = sum(children's amounts) + reserve, reserve >= 0.
The reserve is derived (amount minus what is allocated below), so it can never drift.
"""

from django.conf import settings
from django.db import models

from opencmo.campaigns.models import Campaign, Channel
from opencmo.core.models import WorkspaceScoped, currency_code
from opencmo.org.models import Activity, ApprovalRequest, Person
from opencmo.strategy.models import Objective

MONEY = {"max_digits": 16, "decimal_places": 2}


class BudgetPlan(WorkspaceScoped):
    """One budget period (normally a fiscal year) in the workspace currency. Its RACI (who may request
    reallocations, who is told) lives on its activity."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    activity = models.OneToOneField(Activity, on_delete=models.RESTRICT, related_name="budget_plan")

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="budget_plan_name_unique"),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")), name="budget_plan_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetLine(WorkspaceScoped):
    """A node of the allocation tree: the plan total, then objective, channel, campaign lines."""

    class Level(models.TextChoices):
        TOTAL = "total", "Total"
        OBJECTIVE = "objective", "Objective"
        CHANNEL = "channel", "Channel"
        CAMPAIGN = "campaign", "Campaign"
        OTHER = "other", "Other"

    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    level = models.CharField(max_length=9, choices=Level.choices)
    name = models.CharField(max_length=200)
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.RESTRICT, related_name="budget_lines"
    )
    amount = models.DecimalField(**MONEY, default=0, help_text="Planned for the whole period.")
    accountable = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Gets over/under-spend alerts.",
    )

    class Meta:
        ordering = ["plan", "level", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_line_amount_not_negative"),
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(parent__isnull=True), name="one_root_line_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MonthlyAmount(WorkspaceScoped):
    """Phasing of a line by month: planned and forecast (committed and actual come from records)."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(help_text="First day of the month.")
    planned = models.DecimalField(**MONEY, default=0)
    forecast = models.DecimalField(**MONEY, null=True, blank=True, help_text="Empty: forecast = planned.")

    class Meta:
        ordering = ["line", "month"]
        constraints = [models.UniqueConstraint(fields=["line", "month"], name="one_amount_per_line_month")]

    def __str__(self) -> str:
        return f"{self.line} {self.month:%Y-%m}"


class Commitment(WorkspaceScoped):
    """Money promised but not yet spent: a purchase order or an agency agreement."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="commitments")
    supplier = models.CharField(max_length=150)
    reference = models.CharField(max_length=100, blank=True, help_text="PO or agreement number.")
    month = models.DateField(help_text="First day of the month it falls in.")
    amount = models.DecimalField(**MONEY)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["month", "supplier"]

    def __str__(self) -> str:
        return f"{self.supplier} {self.reference}".strip()


class ExchangeRate(WorkspaceScoped):
    """How many units of the workspace currency one unit of `currency` was worth on `date`."""

    currency = models.CharField(max_length=3, validators=[currency_code])
    date = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "currency", "date"], name="one_rate_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}: {self.rate}"


class SpendEntry(WorkspaceScoped):
    """Actual spend on one day, in the currency it was paid in and converted to the workspace currency
    at the stored rate. Entries not yet matched to a campaign wait in the unmatched queue."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported"

    date = models.DateField(db_index=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, validators=[currency_code])
    rate = models.DecimalField(max_digits=18, decimal_places=8, default=1)
    amount_base = models.DecimalField(**MONEY, help_text="In the workspace currency.")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.RESTRICT, related_name="spend"
    )
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.RESTRICT, related_name="spend"
    )
    line = models.ForeignKey(
        BudgetLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="spend"
    )
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.MANUAL)
    platform = models.CharField(max_length=40, blank=True, help_text="google_ads, meta, linkedin…")
    external_campaign = models.CharField(
        max_length=255, blank=True, help_text="Campaign id or name on the platform."
    )
    description = models.CharField(max_length=300, blank=True)
    natural_key = models.CharField(
        max_length=200, blank=True, help_text="Dedupes re-imports of the same row."
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "pk"]
        indexes = [models.Index(fields=["workspace", "date"]), models.Index(fields=["workspace", "campaign"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "natural_key"],
                condition=~models.Q(natural_key=""),
                name="spend_natural_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.currency}"


class ReallocationRequest(WorkspaceScoped):
    """Move money from one line to another, approved by whoever the authority rules route it to."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPLIED = "applied", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    plan = models.ForeignKey(BudgetPlan, on_delete=models.CASCADE, related_name="reallocations")
    from_line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="+")
    to_line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(**MONEY)
    reason = models.TextField()
    requested_by = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="+")
    approval = models.OneToOneField(
        ApprovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="reallocation"
    )
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="reallocation_positive")]

    def __str__(self) -> str:
        return f"{self.amount} from {self.from_line} to {self.to_line}"
