"""Contacts, their lifecycle stage and consent records."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opencmo.api.common import (
    Input,
    PageIn,
    get_or_404,
    optional_ref,
    page_of,
    paginate,
    responses,
    workspace_for,
)
from opencmo.crm import gdpr, selectors, services
from opencmo.crm.models import Company, ConsentRecord, Contact, LifecycleStage, Purpose
from opencmo.org.models import Person

router = Router(tags=["crm"])
MIN_SCORE = Query(None, max_digits=8, decimal_places=1)


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    job_title: str
    company_id: int | None
    country: str
    city: str
    language: str
    stage: str
    owner_id: int | None
    score: Decimal
    fit_score: Decimal
    engagement_score: Decimal
    source: str
    created_at: dt.datetime
    last_activity_at: dt.datetime | None

    @staticmethod
    def resolve_stage(obj: Contact) -> str:
        return obj.stage.key


class ContactIn(Input):
    """Only these fields can be set; scores, stage history, consent and timestamps are the system's."""

    email: str | None = Query(None, max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    job_title: str = Field("", max_length=150)
    company_id: int | None = None
    country: str = Field("", max_length=60)
    city: str = Field("", max_length=100)
    language: str = Field("", max_length=10)
    owner_id: int | None = None
    notes: str = Field("", max_length=10_000)
    source: str = Field("", max_length=40)
    stage: str | None = Query(None, max_length=40, description="Stage key; default lead.")


class ContactPatch(Input):
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    job_title: str | None = Field(None, max_length=150)
    company_id: int | None = None
    country: str | None = Field(None, max_length=60)
    city: str | None = Field(None, max_length=100)
    language: str | None = Field(None, max_length=10)
    owner_id: int | None = None
    notes: str | None = Field(None, max_length=10_000)


class StageIn(Input):
    stage: str = Query(max_length=40, description="Stage key, e.g. lead, mql, sql, customer.")
    note: str = Field("", max_length=300)


class ConsentOut(Schema):
    id: int
    purpose: str
    given_at: dt.datetime
    source: str
    wording: str
    evidence: str
    withdrawn_at: dt.datetime | None
    withdrawal_source: str

    @staticmethod
    def resolve_purpose(obj: ConsentRecord) -> str:
        return obj.purpose.key


class ConsentIn(Input):
    purpose: str = Field(max_length=60, description="Purpose key from the processing register.")
    wording: str = Field(max_length=10_000)
    source: str = Field(max_length=100)
    given_at: dt.datetime | None = None
    evidence: str = Field("", max_length=200)


def _contact(request: HttpRequest, ws: str, contact_pk: int, *, write: bool = False) -> Contact:
    workspace = workspace_for(request, ws, "crm", write=write).workspace
    return get_or_404(Contact, workspace, contact_pk, Contact.objects.select_related("stage"))


def _stage(workspace, key: str | None) -> LifecycleStage | None:
    from django.core.exceptions import ValidationError

    if key is None:
        return None
    stage = LifecycleStage.objects.filter(workspace=workspace, key=key).first()
    if stage is None:
        raise ValidationError({"stage": f"No lifecycle stage “{key}” in this workspace."})
    return stage


def _fields(workspace, sent: dict) -> dict:
    if "company_id" in sent:
        sent["company"] = optional_ref(Company, workspace, sent.pop("company_id"), "company_id")
    if "owner_id" in sent:
        sent["owner"] = optional_ref(Person, workspace, sent.pop("owner_id"), "owner_id")
    if "email" in sent:
        sent["email"] = (sent["email"] or "").lower()
    return {k: v for k, v in sent.items() if v is not None or k in {"company", "owner"}}


@router.get("/w/{ws}/contacts", response=responses(page_of(ContactOut)))
def list_contacts(
    request: HttpRequest,
    ws: str,
    page: Query[PageIn],
    q: str = Query("", max_length=200),
    stage: str = Query("", max_length=40),
    owner: int | None = None,
    company: int | None = None,
    min_score: Decimal | None = MIN_SCORE,
    order: Literal["score", "name", "recent", "activity"] = "score",
):
    """Contacts; `q` searches names, email, title, company and phone; `stage` is a stage key."""
    workspace = workspace_for(request, ws, "crm").workspace
    rows = selectors.contacts(
        workspace,
        q=q,
        stage=stage,
        owner=str(owner) if owner is not None else "",
        company=company,
        min_score=min_score,
        order=order,
    )
    return paginate(rows, limit=page.limit, offset=page.offset)


@router.get("/w/{ws}/contacts/{contact_pk}", response=responses(ContactOut))
def get_contact(request: HttpRequest, ws: str, contact_pk: int):
    return _contact(request, ws, contact_pk)


@router.post("/w/{ws}/contacts", response=responses(ContactOut, 201))
def create_contact(request: HttpRequest, ws: str, body: ContactIn):
    workspace = workspace_for(request, ws, "crm", write=True).workspace
    sent = body.model_dump()
    stage = _stage(workspace, sent.pop("stage"))
    contact = services.contact_create(
        actor=request.user, workspace=workspace, stage=stage, **_fields(workspace, sent)
    )
    return Status(201, Contact.objects.select_related("stage").get(pk=contact.pk))


@router.patch("/w/{ws}/contacts/{contact_pk}", response=responses(ContactOut))
def update_contact(request: HttpRequest, ws: str, contact_pk: int, body: ContactPatch):
    contact = _contact(request, ws, contact_pk, write=True)
    fields = _fields(contact.workspace, body.model_dump(exclude_unset=True))
    if not fields:
        raise ValidationError("Send at least one field to change.")
    services.contact_update(actor=request.user, contact=contact, **fields)
    return _contact(request, ws, contact_pk)


@router.post("/w/{ws}/contacts/{contact_pk}/stage", response=responses(ContactOut))
def set_contact_stage(request: HttpRequest, ws: str, contact_pk: int, body: StageIn):
    """Move the contact to another lifecycle stage (an MQL is handed to sales)."""
    contact = _contact(request, ws, contact_pk, write=True)
    services.contact_set_stage(
        actor=request.user, contact=contact, stage=_stage(contact.workspace, body.stage), note=body.note
    )
    return _contact(request, ws, contact_pk)


@router.get("/w/{ws}/contacts/{contact_pk}/consents", response=responses(list[ConsentOut]))
def list_consents(request: HttpRequest, ws: str, contact_pk: int):
    contact = _contact(request, ws, contact_pk)
    return (
        ConsentRecord.objects.filter(workspace=contact.workspace, contact=contact)
        .select_related("purpose")
        .order_by("-given_at", "-pk")
    )


@router.post("/w/{ws}/contacts/{contact_pk}/consents", response=responses(ConsentOut, 201))
def give_consent(request: HttpRequest, ws: str, contact_pk: int, body: ConsentIn):
    """Record a consent as given, with the exact wording the person saw."""
    contact = _contact(request, ws, contact_pk, write=True)
    purpose = Purpose.objects.filter(workspace=contact.workspace, key=body.purpose).first()
    if purpose is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"purpose": f"No purpose “{body.purpose}” in this workspace's register."})
    record = gdpr.consent_give(
        actor=request.user,
        contact=contact,
        purpose=purpose,
        wording=body.wording,
        source=body.source,
        given_at=body.given_at,
        evidence=body.evidence,
    )
    return Status(201, record)


@router.post("/w/{ws}/consents/{consentrecord_pk}/withdraw", response=responses(ConsentOut))
def withdraw_consent(request: HttpRequest, ws: str, consentrecord_pk: int):
    """Withdraw a consent (and any other in force for the same purpose); the record stays as proof."""
    workspace = workspace_for(request, ws, "crm", write=True).workspace
    consent = get_or_404(ConsentRecord, workspace, consentrecord_pk)
    return gdpr.consent_withdraw(actor=request.user, consent=consent, source="api")
