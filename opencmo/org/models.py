"""People, their roles ("hats") and reporting lines."""

from django.conf import settings
from django.db import models

from opencmo.core.models import WorkspaceScoped

# The roles the source documents name. Each workspace gets these on creation and may add custom ones.
BUILTIN_ROLES: list[tuple[str, str, str]] = [
    ("executive", "Executive (CEO/board)", "Sets company goals; the CMO reports here."),
    ("cmo", "CMO", "Owns marketing strategy, brand and positioning, budget allocation and results."),
    (
        "marketing_manager",
        "Marketing manager",
        "Runs daily operations: campaigns, budget monitoring, agencies; limited decision authority.",
    ),
    ("strategist", "Marketing strategist", "Sets direction and goals for marketing."),
    ("project_lead", "Project lead", "Coordinates campaigns, owners and deadlines."),
    ("content_producer", "Content producer", "Produces text, images and video."),
    ("analyst", "Analyst", "Measures results, collects data and turns it into insight."),
    ("social_media", "Social media", "Owns the social-media channels."),
    ("seo", "SEO specialist", "Search visibility and organic content."),
    ("designer", "Graphic designer", "House style and visual production."),
    ("agency", "External agency", "Works under the marketing manager on agreed deliverables."),
    ("sales", "Sales", "Turns marketing leads into customers."),
    ("customer_service", "Customer service", "Brings customer feedback into the marketing message."),
]


class Role(WorkspaceScoped):
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_builtin = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_builtin", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="role_key_unique_in_workspace"),
            models.UniqueConstraint(fields=["workspace", "name"], name="role_name_unique_in_workspace"),
        ]

    def __str__(self) -> str:
        return self.name


class Person(WorkspaceScoped):
    """Someone in the marketing organisation. May have a login (user) or not (e.g. a board member)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    title = models.CharField(max_length=150, blank=True, help_text="Job title as printed on a business card.")
    organisation = models.CharField(
        max_length=150, blank=True, help_text="Leave empty for staff; the agency's name for agency people."
    )
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    roles = models.ManyToManyField(Role, through="RoleAssignment", related_name="people", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"],
                condition=models.Q(user__isnull=False),
                name="one_person_per_user_in_workspace",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return bool(self.organisation)


class RoleAssignment(WorkspaceScoped):
    """One hat worn by one person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        ordering = ["role__name"]
        constraints = [models.UniqueConstraint(fields=["person", "role"], name="one_assignment_per_role")]

    def __str__(self) -> str:
        return f"{self.person} as {self.role}"


class DecisionKind(models.TextChoices):
    BUDGET = "budget", "Budget spend"
    CONTENT = "content", "Content publication"
    LAUNCH = "launch", "Campaign launch"
    STRATEGY = "strategy", "Strategy change"


class DecisionAuthority(WorkspaceScoped):
    """What a role or a person may approve. For budgets, up to `max_amount` in the workspace currency
    (empty = no limit); for the other kinds the grant itself is the authority."""

    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.CASCADE, related_name="authorities"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="authorities"
    )
    max_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["kind", "role__name", "person__name"]
        verbose_name_plural = "decision authorities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__isnull=True) ^ models.Q(person__isnull=True),
                name="authority_for_role_xor_person",
            ),
            models.UniqueConstraint(fields=["kind", "role"], name="one_authority_per_role_and_kind"),
            models.UniqueConstraint(fields=["kind", "person"], name="one_authority_per_person_and_kind"),
            models.CheckConstraint(
                condition=models.Q(max_amount__isnull=True) | models.Q(max_amount__gte=0),
                name="authority_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        holder = self.person or self.role
        limit = "no limit" if self.max_amount is None else f"up to {self.max_amount}"
        return (
            f"{holder}: {self.get_kind_display()} ({limit})"
            if self.kind == DecisionKind.BUDGET
            else (f"{holder}: {self.get_kind_display()}")
        )


class OrgPolicy(WorkspaceScoped):
    """Per-workspace thresholds for RACI findings and the self-approval rule."""

    max_accountable = models.PositiveSmallIntegerField(
        default=8, help_text="Warn when one person is Accountable for more activities than this."
    )
    max_responsible_open = models.PositiveSmallIntegerField(
        default=10, help_text="Warn when one person is Responsible for more open activities than this."
    )
    allow_recorded_self_approval = models.BooleanField(
        default=False,
        help_text="One-person teams: let someone approve their own work with a written justification "
        "instead of asking a second approver.",
    )

    class Meta:
        verbose_name_plural = "org policies"
        constraints = [models.UniqueConstraint(fields=["workspace"], name="one_policy_per_workspace")]

    def __str__(self) -> str:
        return f"Policy of {self.workspace}"


class Activity(WorkspaceScoped):
    """Anything a RACI matrix is drawn for: a recurring process, a deliverable type, a campaign or a task.
    Campaigns and tasks (later issues) each own one Activity, so RACI rules apply to them unchanged."""

    class Kind(models.TextChoices):
        PROCESS = "process", "Recurring process"
        DELIVERABLE = "deliverable", "Deliverable type"
        CAMPAIGN = "campaign", "Campaign"
        TASK = "task", "Task"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PROCESS)
    description = models.TextField(blank=True)
    creates_leads = models.BooleanField(default=False, help_text="Sales should at least be Informed.")
    restricted = models.BooleanField(
        default=False, help_text="Only the people on its RACI (and administrators) can see it."
    )
    is_open = models.BooleanField(default=True, help_text="Closed by the Accountable person.")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "activities"
        constraints = [
            # Processes and deliverable types are named once; many tasks may share a title.
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=models.Q(kind__in=["process", "deliverable", "other"]),
                name="activity_name_unique_in_workspace",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Letter(models.TextChoices):
    R = "R", "Responsible"
    A = "A", "Accountable"
    C = "C", "Consulted"
    I = "I", "Informed"  # noqa: E741 - the letter of the RACI model


class RaciEntry(WorkspaceScoped):
    """One letter for one person or one role on one activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="raci")
    letter = models.CharField(max_length=1, choices=Letter.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="raci")
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="raci")

    class Meta:
        ordering = ["activity__name", "letter"]
        verbose_name_plural = "RACI entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__isnull=True) ^ models.Q(person__isnull=True),
                name="raci_for_role_xor_person",
            ),
            models.UniqueConstraint(fields=["activity", "letter", "person"], name="raci_person_letter_once"),
            models.UniqueConstraint(fields=["activity", "letter", "role"], name="raci_role_letter_once"),
        ]

    def __str__(self) -> str:
        return f"{self.letter}: {self.person or self.role} on {self.activity}"


class ApprovalRequest(WorkspaceScoped):
    """A request for the Accountable person (or whoever the authority rules escalate to) to approve an
    activity's work: C sign-offs first, then the decision."""

    class Status(models.TextChoices):
        CONSULTING = "consulting", "Waiting for sign-off"
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="approval_requests")
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    summary = models.CharField(max_length=300)
    requested_by = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="+")
    approver = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="approvals_to_decide")
    route = models.JSONField(default=list, blank=True, help_text="Why this approver: the escalation path.")
    self_approval = models.BooleanField(default=False, help_text="The approver is approving their own work.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONSULTING)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.CONSULTING, self.Status.PENDING}


class SignOff(WorkspaceScoped):
    """A Consulted person's answer on an approval request."""

    class Decision(models.TextChoices):
        WAITING = "waiting", "Waiting"
        AGREED = "agreed", "Agreed"
        OBJECTED = "objected", "Objected"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="signoffs")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="signoffs")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.WAITING)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person__name"]
        constraints = [models.UniqueConstraint(fields=["request", "person"], name="one_signoff_per_person")]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_decision_display()}"


class RoleReview(WorkspaceScoped):
    """A planned evaluation point of roles and responsibilities, with what was found then."""

    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Role review {self.created_at:%Y-%m-%d}"
