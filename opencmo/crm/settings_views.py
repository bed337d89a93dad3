"""Customer settings (administrators): scoring threshold and half-life, hand-off SLA and assignment,
retention; lifecycle stages; custom fields; scoring rules; assignment rules."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.crm import access, conditions, services
from opencmo.crm.forms import (
    AssignmentRuleForm,
    CustomFieldForm,
    NewStageForm,
    ScoringRuleForm,
    SettingsForm,
    StageEditForm,
)
from opencmo.crm.models import AssignmentRule, CrmSettings, CustomField, LifecycleStage, ScoringRule
from opencmo.crm.views import _base


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def _settings_page(request: HttpRequest, template: str, **context) -> HttpResponse:
    base = _base(request)
    base.update(context)
    base["tab"] = template.rsplit("/", 1)[-1].removesuffix(".html")
    return render(request, template, base)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def crm_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    crm = services.ensure_defaults(workspace)
    form = SettingsForm(request.POST or None, instance=CrmSettings.objects.get(pk=crm.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(
                actor=request.user, workspace=workspace, **{k: form.cleaned_data[k] for k in form.Meta.fields}
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Customer settings saved.")
            return redirect("crm_settings", ws=workspace.slug)
    return _settings_page(
        request, "crm/settings/general.html", form=form, sales=access.sales_people(workspace), crm=crm
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def stage_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = NewStageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.stage_create(
                actor=request.user, workspace=workspace, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Stage “{made}” added at the end; move it with its position.")
            return redirect("stage_list", ws=workspace.slug)
    stages = LifecycleStage.objects.filter(workspace=workspace)
    return _settings_page(request, "crm/settings/stages.html", form=form, stages=stages)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, lifecyclestage_pk: int) -> HttpResponse:
    stage = scoped_or_404(LifecycleStage, request.workspace, lifecyclestage_pk)
    form = StageEditForm(request.POST or None, instance=LifecycleStage.objects.get(pk=stage.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Stage saved.")
            return redirect("stage_list", ws=request.workspace.slug)
    return _settings_page(
        request,
        "crm/settings/edit.html",
        form=form,
        title=f"Stage: {stage}",
        back="stage_list",
        delete_action=""
        if stage.is_builtin
        else _url("stage_delete", lifecyclestage_pk=stage.pk, ws=request.workspace.slug),
    )


@workspace_view(admin_only=True)
@require_POST
def stage_delete(request: HttpRequest, lifecyclestage_pk: int) -> HttpResponse:
    stage = scoped_or_404(LifecycleStage, request.workspace, lifecyclestage_pk)
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Stage “{stage.name}” deleted.")
    return redirect("stage_list", ws=request.workspace.slug)


def _field_kwargs(form: CustomFieldForm, *, creating: bool) -> dict:
    data = {
        "label": form.cleaned_data["label"],
        "required": form.cleaned_data["required"],
        "help_text": form.cleaned_data["help_text"],
        "position": form.cleaned_data["position"],
        "choices": form.choices(),
    }
    if creating:
        data.update(entity=form.cleaned_data["entity"], type=form.cleaned_data["type"])
    return data


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def customfield_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.customfield_create(
                actor=request.user, workspace=workspace, **_field_kwargs(form, creating=True)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Field “{made.label}” added (key {made.key}).")
            return redirect("customfield_list", ws=workspace.slug)
    definitions = CustomField.objects.filter(workspace=workspace)
    return _settings_page(request, "crm/settings/fields.html", form=form, definitions=definitions)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def customfield_edit(request: HttpRequest, customfield_pk: int) -> HttpResponse:
    definition = scoped_or_404(CustomField, request.workspace, customfield_pk)
    form = CustomFieldForm(request.POST or None, instance=CustomField.objects.get(pk=definition.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.customfield_update(
                actor=request.user, definition=definition, **_field_kwargs(form, creating=False)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Field saved.")
            return redirect("customfield_list", ws=request.workspace.slug)
    return _settings_page(
        request,
        "crm/settings/edit.html",
        form=form,
        title=f"Custom field: {definition.label}",
        back="customfield_list",
        delete_action=_url("customfield_delete", customfield_pk=definition.pk, ws=request.workspace.slug),
        delete_warning="Deleting the field removes its value from every record.",
    )


@workspace_view(admin_only=True)
@require_POST
def customfield_delete(request: HttpRequest, customfield_pk: int) -> HttpResponse:
    definition = scoped_or_404(CustomField, request.workspace, customfield_pk)
    touched = services.customfield_delete(actor=request.user, definition=definition)
    messages.success(request, f"Field “{definition.label}” deleted; {touched} record(s) lost its value.")
    return redirect("customfield_list", ws=request.workspace.slug)


def _rule_kwargs(form) -> dict:
    return {name: form.cleaned_data.get(name) for name in form.Meta.fields}


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def scoring_rules(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = ScoringRuleForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            services.scoringrule_create(actor=request.user, workspace=workspace, **_rule_kwargs(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Rule added. Scores are recalculated for everyone tonight, or now below."
            )
            return redirect("scoring_rules", ws=workspace.slug)
    labels = dict(conditions.field_choices(workspace))
    rules = [
        (r, conditions.describe(r.field, r.operator, r.value, labels) if r.kind == "fit" else r.event_kind)
        for r in ScoringRule.objects.filter(workspace=workspace).order_by(
            "-kind", "position", "pk"
        )  # fit first
    ]
    return _settings_page(
        request, "crm/settings/scoring.html", form=form, rules=rules, crm=services.ensure_defaults(workspace)
    )


@workspace_view(admin_only=True)
@require_POST
def rescore_all(request: HttpRequest) -> HttpResponse:
    counts = services.rescore_workspace(request.workspace)
    messages.success(
        request, f"Scores recalculated: {counts['rescored']} changed, {counts['promoted']} became MQLs."
    )
    return redirect("scoring_rules", ws=request.workspace.slug)


def _rule_edit(
    request: HttpRequest, rule, form_class, update, *, what: str, saved: str, back: str, delete: str
):
    """Edit one scoring or assignment rule: the same form → service → redirect for both kinds."""
    form = form_class(
        request.POST or None, instance=type(rule).objects.get(pk=rule.pk), workspace=request.workspace
    )
    if request.method == "POST" and form.is_valid():
        try:
            update(actor=request.user, rule=rule, **_rule_kwargs(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect(back, ws=request.workspace.slug)
    return _settings_page(
        request,
        "crm/settings/edit.html",
        form=form,
        title=f"{what}: {rule}",
        back=back,
        delete_action=_url(
            delete, **{f"{type(rule)._meta.model_name}_pk": rule.pk}, ws=request.workspace.slug
        ),
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def scoringrule_edit(request: HttpRequest, scoringrule_pk: int) -> HttpResponse:
    rule = scoped_or_404(ScoringRule, request.workspace, scoringrule_pk)
    return _rule_edit(
        request,
        rule,
        ScoringRuleForm,
        services.scoringrule_update,
        what="Scoring rule",
        saved="Rule saved.",
        back="scoring_rules",
        delete="scoringrule_delete",
    )


@workspace_view(admin_only=True)
@require_POST
def scoringrule_delete(request: HttpRequest, scoringrule_pk: int) -> HttpResponse:
    rule = scoped_or_404(ScoringRule, request.workspace, scoringrule_pk)
    services.scoringrule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("scoring_rules", ws=request.workspace.slug)


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def assignment_rules(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    form = AssignmentRuleForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignmentrule_create(actor=request.user, workspace=workspace, **_rule_kwargs(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Assignment rule added.")
            return redirect("assignment_rules", ws=workspace.slug)
    labels = dict(conditions.field_choices(workspace))
    rules = [
        (r, conditions.describe(r.field, r.operator, r.value, labels))
        for r in AssignmentRule.objects.filter(workspace=workspace).select_related("assign_to")
    ]
    return _settings_page(
        request,
        "crm/settings/assignment.html",
        form=form,
        rules=rules,
        crm=services.ensure_defaults(workspace),
        sales=access.sales_people(workspace),
    )


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def assignmentrule_edit(request: HttpRequest, assignmentrule_pk: int) -> HttpResponse:
    rule = scoped_or_404(AssignmentRule, request.workspace, assignmentrule_pk)
    return _rule_edit(
        request,
        rule,
        AssignmentRuleForm,
        services.assignmentrule_update,
        what="Assignment rule",
        saved="Assignment rule saved.",
        back="assignment_rules",
        delete="assignmentrule_delete",
    )


@workspace_view(admin_only=True)
@require_POST
def assignmentrule_delete(request: HttpRequest, assignmentrule_pk: int) -> HttpResponse:
    rule = scoped_or_404(AssignmentRule, request.workspace, assignmentrule_pk)
    services.assignmentrule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("assignment_rules", ws=request.workspace.slug)
