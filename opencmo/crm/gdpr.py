"""GDPR for customer data (docs/gdpr.md): lawful basis per contact and purpose, consent records, the
register of processing activities, purpose-bound export, data-subject access, erasure with a hashed
suppression list, and the retention policy.

The rules enforced here:
- A contact may be exported (or used in a segment export) for a purpose only with a valid lawful basis
  for that purpose *now*: a consent in force, or another basis within its dates and not objected to.
  `valid_basis_q` is the one definition; the export functions filter through it.
- Erasure removes the contact and everything linked to it, anonymises their feedback (the score stays
  for the statistics, the comment and the link go), scrubs the audit log rows about them and every
  mention of their address, name or phone in the workspace, deletes the notifications about them, runs
  the registered `erasure_handlers` (analytics store, imported files) and keeps only
  HMAC-SHA256(workspace key, normalised email) so an import or an identified visitor cannot bring the
  person back (`is_suppressed`).
"""

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.models import AuditEvent, Notification, Workspace
from opencmo.core.permissions import check_fields
from opencmo.crm import access
from opencmo.crm.models import (
    ConsentRecord,
    Contact,
    ContactBasis,
    ContactEvent,
    ContactSegment,
    CrmSettings,
    CustomField,
    Erasure,
    Feedback,
    Handoff,
    LawfulBasis,
    Purpose,
    RetentionRun,
    StageTransition,
    Suppression,
    SuppressionKey,
)
from opencmo.crm.values import normalise_email

ERASED = "[erased]"
OBJECTABLE = {LawfulBasis.LEGITIMATE_INTEREST, LawfulBasis.PUBLIC_TASK}
# Bases that keep a contact through the retention policy while they are in force.
RETAINING = {LawfulBasis.CONTRACT, LawfulBasis.LEGAL_OBLIGATION}


@dataclass(frozen=True)
class ContactKeys:
    """What identifies an erased person in other stores: the analytics store knows them by their
    visitor ids (`anonymous_ids`) and email; imported files may hold the email, names or phone."""

    workspace_id: int
    contact_id: int
    email: str
    email_hash: str
    names: tuple[str, ...]
    phone: str
    anonymous_ids: tuple[str, ...]
    external_id: str

    def needles(self) -> list[str]:
        """Strings whose every occurrence is scrubbed: the address, the full name, the phone number,
        ids long enough not to hit unrelated text."""
        found = [self.email, *self.names]
        if len(re.sub(r"\D", "", self.phone)) >= 6:
            found.append(self.phone)
        found += [i for i in (*self.anonymous_ids, self.external_id) if len(i) >= 8]
        return sorted({n for n in found if n and len(n) >= 4}, key=len, reverse=True)


ErasureHandler = Callable[[Workspace, ContactKeys], None]
# Other modules append here (or use @register_erasure_handler); each is called, inside the erasure's
# transaction and before the database rows go, with the workspace and the person's keys. A handler must
# be idempotent (an erasure that fails later is run again) and raise to abort the erasure.
erasure_handlers: list[ErasureHandler] = []


def register_erasure_handler(handler: ErasureHandler) -> ErasureHandler:
    if handler not in erasure_handlers:
        erasure_handlers.append(handler)
    return handler


# --- suppression ----------------------------------------------------------------------------------


def _secret(workspace: Workspace) -> bytes:
    from opencmo.crm.services import ensure_defaults

    ensure_defaults(workspace)
    key, made = SuppressionKey.objects.get_or_create(workspace=workspace)
    if made:
        audit.record(actor=None, workspace=workspace, action="create", obj=key, changes={"secret": "set"})
    return key.secret.encode()


def email_hash(workspace: Workspace, email: str) -> str:
    """HMAC-SHA256 of the normalised address with the workspace's secret: the same address always gives
    the same hash in one workspace, and nothing that can be looked up elsewhere."""
    return hmac.new(_secret(workspace), normalise_email(email).encode(), hashlib.sha256).hexdigest()


def is_suppressed(workspace: Workspace, email: str) -> bool:
    """True if the address belongs to a person erased from this workspace at their request."""
    if not normalise_email(email):
        return False
    return Suppression.objects.filter(workspace=workspace, email_hash=email_hash(workspace, email)).exists()


# --- lawful basis ---------------------------------------------------------------------------------


def valid_basis_q(purpose: Purpose, *, now: dt.datetime | None = None) -> Q:
    """Contacts with a valid lawful basis for `purpose` at `now`: a consent record for it that was given
    and is not withdrawn, or a non-consent basis for it that is within its dates and not objected to."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    consent = ConsentRecord.objects.filter(
        contact=OuterRef("pk"), purpose=purpose, given_at__lte=now, withdrawn_at__isnull=True
    )
    other = (
        ContactBasis.objects.filter(contact=OuterRef("pk"), purpose=purpose, objected_at__isnull=True)
        .exclude(basis=LawfulBasis.CONSENT)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    if not purpose.is_active:
        return Q(pk__in=[])
    return Q(Exists(consent)) | Q(Exists(other))


def has_valid_basis(contact: Contact, purpose: Purpose, *, now: dt.datetime | None = None) -> bool:
    if purpose.workspace_id != contact.workspace_id:
        return False
    return Contact.objects.filter(pk=contact.pk).filter(valid_basis_q(purpose, now=now)).exists()


@dataclass
class BasisStatus:
    purpose: Purpose
    valid: bool
    explanation: str
    basis: ContactBasis | None = None
    consents: list[ConsentRecord] = field(default_factory=list)

    @property
    def can_object(self) -> bool:
        """The person may object (Art. 21) to this basis and has not yet."""
        return self.basis is not None and self.basis.basis in OBJECTABLE and self.basis.objected_at is None


def basis_status(contact: Contact, *, now: dt.datetime | None = None) -> list[BasisStatus]:
    """For every active purpose: whether the contact may be processed for it now, and why."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    bases = {b.purpose_id: b for b in contact.bases.all()}
    consents: dict[int, list[ConsentRecord]] = {}
    for record in contact.consents.all():
        consents.setdefault(record.purpose_id, []).append(record)
    out = []
    for purpose in Purpose.objects.filter(workspace=contact.workspace, is_active=True):
        basis, records = bases.get(purpose.pk), consents.get(purpose.pk, [])
        active = [r for r in records if r.withdrawn_at is None and r.given_at <= now]
        if active:
            given = timezone.localtime(active[0].given_at)
            out.append(
                BasisStatus(
                    purpose, True, f"Consent given {given:%Y-%m-%d} ({active[0].source})", basis, records
                )
            )
            continue
        if basis is not None and basis.basis != LawfulBasis.CONSENT:
            label = basis.get_basis_display()
            if basis.objected_at:
                why = f"{label}, but the person objected on {timezone.localtime(basis.objected_at):%Y-%m-%d}"
                out.append(BasisStatus(purpose, False, why, basis, records))
            elif basis.valid_from and basis.valid_from > today:
                out.append(BasisStatus(purpose, False, f"{label} from {basis.valid_from}", basis, records))
            elif basis.valid_until and basis.valid_until < today:
                out.append(BasisStatus(purpose, False, f"{label} ended {basis.valid_until}", basis, records))
            else:
                until = f" until {basis.valid_until}" if basis.valid_until else ""
                out.append(BasisStatus(purpose, True, f"{label}{until}", basis, records))
            continue
        if records:
            last = timezone.localtime(records[0].withdrawn_at or records[0].given_at)
            out.append(BasisStatus(purpose, False, f"Consent withdrawn {last:%Y-%m-%d}", basis, records))
        elif basis is not None:
            out.append(BasisStatus(purpose, False, "Relies on consent, but none is recorded", basis, records))
        else:
            out.append(BasisStatus(purpose, False, "No lawful basis recorded", None, records))
    return out


PURPOSE_FIELDS = (
    "key",
    "name",
    "description",
    "lawful_basis",
    "consent_wording",
    "data_categories",
    "data_subjects",
    "recipients",
    "transfers",
    "retention",
    "safeguards",
    "is_active",
)


def _clean_purpose(purpose: Purpose) -> None:
    from django.utils.text import slugify

    purpose.name = (purpose.name or "").strip()
    if not purpose.name:
        raise ValidationError({"name": "A purpose needs a name."})
    purpose.key = slugify(purpose.key or purpose.name).replace("-", "_")[:60]
    clash = Purpose.objects.filter(workspace=purpose.workspace, key=purpose.key).exclude(pk=purpose.pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a purpose with the key “{purpose.key}”."})
    if purpose.lawful_basis not in LawfulBasis.values:
        raise ValidationError({"lawful_basis": "Choose a lawful basis."})


@transaction.atomic
def purpose_create(*, actor, workspace: Workspace, **fields) -> Purpose:
    """Add an entry to the register of processing activities (administrators)."""
    access.require_admin(actor, workspace)

    check_fields(fields, PURPOSE_FIELDS, "purpose")
    purpose = Purpose(workspace=workspace, **fields)
    _clean_purpose(purpose)
    purpose.full_clean(exclude=["workspace"])
    purpose.save()
    audit.record_create(actor=actor, workspace=workspace, obj=purpose)
    return purpose


@transaction.atomic
def purpose_update(*, actor, purpose: Purpose, **fields) -> Purpose:
    access.require_admin(actor, purpose.workspace)

    check_fields(fields, PURPOSE_FIELDS, "purpose")
    before = audit.snapshot(purpose)
    for name, value in fields.items():
        setattr(purpose, name, value)
    _clean_purpose(purpose)
    purpose.full_clean(exclude=["workspace"])
    purpose.save()
    audit.record_update(actor=actor, workspace=purpose.workspace, obj=purpose, before=before)
    return purpose


@transaction.atomic
def purpose_delete(*, actor, purpose: Purpose) -> None:
    access.require_admin(actor, purpose.workspace)
    if purpose.consents.exists() or purpose.bases.exists() or purpose.segments.exists():
        raise ValidationError(
            "Consents, lawful bases or segments refer to this purpose; keep it on record and switch it "
            "off instead."
        )
    audit.record_delete(actor=actor, workspace=purpose.workspace, obj=purpose)
    purpose.delete()


def _touch(contact: Contact, when: dt.datetime) -> None:
    if contact.last_activity_at is None or when > contact.last_activity_at:
        Contact.objects.filter(pk=contact.pk).update(last_activity_at=when)
        contact.last_activity_at = when


@transaction.atomic
def consent_give(
    *,
    actor,
    contact: Contact,
    purpose: Purpose,
    wording: str,
    source: str,
    given_at: dt.datetime | None = None,
    evidence: str = "",
) -> ConsentRecord:
    """Record a consent as given: when, where, and the exact wording the person saw."""
    access.require_member(actor, contact.workspace, write=True)
    errors = {}
    if purpose.workspace_id != contact.workspace_id:
        errors["purpose"] = "That purpose belongs to another workspace."
    elif not purpose.is_active:
        errors["purpose"] = f"“{purpose}” is switched off in the register."
    if not (wording or "").strip():
        errors["wording"] = "Record the exact wording the person agreed to."
    if not (source or "").strip():
        errors["source"] = "Where was consent given (web form, event, phone…)?"
    given_at = given_at or timezone.now()
    if given_at > timezone.now() + dt.timedelta(minutes=5):
        errors["given_at"] = "That is in the future."
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        workspace=contact.workspace,
        contact=contact,
        purpose=purpose,
        given_at=given_at,
        source=source.strip()[:100],
        wording=wording.strip(),
        evidence=(evidence or "").strip()[:200],
    )
    audit.record_create(actor=actor, workspace=contact.workspace, obj=record)
    _touch(contact, given_at)
    return record


@transaction.atomic
def consent_withdraw(
    *, actor, consent: ConsentRecord, source: str = "", at: dt.datetime | None = None
) -> ConsentRecord:
    """Withdraw a consent (and any other consent in force for the same purpose): from now on it is no
    basis for processing. The record itself stays, as proof of what was given and when."""
    access.require_member(actor, consent.workspace, write=True)
    if consent.withdrawn_at is not None:
        raise ValidationError("This consent was already withdrawn.")
    at = at or timezone.now()
    for record in ConsentRecord.objects.filter(
        contact_id=consent.contact_id, purpose_id=consent.purpose_id, withdrawn_at__isnull=True
    ):
        before = audit.snapshot(record)
        record.withdrawn_at, record.withdrawal_source = (
            at,
            (source or "").strip()[:100] or "recorded by staff",
        )
        record.save()
        audit.record_update(actor=actor, workspace=record.workspace, obj=record, before=before)
    consent.refresh_from_db()
    _touch(consent.contact, at)
    return consent


def consent_withdraw_purpose(
    *, actor, contact: Contact, purpose: Purpose, source: str = "", at: dt.datetime | None = None
) -> int:
    """Withdraw every consent in force for a purpose; returns how many there were."""
    active = ConsentRecord.objects.filter(contact=contact, purpose=purpose, withdrawn_at__isnull=True).first()
    if active is None:
        return 0
    count = ConsentRecord.objects.filter(contact=contact, purpose=purpose, withdrawn_at__isnull=True).count()
    consent_withdraw(actor=actor, consent=active, source=source, at=at)
    return count


@transaction.atomic
def basis_set(
    *,
    actor,
    contact: Contact,
    purpose: Purpose,
    basis: str,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
) -> ContactBasis:
    """Record (or change) the lawful basis relied on for one contact and purpose."""
    access.require_member(actor, contact.workspace, write=True)
    errors = {}
    if purpose.workspace_id != contact.workspace_id:
        errors["purpose"] = "That purpose belongs to another workspace."
    if basis not in LawfulBasis.values:
        errors["basis"] = "Choose a lawful basis."
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = "The end is before the start."
    if errors:
        raise ValidationError(errors)
    found = ContactBasis.objects.filter(contact=contact, purpose=purpose).first()
    values = {
        "basis": basis,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": (note or "").strip()[:300],
    }
    if found is None:
        found = ContactBasis.objects.create(
            workspace=contact.workspace, contact=contact, purpose=purpose, **values
        )
        audit.record_create(actor=actor, workspace=contact.workspace, obj=found)
        return found
    before = audit.snapshot(found)
    for name, value in values.items():
        setattr(found, name, value)
    if basis not in OBJECTABLE:
        found.objected_at = None
    found.save()
    audit.record_update(actor=actor, workspace=contact.workspace, obj=found, before=before)
    return found


@transaction.atomic
def basis_remove(*, actor, basis: ContactBasis) -> None:
    access.require_member(actor, basis.workspace, write=True)
    audit.record_delete(actor=actor, workspace=basis.workspace, obj=basis)
    basis.delete()


@transaction.atomic
def basis_object(*, actor, basis: ContactBasis, at: dt.datetime | None = None) -> ContactBasis:
    """The person objects (Art. 21) to processing based on legitimate interest or public task: the basis
    stops being valid."""
    access.require_member(actor, basis.workspace, write=True)
    if basis.basis not in OBJECTABLE:
        raise ValidationError(
            "Objection applies to legitimate interest and public task; withdraw consent instead."
        )
    if basis.objected_at is not None:
        raise ValidationError("The objection is already recorded.")
    before = audit.snapshot(basis)
    basis.objected_at = at or timezone.now()
    basis.save()
    audit.record_update(actor=actor, workspace=basis.workspace, obj=basis, before=before)
    return basis


# --- purpose-bound export -------------------------------------------------------------------------


EXPORT_HEADER = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "company",
    "country",
    "city",
    "language",
    "lifecycle_stage",
    "score",
    "owner",
    "source",
    "first_touch_channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "lawful_basis",
]


@dataclass
class PurposeExport:
    purpose: Purpose
    header: list[str]
    rows: list[list]
    excluded: int  # selected contacts left out for want of a valid basis


def export_for_purpose(
    *,
    actor,
    workspace: Workspace,
    purpose: Purpose,
    contacts: QuerySet[Contact],
    label: str = "contacts",
    now: dt.datetime | None = None,
) -> PurposeExport:
    """The rows of an export for `purpose`: only the selected contacts that have a valid lawful basis for
    it now; the others are counted, never exported. Members with write access only; audited (how many,
    for what, from which list — no personal data)."""
    access.require_member(actor, workspace, write=True)
    if purpose is None or purpose.workspace_id != workspace.pk:
        raise ValidationError({"purpose": "Choose what the export is for."})
    if not purpose.is_active:
        raise ValidationError({"purpose": f"“{purpose}” is switched off in the register."})
    now = now or timezone.now()
    selected = contacts.filter(workspace=workspace)
    allowed = selected.filter(valid_basis_q(purpose, now=now)).select_related("company", "stage", "owner")
    allowed = allowed.prefetch_related("bases", "consents")
    definitions = list(CustomField.objects.filter(workspace=workspace, entity=CustomField.Entity.CONTACT))
    header = EXPORT_HEADER + [f"custom:{d.key}" for d in definitions]
    rows = []
    for contact in allowed:
        rows.append(
            [
                contact.email,
                contact.first_name,
                contact.last_name,
                contact.phone,
                contact.job_title,
                contact.company.name if contact.company else "",
                contact.country,
                contact.city,
                contact.language,
                contact.stage.key,
                contact.score,
                contact.owner.name if contact.owner else "",
                contact.source,
                contact.first_touch_channel,
                contact.utm_source,
                contact.utm_medium,
                contact.utm_campaign,
                _basis_text(contact, purpose, now),
                *[(contact.custom or {}).get(d.key, "") for d in definitions],
            ]
        )
    excluded = selected.count() - len(rows)
    audit.record(
        actor=actor,
        workspace=workspace,
        action="update",
        obj=purpose,
        changes={
            "exported": [None, len(rows)],
            "excluded_without_basis": [None, excluded],
            "list": [None, label],
        },
    )
    return PurposeExport(purpose, header, rows, excluded)


def _basis_text(contact: Contact, purpose: Purpose, now: dt.datetime) -> str:
    for record in contact.consents.all():
        if record.purpose_id == purpose.pk and record.withdrawn_at is None and record.given_at <= now:
            return f"consent {timezone.localtime(record.given_at):%Y-%m-%d}"
    for basis in contact.bases.all():
        if basis.purpose_id == purpose.pk:
            return basis.basis
    return ""


# --- data-subject access --------------------------------------------------------------------------


def keys_of(contact: Contact) -> ContactKeys:
    names = tuple(n for n in {contact.full_name} if n and " " in n)
    return ContactKeys(
        workspace_id=contact.workspace_id,
        contact_id=contact.pk,
        email=contact.email,
        email_hash=email_hash(contact.workspace, contact.email) if contact.email else "",
        names=names,
        phone=contact.phone,
        anonymous_ids=tuple(str(i) for i in contact.anonymous_ids or []),
        external_id=contact.external_id,
    )


def _refs(contact: Contact) -> dict[str, list[str]]:
    """Audit object references (label -> ids) of every row that is about the contact."""
    refs = {Contact._meta.label: [str(contact.pk)]}
    for model, qs in (
        (StageTransition, contact.transitions.all()),
        (ContactEvent, contact.events.all()),
        (ConsentRecord, contact.consents.all()),
        (ContactBasis, contact.bases.all()),
        (Handoff, contact.handoffs.all()),
        (Feedback, contact.feedback.all()),
    ):
        refs[model._meta.label] = [str(pk) for pk in qs.values_list("pk", flat=True)]
    return refs


def _refs_q(refs: dict[str, list[str]]) -> Q:
    q = Q(pk__in=[])
    for label, ids in refs.items():
        if ids:
            q |= Q(object_type=label, object_id__in=ids)
    return q


def _mentions_q(field: str, needles: Iterable[str], *, json_field: bool = False) -> Q:
    q = Q(pk__in=[])
    for needle in needles:
        q |= Q(**{f"{field}__icontains": needle})
        if json_field:  # SQLite keeps JSON text \u-escaped
            escaped = json.dumps(needle)[1:-1]
            if escaped != needle:
                q |= Q(**{f"{field}__icontains": escaped})
    return q


def _audit_about(contact: Contact, keys: ContactKeys) -> QuerySet[AuditEvent]:
    needles = keys.needles()
    return (
        AuditEvent.objects.filter(workspace=contact.workspace)
        .annotate(_changes=Cast("changes", TextField()))
        .filter(
            _refs_q(_refs(contact))
            | _mentions_q("object_repr", needles)
            | _mentions_q("_changes", needles, json_field=True)
        )
    )


def _dt(value) -> str | None:
    return (
        timezone.localtime(value).isoformat()
        if isinstance(value, dt.datetime)
        else (value.isoformat() if value else None)
    )


def access_export(*, actor, contact: Contact, now: dt.datetime | None = None) -> dict:
    """Everything OpenCMO holds on a person (GDPR Art. 15), as JSON-ready data; administrators only.
    The export itself is audited."""
    from opencmo.crm import segments
    from opencmo.crm.services import breakdown

    access.require_admin(actor, contact.workspace)
    now = now or timezone.now()
    workspace = contact.workspace
    keys = keys_of(contact)
    labels = {d.key: d.label for d in CustomField.objects.filter(workspace=workspace)}
    score = breakdown(contact, now=now)
    in_segments = [
        s.name
        for s in ContactSegment.objects.filter(workspace=workspace)
        if segments.contacts(workspace, s.filters, now=now).filter(pk=contact.pk).exists()
    ]
    register = {p.pk: p for p in Purpose.objects.filter(workspace=workspace)}
    data = {
        "generated_at": _dt(now),
        "controller": workspace.name,
        "about": "Everything held on this person in OpenCMO's customer records, as of the time above.",
        "person": {
            "id": contact.pk,
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": contact.phone,
            "job_title": contact.job_title,
            "country": contact.country,
            "city": contact.city,
            "language": contact.language,
            "notes": contact.notes,
            "external_id": contact.external_id,
            "lead_status": contact.lead_status,
            "custom_fields": {labels.get(k, k): v for k, v in (contact.custom or {}).items()},
            "added": _dt(contact.created_at),
            "last_changed": _dt(contact.updated_at),
            "last_activity": _dt(contact.last_activity_at),
        },
        "company": (
            {
                "name": contact.company.name,
                "domain": contact.company.domain,
                "industry": contact.company.industry,
                "country": contact.company.country,
            }
            if contact.company
            else None
        ),
        "owner": contact.owner.name if contact.owner else None,
        "lifecycle": {
            "current_stage": contact.stage.name,
            "history": [
                {
                    "at": _dt(t.at),
                    "from": t.from_stage.name if t.from_stage else None,
                    "to": t.to_stage.name,
                    "why": t.get_reason_display(),
                    "note": t.note,
                }
                for t in contact.transitions.select_related("from_stage", "to_stage")
            ],
        },
        "source": {
            "source": contact.source,
            "first_touch_channel": contact.first_touch_channel,
            "first_touch_campaign": contact.first_touch_campaign.name
            if contact.first_touch_campaign
            else None,
            "utm_source": contact.utm_source,
            "utm_medium": contact.utm_medium,
            "utm_campaign": contact.utm_campaign,
            "first_touch_at": _dt(contact.first_touch_at),
            "visitor_ids": list(keys.anonymous_ids),
        },
        "lead_score": {
            "total": str(score.total),
            "fit": [
                {"rule": line.name, "condition": line.description, "points": str(line.points)}
                for line in score.fit
            ],
            "engagement": [
                {"rule": line.name, "events": line.count, "points_now": str(line.points)}
                for line in score.engagement
            ],
        },
        "activity": [
            {
                "at": _dt(e.occurred_at),
                "kind": e.kind,
                "campaign": e.campaign.name if e.campaign else None,
                "detail": e.detail,
            }
            for e in contact.events.select_related("campaign")
        ],
        "consents": [
            {
                "purpose": c.purpose.name,
                "given_at": _dt(c.given_at),
                "source": c.source,
                "wording_shown": c.wording,
                "evidence": c.evidence,
                "withdrawn_at": _dt(c.withdrawn_at),
                "withdrawal_source": c.withdrawal_source,
            }
            for c in contact.consents.select_related("purpose")
        ],
        "processing": [
            {
                "purpose": status.purpose.name,
                "description": status.purpose.description,
                "lawful_basis": status.basis.get_basis_display()
                if status.basis
                else ("Consent" if status.consents else None),
                "processed_now": status.valid,
                "why": status.explanation,
                "recipients": register[status.purpose.pk].recipients,
                "transfers_outside_eea": register[status.purpose.pk].transfers,
                "retention": register[status.purpose.pk].retention,
            }
            for status in basis_status(contact, now=now)
        ],
        "feedback": [
            {
                "received_on": _dt(f.received_on),
                "kind": f.get_kind_display(),
                "score": f.score,
                "comment": f.comment,
                "campaign": f.campaign.name if f.campaign else None,
            }
            for f in contact.feedback.select_related("campaign")
        ],
        "sales_handoffs": [
            {
                "handed_over": _dt(h.assigned_at),
                "to": h.assigned_to.name if h.assigned_to else None,
                "status": h.get_status_display(),
                "decided_at": _dt(h.decided_at),
                "reason": h.get_reject_reason_display() if h.reject_reason else "",
                "note": h.note,
            }
            for h in contact.handoffs.select_related("assigned_to")
        ],
        "segments": in_segments,
        "audit_log": [
            {
                "at": _dt(e.at),
                "by": "system" if e.actor_label == "system" else "a member of staff",
                "action": e.get_action_display(),
                "object": e.object_type.rsplit(".", 1)[-1],
                "changes": {k: v for k, v in e.changes.items() if k not in {"id", "workspace"}},
            }
            for e in _audit_about(contact, keys).order_by("at", "pk")
        ],
    }
    audit.record(
        actor=actor,
        workspace=workspace,
        action="update",
        obj=contact,
        changes={"access_export": [None, _dt(now)]},
    )
    return data


# --- erasure --------------------------------------------------------------------------------------

# Staff identities and the suppression machinery are never rewritten by the mention sweep.
SWEEP_SKIP = {
    "core.User",
    "core.Membership",
    "org.Person",
    "crm.Suppression",
    "crm.SuppressionKey",
    "crm.Erasure",
}
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _replace(value, pattern: re.Pattern):
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):
        return {
            pattern.sub(ERASED, k) if isinstance(k, str) else k: _replace(v, pattern)
            for k, v in value.items()
        }
    return value


def _workspace_models():
    for model in apps.get_models():
        if model._meta.label in SWEEP_SKIP or model._meta.proxy:
            continue
        try:
            ws = model._meta.get_field("workspace")
        except Exception:  # noqa: S112 - models without a workspace are not swept
            continue
        if ws.is_relation and ws.related_model is Workspace:
            yield model


def _sweep(workspace: Workspace, needles: list[str], protected: Q) -> int:
    """Replace every mention of the needles in the workspace's text and JSON columns; returns how many
    rows changed. `protected` excludes audit rows about other people who share the name."""
    if not needles:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    changed = 0
    for model in _workspace_models():
        for f in model._meta.concrete_fields:
            if not isinstance(f, TEXT_FIELDS) or f.primary_key:
                continue
            is_json = isinstance(f, models.JSONField)
            qs = model.objects.filter(workspace=workspace)
            if model is AuditEvent:
                qs = qs.exclude(protected)
            column = f.name
            if is_json:
                qs = qs.annotate(_text=Cast(f.name, TextField()))
                column = "_text"
            for pk, value in qs.filter(_mentions_q(column, needles, json_field=is_json)).values_list(
                "pk", f.name
            ):
                new = _replace(value, pattern)
                if new == value:
                    continue
                try:
                    with transaction.atomic():
                        model.objects.filter(pk=pk).update(**{f.name: new})
                except IntegrityError:  # a unique text: keep it unique
                    model.objects.filter(pk=pk).update(**{f.name: f"{ERASED} {pk}"})
                changed += 1
    return changed


def _secure_delete() -> None:
    """On SQLite, overwrite deleted content with zeros so erased data is not left in free pages of the
    database file (opencmo.crm.apps also sets this on every connection)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


@transaction.atomic
def contact_erase(*, actor, contact: Contact, reason: str, suppress: bool = True) -> Erasure:
    """Erase a person (GDPR Art. 17): see the module docstring. `reason` is recorded (it must not name
    the person). `suppress` keeps the hashed address so they cannot be re-imported (the retention job
    erases without it). Administrators only."""
    access.require_admin(actor, contact.workspace)
    erasure, needles, namesakes = _erase(actor, contact, reason, suppress)
    erasure.removed["mentions_scrubbed"] = _sweep(contact.workspace, needles, namesakes)
    erasure.save(update_fields=["removed", "updated_at"])
    return erasure


def _erase(actor, contact: Contact, reason: str, suppress: bool) -> tuple[Erasure, list[str], Q]:
    """Everything of an erasure but the workspace-wide sweep of mentions (the caller runs it, once per
    person or once for a batch). Returns the Erasure, the strings to sweep and the namesakes' audit rows
    to spare."""
    workspace = contact.workspace
    keys = keys_of(contact)
    needles = keys.needles()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Record why (e.g. “erasure request received 2026-03-02, ticket 118”)."}
        )
    if any(n.lower() in reason.lower() for n in needles):
        raise ValidationError({"reason": "Do not put the person's name, address or phone in the reason."})
    _secure_delete()
    handler_names = []
    for handler in list(erasure_handlers):
        handler(workspace, keys)
        handler_names.append(getattr(handler, "__qualname__", repr(handler)))
    refs = _refs(contact)
    removed = {
        "transitions": len(refs[StageTransition._meta.label]),
        "events": len(refs[ContactEvent._meta.label]),
        "consents": len(refs[ConsentRecord._meta.label]),
        "lawful_bases": len(refs[ContactBasis._meta.label]),
        "handoffs": len(refs[Handoff._meta.label]),
        "feedback_anonymised": len(refs[Feedback._meta.label]),
    }
    url_part = f"/customers/contacts/{contact.pk}/"
    removed["notifications"] = Notification.objects.filter(
        workspace=workspace, url__contains=url_part
    ).delete()[0]
    Feedback.objects.filter(contact=contact).update(contact=None, comment="")
    contact_pk = contact.pk
    contact.delete()  # transitions, events, consents, bases and hand-offs go with it
    removed["audit_rows_scrubbed"] = (
        AuditEvent.objects.filter(workspace=workspace)
        .filter(_refs_q(refs))
        .update(object_repr=f"{ERASED} (erased contact)", changes={"erased": True})
    )
    removed["admin_log_rows"] = _scrub_admin_log(refs)
    # People sharing the full name keep their own audit trail.
    namesakes = Contact.objects.filter(workspace=workspace)
    homonyms = Q(pk__in=[])
    for name in keys.names:
        first, _, last = name.partition(" ")
        ids = [
            str(pk)
            for pk in namesakes.filter(first_name__iexact=first, last_name__iexact=last).values_list(
                "pk", flat=True
            )
        ]
        if ids:
            homonyms |= Q(object_type=Contact._meta.label, object_id__in=ids)
    removed["mentions_scrubbed"] = 0
    removed["handlers"] = handler_names
    if suppress and keys.email:
        Suppression.objects.get_or_create(
            workspace=workspace, email_hash=keys.email_hash, defaults={"reason": "erasure"}
        )
    erasure = Erasure.objects.create(
        workspace=workspace,
        contact_ref=f"contact #{contact_pk}",
        actor_label=audit._actor_label(actor),
        reason=reason[:300],
        suppressed=bool(suppress and keys.email),
        removed=removed,
    )
    audit.record(
        actor=actor,
        workspace=workspace,
        action="delete",
        obj=erasure,
        object_id=contact_pk,
        changes={"erased": [None, f"contact #{contact_pk}"], "suppressed": [None, erasure.suppressed]},
    )
    return erasure, needles, homonyms


SWEEP_BATCH = 50


def _sweep_batch(workspace: Workspace, batch: list[tuple[Erasure, list[str], Q]]) -> None:
    """One sweep of the workspace for the mentions of several erased people (the retention job)."""
    if not batch:
        return
    needles = sorted({n for _, found, _ in batch for n in found}, key=len, reverse=True)
    spared = Q(pk__in=[])
    for _, _, namesakes in batch:
        spared |= namesakes
    scrubbed = _sweep(workspace, needles, spared)
    for erasure, _, _ in batch:
        erasure.removed["mentions_scrubbed"] = scrubbed  # for the whole batch, swept together
        erasure.removed["swept_with_others"] = len(batch) - 1
        erasure.save(update_fields=["removed", "updated_at"])


def _scrub_admin_log(refs: dict[str, list[str]]) -> int:
    """Django admin's own log (superusers): rows about the erased rows lose their text."""
    if not apps.is_installed("django.contrib.admin"):
        return 0
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    total = 0
    for label, ids in refs.items():
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(apps.get_model(label))
        total += LogEntry.objects.filter(content_type=content_type, object_id__in=ids).update(
            object_repr=ERASED, change_message="[]"
        )
    return total


# --- retention ------------------------------------------------------------------------------------


def retention_candidates(workspace: Workspace, *, now: dt.datetime | None = None, days: int | None = None):
    """Contacts inactive (no activity of theirs, or added, since the cut-off) for longer than the policy,
    except those under a contract or legal obligation in force."""
    from opencmo.crm.services import ensure_defaults

    now = now or timezone.now()
    crm = ensure_defaults(workspace)
    days = days or crm.retention_days
    cutoff = now - dt.timedelta(days=days)
    today = timezone.localdate(now)
    kept = (
        ContactBasis.objects.filter(
            contact=OuterRef("pk"), basis__in=list(RETAINING), objected_at__isnull=True
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    )
    qs = (
        Contact.objects.filter(workspace=workspace)
        .annotate(_last=Coalesce("last_activity_at", "created_at"))
        .filter(_last__lt=cutoff)
        .exclude(Exists(kept))
        .order_by("_last", "pk")
    )
    return qs, cutoff, days


def retention_run(
    *,
    actor,
    workspace: Workspace,
    dry_run: bool = True,
    now: dt.datetime | None = None,
    trigger: str = "manual",
) -> RetentionRun:
    """Apply the workspace's retention policy: list (dry run) or erase (real run) the contacts inactive
    for longer than the period. Every run, dry or real, is kept as a RetentionRun and audited. A real run
    needs the policy switched on. Administrators only."""
    from opencmo.crm.services import ensure_defaults

    access.require_admin(actor, workspace)
    crm: CrmSettings = ensure_defaults(workspace)
    if not dry_run and not crm.retention_enabled:
        raise ValidationError(
            "The retention policy is switched off; switch it on in the customer settings first."
        )
    now = now or timezone.now()
    qs, cutoff, days = retention_candidates(workspace, now=now)
    matched = list(qs)
    with transaction.atomic():
        run = RetentionRun.objects.create(
            workspace=workspace,
            dry_run=dry_run,
            trigger=trigger[:20],
            actor_label=audit._actor_label(actor),
            inactive_days=days,
            cutoff=cutoff,
            matched=len(matched),
            contact_refs=[c.pk for c in matched],
        )
        erased = 0
        if not dry_run:
            batch: list[tuple[Erasure, list[str], Q]] = []
            for contact in matched:
                reason = f"Retention policy: no activity for more than {days} days (run {run.pk})"
                batch.append(_erase(actor, contact, reason, suppress=False))
                erased += 1
                if len(batch) == SWEEP_BATCH:
                    _sweep_batch(contact.workspace, batch)
                    batch = []
            _sweep_batch(workspace, batch)
            run.erased = erased
            run.save(update_fields=["erased", "updated_at"])
        audit.record_create(actor=actor, workspace=workspace, obj=run)
    return run
