"""Writes for customers: settings and defaults, lifecycle stages, custom fields, companies, contacts and
their lifecycle transitions, identification of visitors, events and lead scoring, the hand-off to sales
with its SLA, segments and feedback. GDPR writes (consent, bases, register, erasure, retention) are in
opencmo.crm.gdpr; imports in opencmo.crm.imports.

Every function takes the acting user (`None` = the system), checks permission, runs in one transaction
and records each change in the audit log.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from opencmo.campaigns.models import Campaign, PlatformCampaign
from opencmo.core import audit
from opencmo.core.models import Workspace
from opencmo.core.notifications import notify
from opencmo.core.permissions import check_fields
from opencmo.crm import access, conditions, scoring
from opencmo.crm.models import (
    BUILTIN_STAGES,
    AssignmentRule,
    Company,
    Contact,
    ContactEvent,
    ContactSegment,
    CrmSettings,
    CustomField,
    Feedback,
    Handoff,
    LawfulBasis,
    LifecycleStage,
    Purpose,
    ScoringRule,
    StageTransition,
    SuppressionKey,
)
from opencmo.crm.values import clean_custom, clean_email
from opencmo.org.models import Person
from opencmo.webhooks import events as webhook_events

Reason = StageTransition.Reason

CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "company",
    "country",
    "city",
    "language",
    "owner",
    "custom",
    "external_id",
    "notes",
    "lead_status",
    "source",
    "first_touch_channel",
    "first_touch_campaign",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "first_touch_at",
    "anonymous_ids",
)
COMPANY_FIELDS = ("name", "domain", "industry", "employees", "country", "city", "owner", "custom", "notes")
SETTINGS_FIELDS = (
    "mql_threshold",
    "half_life_days",
    "sla_hours",
    "assignment",
    "retention_enabled",
    "retention_days",
)
# Stages before MQL that a score may promote; the hand-off needs these keys to exist.
PROMOTABLE = ("subscriber", "lead")
REQUIRED_STAGES = ("subscriber", "lead", "mql", "sql", "customer")
EVENT_KINDS = [
    ("email_open", "Opened an email"),
    ("email_click", "Clicked in an email"),
    ("page_view", "Visited the website"),
    ("pricing_visit", "Visited the pricing page"),
    ("content_download", "Downloaded content"),
    ("form_submit", "Submitted a form"),
    ("webinar_attended", "Attended a webinar"),
    ("event_attended", "Met us at an event"),
    ("demo_request", "Asked for a demo"),
    ("purchase", "Bought something"),
]

DEFAULT_PURPOSES = [
    {
        "key": "newsletter",
        "name": "Email newsletter and offers",
        "lawful_basis": LawfulBasis.CONSENT,
        "description": "Sending our newsletter, product news and offers by email.",
        "consent_wording": "Yes, send me news and offers by email. I can unsubscribe at any time.",
        "data_categories": "Name, email address, language, what was opened and clicked.",
        "recipients": "Our email service provider (data processor under a DPA).",
        "retention": "Until consent is withdrawn; then only a hashed suppression entry.",
        "safeguards": "Access limited to the marketing team; TLS in transit; processor bound by a DPA.",
    },
    {
        "key": "sales_followup",
        "name": "Sales follow-up of business leads",
        "lawful_basis": LawfulBasis.LEGITIMATE_INTEREST,
        "description": "Contacting business leads who showed interest, by email and phone.",
        "data_categories": "Name, business email and phone, job title, company, interactions, lead score.",
        "recipients": "Our sales team.",
        "retention": "3 years after the last interaction.",
        "safeguards": "Role-based access; legitimate-interest assessment on file; objections honoured.",
    },
    {
        "key": "customer_relationship",
        "name": "Customer relationship and service",
        "lawful_basis": LawfulBasis.CONTRACT,
        "description": "Serving customers: orders, deliveries, support.",
        "data_categories": "Name, contact details, orders, support history.",
        "recipients": "Customer service; logistics partners.",
        "retention": "As long as the customer relationship lasts, then as bookkeeping law requires.",
        "safeguards": "Role-based access; audit log.",
    },
    {
        "key": "feedback_surveys",
        "name": "Customer feedback surveys (NPS/CSAT)",
        "lawful_basis": LawfulBasis.LEGITIMATE_INTEREST,
        "description": "Asking customers how satisfied they are, to improve products and messaging.",
        "data_categories": "Name, email, scores and comments.",
        "recipients": "Marketing and customer service; survey tool (processor).",
        "retention": "3 years; comments are removed when the person is erased.",
        "safeguards": "Access limited to marketing and customer service.",
    },
    {
        "key": "ad_audiences",
        "name": "Custom audiences on ad platforms",
        "lawful_basis": LawfulBasis.CONSENT,
        "description": "Uploading hashed email addresses to ad platforms to show or exclude ads.",
        "consent_wording": "Yes, you may use my email address to show me relevant ads on social media.",
        "data_categories": "Hashed email address.",
        "recipients": "Meta, Google, LinkedIn (joint controllers for the matching).",
        "transfers": "USA: EU-US Data Privacy Framework and standard contractual clauses.",
        "retention": "Audiences refreshed monthly; removed when consent is withdrawn.",
        "safeguards": "Only hashed addresses leave; uploads limited to administrators.",
    },
]
DEFAULT_RULES = [
    ("fit", "Marketing role", "job_title", "contains", "market", "", Decimal("10")),
    ("fit", "Senior role", "job_title", "contains", "head", "", Decimal("10")),
    ("fit", "Company with 50+ employees", "company.employees", "gte", "50", "", Decimal("15")),
    ("fit", "Nordic country", "country", "in", "NO,SE,DK,FI,IS", "", Decimal("5")),
    (
        "fit",
        "Free email address",
        "email_domain",
        "in",
        "gmail.com,hotmail.com,outlook.com,yahoo.com",
        "",
        -10,
    ),
    ("engagement", "Email click", "", "", "", "email_click", Decimal("3")),
    ("engagement", "Pricing page visit", "", "", "", "pricing_visit", Decimal("10")),
    ("engagement", "Content download", "", "", "", "content_download", Decimal("8")),
    ("engagement", "Form submitted", "", "", "", "form_submit", Decimal("15")),
    ("engagement", "Webinar attended", "", "", "", "webinar_attended", Decimal("20")),
    ("engagement", "Demo requested", "", "", "", "demo_request", Decimal("40")),
]


def contact_url(contact: Contact) -> str:
    return reverse("contact_detail", kwargs={"ws": contact.workspace.slug, "contact_pk": contact.pk})


def _same_workspace(workspace: Workspace, obj, field: str) -> None:
    if obj is not None and obj.workspace_id != workspace.pk:
        raise ValidationError({field: "That belongs to another workspace."})


# --- settings and defaults ------------------------------------------------------------------------


def ensure_defaults(workspace: Workspace) -> CrmSettings:
    """The workspace's CRM settings, creating them with the built-in stages, the suggested register of
    processing activities, starter scoring rules and the suppression key on first use."""
    found = CrmSettings.objects.filter(workspace=workspace).first()
    if found is not None:
        return found
    with transaction.atomic():
        crm, created = CrmSettings.objects.get_or_create(workspace=workspace)
        if not created:
            return crm
        audit.record_create(actor=None, workspace=workspace, obj=crm)
        for position, (key, name) in enumerate(BUILTIN_STAGES):
            stage, made = LifecycleStage.objects.get_or_create(
                workspace=workspace,
                key=key,
                defaults={"name": name, "position": position * 10, "is_builtin": True},
            )
            if made:
                audit.record_create(actor=None, workspace=workspace, obj=stage)
        for spec in DEFAULT_PURPOSES:
            purpose, made = Purpose.objects.get_or_create(
                workspace=workspace, key=spec["key"], defaults={k: v for k, v in spec.items() if k != "key"}
            )
            if made:
                audit.record_create(actor=None, workspace=workspace, obj=purpose)
        if not ScoringRule.objects.filter(workspace=workspace).exists():
            for position, (kind, name, field, op, value, event_kind, points) in enumerate(DEFAULT_RULES):
                rule = ScoringRule.objects.create(
                    workspace=workspace,
                    kind=kind,
                    name=name,
                    field=field,
                    operator=op,
                    value=value,
                    event_kind=event_kind,
                    points=Decimal(points),
                    position=position,
                )
                audit.record_create(actor=None, workspace=workspace, obj=rule)
        key, made = SuppressionKey.objects.get_or_create(workspace=workspace)
        if made:  # the secret itself never goes into the log
            audit.record(actor=None, workspace=workspace, action="create", obj=key, changes={"secret": "set"})
    return crm


def settings_update(*, actor, workspace: Workspace, **fields) -> CrmSettings:
    access.require_admin(actor, workspace)
    check_fields(fields, SETTINGS_FIELDS, "settings")
    crm = ensure_defaults(workspace)
    with transaction.atomic():
        crm = CrmSettings.objects.select_for_update().get(pk=crm.pk)
        before = audit.snapshot(crm)
        for name, value in fields.items():
            setattr(crm, name, value)
        crm.full_clean(exclude=["workspace", "last_assigned"])
        crm.save()
        audit.record_update(actor=actor, workspace=workspace, obj=crm, before=before)
    return crm


def stage(workspace: Workspace, key: str) -> LifecycleStage:
    ensure_defaults(workspace)
    return LifecycleStage.objects.get(workspace=workspace, key=key)


def stages(workspace: Workspace, *, active_only: bool = True):
    ensure_defaults(workspace)
    qs = LifecycleStage.objects.filter(workspace=workspace)
    return qs.filter(is_active=True) if active_only else qs


def _check_stage_name(workspace: Workspace, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A stage needs a name."})
    if LifecycleStage.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"There is already a stage called “{name}”."})
    return name


@transaction.atomic
def stage_create(*, actor, workspace: Workspace, name: str, position: int | None = None) -> LifecycleStage:
    access.require_admin(actor, workspace)
    ensure_defaults(workspace)
    name = _check_stage_name(workspace, name)
    base = slugify(name)[:30] or "stage"
    key, n = base, 1
    while LifecycleStage.objects.filter(workspace=workspace, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    if position is None:
        last = LifecycleStage.objects.filter(workspace=workspace).order_by("-position").first()
        position = (last.position + 10) if last else 0
    made = LifecycleStage.objects.create(workspace=workspace, key=key, name=name, position=position)
    audit.record_create(actor=actor, workspace=workspace, obj=made)
    return made


@transaction.atomic
def stage_update(
    *, actor, stage: LifecycleStage, name: str, position: int, is_active: bool = True
) -> LifecycleStage:
    access.require_admin(actor, stage.workspace)
    before = audit.snapshot(stage)
    stage.name = _check_stage_name(stage.workspace, name, exclude_pk=stage.pk)
    stage.position = position
    if not is_active and stage.is_builtin:
        raise ValidationError({"is_active": "Built-in stages can be renamed and moved, not switched off."})
    if not is_active and stage.contacts.exists():
        raise ValidationError({"is_active": "Contacts are in this stage; move them first."})
    stage.is_active = is_active
    stage.save()
    audit.record_update(actor=actor, workspace=stage.workspace, obj=stage, before=before)
    return stage


@transaction.atomic
def stage_delete(*, actor, stage: LifecycleStage) -> None:
    access.require_admin(actor, stage.workspace)
    if stage.is_builtin:
        raise ValidationError("Built-in stages cannot be deleted; the hand-off and reports rely on them.")
    if stage.contacts.exists() or StageTransition.objects.filter(to_stage=stage).exists():
        raise ValidationError("Contacts are or were in this stage; switch it off instead of deleting it.")
    StageTransition.objects.filter(from_stage=stage).update(from_stage=None)
    audit.record_delete(actor=actor, workspace=stage.workspace, obj=stage)
    stage.delete()


# --- custom fields --------------------------------------------------------------------------------


def _clean_definition(definition: CustomField) -> None:
    if not definition.label.strip():
        raise ValidationError({"label": "A field needs a label."})
    if definition.type == CustomField.Type.CHOICE:
        options = [str(c).strip() for c in definition.choices or [] if str(c).strip()]
        if not options:
            raise ValidationError({"choices": "A choice field needs at least one option."})
        if len({o.lower() for o in options}) != len(options):
            raise ValidationError({"choices": "Each option must be different."})
        definition.choices = options
    else:
        definition.choices = []


@transaction.atomic
def customfield_create(
    *,
    actor,
    workspace: Workspace,
    label: str,
    type: str = CustomField.Type.TEXT,
    entity: str = CustomField.Entity.CONTACT,
    choices: list | None = None,
    required: bool = False,
    help_text: str = "",
    key: str = "",
    position: int = 0,
) -> CustomField:
    access.require_admin(actor, workspace)
    key = slugify(key or label).replace("-", "_")[:40]
    if not key:
        raise ValidationError({"label": "Give the field a label with letters or digits."})
    if CustomField.objects.filter(workspace=workspace, entity=entity, key=key).exists():
        raise ValidationError({"label": f"There is already a {entity} field with the key “{key}”."})
    definition = CustomField(
        workspace=workspace,
        entity=entity,
        key=key,
        label=label.strip(),
        type=type,
        choices=choices or [],
        required=required,
        help_text=help_text,
        position=position,
    )
    _clean_definition(definition)
    definition.full_clean(exclude=["workspace"])
    definition.save()
    audit.record_create(actor=actor, workspace=workspace, obj=definition)
    return definition


@transaction.atomic
def customfield_update(*, actor, definition: CustomField, **fields) -> CustomField:
    access.require_admin(actor, definition.workspace)
    check_fields(fields, ("label", "choices", "required", "help_text", "position"), "custom field")
    before = audit.snapshot(definition)
    for name, value in fields.items():
        setattr(definition, name, value)
    _clean_definition(definition)
    definition.full_clean(exclude=["workspace"])
    definition.save()
    audit.record_update(actor=actor, workspace=definition.workspace, obj=definition, before=before)
    return definition


@transaction.atomic
def customfield_delete(*, actor, definition: CustomField) -> int:
    """Delete a field definition and its values on every contact or company; returns how many rows
    lost a value. The values are not copied to the audit log."""
    access.require_admin(actor, definition.workspace)
    model = Contact if definition.entity == CustomField.Entity.CONTACT else Company
    touched = 0
    for row in model.objects.filter(workspace=definition.workspace, custom__has_key=definition.key):
        row.custom.pop(definition.key, None)
        model.objects.filter(pk=row.pk).update(custom=row.custom)
        touched += 1
    audit.record_delete(actor=actor, workspace=definition.workspace, obj=definition)
    definition.delete()
    return touched


# --- scoring and assignment rules -----------------------------------------------------------------


def _clean_rule(workspace: Workspace, rule: ScoringRule) -> None:
    if not rule.name.strip():
        raise ValidationError({"name": "A rule needs a name."})
    if rule.points is None:
        raise ValidationError({"points": "How many points?"})
    if rule.kind == ScoringRule.Kind.FIT:
        conditions.validate(workspace, rule.field, rule.operator, rule.value)
        rule.event_kind = ""
    elif rule.kind == ScoringRule.Kind.ENGAGEMENT:
        rule.event_kind = slugify(rule.event_kind).replace("-", "_")
        if not rule.event_kind:
            raise ValidationError({"event_kind": "Which kind of event earns the points?"})
        rule.field, rule.operator, rule.value = "", "", ""
    else:
        raise ValidationError({"kind": "Choose fit or engagement."})


RULE_FIELDS = ("kind", "name", "field", "operator", "value", "event_kind", "points", "position", "is_active")


@transaction.atomic
def scoringrule_create(*, actor, workspace: Workspace, **fields) -> ScoringRule:
    access.require_admin(actor, workspace)
    check_fields(fields, RULE_FIELDS, "scoring rule")
    rule = ScoringRule(workspace=workspace, **fields)
    _clean_rule(workspace, rule)
    rule.full_clean(exclude=["workspace"])
    rule.save()
    audit.record_create(actor=actor, workspace=workspace, obj=rule)
    return rule


@transaction.atomic
def scoringrule_update(*, actor, rule: ScoringRule, **fields) -> ScoringRule:
    access.require_admin(actor, rule.workspace)
    check_fields(fields, RULE_FIELDS, "scoring rule")
    before = audit.snapshot(rule)
    for name, value in fields.items():
        setattr(rule, name, value)
    _clean_rule(rule.workspace, rule)
    rule.full_clean(exclude=["workspace"])
    rule.save()
    audit.record_update(actor=actor, workspace=rule.workspace, obj=rule, before=before)
    return rule


@transaction.atomic
def scoringrule_delete(*, actor, rule: ScoringRule) -> None:
    access.require_admin(actor, rule.workspace)
    audit.record_delete(actor=actor, workspace=rule.workspace, obj=rule)
    rule.delete()


ASSIGNMENT_FIELDS = ("name", "field", "operator", "value", "assign_to", "position", "is_active")


def _clean_assignment(workspace: Workspace, rule: AssignmentRule) -> None:
    if not rule.name.strip():
        raise ValidationError({"name": "A rule needs a name."})
    conditions.validate(workspace, rule.field, rule.operator, rule.value)
    _same_workspace(workspace, rule.assign_to, "assign_to")
    if not access.sales_people(workspace).filter(pk=rule.assign_to.pk).exists():
        raise ValidationError(
            {"assign_to": f"{rule.assign_to} does not wear the sales hat (or cannot log in)."}
        )


@transaction.atomic
def assignmentrule_create(*, actor, workspace: Workspace, **fields) -> AssignmentRule:
    access.require_admin(actor, workspace)
    check_fields(fields, ASSIGNMENT_FIELDS, "assignment rule")
    rule = AssignmentRule(workspace=workspace, **fields)
    _clean_assignment(workspace, rule)
    rule.save()
    audit.record_create(actor=actor, workspace=workspace, obj=rule)
    return rule


@transaction.atomic
def assignmentrule_update(*, actor, rule: AssignmentRule, **fields) -> AssignmentRule:
    access.require_admin(actor, rule.workspace)
    check_fields(fields, ASSIGNMENT_FIELDS, "assignment rule")
    before = audit.snapshot(rule)
    for name, value in fields.items():
        setattr(rule, name, value)
    _clean_assignment(rule.workspace, rule)
    rule.save()
    audit.record_update(actor=actor, workspace=rule.workspace, obj=rule, before=before)
    return rule


@transaction.atomic
def assignmentrule_delete(*, actor, rule: AssignmentRule) -> None:
    access.require_admin(actor, rule.workspace)
    audit.record_delete(actor=actor, workspace=rule.workspace, obj=rule)
    rule.delete()


# --- companies ------------------------------------------------------------------------------------


def _clean_company(company: Company) -> None:
    company.name = (company.name or "").strip()
    if not company.name:
        raise ValidationError({"name": "A company needs a name."})
    clash = Company.objects.filter(workspace=company.workspace, name__iexact=company.name).exclude(
        pk=company.pk
    )
    if clash.exists():
        raise ValidationError({"name": f"There is already a company called “{company.name}”."})
    company.domain = (company.domain or "").strip().lower().removeprefix("https://").removeprefix("http://")
    company.domain = company.domain.removeprefix("www.").rstrip("/")
    _same_workspace(company.workspace, company.owner, "owner")
    company.custom = clean_custom(company.workspace, CustomField.Entity.COMPANY, company.custom or {})


@transaction.atomic
def company_create(*, actor, workspace: Workspace, **fields) -> Company:
    access.require_member(actor, workspace, write=True)
    check_fields(fields, COMPANY_FIELDS, "company")
    company = Company(workspace=workspace, **fields)
    _clean_company(company)
    company.full_clean(exclude=["workspace", "owner"])
    company.save()
    audit.record_create(actor=actor, workspace=workspace, obj=company)
    return company


@transaction.atomic
def company_update(*, actor, company: Company, **fields) -> Company:
    access.require_member(actor, company.workspace, write=True)
    check_fields(fields, COMPANY_FIELDS, "company")
    before = audit.snapshot(company)
    for name, value in fields.items():
        setattr(company, name, value)
    _clean_company(company)
    company.full_clean(exclude=["workspace", "owner"])
    company.save()
    audit.record_update(actor=actor, workspace=company.workspace, obj=company, before=before)
    return company


@transaction.atomic
def company_delete(*, actor, company: Company) -> int:
    """Delete a company; its contacts stay, without a company. Returns how many contacts it had."""
    access.require_member(actor, company.workspace, write=True)
    contacts = list(company.contacts.all())
    for contact in contacts:
        before = audit.snapshot(contact)
        contact.company = None
        contact.save(update_fields=["company", "updated_at"])
        audit.record_update(actor=actor, workspace=company.workspace, obj=contact, before=before)
    audit.record_delete(actor=actor, workspace=company.workspace, obj=company)
    company.delete()
    return len(contacts)


# --- contacts -------------------------------------------------------------------------------------


def _clean_contact(contact: Contact) -> None:
    from opencmo.crm.gdpr import is_suppressed

    workspace = contact.workspace
    errors: dict[str, str] = {}
    try:
        contact.email = clean_email(contact.email)
    except ValidationError as error:
        errors["email"] = " ".join(error.messages)
    for name in ("first_name", "last_name", "phone", "job_title", "country", "city", "language"):
        setattr(contact, name, (getattr(contact, name) or "").strip())
    if len(contact.country) == 2:
        contact.country = contact.country.upper()
    if contact.email and "email" not in errors:
        if Contact.objects.filter(workspace=workspace, email=contact.email).exclude(pk=contact.pk).exists():
            errors["email"] = f"There is already a contact with the address {contact.email}."
        elif is_suppressed(workspace, contact.email):
            errors["email"] = (
                "This address belongs to a person who was erased at their request; it may not be added again."
            )
    if not (contact.email or contact.first_name or contact.last_name):
        errors["email"] = "Give at least an email address or a name."
    for field in ("company", "owner", "first_touch_campaign"):
        related = getattr(contact, field)
        if related is not None and related.workspace_id != workspace.pk:
            errors[field] = "That belongs to another workspace."
    if errors:
        raise ValidationError(errors)
    contact.custom = clean_custom(workspace, CustomField.Entity.CONTACT, contact.custom or {})
    if not isinstance(contact.anonymous_ids, list):
        contact.anonymous_ids = list(contact.anonymous_ids or [])


def _transition(
    *,
    actor,
    contact: Contact,
    to: LifecycleStage,
    reason: str,
    note: str = "",
    at: dt.datetime | None = None,
    from_stage: LifecycleStage | None = None,
) -> StageTransition:
    move = StageTransition.objects.create(
        workspace=contact.workspace,
        contact=contact,
        from_stage=from_stage,
        to_stage=to,
        at=at or timezone.now(),
        reason=reason,
        actor=actor if actor is not None and actor.pk else None,
        note=note[:300],
    )
    audit.record_create(actor=actor, workspace=contact.workspace, obj=move)
    return move


@transaction.atomic
def contact_create(
    *,
    actor,
    workspace: Workspace,
    stage: LifecycleStage | None = None,
    reason: str = Reason.CREATED,
    at: dt.datetime | None = None,
    handoff: bool = True,
    **fields,
) -> Contact:
    """Create a contact in a stage (default: lead). Refuses suppressed (erased) addresses. A contact
    created as an MQL is handed to sales at once."""
    access.require_member(actor, workspace, write=True)
    check_fields(fields, CONTACT_FIELDS, "contact")
    ensure_defaults(workspace)
    stage = stage or LifecycleStage.objects.get(workspace=workspace, key="lead")
    _same_workspace(workspace, stage, "stage")
    when = at or timezone.now()
    contact = Contact(
        workspace=workspace, stage=stage, stage_changed_at=when, last_activity_at=when, **fields
    )
    _clean_contact(contact)
    contact.full_clean(exclude=["workspace", "stage", "company", "owner", "first_touch_campaign"])
    contact.save()
    audit.record_create(actor=actor, workspace=workspace, obj=contact)
    _transition(actor=actor, contact=contact, to=stage, reason=reason, at=when)
    contact_rescore(actor=None, contact=contact, promote=False)
    if stage.key == "mql" and handoff:
        handoff_create(actor=actor, contact=contact)
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, **fields) -> Contact:
    """Change a contact's details (not its stage: see contact_set_stage). Rescored afterwards, since fit
    rules read the attributes."""
    access.require_member(actor, contact.workspace, write=True)
    check_fields(fields, CONTACT_FIELDS, "contact")
    before = audit.snapshot(contact)
    for name, value in fields.items():
        setattr(contact, name, value)
    _clean_contact(contact)
    contact.full_clean(exclude=["workspace", "stage", "company", "owner", "first_touch_campaign"])
    contact.save()
    audit.record_update(actor=actor, workspace=contact.workspace, obj=contact, before=before)
    contact_rescore(actor=actor, contact=contact)
    return contact


@transaction.atomic
def contact_set_stage(
    *,
    actor,
    contact: Contact,
    stage: LifecycleStage,
    reason: str = Reason.MANUAL,
    note: str = "",
    at: dt.datetime | None = None,
    handoff: bool = True,
) -> StageTransition | None:
    """Move a contact to another lifecycle stage, recording the transition and its date. Entering MQL
    hands the contact to sales; leaving MQL by hand cancels a waiting hand-off."""
    access.require_member(actor, contact.workspace, write=True)
    _same_workspace(contact.workspace, stage, "stage")
    if not stage.is_active:
        raise ValidationError({"stage": f"The stage “{stage.name}” is switched off."})
    if stage.pk == contact.stage_id:
        return None
    when = at or timezone.now()
    previous = contact.stage
    before = audit.snapshot(contact)
    contact.stage, contact.stage_changed_at = stage, when
    contact.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    audit.record_update(actor=actor, workspace=contact.workspace, obj=contact, before=before)
    move = _transition(
        actor=actor, contact=contact, to=stage, reason=reason, note=note, at=when, from_stage=previous
    )
    if reason not in (Reason.ACCEPTED, Reason.REJECTED):
        for waiting in contact.handoffs.filter(status=Handoff.Status.PENDING):
            if stage.key != "mql":
                _handoff_close(actor, waiting, Handoff.Status.CANCELLED, when, note=f"Moved to {stage.name}.")
    if stage.key == "mql" and handoff and not contact.handoffs.filter(status=Handoff.Status.PENDING).exists():
        handoff_create(actor=actor, contact=contact, now=when)
    return move


def _first_touch(workspace: Workspace, touch: dict) -> dict:
    """Normalise a first-touch dict into contact fields; a UTM campaign matching a campaign's code or a
    mapped platform campaign name links the campaign."""
    campaign = touch.get("campaign")
    if campaign is None and touch.get("campaign_id"):
        campaign = Campaign.objects.filter(workspace=workspace, pk=touch["campaign_id"]).first()
    utm_campaign = str(touch.get("utm_campaign") or "").strip()
    if campaign is None and utm_campaign:
        campaign = (
            Campaign.objects.filter(workspace=workspace, code__iexact=utm_campaign).first()
            or Campaign.objects.filter(
                pk__in=PlatformCampaign.objects.filter(
                    workspace=workspace, external_name__iexact=utm_campaign
                ).values("campaign_id")
            ).first()
        )
    if campaign is not None and campaign.workspace_id != workspace.pk:
        campaign = None
    at = touch.get("at")
    if at is not None:
        from opencmo.crm.values import parse_datetime

        at = parse_datetime(at)
    return {
        "first_touch_channel": str(touch.get("channel") or "").strip()[:60],
        "first_touch_campaign": campaign,
        "utm_source": str(touch.get("utm_source") or "").strip()[:200],
        "utm_medium": str(touch.get("utm_medium") or "").strip()[:200],
        "utm_campaign": utm_campaign[:200],
        "first_touch_at": at,
    }


@transaction.atomic
def contact_identify(
    *,
    actor,
    workspace: Workspace,
    email: str,
    anonymous_id: str,
    first_touch: dict,
    defaults: dict | None = None,
) -> Contact | None:
    """An anonymous visitor told us who they are (form, login, purchase): find or create the contact by
    email, remember the visitor id, and carry the visitor's first touch (channel, campaign, UTM, time)
    over to the contact unless it already has an earlier one.

    `first_touch`: {"channel", "campaign" (Campaign) or "campaign_id", "utm_source", "utm_medium",
    "utm_campaign", "at" (datetime or ISO text)}. `defaults`: contact fields for a new contact (names,
    stage key under "stage"; default subscriber). Returns None, creating nothing, for a suppressed
    (erased) address."""
    from opencmo.crm.gdpr import is_suppressed

    access.require_member(actor, workspace, write=True)
    email = clean_email(email)
    if not email:
        raise ValidationError({"email": "An identified visitor needs an email address."})
    if is_suppressed(workspace, email):
        return None
    touch = _first_touch(workspace, first_touch or {})
    anonymous_id = str(anonymous_id or "").strip()
    contact = Contact.objects.filter(workspace=workspace, email=email).first()
    now = timezone.now()
    if contact is None:
        extra = dict(defaults or {})
        stage_key = extra.pop("stage", "subscriber")
        extra.setdefault("source", "identified")
        check_fields(extra, CONTACT_FIELDS, "contact")
        fields = {**extra, **touch, "anonymous_ids": [anonymous_id] if anonymous_id else []}
        return contact_create(
            actor=actor,
            workspace=workspace,
            email=email,
            stage=stage(workspace, stage_key),
            reason=Reason.IDENTIFIED,
            **fields,
        )
    before = audit.snapshot(contact)
    if anonymous_id and anonymous_id not in contact.anonymous_ids:
        contact.anonymous_ids = [*contact.anonymous_ids, anonymous_id]
    earlier = touch["first_touch_at"] is not None and (
        contact.first_touch_at is None or touch["first_touch_at"] < contact.first_touch_at
    )
    no_touch_yet = not (contact.first_touch_channel or contact.utm_source or contact.first_touch_at)
    if earlier or no_touch_yet:
        for name, value in touch.items():
            setattr(contact, name, value)
    contact.last_activity_at = max(filter(None, [contact.last_activity_at, now]))
    contact.save()
    audit.record_update(actor=actor, workspace=workspace, obj=contact, before=before)
    return contact


# --- events and scoring ---------------------------------------------------------------------------


@transaction.atomic
def event_record(
    *,
    actor,
    contact: Contact,
    kind: str,
    occurred_at: dt.datetime | None = None,
    campaign: Campaign | None = None,
    detail: str = "",
    source: str = "manual",
    rescore: bool = True,
) -> ContactEvent:
    """Record something the contact did; their score is recomputed (and may make them an MQL)."""
    access.require_member(actor, contact.workspace, write=True)
    kind = slugify(kind or "").replace("-", "_")
    if not kind:
        raise ValidationError({"kind": "What happened? Give the kind of event."})
    _same_workspace(contact.workspace, campaign, "campaign")
    when = occurred_at or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "That is in the future."})
    event = ContactEvent.objects.create(
        workspace=contact.workspace,
        contact=contact,
        kind=kind[:60],
        occurred_at=when,
        campaign=campaign,
        detail=detail[:300],
        source=source[:30],
    )
    audit.record_create(actor=actor, workspace=contact.workspace, obj=event)
    if contact.last_activity_at is None or when > contact.last_activity_at:
        Contact.objects.filter(pk=contact.pk).update(last_activity_at=when)
        contact.last_activity_at = when
    if rescore:
        contact_rescore(actor=actor, contact=contact)
    return event


def rules_for(workspace: Workspace) -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(workspace=workspace, is_active=True))


def breakdown(contact: Contact, *, now: dt.datetime | None = None, rules=None, crm=None) -> scoring.Breakdown:
    crm = crm or ensure_defaults(contact.workspace)
    rules = rules if rules is not None else rules_for(contact.workspace)
    kinds = {r.event_kind for r in rules if r.kind == ScoringRule.Kind.ENGAGEMENT}
    events = [e for e in contact.events.all() if e.kind in kinds] if kinds else []
    labels = dict(conditions.field_choices(contact.workspace))
    return scoring.compute(
        contact, rules, events, now=now or timezone.now(), half_life_days=crm.half_life_days, labels=labels
    )


def _promote_if_qualified(actor, contact: Contact, crm: CrmSettings, now: dt.datetime) -> bool:
    if contact.stage.key not in PROMOTABLE or contact.score < crm.mql_threshold:
        return False
    mql = LifecycleStage.objects.get(workspace=contact.workspace, key="mql")
    contact_set_stage(
        actor=None if actor is None else actor,
        contact=contact,
        stage=mql,
        reason=Reason.SCORE,
        note=f"Score {contact.score} reached the MQL threshold of {crm.mql_threshold}.",
        at=now,
    )
    return True


@transaction.atomic
def contact_rescore(
    *, actor, contact: Contact, now: dt.datetime | None = None, promote: bool = True
) -> scoring.Breakdown:
    """Recompute a contact's score; a subscriber or lead reaching the threshold becomes an MQL (audited
    transition, hand-off to sales). The score itself is a derived cache and is not audited."""
    if actor is not None:
        access.require_member(actor, contact.workspace, write=True)
    now = now or timezone.now()
    crm = ensure_defaults(contact.workspace)
    result = breakdown(contact, now=now, crm=crm)
    Contact.objects.filter(pk=contact.pk).update(
        score=result.total,
        fit_score=result.fit_total,
        engagement_score=result.engagement_total,
        scored_at=now,
    )
    contact.score, contact.fit_score, contact.engagement_score = (
        result.total,
        result.fit_total,
        result.engagement_total,
    )
    contact.scored_at = now
    if promote:
        _promote_if_qualified(actor, contact, crm, now)
    return result


def rescore_workspace(workspace: Workspace, *, now: dt.datetime | None = None) -> dict:
    """Recompute every contact's score (engagement decays daily) and promote the new MQLs. Returns
    counts. Run daily by the `crm_rescore` task / `opencmo crm_score`."""
    now = now or timezone.now()
    crm = ensure_defaults(workspace)
    rules = rules_for(workspace)
    kinds = {r.event_kind for r in rules if r.kind == ScoringRule.Kind.ENGAGEMENT}
    labels = dict(conditions.field_choices(workspace))
    events: dict[int, list] = {}
    for event in ContactEvent.objects.filter(workspace=workspace, kind__in=kinds).only(
        "contact_id", "kind", "occurred_at"
    ):
        events.setdefault(event.contact_id, []).append(event)
    changed, promoted = [], []
    contacts = Contact.objects.filter(workspace=workspace).select_related("company", "stage")
    for contact in contacts.iterator(chunk_size=1000):
        result = scoring.compute(
            contact,
            rules,
            events.get(contact.pk, []),
            now=now,
            half_life_days=crm.half_life_days,
            labels=labels,
        )
        if (result.total, result.fit_total, result.engagement_total) != (
            contact.score,
            contact.fit_score,
            contact.engagement_score,
        ):
            contact.score, contact.fit_score = result.total, result.fit_total
            contact.engagement_score, contact.scored_at = result.engagement_total, now
            changed.append(contact)
        if contact.stage.key in PROMOTABLE and result.total >= crm.mql_threshold:
            promoted.append(contact)
    Contact.objects.bulk_update(
        changed, ["score", "fit_score", "engagement_score", "scored_at"], batch_size=500
    )
    for contact in promoted:
        with transaction.atomic():
            _promote_if_qualified(None, contact, crm, now)
    if changed or promoted:
        audit.record(
            actor=None,
            workspace=workspace,
            action="update",
            obj=crm,
            changes={"rescored": [None, len(changed)], "promoted_to_mql": [None, len(promoted)]},
        )
    return {"workspace": workspace.slug, "rescored": len(changed), "promoted": len(promoted)}


# --- hand-off to sales ----------------------------------------------------------------------------


def _assignee(workspace: Workspace, contact: Contact, crm: CrmSettings) -> tuple[Person | None, str]:
    people = list(access.sales_people(workspace))
    if crm.assignment == CrmSettings.Assignment.RULES:
        eligible = {p.pk for p in people}
        for rule in AssignmentRule.objects.filter(workspace=workspace, is_active=True).select_related(
            "assign_to"
        ):
            if rule.assign_to_id in eligible and conditions.evaluate(
                contact, rule.field, rule.operator, rule.value
            ):
                return rule.assign_to, f"Rule “{rule.name}”"
    if not people:
        return None, "Nobody wears the sales hat"
    last = crm.last_assigned_id
    after = [p for p in people if last is not None and p.pk > last]
    chosen = after[0] if after else people[0]
    CrmSettings.objects.filter(pk=crm.pk).update(last_assigned=chosen)
    crm.last_assigned = chosen
    return chosen, "Round robin"


def handoff_url(handoff: Handoff) -> str:
    return contact_url(handoff.contact)


@transaction.atomic
def handoff_create(*, actor, contact: Contact, now: dt.datetime | None = None, send: bool = True) -> Handoff:
    """Hand an MQL to sales: pick the person (assignment rules, else round robin among the people wearing
    the sales hat), start the SLA clock and tell them."""
    workspace = contact.workspace
    access.require_member(actor, workspace, write=True)
    now = now or timezone.now()
    crm = CrmSettings.objects.select_for_update().get(pk=ensure_defaults(workspace).pk)
    person, why = _assignee(workspace, contact, crm)
    handoff = Handoff.objects.create(
        workspace=workspace,
        contact=contact,
        assigned_to=person,
        assigned_at=now,
        due_at=now + dt.timedelta(hours=crm.sla_hours),
        assignment_note=why,
        score_at_handoff=contact.score,
    )
    audit.record_create(actor=actor, workspace=workspace, obj=handoff)
    webhook_events.mql_handoff(handoff)  # delivery rows now, sent after commit
    if person is not None and send:
        notify(
            workspace=workspace,
            users=[person.user],
            exclude=actor,
            subject=f"New MQL for you: {contact}",
            body=f"Accept or reject within {crm.sla_hours} hours "
            f"(by {timezone.localtime(handoff.due_at):%a %d %b %H:%M}).",
            url=contact_url(contact),
        )
    return handoff


def _handoff_close(
    actor, handoff: Handoff, status: str, now: dt.datetime, *, person=None, reason="", note=""
):
    before = audit.snapshot(handoff)
    handoff.status, handoff.decided_at, handoff.decided_by = status, now, person
    handoff.reject_reason, handoff.note = reason, note
    handoff.save()
    audit.record_update(actor=actor, workspace=handoff.workspace, obj=handoff, before=before)


def _pending(handoff: Handoff) -> None:
    if handoff.status != Handoff.Status.PENDING:
        raise ValidationError(f"This hand-off is already {handoff.get_status_display().lower()}.")


@transaction.atomic
def handoff_accept(*, actor, handoff: Handoff, note: str = "", now: dt.datetime | None = None) -> Handoff:
    """Sales accepts the lead: it becomes an SQL owned by the accepting person."""
    person = access.require_sales(actor, handoff.workspace)
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    _pending(handoff)
    now = now or timezone.now()
    person = person or handoff.assigned_to
    _handoff_close(actor, handoff, Handoff.Status.ACCEPTED, now, person=person, note=note.strip())
    contact = handoff.contact
    sql = LifecycleStage.objects.get(workspace=handoff.workspace, key="sql")
    contact_set_stage(
        actor=None, contact=contact, stage=sql, reason=Reason.ACCEPTED, note=note.strip(), at=now
    )
    if contact.owner_id is None and person is not None:
        before = audit.snapshot(contact)
        contact.owner = person
        contact.save(update_fields=["owner", "updated_at"])
        audit.record_update(actor=actor, workspace=contact.workspace, obj=contact, before=before)
    return handoff


@transaction.atomic
def handoff_reject(
    *, actor, handoff: Handoff, reason: str, note: str = "", now: dt.datetime | None = None
) -> Handoff:
    """Sales rejects the lead with a reason: it goes back to Lead for nurturing, and marketing is told."""
    person = access.require_sales(actor, handoff.workspace)
    if reason not in Handoff.RejectReason.values:
        raise ValidationError({"reason": "Choose why the lead is rejected."})
    note = note.strip()
    if reason == Handoff.RejectReason.OTHER and not note:
        raise ValidationError({"note": "Explain the reason."})
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    _pending(handoff)
    now = now or timezone.now()
    _handoff_close(
        actor,
        handoff,
        Handoff.Status.REJECTED,
        now,
        person=person or handoff.assigned_to,
        reason=reason,
        note=note,
    )
    lead = LifecycleStage.objects.get(workspace=handoff.workspace, key="lead")
    label = Handoff.RejectReason(reason).label
    contact_set_stage(
        actor=None,
        contact=handoff.contact,
        stage=lead,
        reason=Reason.REJECTED,
        note=f"{label}{': ' + note if note else ''}",
        at=now,
    )
    marketing = Person.objects.filter(
        workspace=handoff.workspace,
        is_active=True,
        user__isnull=False,
        roles__key__in=["marketing_manager", "cmo"],
    ).select_related("user")
    notify(
        workspace=handoff.workspace,
        users=[p.user for p in marketing],
        exclude=actor,
        subject=f"MQL rejected by sales: {handoff.contact}",
        body=f"{label}{'. ' + note if note else ''}",
        url=contact_url(handoff.contact),
    )
    return handoff


@transaction.atomic
def handoff_reassign(*, actor, handoff: Handoff, person: Person, now: dt.datetime | None = None) -> Handoff:
    """Give a waiting hand-off to another sales person; their SLA clock starts now."""
    access.require_member(actor, handoff.workspace, write=True)
    _pending(handoff)
    _same_workspace(handoff.workspace, person, "person")
    if not access.sales_people(handoff.workspace).filter(pk=person.pk).exists():
        raise ValidationError({"person": f"{person} does not wear the sales hat (or cannot log in)."})
    now = now or timezone.now()
    crm = ensure_defaults(handoff.workspace)
    before = audit.snapshot(handoff)
    handoff.assigned_to, handoff.assigned_at = person, now
    handoff.due_at = now + dt.timedelta(hours=crm.sla_hours)
    handoff.assignment_note, handoff.breach_notified_at = f"Reassigned by {audit._actor_label(actor)}", None
    handoff.save()
    audit.record_update(actor=actor, workspace=handoff.workspace, obj=handoff, before=before)
    notify(
        workspace=handoff.workspace,
        users=[person.user],
        exclude=actor,
        subject=f"New MQL for you: {handoff.contact}",
        body=f"Accept or reject within {crm.sla_hours} hours.",
        url=contact_url(handoff.contact),
    )
    return handoff


def sla_check(*, workspace: Workspace | None = None, now: dt.datetime | None = None) -> list[Handoff]:
    """Find waiting hand-offs past their SLA that nobody has been told about yet; tell the assignee and
    their manager (or the workspace's marketing managers when unassigned). Each breach is reported once.
    Returns the newly found breaches."""
    now = now or timezone.now()
    late = Handoff.objects.filter(
        status=Handoff.Status.PENDING, due_at__lt=now, breach_notified_at__isnull=True
    )
    if workspace is not None:
        late = late.filter(workspace=workspace)
    found = []
    for handoff in late.select_related(
        "workspace", "contact", "assigned_to__user", "assigned_to__reports_to__user"
    ):
        with transaction.atomic():
            claimed = Handoff.objects.filter(pk=handoff.pk, breach_notified_at__isnull=True).update(
                breach_notified_at=now
            )
            if not claimed:  # another worker got it first
                continue
            handoff.breach_notified_at = now
            audit.record(
                actor=None,
                workspace=handoff.workspace,
                action="update",
                obj=handoff,
                changes={"breach_notified_at": [None, now.isoformat()]},
            )
            hours = int((now - handoff.assigned_at).total_seconds() // 3600)
            person = handoff.assigned_to
            users = []
            if person is not None and person.user_id:
                users.append(person.user)
            if person is not None and person.reports_to_id and person.reports_to.user_id:
                users.append(person.reports_to.user)
            if not users:
                users = [
                    p.user
                    for p in Person.objects.filter(
                        workspace=handoff.workspace,
                        is_active=True,
                        user__isnull=False,
                        roles__key="marketing_manager",
                    ).select_related("user")
                ]
            who = person.name if person else "nobody"
            notify(
                workspace=handoff.workspace,
                users=users,
                subject=f"Lead SLA breached: {handoff.contact} waiting {hours} h",
                body=f"Assigned to {who}; it was due {timezone.localtime(handoff.due_at):%a %d %b %H:%M}.",
                url=contact_url(handoff.contact),
            )
            found.append(handoff)
    return found


# --- segments -------------------------------------------------------------------------------------


SEGMENT_FIELDS = ("name", "description", "filters", "purpose")


def _clean_segment(segment: ContactSegment) -> None:
    from opencmo.crm.segments import clean_filters

    segment.name = (segment.name or "").strip()
    if not segment.name:
        raise ValidationError({"name": "A segment needs a name."})
    clash = ContactSegment.objects.filter(workspace=segment.workspace, name__iexact=segment.name)
    if clash.exclude(pk=segment.pk).exists():
        raise ValidationError({"name": f"There is already a segment called “{segment.name}”."})
    _same_workspace(segment.workspace, segment.purpose, "purpose")
    segment.filters = clean_filters(segment.workspace, segment.filters or {})


@transaction.atomic
def segment_create(*, actor, workspace: Workspace, **fields) -> ContactSegment:
    access.require_member(actor, workspace, write=True)
    check_fields(fields, SEGMENT_FIELDS, "segment")
    segment = ContactSegment(workspace=workspace, created_by=actor if actor is not None else None, **fields)
    _clean_segment(segment)
    segment.save()
    audit.record_create(actor=actor, workspace=workspace, obj=segment)
    return segment


@transaction.atomic
def segment_update(*, actor, segment: ContactSegment, **fields) -> ContactSegment:
    access.require_member(actor, segment.workspace, write=True)
    check_fields(fields, SEGMENT_FIELDS, "segment")
    before = audit.snapshot(segment)
    for name, value in fields.items():
        setattr(segment, name, value)
    _clean_segment(segment)
    segment.save()
    audit.record_update(actor=actor, workspace=segment.workspace, obj=segment, before=before)
    return segment


@transaction.atomic
def segment_delete(*, actor, segment: ContactSegment) -> None:
    access.require_member(actor, segment.workspace, write=True)
    audit.record_delete(actor=actor, workspace=segment.workspace, obj=segment)
    segment.delete()


# --- feedback -------------------------------------------------------------------------------------


def clean_score(kind: str, score) -> int:
    if kind not in Feedback.Kind.values:
        raise ValidationError({"kind": "Choose NPS or CSAT."})
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise ValidationError({"score": f"“{score}” is not a whole number."}) from None
    low, high = (0, 10) if kind == Feedback.Kind.NPS else (1, 5)
    if not low <= value <= high:
        raise ValidationError(
            {"score": f"{'NPS' if kind == 'nps' else 'CSAT'} scores run from {low} to {high}."}
        )
    return value


@transaction.atomic
def feedback_create(
    *,
    actor,
    workspace: Workspace,
    kind: str,
    score,
    received_on: dt.date | None = None,
    contact: Contact | None = None,
    campaign: Campaign | None = None,
    comment: str = "",
    source: str = Feedback.Source.MANUAL,
) -> Feedback:
    access.require_member(actor, workspace, write=True)
    value = clean_score(kind, score)
    _same_workspace(workspace, contact, "contact")
    _same_workspace(workspace, campaign, "campaign")
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "That date is in the future."})
    item = Feedback.objects.create(
        workspace=workspace,
        kind=kind,
        score=value,
        received_on=received_on,
        contact=contact,
        campaign=campaign,
        comment=(comment or "").strip(),
        source=source,
    )
    audit.record_create(actor=actor, workspace=workspace, obj=item)
    if contact is not None:
        when = timezone.make_aware(dt.datetime.combine(received_on, dt.time(12)))
        if contact.last_activity_at is None or when > contact.last_activity_at:
            Contact.objects.filter(pk=contact.pk).update(last_activity_at=when)
    return item


@transaction.atomic
def feedback_delete(*, actor, feedback: Feedback) -> None:
    access.require_member(actor, feedback.workspace, write=True)
    audit.record_delete(actor=actor, workspace=feedback.workspace, obj=feedback)
    feedback.delete()


def require_write(actor, workspace: Workspace) -> None:
    if actor is not None and not access.can_write(actor, workspace):
        raise PermissionDenied("Viewers cannot change customer data.")
