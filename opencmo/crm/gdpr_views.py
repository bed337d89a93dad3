"""GDPR pages: the register of processing activities (everyone reads, administrators edit), and for
administrators the data-subject access export, erasure, the retention policy, the erasure log and the
suppression check."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.crm import gdpr, services
from opencmo.crm.forms import EraseForm, PurposeForm, SuppressionCheckForm
from opencmo.crm.models import Contact, Erasure, Purpose, RetentionRun
from opencmo.crm.views import _base


@workspace_view()
@require_http_methods(["GET", "POST"])
def gdpr_home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = _base(request)
    check_form, checked = SuppressionCheckForm(), None
    if request.method == "POST":
        if not request.membership.is_admin:
            raise PermissionDenied("Only administrators check the suppression list.")
        check_form = SuppressionCheckForm(request.POST)
        if check_form.is_valid():
            checked = gdpr.is_suppressed(workspace, check_form.cleaned_data["email"])
    crm = services.ensure_defaults(workspace)
    preview = None
    if request.membership.is_admin:
        candidates, cutoff, days = gdpr.retention_candidates(workspace)
        sample = list(candidates[:8])
        count = candidates.count()
        preview = {"count": count, "cutoff": cutoff, "days": days, "sample": sample, "minus": -len(sample)}
    context.update(
        {
            "crm": crm,
            "purposes": Purpose.objects.filter(workspace=workspace),
            "erasures": Erasure.objects.filter(workspace=workspace)[:20],
            "runs": RetentionRun.objects.filter(workspace=workspace)[:10],
            "check_form": check_form,
            "checked": checked,
            "preview": preview,
        }
    )
    return render(request, "crm/gdpr_home.html", context)


@workspace_view(admin_only=True)
@require_POST
def retention_run(request: HttpRequest) -> HttpResponse:
    dry_run = request.POST.get("mode") != "erase"
    try:
        run = gdpr.retention_run(
            actor=request.user, workspace=request.workspace, dry_run=dry_run, trigger="manual"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if run.dry_run:
            messages.success(
                request, f"Dry run: {run.matched} contact(s) would be erased. Nothing was changed."
            )
        else:
            messages.success(request, f"Retention policy applied: {run.erased} contact(s) erased.")
    return redirect("gdpr_home", ws=request.workspace.slug)


@workspace_view()
@require_safe
def purpose_list(request: HttpRequest) -> HttpResponse:
    context = _base(request)
    context.update(
        {
            "purposes": Purpose.objects.filter(workspace=request.workspace),
            "form": PurposeForm() if request.membership.is_admin else None,
        }
    )
    return render(request, "crm/register.html", context)


def _purpose_fields(form: PurposeForm) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def purpose_create(request: HttpRequest) -> HttpResponse:
    context = _base(request)
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            gdpr.purpose_create(actor=request.user, workspace=request.workspace, **_purpose_fields(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Added to the register.")
            return redirect("purpose_list", ws=request.workspace.slug)
    context.update({"form": form, "title": "New processing activity", "back": "purpose_list"})
    return render(request, "crm/simple_form.html", context)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def purpose_edit(request: HttpRequest, purpose_pk: int) -> HttpResponse:
    purpose = scoped_or_404(Purpose, request.workspace, purpose_pk)
    context = _base(request)
    form = PurposeForm(request.POST or None, instance=Purpose.objects.get(pk=purpose.pk))
    if request.method == "POST" and form.is_valid():
        try:
            gdpr.purpose_update(actor=request.user, purpose=purpose, **_purpose_fields(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Register entry saved.")
            return redirect("purpose_list", ws=request.workspace.slug)
    context.update(
        {
            "form": form,
            "title": f"Processing activity: {purpose}",
            "back": "purpose_list",
            "delete_action": reverse(
                "purpose_delete", kwargs={"ws": request.workspace.slug, "purpose_pk": purpose.pk}
            ),
        }
    )
    return render(request, "crm/simple_form.html", context)


@workspace_view(admin_only=True)
@require_POST
def purpose_delete(request: HttpRequest, purpose_pk: int) -> HttpResponse:
    purpose = scoped_or_404(Purpose, request.workspace, purpose_pk)
    try:
        gdpr.purpose_delete(actor=request.user, purpose=purpose)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("purpose_edit", ws=request.workspace.slug, purpose_pk=purpose.pk)
    messages.success(request, f"“{purpose.name}” removed from the register.")
    return redirect("purpose_list", ws=request.workspace.slug)


@workspace_view()
@require_safe
def register_export(request: HttpRequest) -> HttpResponse:
    """The register of processing activities (GDPR Art. 30) as CSV."""
    header = [
        "purpose",
        "description",
        "lawful_basis",
        "categories_of_data",
        "data_subjects",
        "recipients",
        "transfers_outside_eea",
        "retention",
        "safeguards",
        "in_use",
        "controller",
    ]
    rows = [
        [
            p.name,
            p.description,
            p.get_lawful_basis_display(),
            p.data_categories,
            p.data_subjects,
            p.recipients,
            p.transfers,
            p.retention,
            p.safeguards,
            "yes" if p.is_active else "no",
            request.workspace.name,
        ]
        for p in Purpose.objects.filter(workspace=request.workspace)
    ]
    return csv_response(f"register-of-processing-{timezone.localdate():%Y%m%d}.csv", header, rows)


def _report(request: HttpRequest, contact_pk: int) -> tuple[Contact, dict]:
    contact = scoped_or_404(Contact, request.workspace, contact_pk)
    return contact, gdpr.access_export(actor=request.user, contact=contact)


@workspace_view(admin_only=True)
@require_safe
def contact_access(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """The data-subject access report as a human-readable HTML page (printable, downloadable)."""
    contact, data = _report(request, contact_pk)
    html = render_to_string("crm/access_report.html", {"data": data, "contact": contact, "request": request})
    response = HttpResponse(html)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="access-report-{contact.pk}.html"'
    return response


@workspace_view(admin_only=True)
@require_safe
def contact_access_json(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact, data = _report(request, contact_pk)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-report-{contact.pk}.json"'
    return response


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = scoped_or_404(Contact, request.workspace, contact_pk)
    context = _base(request)
    form = EraseForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            erasure = gdpr.contact_erase(
                actor=request.user,
                contact=contact,
                reason=form.cleaned_data["reason"],
                suppress=form.cleaned_data["suppress"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            kept = (
                " A hashed suppression entry keeps them from being imported again."
                if erasure.suppressed
                else ""
            )
            messages.success(request, f"The contact was erased everywhere ({erasure.contact_ref}).{kept}")
            return redirect("gdpr_home", ws=request.workspace.slug)
    context.update({"form": form, "contact": contact, "counts": _counts(contact)})
    return render(request, "crm/erase_confirm.html", context)


def _counts(contact: Contact) -> list[tuple[str, int]]:
    return [
        ("lifecycle transitions", contact.transitions.count()),
        ("activity events", contact.events.count()),
        ("consent records", contact.consents.count()),
        ("lawful bases", contact.bases.count()),
        ("hand-offs to sales", contact.handoffs.count()),
        ("feedback answers (kept anonymously, comment removed)", contact.feedback.count()),
    ]
