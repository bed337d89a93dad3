"""Review cycles, the reviews held in them, and what each meeting decided.

A review's pack is generated from live data until the meeting closes; then it is frozen as JSON in
`Review.pack`, so the record stays what was discussed even when the data behind it changes later.
"""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped
from opencmo.org.models import Person


class ReviewCycle(WorkspaceScoped):
    """A recurring review (weekly status, monthly marketing review, quarterly strategy review)."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly status"
        MONTHLY = "monthly", "Monthly marketing review"
        QUARTERLY = "quarterly", "Quarterly strategy review"

    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Every month"
        QUARTERLY = "quarterly", "Every quarter"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=150)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    next_date = models.DateField(help_text="When the next review after the scheduled one takes place.")
    chair = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="chaired_review_cycles")
    participants = models.ManyToManyField(Person, related_name="review_cycles", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="review_cycle_name_unique_in_workspace"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Review(WorkspaceScoped):
    """One meeting of a cycle, about one period."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_MEETING = "meeting", "In meeting"
        CLOSED = "closed", "Closed"

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews")
    period_start = models.DateField()
    period_end = models.DateField()
    scheduled_for = models.DateField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True, help_text="Minutes: what was discussed.")
    pack = models.JSONField(null=True, blank=True, help_text="The pack as discussed, frozen at close.")
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "scheduled_for"], name="one_review_per_cycle_and_day"),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")), name="review_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.name} {self.scheduled_for:%Y-%m-%d}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class ReviewDecision(WorkspaceScoped):
    """Something the meeting decided, with its owner and how it was followed up."""

    class FollowUp(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions"
    )
    follow_up = models.CharField(max_length=8, choices=FollowUp.choices, default=FollowUp.OPEN)
    follow_up_notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class ReviewAction(WorkspaceScoped):
    """An action agreed in the meeting; the work itself is a Task (with its RACI) in the work app."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    decision = models.ForeignKey(
        ReviewDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    task = models.ForeignKey(
        "work.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="review_actions"
    )
    title = models.CharField(max_length=200, help_text="Kept when the task is deleted later.")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class ReviewReallocation(WorkspaceScoped):
    """A budget reallocation asked for in the meeting; it goes through approval like any other."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reallocations")
    request = models.OneToOneField(
        "budget.ReallocationRequest", on_delete=models.CASCADE, related_name="review_link"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.review}: {self.request}"
