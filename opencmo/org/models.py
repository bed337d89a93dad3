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
