"""Tasks and deliverables under campaigns, with checklists, comments and attachments."""

from django.conf import settings
from django.db import models

from opencmo.campaigns.models import Campaign
from opencmo.core.models import WorkspaceScoped
from opencmo.org.models import Activity


class Task(WorkspaceScoped):
    """A piece of work. Its RACI lives on its own activity; a deliverable (content piece, creative) is a
    task whose result is approved through the activity's approval flow."""

    class Kind(models.TextChoices):
        TASK = "task", "Task"
        DELIVERABLE = "deliverable", "Deliverable"

    class Status(models.TextChoices):
        BACKLOG = "backlog", "Backlog"
        TODO = "todo", "To do"
        DOING = "doing", "In progress"
        REVIEW = "review", "In review"
        DONE = "done", "Done"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TASK)
    deliverable_type = models.CharField(
        max_length=60, blank=True, help_text="For deliverables: blog post, ad creative, video, newsletter…"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.TODO, db_index=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    position = models.PositiveIntegerField(default=0, help_text="Order within its Kanban column.")
    completed_at = models.DateTimeField(null=True, blank=True)
    activity = models.OneToOneField(Activity, on_delete=models.RESTRICT, related_name="task")

    class Meta:
        ordering = ["status", "position", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(WorkspaceScoped):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=300)
    done = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Comment(WorkspaceScoped):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class Attachment(WorkspaceScoped):
    """A file on a task, stored under OPENCMO_DATA_DIR/media/attachments/<workspace id>/."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ReminderSent(WorkspaceScoped):
    """Dedupes reminders: one per task, kind and day, whichever worker sends it."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "kind", "day"], name="one_reminder_per_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.task} {self.day}"
