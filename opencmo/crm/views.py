"""Customer pages: overview, contacts (list, detail with score breakdown, lifecycle history, consent and
hand-off), companies, the hand-off queue and report, segments, feedback and imports. Thin: form →
service → render; a service's ValidationError goes back on the form, PermissionDenied becomes a 403."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opencmo.campaigns.models import Campaign
from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.crm import access, charts, gdpr, imports, segments, selectors, services
from opencmo.crm.forms import (
    BasisForm,
    CompanyForm,
    ConsentForm,
    ContactForm,
    DecisionForm,
    EventForm,
    FeedbackForm,
    PurposeChoiceForm,
    ReassignForm,
    SegmentForm,
    StageForm,
    UploadForm,
    WithdrawForm,
)
from opencmo.crm.models import (
    Company,
    ConsentRecord,
    Contact,
    ContactBasis,
    ContactSegment,
    Feedback,
    Handoff,
    LifecycleStage,
    Purpose,
    StageTransition,
)
from opencmo.crm.values import clean_email
from opencmo.org.models import Person

PER_PAGE = 50


def _can_write(request: HttpRequest) -> bool:
    return request.membership.access != "viewer"


def _require_write(request: HttpRequest) -> None:
    if not _can_write(request):
        raise PermissionDenied("Viewers cannot change customer data.")


def _base(request: HttpRequest) -> dict:
    services.ensure_defaults(request.workspace)
    return {
        "can_write": _can_write(request),
        "is_admin": request.membership.is_admin,
        "is_sales": access.is_sales(request.user, request.workspace),
        "event_kinds": services.EVENT_KINDS,
    }


def _page(request: HttpRequest, qs, per_page: int = PER_PAGE):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


# --- overview ---------------------------------------------------------------------------------------


@workspace_view()
@require_safe
def crm_home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    now = timezone.now()
    me = access.person_of(request.user, workspace)
    waiting = selectors.handoffs(workspace, status=Handoff.Status.PENDING)
    today = timezone.localdate()
    nps = selectors.overall(selectors.feedback_trend(workspace, Feedback.Kind.NPS, months=3, today=today))
    csat = selectors.overall(selectors.feedback_trend(workspace, Feedback.Kind.CSAT, months=3, today=today))
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time()))
    context.update(
        {
            "total": Contact.objects.filter(workspace=workspace).count(),
            "new_this_month": Contact.objects.filter(
                workspace=workspace, created_at__gte=month_start
            ).count(),
            "stages": selectors.stage_counts(workspace),
            "waiting": waiting.count(),
            "overdue": waiting.filter(due_at__lt=now).count(),
            "mine": list(waiting.filter(assigned_to=me)[:10]) if me else [],
            "nps": nps,
            "csat": csat,
            "recent": _recent_transitions(workspace),
            "now": now,
        }
    )
    return render(request, "crm/home.html", context)


def _recent_transitions(workspace, limit: int = 10):
    return (
        StageTransition.objects.filter(workspace=workspace)
        .select_related("contact", "from_stage", "to_stage")
        .order_by("-at", "-pk")[:limit]
    )


# --- contacts -------------------------------------------------------------------------------------------


def _list_filters(data) -> dict:
    """The contact list's filters from a query dict (GET of the list, POST of its export form)."""
    min_score = None
    if data.get("min_score"):
        try:
            min_score = Decimal(data["min_score"])
        except ArithmeticError:
            min_score = None
    company = data.get("company") or ""
    return {
        "q": data.get("q", "").strip()[:100],
        "stage": data.get("stage", ""),
        "owner": data.get("owner", ""),
        "company": int(company) if company.isdigit() else None,
        "min_score": min_score if min_score is None or min_score.is_finite() else None,
        "order": data.get("order", "score"),
    }


@workspace_view()
@require_safe
def contact_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    filters = _list_filters(request.GET)
    qs = selectors.contacts(workspace, **filters)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context.update(
        {
            "page": _page(request, qs),
            "filters": filters,
            "query": urlencode(query),
            "stages": LifecycleStage.objects.filter(workspace=workspace),
            "owners": Person.objects.filter(workspace=workspace, is_active=True),
            "export_form": PurposeChoiceForm(workspace=workspace),
            "filtered": any(v for k, v in filters.items() if k != "order"),
        }
    )
    template = (
        "crm/_contact_table.html" if request.htmx and not request.htmx.boosted else "crm/contact_list.html"
    )
    return render(request, template, context)


@workspace_view()
@require_POST
def contact_export(request: HttpRequest) -> HttpResponse:
    """CSV of the listed contacts for one purpose: only those with a valid lawful basis for it."""
    _require_write(request)
    workspace = request.workspace
    form = PurposeChoiceForm(request.POST, workspace=workspace)
    if not form.is_valid():
        messages.error(request, "Choose what the export is for: contacts are only exported for a purpose.")
        return redirect("contact_list", ws=workspace.slug)
    qs = selectors.contacts(workspace, **_list_filters(request.POST))
    result = gdpr.export_for_purpose(
        actor=request.user,
        workspace=workspace,
        purpose=form.cleaned_data["purpose"],
        contacts=qs,
        label="contact list",
    )
    response = csv_response(
        f"contacts-{result.purpose.key}-{timezone.localdate():%Y%m%d}.csv", result.header, result.rows
    )
    response["X-Excluded-Without-Basis"] = str(result.excluded)
    return response


@workspace_view()
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    _require_write(request)
    workspace = request.workspace
    context = _base(request)
    form = ContactForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                actor=request.user,
                workspace=workspace,
                stage=form.cleaned_data["stage"],
                **form.service_fields(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{contact} added.")
            return redirect("contact_detail", ws=workspace.slug, contact_pk=contact.pk)
    context.update({"form": form, "title": "New contact"})
    return render(request, "crm/contact_form.html", context)


def _contact_or_404(request: HttpRequest, contact_pk: int) -> Contact:
    scoped_or_404(Contact, request.workspace, contact_pk)
    return selectors.contact_detail(request.workspace, contact_pk)


def _detail_context(request: HttpRequest, contact: Contact, **forms) -> dict:
    workspace = request.workspace
    context = _base(request)
    now = timezone.now()
    crm = services.ensure_defaults(workspace)
    pending = next((h for h in contact.handoffs.all() if h.status == Handoff.Status.PENDING), None)
    context.update(
        {
            "contact": contact,
            "crm": crm,
            "now": now,
            "breakdown": services.breakdown(contact, now=now, crm=crm),
            "transitions": list(contact.transitions.all()),
            "events": contact.events.select_related("campaign")[:30],
            "event_count": contact.events.count(),
            "statuses": gdpr.basis_status(contact, now=now),
            "consents": list(contact.consents.all()),
            "feedback": list(contact.feedback.all()),
            "pending": pending,
            "past_handoffs": [h for h in contact.handoffs.all() if h.status != Handoff.Status.PENDING],
            "custom": _custom_rows(workspace, contact),
            "stage_form": forms.get("stage_form")
            or StageForm(workspace=workspace, initial={"stage": contact.stage}),
            "event_form": forms.get("event_form") or EventForm(workspace=workspace),
            "consent_form": forms.get("consent_form") or ConsentForm(workspace=workspace),
            "basis_form": forms.get("basis_form") or BasisForm(workspace=workspace),
            "decision_form": forms.get("decision_form") or DecisionForm(),
            "reassign_form": forms.get("reassign_form") or ReassignForm(workspace=workspace),
        }
    )
    if pending is not None:
        remaining = pending.due_at - now
        hours = (Decimal(str(remaining.total_seconds())) / 3600).quantize(Decimal("0.1"))
        context["sla_hours_left"], context["sla_overdue"] = hours, -hours
    return context


def _custom_rows(workspace, contact: Contact) -> list[tuple[str, str]]:
    from opencmo.crm.models import CustomField

    labels = {d.key: d.label for d in CustomField.objects.filter(workspace=workspace, entity="contact")}
    return [(labels.get(k, k), v) for k, v in (contact.custom or {}).items()]


@workspace_view()
@require_safe
def contact_detail(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_pk)
    return render(request, "crm/contact_detail.html", _detail_context(request, contact))


def _rerender(request: HttpRequest, contact: Contact, **forms) -> HttpResponse:
    contact = selectors.contact_detail(request.workspace, contact.pk)
    return render(request, "crm/contact_detail.html", _detail_context(request, contact, **forms), status=200)


def _fail(request: HttpRequest, contact: Contact, key: str, form, error: ValidationError, anchor: str):
    """Field problems go back on the form; a rule that blocks the action (say the hand-off was already
    decided) is shown as a message, since that form may no longer be on the page."""
    if hasattr(error, "error_dict"):
        apply_errors(form, error)
        return _rerender(request, contact, **{key: form})
    messages.error(request, " ".join(error.messages))
    response = redirect("contact_detail", ws=request.workspace.slug, contact_pk=contact.pk)
    response["Location"] += f"#{anchor}"
    return response


def _back(request: HttpRequest, contact: Contact, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    response = redirect("contact_detail", ws=request.workspace.slug, contact_pk=contact.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@workspace_view()
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = scoped_or_404(Contact, request.workspace, contact_pk)
    context = _base(request)
    form = ContactForm(request.POST or None, workspace=request.workspace, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _back(request, contact, "Saved.")
    context.update({"form": form, "contact": contact, "title": f"Edit {contact}"})
    return render(request, "crm/contact_form.html", context)


@workspace_view()
@require_POST
def contact_stage(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = _contact_or_404(request, contact_pk)
    form = StageForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            moved = services.contact_set_stage(
                actor=request.user,
                contact=contact,
                stage=form.cleaned_data["stage"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"Moved to {contact.stage.name}." if moved else "It is already in that stage."
            return _back(request, contact, text, "lifecycle")
    return _rerender(request, contact, stage_form=form)


@workspace_view()
@require_POST
def contact_event_add(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = _contact_or_404(request, contact_pk)
    form = EventForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            services.event_record(actor=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            contact.refresh_from_db()
            return _back(request, contact, f"Recorded. Score now {contact.score}.", "activity")
    return _rerender(request, contact, event_form=form)


@workspace_view()
@require_POST
def contact_rescore(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = _contact_or_404(request, contact_pk)
    services.contact_rescore(actor=request.user, contact=contact)
    contact.refresh_from_db()
    return _back(request, contact, f"Score recalculated: {contact.score}.", "score")


@workspace_view()
@require_POST
def contact_consent_add(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = _contact_or_404(request, contact_pk)
    form = ConsentForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        data = form.cleaned_data
        try:
            gdpr.consent_give(
                actor=request.user,
                contact=contact,
                purpose=data["purpose"],
                wording=data["wording"] or data["purpose"].consent_wording,
                source=data["source"],
                given_at=data["given_at"],
                evidence=data["evidence"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _back(request, contact, f"Consent to “{data['purpose']}” recorded.", "gdpr")
    return _rerender(request, contact, consent_form=form)


@workspace_view()
@require_POST
def consent_withdraw(request: HttpRequest, consentrecord_pk: int) -> HttpResponse:
    _require_write(request)
    consent = scoped_or_404(ConsentRecord, request.workspace, consentrecord_pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        gdpr.consent_withdraw(actor=request.user, consent=consent, source=form.cleaned_data.get("source", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contact_detail", ws=request.workspace.slug, contact_pk=consent.contact_id)
    return _back(request, consent.contact, f"Consent to “{consent.purpose}” withdrawn.", "gdpr")


@workspace_view()
@require_POST
def contact_basis_set(request: HttpRequest, contact_pk: int) -> HttpResponse:
    _require_write(request)
    contact = _contact_or_404(request, contact_pk)
    form = BasisForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            gdpr.basis_set(actor=request.user, contact=contact, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _back(
                request, contact, f"Lawful basis for “{form.cleaned_data['purpose']}” recorded.", "gdpr"
            )
    return _rerender(request, contact, basis_form=form)


@workspace_view()
@require_POST
def basis_object(request: HttpRequest, contactbasis_pk: int) -> HttpResponse:
    _require_write(request)
    basis = scoped_or_404(ContactBasis, request.workspace, contactbasis_pk)
    try:
        gdpr.basis_object(actor=request.user, basis=basis)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contact_detail", ws=request.workspace.slug, contact_pk=basis.contact_id)
    return _back(
        request,
        basis.contact,
        f"Objection to “{basis.purpose}” recorded; the basis no longer applies.",
        "gdpr",
    )


@workspace_view()
@require_POST
def basis_remove(request: HttpRequest, contactbasis_pk: int) -> HttpResponse:
    _require_write(request)
    basis = scoped_or_404(ContactBasis, request.workspace, contactbasis_pk)
    contact = basis.contact
    gdpr.basis_remove(actor=request.user, basis=basis)
    return _back(request, contact, "Lawful basis removed.", "gdpr")


# --- hand-off -----------------------------------------------------------------------------------------


@workspace_view()
@require_POST
def handoff_decide(request: HttpRequest, handoff_pk: int) -> HttpResponse:
    handoff = scoped_or_404(Handoff, request.workspace, handoff_pk)
    contact = selectors.contact_detail(request.workspace, handoff.contact_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "accept":
                services.handoff_accept(actor=request.user, handoff=handoff, note=data["note"])
                text = f"Accepted: {contact} is now a sales qualified lead."
            else:
                services.handoff_reject(
                    actor=request.user, handoff=handoff, reason=data["reason"], note=data["note"]
                )
                text = f"Rejected: {contact} goes back to marketing as a lead."
        except ValidationError as error:
            return _fail(request, contact, "decision_form", form, error, "handoff")
        return _back(request, contact, text, "handoff")
    return _rerender(request, contact, decision_form=form)


@workspace_view()
@require_POST
def handoff_reassign(request: HttpRequest, handoff_pk: int) -> HttpResponse:
    _require_write(request)
    handoff = scoped_or_404(Handoff, request.workspace, handoff_pk)
    contact = selectors.contact_detail(request.workspace, handoff.contact_id)
    form = ReassignForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        try:
            services.handoff_reassign(actor=request.user, handoff=handoff, person=form.cleaned_data["person"])
        except ValidationError as error:
            return _fail(request, contact, "reassign_form", form, error, "handoff")
        text = f"Given to {form.cleaned_data['person']}; the SLA clock restarted."
        return _back(request, contact, text, "handoff")
    return _rerender(request, contact, reassign_form=form)


@workspace_view()
@require_safe
def handoff_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    status = request.GET.get("status", "pending")
    if status not in Handoff.Status.values:
        status = "pending"
    me = access.person_of(request.user, workspace)
    person = me if request.GET.get("mine") and me else None
    context.update(
        {
            "page": _page(request, selectors.handoffs(workspace, status=status, person=person)),
            "status": status,
            "statuses": Handoff.Status.choices,
            "mine": bool(person),
            "me": me,
            "now": timezone.now(),
            "sales": access.sales_people(workspace),
        }
    )
    return render(request, "crm/handoff_list.html", context)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    try:
        end = dt.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
        start = (
            dt.date.fromisoformat(request.GET.get("start", ""))
            if request.GET.get("start")
            else end - dt.timedelta(days=89)
        )
    except ValueError:
        start, end = today - dt.timedelta(days=89), today
    if start > end:
        start, end = end, start
    return start, end


@workspace_view()
@require_safe
def handoff_report(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    start, end = _period(request)
    now = timezone.now()
    report = selectors.funnel(workspace, start, end, now=now)
    top = max((n for _, n in report.steps()), default=0) or 1
    context.update(
        {
            "report": report,
            "start": start,
            "end": end,
            "now": now,
            "steps": [(label, n, Decimal(100) * n / top) for label, n in report.steps()],
            "breaches": [(h, selectors.overdue_hours(h, now)) for h in report.breached],
            "query": urlencode({"start": start.isoformat(), "end": end.isoformat()}),
        }
    )
    return render(request, "crm/handoff_report.html", context)


@workspace_view()
@require_safe
def handoff_export(request: HttpRequest) -> HttpResponse:
    """The hand-offs of the period as CSV: ids and staff only, no personal data of the leads."""
    start, end = _period(request)
    now = timezone.now()
    report = selectors.funnel(request.workspace, start, end, now=now)
    rows = [
        [
            h.pk,
            h.contact_id,
            h.assigned_to.name if h.assigned_to else "",
            h.assignment_note,
            timezone.localtime(h.assigned_at).isoformat(timespec="minutes"),
            timezone.localtime(h.due_at).isoformat(timespec="minutes"),
            h.status,
            timezone.localtime(h.decided_at).isoformat(timespec="minutes") if h.decided_at else "",
            h.decided_by.name if h.decided_by else "",
            h.reject_reason,
            selectors._hours(h.decided_at - h.assigned_at) if h.decided_at else "",
            "yes" if h.breached(now) else "no",
            h.score_at_handoff,
        ]
        for h in report.items
    ]
    header = [
        "handoff_id",
        "contact_id",
        "assigned_to",
        "assigned_by",
        "assigned_at",
        "due_at",
        "status",
        "decided_at",
        "decided_by",
        "reject_reason",
        "hours_to_decision",
        "sla_breached",
        "score_at_handoff",
    ]
    return csv_response(f"handoffs-{start:%Y%m%d}-{end:%Y%m%d}.csv", header, rows)


# --- companies ----------------------------------------------------------------------------------------


@workspace_view()
@require_safe
def company_list(request: HttpRequest) -> HttpResponse:
    context = _base(request)
    q = request.GET.get("q", "").strip()[:100]
    context.update({"page": _page(request, selectors.companies(request.workspace, q=q)), "q": q})
    return render(request, "crm/company_list.html", context)


@workspace_view()
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    _require_write(request)
    context = _base(request)
    form = CompanyForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(
                actor=request.user, workspace=request.workspace, **form.service_fields()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{company} added.")
            return redirect("company_detail", ws=request.workspace.slug, company_pk=company.pk)
    context.update({"form": form, "title": "New company"})
    return render(request, "crm/company_form.html", context)


@workspace_view()
@require_safe
def company_detail(request: HttpRequest, company_pk: int) -> HttpResponse:
    company = scoped_or_404(Company, request.workspace, company_pk)
    context = _base(request)
    from opencmo.crm.models import CustomField

    labels = {
        d.key: d.label for d in CustomField.objects.filter(workspace=request.workspace, entity="company")
    }
    context.update(
        {
            "company": company,
            "custom": [(labels.get(k, k), v) for k, v in (company.custom or {}).items()],
            "contacts": company.contacts.select_related("stage", "owner").order_by("-score"),
        }
    )
    return render(request, "crm/company_detail.html", context)


@workspace_view()
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, company_pk: int) -> HttpResponse:
    _require_write(request)
    company = scoped_or_404(Company, request.workspace, company_pk)
    context = _base(request)
    form = CompanyForm(request.POST or None, workspace=request.workspace, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(actor=request.user, company=company, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("company_detail", ws=request.workspace.slug, company_pk=company.pk)
    context.update({"form": form, "company": company, "title": f"Edit {company}"})
    return render(request, "crm/company_form.html", context)


@workspace_view()
@require_POST
def company_delete(request: HttpRequest, company_pk: int) -> HttpResponse:
    _require_write(request)
    company = scoped_or_404(Company, request.workspace, company_pk)
    name = company.name
    kept = services.company_delete(actor=request.user, company=company)
    messages.success(request, f"{name} deleted; its {kept} contact(s) stay, without a company.")
    return redirect("company_list", ws=request.workspace.slug)


# --- segments -----------------------------------------------------------------------------------------


@workspace_view()
@require_safe
def segment_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    now = timezone.now()
    rows = []
    for segment in ContactSegment.objects.filter(workspace=workspace).select_related("purpose"):
        qs = segments.contacts(workspace, segment.filters, now=now)
        usable = qs.filter(gdpr.valid_basis_q(segment.purpose, now=now)).count() if segment.purpose else None
        rows.append({"segment": segment, "count": qs.count(), "usable": usable})
    context["rows"] = rows
    return render(request, "crm/segment_list.html", context)


def _segment_form_page(request: HttpRequest, segment: ContactSegment | None) -> HttpResponse:
    _require_write(request)
    workspace = request.workspace
    context = _base(request)
    form = SegmentForm(request.POST or None, workspace=workspace, segment=segment)
    if request.method == "POST" and form.is_valid():
        fields = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
            "purpose": form.cleaned_data["purpose"],
            "filters": form.filters(),
        }
        try:
            if segment is None:
                segment = services.segment_create(actor=request.user, workspace=workspace, **fields)
            else:
                services.segment_update(actor=request.user, segment=segment, **fields)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Segment “{segment}” saved.")
            return redirect("segment_detail", ws=workspace.slug, contactsegment_pk=segment.pk)
    context.update(
        {"form": form, "segment": segment, "title": f"Edit {segment}" if segment else "New segment"}
    )
    return render(request, "crm/segment_form.html", context)


@workspace_view()
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    return _segment_form_page(request, None)


@workspace_view()
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, contactsegment_pk: int) -> HttpResponse:
    return _segment_form_page(request, scoped_or_404(ContactSegment, request.workspace, contactsegment_pk))


@workspace_view()
@require_safe
def segment_preview(request: HttpRequest) -> HttpResponse:
    """Live count while a segment is being edited (htmx)."""
    workspace = request.workspace
    form = SegmentForm(request.GET, workspace=workspace)
    form.is_valid()
    context = {"error": ""}
    try:
        filters = segments.clean_filters(workspace, form.filters() if hasattr(form, "cleaned_data") else {})
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "crm/_segment_preview.html", context)
    now = timezone.now()
    qs = segments.contacts(workspace, filters, now=now)
    purpose = form.cleaned_data.get("purpose") if hasattr(form, "cleaned_data") else None
    context.update(
        {
            "count": qs.count(),
            "usable": qs.filter(gdpr.valid_basis_q(purpose, now=now)).count() if purpose else None,
            "purpose": purpose,
            "sample": list(qs.select_related("stage", "company")[:5]),
            "lines": segments.describe(workspace, filters),
        }
    )
    return render(request, "crm/_segment_preview.html", context)


@workspace_view()
@require_safe
def segment_detail(request: HttpRequest, contactsegment_pk: int) -> HttpResponse:
    workspace = request.workspace
    segment = scoped_or_404(ContactSegment, workspace, contactsegment_pk)
    context = _base(request)
    now = timezone.now()
    qs = segments.contacts(workspace, segment.filters, now=now).select_related("stage", "company", "owner")
    form = PurposeChoiceForm(workspace=workspace, initial={"purpose": segment.purpose})
    usable = qs.filter(gdpr.valid_basis_q(segment.purpose, now=now)).count() if segment.purpose else None
    context.update(
        {
            "segment": segment,
            "lines": segments.describe(workspace, segment.filters),
            "count": qs.count(),
            "usable": usable,
            "page": _page(request, qs, per_page=25),
            "export_form": form,
        }
    )
    return render(request, "crm/segment_detail.html", context)


@workspace_view()
@require_POST
def segment_export(request: HttpRequest, contactsegment_pk: int) -> HttpResponse:
    """CSV of a segment for a purpose: contacts without a valid lawful basis for it are left out."""
    _require_write(request)
    workspace = request.workspace
    segment = scoped_or_404(ContactSegment, workspace, contactsegment_pk)
    form = PurposeChoiceForm(request.POST, workspace=workspace)
    if not form.is_valid():
        messages.error(request, "Choose what the export is for: contacts are only exported for a purpose.")
        return redirect("segment_detail", ws=workspace.slug, contactsegment_pk=segment.pk)
    result = gdpr.export_for_purpose(
        actor=request.user,
        workspace=workspace,
        purpose=form.cleaned_data["purpose"],
        contacts=segments.contacts(workspace, segment.filters),
        label=f"segment {segment.pk}",
    )
    name = f"segment-{segment.pk}-{result.purpose.key}-{timezone.localdate():%Y%m%d}.csv"
    response = csv_response(name, result.header, result.rows)
    response["X-Excluded-Without-Basis"] = str(result.excluded)
    return response


@workspace_view()
@require_POST
def segment_delete(request: HttpRequest, contactsegment_pk: int) -> HttpResponse:
    _require_write(request)
    segment = scoped_or_404(ContactSegment, request.workspace, contactsegment_pk)
    services.segment_delete(actor=request.user, segment=segment)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("segment_list", ws=request.workspace.slug)


# --- feedback -----------------------------------------------------------------------------------------


def _feedback_filters(request: HttpRequest) -> tuple[str, int | None, int, Campaign | None]:
    kind = request.GET.get("kind", Feedback.Kind.NPS)
    if kind not in Feedback.Kind.values:
        kind = Feedback.Kind.NPS
    campaign = None
    if request.GET.get("campaign", "").isdigit():
        campaign = Campaign.objects.filter(
            workspace=request.workspace, pk=int(request.GET["campaign"])
        ).first()
    months = request.GET.get("months", "12")
    months = min(max(int(months), 3), 36) if months.isdigit() else 12
    return kind, campaign.pk if campaign else None, months, campaign


@workspace_view()
@require_safe
def feedback_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    kind, campaign_id, months, campaign = _feedback_filters(request)
    points = selectors.feedback_trend(workspace, kind, months=months, campaign=campaign_id)
    answers = selectors.feedback(workspace, kind=kind, campaign=campaign_id).filter(
        received_on__gte=points[0].month
    )
    context.update(
        {
            "kind": kind,
            "campaign": campaign,
            "months": months,
            "campaigns": Campaign.objects.filter(workspace=workspace).order_by("-start_date"),
            "points": points,
            "overall": selectors.overall(points),
            "chart": charts.trend_svg(points, kind),
            "page": _page(request, answers),
            "query": urlencode({k: v for k, v in request.GET.items() if k != "page" and v}),
        }
    )
    return render(request, "crm/feedback_list.html", context)


@workspace_view()
@require_safe
def feedback_export(request: HttpRequest) -> HttpResponse:
    """The monthly trend as CSV (aggregates only)."""
    kind, campaign_id, months, _campaign = _feedback_filters(request)
    points = selectors.feedback_trend(request.workspace, kind, months=months, campaign=campaign_id)
    if kind == Feedback.Kind.NPS:
        header = ["month", "answers", "promoters", "passives", "detractors", "nps"]
        rows = [
            [f"{p.month:%Y-%m}", p.responses, p.promoters, p.passives, p.detractors, p.nps] for p in points
        ]
    else:
        header = ["month", "answers", "average_csat", "satisfied_percent"]
        rows = [[f"{p.month:%Y-%m}", p.responses, p.csat_average, p.csat_share] for p in points]
    return csv_response(f"{kind}-trend-{timezone.localdate():%Y%m%d}.csv", header, rows)


@workspace_view()
@require_http_methods(["GET", "POST"])
def feedback_create(request: HttpRequest) -> HttpResponse:
    _require_write(request)
    workspace = request.workspace
    context = _base(request)
    contact = None
    if request.GET.get("contact", "").isdigit():
        contact = Contact.objects.filter(workspace=workspace, pk=int(request.GET["contact"])).first()
    initial = {"email": contact.email} if contact else {}
    form = FeedbackForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = None
        if data["email"]:
            found = Contact.objects.filter(workspace=workspace, email=clean_email(data["email"])).first()
            if found is None:
                form.add_error(
                    "email", "No contact with this address; leave it empty for an anonymous answer."
                )
        if not form.errors:
            try:
                services.feedback_create(
                    actor=request.user,
                    workspace=workspace,
                    kind=data["kind"],
                    score=data["score"],
                    received_on=data["received_on"],
                    contact=found,
                    campaign=data["campaign"],
                    comment=data["comment"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Feedback recorded.")
                if found is not None:
                    return redirect("contact_detail", ws=workspace.slug, contact_pk=found.pk)
                return redirect("feedback_list", ws=workspace.slug)
    context.update({"form": form, "title": "Record feedback"})
    return render(request, "crm/simple_form.html", context)


@workspace_view()
@require_POST
def feedback_delete(request: HttpRequest, feedback_pk: int) -> HttpResponse:
    _require_write(request)
    item = scoped_or_404(Feedback, request.workspace, feedback_pk)
    services.feedback_delete(actor=request.user, feedback=item)
    messages.success(request, "Feedback deleted.")
    return redirect("feedback_list", ws=request.workspace.slug)


# --- imports --------------------------------------------------------------------------------------------


def _import_page(request: HttpRequest, *, kind: str) -> HttpResponse:
    _require_write(request)
    workspace = request.workspace
    context = _base(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    report, error = None, ""
    if request.method == "POST" and form.is_valid():
        dry_run = "check" in request.POST
        try:
            rows = imports.read_table(form.cleaned_data["file"].read())
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            runner = imports.contacts_import_rows if kind == "contacts" else imports.feedback_import_rows
            report = runner(actor=request.user, workspace=workspace, rows=rows, dry_run=dry_run)
            if report.ok and not dry_run:
                if kind == "contacts":
                    messages.success(request, report.summary())
                    return redirect("contact_list", ws=workspace.slug)
                messages.success(
                    request, f"{report.created} answers imported ({report.linked} linked to contacts)."
                )
                return redirect("feedback_list", ws=workspace.slug)
    context.update(
        {
            "form": form,
            "report": report,
            "error": error,
            "kind": kind,
            "workspace_purposes": Purpose.objects.filter(workspace=workspace, is_active=True),
        }
    )
    if request.htmx:
        return render(request, "crm/_import_report.html", context)
    return render(request, "crm/import.html", context)


@workspace_view()
@require_http_methods(["GET", "POST"])
def contact_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, kind="contacts")


@workspace_view()
@require_http_methods(["GET", "POST"])
def feedback_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, kind="feedback")
