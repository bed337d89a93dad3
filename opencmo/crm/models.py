"""Customers: contacts and companies with custom fields, lifecycle stages and their transitions, first
touch, lead scoring, the hand-off to sales, segments, feedback (NPS/CSAT) and GDPR records (lawful basis
per purpose, consent, the register of processing activities, suppression, erasure and retention).

Personal data lives in: Contact, StageTransition, ContactEvent, ConsentRecord, ContactBasis, Handoff and
Feedback (comment). Erasure (opencmo.crm.gdpr.contact_erase) removes or anonymises every one of them and
scrubs the audit log; only a keyed hash of the address stays behind in Suppression.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from opencmo.campaigns.models import Campaign
from opencmo.core.models import WorkspaceScoped
from opencmo.org.models import Person

BUILTIN_STAGES: list[tuple[str, str]] = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("mql", "Marketing qualified lead (MQL)"),
    ("sql", "Sales qualified lead (SQL)"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Ambassador / evangelist"),
    ("other", "Other"),
]


class LawfulBasis(models.TextChoices):
    """GDPR Art. 6(1) (a)-(f)."""

    CONSENT = "consent", "Consent"
    CONTRACT = "contract", "Contract"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTEREST = "vital_interest", "Vital interest"
    PUBLIC_TASK = "public_task", "Public task"


class CrmSettings(WorkspaceScoped):
    """Per-workspace knobs for scoring, the hand-off to sales and retention."""

    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", "Round robin among the sales people"
        RULES = "rules", "Assignment rules first, then round robin"

    mql_threshold = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("50"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text="A subscriber or lead whose score reaches this becomes an MQL and is handed to sales.",
    )
    half_life_days = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text="Engagement points halve every this many days.",
    )
    sla_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="Sales must accept or reject a handed-over MQL within this many hours.",
    )
    assignment = models.CharField(max_length=12, choices=Assignment.choices, default=Assignment.ROUND_ROBIN)
    last_assigned = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    retention_enabled = models.BooleanField(
        default=False, help_text="Erase contacts inactive for longer than the period below (daily job)."
    )
    retention_days = models.PositiveIntegerField(
        default=3 * 365,
        validators=[MinValueValidator(30)],
        help_text="Inactive for this many days (3 years = 1095).",
    )

    class Meta:
        verbose_name_plural = "CRM settings"
        constraints = [models.UniqueConstraint(fields=["workspace"], name="crm_one_settings_per_workspace")]

    def __str__(self) -> str:
        return f"Customer settings of {self.workspace}"


class SuppressionKey(WorkspaceScoped):
    """The per-workspace secret keying the suppression hashes (HMAC-SHA256). Never copied to the audit log."""

    secret = models.CharField(max_length=64, default=secrets.token_hex, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="crm_one_suppression_key")]

    def __str__(self) -> str:
        return f"Suppression key of {self.workspace}"


class LifecycleStage(WorkspaceScoped):
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)
    is_builtin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="crm_stage_key_unique"),
            models.UniqueConstraint(fields=["workspace", "name"], name="crm_stage_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(WorkspaceScoped):
    """A field the workspace adds to contacts or companies; values live in their `custom` JSON."""

    class Entity(models.TextChoices):
        CONTACT = "contact", "Contact"
        COMPANY = "company", "Company"

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"

    entity = models.CharField(max_length=10, choices=Entity.choices, default=Entity.CONTACT)
    key = models.SlugField(max_length=40, help_text="Stored name, used in imports and segment rules.")
    label = models.CharField(max_length=80)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["entity", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "entity", "key"], name="crm_custom_field_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_entity_display().lower()})"


class Company(WorkspaceScoped):
    """An account: the organisation a B2B contact works for."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, help_text="example.com")
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=60, blank=True)
    city = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_companies"
    )
    custom = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Contact(WorkspaceScoped):
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    country = models.CharField(max_length=60, blank=True)
    city = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10, blank=True)
    stage = models.ForeignKey(LifecycleStage, on_delete=models.RESTRICT, related_name="contacts")
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    lead_status = models.CharField(max_length=60, blank=True, help_text="As the source CRM called it.")
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_contacts"
    )
    custom = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="Id in the CRM it came from.")
    notes = models.TextField(blank=True)
    # Source: the first touch, carried over from the anonymous visitor when they were identified.
    source = models.CharField(max_length=40, blank=True, help_text="How we got them: form, import, event…")
    first_touch_channel = models.CharField(max_length=60, blank=True)
    first_touch_campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="first_touch_contacts"
    )
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    anonymous_ids = models.JSONField(default=list, blank=True, help_text="Visitor ids identified as them.")
    # Lead score (a cache of opencmo.crm.scoring; the breakdown is recomputed on demand).
    score = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    fit_score = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    engagement_score = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    scored_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"], condition=~models.Q(email=""), name="crm_contact_email_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "stage"]), models.Index(fields=["workspace", "-score"])]

    def __str__(self) -> str:
        return self.full_name or self.email or f"Contact #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class StageTransition(WorkspaceScoped):
    """One move between lifecycle stages, with its date: the lifecycle history and the funnel's source."""

    class Reason(models.TextChoices):
        CREATED = "created", "Created"
        MANUAL = "manual", "Changed by hand"
        SCORE = "score", "Score reached the MQL threshold"
        IMPORT = "import", "Import"
        IDENTIFIED = "identified", "Visitor identified"
        ACCEPTED = "accepted", "Accepted by sales"
        REJECTED = "rejected", "Rejected by sales"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.ForeignKey(
        LifecycleStage, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    to_stage = models.ForeignKey(LifecycleStage, on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.MANUAL)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        start = self.from_stage.name if self.from_stage_id else "—"
        return f"{start} → {self.to_stage.name}"


class ContactEvent(WorkspaceScoped):
    """Something the contact did (opened, clicked, visited pricing, attended a webinar…): behaviour for
    segments and engagement points for the score."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.SlugField(max_length=60)
    occurred_at = models.DateTimeField()
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=30, blank=True, default="manual")

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "occurred_at"]),
            models.Index(fields=["workspace", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d}"


class ScoringRule(WorkspaceScoped):
    """Fit: points when an attribute matches. Engagement: points per event of a kind, decaying with age."""

    class Kind(models.TextChoices):
        FIT = "fit", "Fit (who they are)"
        ENGAGEMENT = "engagement", "Engagement (what they did)"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIT)
    name = models.CharField(max_length=120)
    field = models.CharField(max_length=80, blank=True, help_text="Fit: the attribute, e.g. job_title.")
    operator = models.CharField(max_length=12, blank=True)
    value = models.CharField(max_length=200, blank=True)
    event_kind = models.SlugField(max_length=60, blank=True, help_text="Engagement: the event kind.")
    points = models.DecimalField(max_digits=7, decimal_places=1)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class AssignmentRule(WorkspaceScoped):
    """Hand MQLs matching a condition to one sales person (first matching rule wins)."""

    name = models.CharField(max_length=120)
    field = models.CharField(max_length=80)
    operator = models.CharField(max_length=12)
    value = models.CharField(max_length=200, blank=True)
    assign_to = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignment_rules")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Handoff(WorkspaceScoped):
    """An MQL handed to a sales person, who must accept (→ SQL) or reject it with a reason within the SLA."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for sales"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    class RejectReason(models.TextChoices):
        NOT_A_FIT = "not_a_fit", "Not a fit (size, industry, region)"
        NO_BUDGET = "no_budget", "No budget or need now"
        NOT_REACHABLE = "not_reachable", "Could not reach them"
        BAD_DATA = "bad_data", "Wrong or incomplete contact data"
        DUPLICATE = "duplicate", "Duplicate or already in the pipeline"
        STUDENT_OR_COMPETITOR = "student_competitor", "Student, job seeker or competitor"
        OTHER = "other", "Other (explain)"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="handoffs")
    assigned_to = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="handoffs"
    )
    assigned_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    assignment_note = models.CharField(max_length=200, blank=True, help_text="Why this person.")
    score_at_handoff = models.DecimalField(max_digits=8, decimal_places=1, default=Decimal("0"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    note = models.TextField(blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_at", "-pk"]

    def __str__(self) -> str:
        return f"Hand-off of {self.contact} ({self.get_status_display().lower()})"

    def breached(self, now) -> bool:
        """Past the SLA: still waiting after the due time, or decided after it."""
        if self.status == self.Status.CANCELLED:
            return False
        return (self.decided_at or now) > self.due_at


class Purpose(WorkspaceScoped):
    """A purpose of processing and its entry in the register of processing activities (GDPR Art. 30)."""

    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    lawful_basis = models.CharField(
        max_length=20,
        choices=LawfulBasis.choices,
        default=LawfulBasis.CONSENT,
        help_text="The basis the organisation normally relies on for this purpose.",
    )
    consent_wording = models.TextField(
        blank=True, help_text="What our forms show when asking for consent (used when an import gives none)."
    )
    data_categories = models.TextField(blank=True, help_text="Categories of personal data processed.")
    data_subjects = models.CharField(max_length=300, blank=True, default="Customers and prospects")
    recipients = models.TextField(blank=True, help_text="Who receives the data (processors, partners).")
    transfers = models.TextField(blank=True, help_text="Transfers outside the EEA and their safeguard.")
    retention = models.CharField(max_length=300, blank=True, help_text="How long the data is kept.")
    safeguards = models.TextField(blank=True, help_text="Technical and organisational security measures.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="crm_purpose_key_unique")]

    def __str__(self) -> str:
        return self.name


class ContactBasis(WorkspaceScoped):
    """The lawful basis relied on for one contact and one purpose. Consent as a basis is only valid while
    a consent record is in force; the others within their dates and (for legitimate interest and public
    task) until the person objects."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="bases")
    purpose = models.ForeignKey(Purpose, on_delete=models.RESTRICT, related_name="bases")
    basis = models.CharField(max_length=20, choices=LawfulBasis.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="E.g. contract number, LIA reference.")
    objected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose__name"]
        verbose_name_plural = "contact bases"
        constraints = [
            models.UniqueConstraint(fields=["contact", "purpose"], name="crm_one_basis_per_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {self.get_basis_display()}"


class ConsentRecord(WorkspaceScoped):
    """A consent as given: when, where, the exact wording shown, and its withdrawal. Never edited,
    only withdrawn."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.RESTRICT, related_name="consents")
    given_at = models.DateTimeField()
    source = models.CharField(max_length=100, help_text="Where: web form, event sign-up, import, phone…")
    wording = models.TextField(help_text="The exact text the person agreed to.")
    evidence = models.CharField(max_length=200, blank=True, help_text="Form id, double opt-in reference…")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-given_at", "-pk"]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"Consent to {self.purpose} ({state})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Feedback(WorkspaceScoped):
    """An NPS (0-10) or CSAT (1-5) answer, linked to a contact and the campaign it is about."""

    class Kind(models.TextChoices):
        NPS = "nps", "NPS (0-10)"
        CSAT = "csat", "CSAT (1-5)"

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported"
        SURVEY = "survey", "Survey tool"

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.NPS)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    received_on = models.DateField(db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="nps") & models.Q(score__lte=10))
                | (models.Q(kind="csat") & models.Q(score__gte=1) & models.Q(score__lte=5)),
                name="crm_feedback_score_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' ')[0]} {self.score} on {self.received_on:%Y-%m-%d}"

    @property
    def nps_group(self) -> str:
        if self.kind != self.Kind.NPS:
            return ""
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


class ContactSegment(WorkspaceScoped):
    """A saved filter over contacts (attributes, lifecycle, behaviour, consent) with a live count."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    filters = models.JSONField(default=dict, blank=True)
    purpose = models.ForeignKey(
        Purpose,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="segments",
        help_text="What the list is for: only contacts with a valid lawful basis for it are exported.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="crm_segment_name_unique")]

    def __str__(self) -> str:
        return self.name


class Suppression(WorkspaceScoped):
    """An erased address, kept only as HMAC-SHA256(workspace key, normalised email), so an import or an
    identified visitor cannot bring the person back. Holds no personal data in readable form."""

    email_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=20, default="erasure")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "email_hash"], name="crm_suppression_unique")
        ]

    def __str__(self) -> str:
        return f"Suppressed address {self.email_hash[:10]}…"


class Erasure(WorkspaceScoped):
    """Accountability record of one erasure (who, when, why, what was removed). No personal data."""

    contact_ref = models.CharField(max_length=40, help_text="The erased contact's former id.")
    actor_label = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    suppressed = models.BooleanField(default=True)
    removed = models.JSONField(default=dict, blank=True, help_text="Rows removed or scrubbed, by kind.")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Erasure of {self.contact_ref} on {self.created_at:%Y-%m-%d}"

    def summary(self) -> str:
        """'2 lifecycle transitions, 4 events, …' from `removed`."""
        names = {
            "transitions": "lifecycle transitions",
            "events": "events",
            "consents": "consents",
            "lawful_bases": "lawful bases",
            "handoffs": "hand-offs",
            "feedback_anonymised": "feedback answers anonymised",
            "notifications": "notifications",
            "audit_rows_scrubbed": "audit rows scrubbed",
            "admin_log_rows": "admin-log rows scrubbed",
            "mentions_scrubbed": "other mentions scrubbed",
        }
        parts = [f"{self.removed[k]} {label}" for k, label in names.items() if self.removed.get(k)]
        handlers = self.removed.get("handlers") or []
        if handlers:
            parts.append(f"{len(handlers)} other store(s) asked to erase")
        return ", ".join(parts) or "nothing else held"


class RetentionRun(WorkspaceScoped):
    """One run of the retention policy (dry or real): the cut-off, what matched and what was erased."""

    dry_run = models.BooleanField(default=True)
    trigger = models.CharField(max_length=20, default="manual")
    actor_label = models.CharField(max_length=200)
    inactive_days = models.PositiveIntegerField()
    cutoff = models.DateTimeField()
    matched = models.PositiveIntegerField(default=0)
    erased = models.PositiveIntegerField(default=0)
    contact_refs = models.JSONField(default=list, blank=True, help_text="Ids of the matched contacts.")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        kind = "Dry run" if self.dry_run else "Run"
        return f"{kind} of the retention policy: {self.matched} matched, {self.erased} erased"
