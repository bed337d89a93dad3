"""Budget pages: plans and their allocation tree, line pages with pacing and phasing, spend, the
unmatched queue, exchange rates and reallocations. Views stay thin: form -> service -> render; a
service's ValidationError goes back on the form, PermissionDenied becomes a 403."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opencmo.budget import access, charts, exports, forms, selectors, services
from opencmo.budget.models import (
    BudgetLine,
    BudgetPlan,
    Commitment,
    ExchangeRate,
    ReallocationRequest,
    SpendEntry,
)
from opencmo.campaigns.models import Campaign, PlatformCampaign
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import approvals, raci
from opencmo.org.models import ApprovalRequest, Person, SignOff


def _plan_or_404(request: HttpRequest, budgetplan_pk: int) -> BudgetPlan:
    plan = scoped_or_404(BudgetPlan, request.workspace, budgetplan_pk)
    if not access.can_view(request.user, plan):
        raise Http404("No such budget plan.")  # restricted: indistinguishable from missing
    return plan


def _line_or_404(request: HttpRequest, budgetline_pk: int) -> BudgetLine:
    line = scoped_or_404(BudgetLine, request.workspace, budgetline_pk)
    _plan_or_404(request, line.plan_id)
    return line


def _fail(form, error: ValidationError) -> None:
    apply_errors(form, error)


def _people(plan: BudgetPlan) -> dict[str, list[Person]]:
    resolved = raci.resolve(plan.activity)
    people = {p.pk: p for p in Person.objects.filter(pk__in=set().union(*resolved.values()))}
    return {letter: [people[i] for i in sorted(ids) if i in people] for letter, ids in resolved.items()}


def _rights(request: HttpRequest, plan: BudgetPlan) -> dict:
    open_plan = plan.status != BudgetPlan.Status.CLOSED
    return {
        "can_shape": open_plan and access.can_shape(request.user, plan),
        "can_operate": open_plan and access.can_operate(request.user, plan),
        "can_request": open_plan and access.can_request(request.user, plan),
        "is_admin": request.membership.is_admin,
    }


def _chart_tables(row) -> dict:
    """SVG charts of a line plus the same numbers as tables (for the table view and the CSVs)."""
    currency = row.line.workspace.currency
    return {
        "pacing_svg": mark_safe(charts.pacing_svg(row.pacing, currency, row.line.name)),  # noqa: S308 - built from escaped parts
        "burndown_svg": mark_safe(charts.burndown_svg(row.pacing, currency, row.line.name)),  # noqa: S308
        "pacing_rows": row.pacing.months,
        "burndown_rows": row.pacing.burndown(),
    }


# --- home ---------------------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    can_create = request.membership.is_admin
    form = forms.PlanForm(workspace=workspace)
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied("Only administrators create budget plans.")
        form = forms.PlanForm(request.POST, workspace=workspace)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.plan_create(
                    actor=request.user,
                    workspace=workspace,
                    name=data["name"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    total=data["total"],
                    accountable=data["accountable"],
                    responsible=list(data["responsible"]),
                    restricted=data["restricted"],
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, f"Budget plan “{plan.name}” created. Allocate it below.")
                return redirect("budget_plan", ws=workspace.slug, budgetplan_pk=plan.pk)
    rows = selectors.plan_rows(request.user, workspace)
    return render(
        request,
        "budget/home.html",
        {
            "rows": rows,
            "form": form,
            "can_create": can_create,
            "unmatched": len(selectors.unmatched_groups(workspace)),
            "can_keep_data": access.can_keep_data(request.user, workspace),
        },
    )


# --- plan ---------------------------------------------------------------------------------------------


def _allocate_form(plan: BudgetPlan, figures, data=None, parent: int | None = None):
    choices = [(row.pk, "\u2003" * row.depth + row.line.name) for row in figures.rows]
    form = forms.AllocateForm(data, plan=plan, parent_choices=choices)
    if data is None:
        form.initial["parent"] = parent or figures.root.pk
    return form


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_plan(request: HttpRequest, budgetplan_pk: int) -> HttpResponse:
    plan = _plan_or_404(request, budgetplan_pk)
    rights = _rights(request, plan)
    figures = selectors.plan_figures(plan)
    allocate_form = None
    edit_form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "allocate":
            if not rights["can_shape"]:
                raise PermissionDenied("Only the plan's Accountable person or an administrator may.")
            allocate_form = _allocate_form(plan, figures, request.POST)
            if allocate_form.is_valid():
                data = allocate_form.cleaned_data
                try:
                    line = services.line_allocate(actor=request.user, **data)
                except ValidationError as error:
                    _fail(allocate_form, error)
                else:
                    messages.success(
                        request, f"Allocated {plan.workspace.currency} {line.amount:,.2f} to “{line.name}”."
                    )
                    return redirect("budget_plan", ws=request.workspace.slug, budgetplan_pk=plan.pk)
        elif action == "edit":
            if not access.can_shape(request.user, plan):
                raise PermissionDenied("Only the plan's Accountable person or an administrator may.")
            edit_form = forms.PlanEditForm(request.POST)
            if edit_form.is_valid():
                try:
                    services.plan_update(actor=request.user, plan=plan, **edit_form.cleaned_data)
                except ValidationError as error:
                    _fail(edit_form, error)
                else:
                    messages.success(request, "Plan saved.")
                    return redirect("budget_plan", ws=request.workspace.slug, budgetplan_pk=plan.pk)
        elif action == "delete":
            try:
                services.plan_delete(actor=request.user, plan=plan)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("budget_plan", ws=request.workspace.slug, budgetplan_pk=plan.pk)
            messages.success(request, f"Budget plan “{plan.name}” deleted.")
            return redirect("budget_home", ws=request.workspace.slug)
        else:
            messages.error(request, "Unknown action.")
            return redirect("budget_plan", ws=request.workspace.slug, budgetplan_pk=plan.pk)
        figures = selectors.plan_figures(plan)
    parent = request.GET.get("parent")
    allocate_form = allocate_form or _allocate_form(
        plan,
        figures,
        parent=int(parent) if parent and parent.isdigit() and int(parent) in figures.by_id else None,
    )
    edit_form = edit_form or forms.PlanEditForm(
        initial={
            "name": plan.name,
            "start_date": plan.start_date,
            "end_date": plan.end_date,
            "status": plan.status,
            "restricted": plan.activity.restricted,
        }
    )
    waiting = selectors.without_line(request.workspace)
    pending = ReallocationRequest.objects.filter(
        plan=plan, status=ReallocationRequest.Status.PENDING, approval__status__in=["consulting", "pending"]
    ).count()
    return render(
        request,
        "budget/plan.html",
        {
            "plan": plan,
            "figures": figures,
            "root": figures.root,
            "people": _people(plan),
            "allocate_form": allocate_form,
            "edit_form": edit_form,
            "pending": pending,
            "waiting": waiting,
            "open_edit": request.method == "POST" and request.POST.get("action") == "edit",
            "open_allocate": bool(parent)
            or (request.method == "POST" and request.POST.get("action") == "allocate"),
            **_chart_tables(figures.root),
            **rights,
        },
    )


@workspace_view()
@require_GET
def budget_plan_csv(request: HttpRequest, budgetplan_pk: int) -> HttpResponse:
    plan = _plan_or_404(request, budgetplan_pk)
    return exports.plan_csv(selectors.plan_figures(plan))


@workspace_view()
@require_GET
def budget_plan_xlsx(request: HttpRequest, budgetplan_pk: int) -> HttpResponse:
    plan = _plan_or_404(request, budgetplan_pk)
    return exports.plan_xlsx(selectors.plan_figures(plan))


# --- line ---------------------------------------------------------------------------------------------


def _months_form(plan: BudgetPlan, row, rights: dict, data=None) -> forms.MonthsForm:
    stored = {m.month: m for m in row.line.months.all()}
    initial = {}
    for m in row.pacing.months:
        key = f"{m.month:%Y-%m}"
        initial[f"planned_{key}"] = m.planned
        forecast = stored.get(m.month).forecast if m.month in stored else None
        initial[f"forecast_{key}"] = forecast
    return forms.MonthsForm(
        data,
        initial=initial,
        months=[m.month for m in row.pacing.months],
        can_plan=rights["can_shape"],
        can_forecast=rights["can_operate"],
    )


LINE_ACTIONS = {"resize", "edit", "delete", "spread", "copy", "months", "commit"}


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_line(request: HttpRequest, budgetline_pk: int) -> HttpResponse:
    line = _line_or_404(request, budgetline_pk)
    plan = line.plan
    rights = _rights(request, plan)
    ws = request.workspace
    bound: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in LINE_ACTIONS:
            messages.error(request, "Unknown action.")
            return redirect("budget_line", ws=ws.slug, budgetline_pk=line.pk)
        result = _line_action(request, line, action, rights)
        if isinstance(result, HttpResponse):
            return result
        bound = result
    figures = selectors.plan_figures(plan)
    row = figures.line(line.pk)
    line = row.line
    ancestors = []
    current = figures.by_id.get(line.parent_id) if line.parent_id else None
    while current is not None:
        ancestors.insert(0, current)
        current = figures.by_id.get(current.line.parent_id) if current.line.parent_id else None
    subtree = [r.pk for r in figures.rows if r.pk == line.pk or _under(figures, r, line.pk)]
    spend = (
        SpendEntry.objects.filter(workspace=ws, line_id__in=subtree)
        .select_related("campaign", "line", "entered_by")
        .order_by("-date", "-pk")
    )
    months_form = bound.get("months_form") or _months_form(plan, row, rights)
    context = {
        "plan": plan,
        "line": line,
        "row": row,
        "figures": figures,
        "ancestors": ancestors,
        "children": [figures.line(pk) for pk in row.children],
        "commitments": Commitment.objects.filter(line=line).order_by("month", "supplier"),
        "spend": spend[:25],
        "spend_count": spend.count(),
        "resize_form": bound.get("resize_form") or forms.ResizeForm(initial={"amount": line.amount}),
        "edit_form": bound.get("edit_form")
        or forms.LineEditForm(initial={"name": line.name, "accountable": line.accountable}, workspace=ws),
        "months_form": months_form,
        "month_rows": [
            (f, months_form[f"planned_{f.month:%Y-%m}"], months_form[f"forecast_{f.month:%Y-%m}"])
            for f in row.pacing.months
        ],
        "commitment_form": bound.get("commitment_form") or forms.CommitmentForm(),
        "open_panel": bound.get("open_panel", ""),
        "is_root": line.parent_id is None,
        **_chart_tables(row),
        **rights,
    }
    return render(request, "budget/line.html", context)


def _under(figures, row, ancestor_pk: int) -> bool:
    parent = row.line.parent_id
    while parent is not None:
        if parent == ancestor_pk:
            return True
        parent = figures.by_id[parent].line.parent_id
    return False


def _line_action(request: HttpRequest, line: BudgetLine, action: str, rights: dict):
    ws, user = request.workspace, request.user
    back = redirect("budget_line", ws=ws.slug, budgetline_pk=line.pk)
    if action == "resize":
        form = forms.ResizeForm(request.POST)
        if form.is_valid():
            try:
                services.line_resize(actor=user, line=line, amount=form.cleaned_data["amount"])
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(
                    request, f"“{line.name}” now holds {ws.currency} {form.cleaned_data['amount']:,.2f}."
                )
                return back
        return {"resize_form": form, "open_panel": "resize"}
    if action == "edit":
        form = forms.LineEditForm(request.POST, workspace=ws)
        if form.is_valid():
            try:
                services.line_update(actor=user, line=line, **form.cleaned_data)
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, "Line saved.")
                return back
        return {"edit_form": form, "open_panel": "edit"}
    if action == "delete":
        try:
            freed = services.line_delete(actor=user, line=line)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return back
        messages.success(
            request, f"“{line.name}” deleted; {ws.currency} {freed:,.2f} went back to the line above."
        )
        return redirect("budget_line", ws=ws.slug, budgetline_pk=line.parent_id)
    if action in {"spread", "copy"}:
        try:
            if action == "spread":
                services.phasing_spread_evenly(actor=user, line=line)
                note = "Spread evenly over the months."
            else:
                note = services.phasing_copy_last_year(actor=user, line=line)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, note)
        return back
    if action == "months":
        figures = selectors.plan_figures(line.plan)
        form = _months_form(line.plan, figures.line(line.pk), rights, request.POST)
        if not (rights["can_shape"] or rights["can_operate"]):
            raise PermissionDenied("You may read this budget, not change it.")
        if form.is_valid():
            try:
                if rights["can_shape"]:
                    services.phasing_set(actor=user, line=line, planned=form.planned())
                services.forecast_set(actor=user, line=line, forecast=form.forecast())
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, "Months saved.")
                return back
        return {"months_form": form, "open_panel": "months"}
    # commit
    form = forms.CommitmentForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_create(actor=user, line=line, **form.cleaned_data)
        except ValidationError as error:
            _fail(form, error)
        else:
            messages.success(request, "Commitment recorded.")
            return back
    return {"commitment_form": form, "open_panel": "commit"}


def _chart_csv(request: HttpRequest, budgetline_pk: int, kind: str) -> HttpResponse:
    line = _line_or_404(request, budgetline_pk)
    row = selectors.plan_figures(line.plan).line(line.pk)
    name = f"{line.plan.name}-{line.name}"
    if kind == "pacing":
        header = ["Month", "Planned", "Committed", "Actual", "Used", "Variance", "% used", "Forecast"]
        rows = [
            [
                f"{m.month:%Y-%m}",
                m.planned,
                m.committed,
                m.actual,
                m.used,
                m.variance,
                None if m.pct_used is None else (m.pct_used * 100).quantize(Decimal("0.1")),
                m.expected,
            ]
            for m in row.pacing.months
        ]
    else:
        header = ["After month", "Planned left", "Actually left", "Forecast left"]
        rows = [
            [f"{p['month']:%Y-%m}", p["planned"], p["actual"], p["forecast"]] for p in row.pacing.burndown()
        ]
    from django.utils.text import slugify

    return exports.csv_download(f"{kind}-{slugify(name)}.csv", header, rows)


@workspace_view()
@require_GET
def budget_line_pacing_csv(request: HttpRequest, budgetline_pk: int) -> HttpResponse:
    return _chart_csv(request, budgetline_pk, "pacing")


@workspace_view()
@require_GET
def budget_line_burndown_csv(request: HttpRequest, budgetline_pk: int) -> HttpResponse:
    return _chart_csv(request, budgetline_pk, "burndown")


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_commitment_edit(request: HttpRequest, commitment_pk: int) -> HttpResponse:
    commitment = scoped_or_404(Commitment, request.workspace, commitment_pk)
    line = _line_or_404(request, commitment.line_id)
    form = forms.CommitmentForm(
        initial={
            "supplier": commitment.supplier,
            "reference": commitment.reference,
            "month": commitment.month,
            "amount": commitment.amount,
            "note": commitment.note,
        }
    )
    if request.method == "POST":
        form = forms.CommitmentForm(request.POST)
        if form.is_valid():
            try:
                services.commitment_update(actor=request.user, commitment=commitment, **form.cleaned_data)
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, "Commitment saved.")
                return redirect("budget_line", ws=request.workspace.slug, budgetline_pk=line.pk)
    elif not access.can_operate(request.user, line.plan):
        raise PermissionDenied("You may read this budget, not change it.")
    return render(request, "budget/commitment_form.html", {"form": form, "line": line, "plan": line.plan})


@workspace_view()
@require_POST
def budget_commitment_delete(request: HttpRequest, commitment_pk: int) -> HttpResponse:
    commitment = scoped_or_404(Commitment, request.workspace, commitment_pk)
    line = _line_or_404(request, commitment.line_id)
    try:
        services.commitment_delete(actor=request.user, commitment=commitment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Commitment to {commitment.supplier} removed.")
    return redirect("budget_line", ws=request.workspace.slug, budgetline_pk=line.pk)


# --- spend --------------------------------------------------------------------------------------------


def _spend_scope(request: HttpRequest):
    """Spend the user may see: on plans they may see; spend not on any plan only for the people who
    keep budget data (administrators, budget R/A)."""
    workspace = request.workspace
    plans = selectors.visible_plans(request.user, workspace)
    entries = SpendEntry.objects.filter(workspace=workspace)
    if access.can_keep_data(request.user, workspace) or request.membership.is_admin:
        return plans, entries.filter(Q(line__isnull=True) | Q(line__plan__in=plans))
    person = raci.person_for(request.user, workspace)
    if person is not None and person.is_external:
        return plans, entries.filter(line__plan__in=plans)
    return plans, entries.filter(Q(line__isnull=True) | Q(line__plan__in=plans))


def _filtered_spend(request: HttpRequest):
    plans, scope = _spend_scope(request)
    filters = forms.SpendFilterForm(request.GET or None, workspace=request.workspace, plans=plans)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    entries = selectors.spend_entries(
        request.workspace,
        plan=data.get("plan"),
        campaign=data.get("campaign"),
        channel=data.get("channel"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        matched=data.get("matched") or "",
        source=data.get("source") or "",
        q=data.get("q") or "",
    ).filter(pk__in=scope.values("pk"))
    return plans, filters, entries


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_spend(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    plans, filters, entries = _filtered_spend(request)
    writable = [
        p for p in plans if p.status != BudgetPlan.Status.CLOSED and access.can_operate(request.user, p)
    ]
    can_enter = bool(writable) or access.can_keep_data(request.user, workspace)
    form = forms.SpendForm(
        workspace=workspace,
        plans=BudgetPlan.objects.filter(pk__in=[p.pk for p in writable]),
        initial={"date": timezone.localdate()},
    )
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied("Only the people Responsible or Accountable for a budget may enter spend.")
        form = forms.SpendForm(
            request.POST,
            workspace=workspace,
            plans=BudgetPlan.objects.filter(pk__in=[p.pk for p in writable]),
        )
        if form.is_valid():
            try:
                entry = services.spend_create(actor=request.user, workspace=workspace, **form.cleaned_data)
            except ValidationError as error:
                _fail(form, error)
            except PermissionDenied as error:  # e.g. a campaign whose line is in someone else's plan
                form.add_error(None, str(error))
            else:
                where = (
                    f"“{entry.line.name}”" if entry.line_id else f"“{entry.campaign}” (no budget line yet)"
                )
                messages.success(
                    request, f"Spend of {workspace.currency} {entry.amount_base:,.2f} recorded on {where}."
                )
                return redirect(request.get_full_path())
    total = entries.aggregate(total=Sum("amount_base"))["total"] or Decimal(0)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "budget/spend.html",
        {
            "filters": filters,
            "page": page,
            "total": total,
            "count": page.paginator.count,
            "form": form,
            "can_enter": can_enter,
            "query": query.urlencode(),
            "deletable": _deletable(request, page.object_list),
        },
    )


def _deletable(request: HttpRequest, entries) -> set[int]:
    out, cache = set(), {}
    keeper = access.can_keep_data(request.user, request.workspace)
    for entry in entries:
        if entry.line_id is None:
            allowed = keeper
        else:
            plan = entry.line.plan
            if plan.pk not in cache:
                cache[plan.pk] = plan.status != BudgetPlan.Status.CLOSED and access.can_operate(
                    request.user, plan
                )
            allowed = cache[plan.pk]
        if allowed:
            out.add(entry.pk)
    return out


@workspace_view()
@require_GET
def budget_spend_csv(request: HttpRequest) -> HttpResponse:
    _, _, entries = _filtered_spend(request)
    header = [
        "Date",
        "Amount",
        "Currency",
        "Rate",
        f"Amount ({request.workspace.currency})",
        "Plan",
        "Line",
        "Campaign",
        "Channel",
        "Source",
        "Platform",
        "Platform campaign",
        "Description",
    ]
    rows = (
        [
            e.date.isoformat(),
            e.amount,
            e.currency,
            e.rate,
            e.amount_base,
            e.line.plan.name if e.line_id else "",
            e.line.name if e.line_id else "",
            e.campaign.name if e.campaign_id else "",
            e.channel.name if e.channel_id else "",
            e.get_source_display(),
            e.platform,
            e.external_campaign,
            e.description,
        ]
        for e in entries.iterator()
    )
    return exports.csv_download(f"spend-{request.workspace.slug}.csv", header, rows)


@workspace_view()
@require_POST
def budget_spend_delete(request: HttpRequest, spendentry_pk: int) -> HttpResponse:
    entry = scoped_or_404(SpendEntry, request.workspace, spendentry_pk)
    if entry.line_id is not None:
        _plan_or_404(request, entry.line.plan_id)
    try:
        services.spend_delete(actor=request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Spend of {entry.date:%Y-%m-%d} ({entry.amount:,.2f} {entry.currency}) removed."
        )
    nxt = request.POST.get("next", "")
    if nxt.startswith(f"/w/{request.workspace.slug}/budget/"):
        return redirect(nxt)
    return redirect("budget_spend", ws=request.workspace.slug)


# --- unmatched queue ----------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_unmatched(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    person = raci.person_for(request.user, workspace)
    if person is not None and person.is_external and not request.membership.is_admin:
        raise PermissionDenied("The unmatched queue is for the marketing team.")
    can_map = access.can_keep_data(request.user, workspace)
    failed = None
    if request.method == "POST":
        if not can_map:
            raise PermissionDenied("Only administrators and budget R/A people map spend.")
        failed = forms.MapForm(request.POST, workspace=workspace)
        if failed.is_valid():
            try:
                mapping, count = services.unmatched_map(
                    actor=request.user, workspace=workspace, **failed.cleaned_data
                )
            except ValidationError as error:
                _fail(failed, error)
            else:
                messages.success(
                    request,
                    f"“{mapping.external_name}” ({mapping.platform}) is now mapped to “{mapping.campaign}”: "
                    f"{count} entr{'y' if count == 1 else 'ies'} matched.",
                )
                return redirect("budget_unmatched", ws=workspace.slug)
    groups = selectors.unmatched_groups(workspace)
    campaigns = list(Campaign.objects.filter(workspace=workspace))
    for i, group in enumerate(groups):
        key = (group["platform"], group["external_campaign"])
        if failed is not None and (failed.data.get("platform"), failed.data.get("external_campaign")) == key:
            group["form"] = failed
        else:  # one form per group: distinct ids keep each label tied to its own select
            group["suggested"] = selectors.suggest_campaign(workspace, key[1], campaigns)
            group["form"] = forms.MapForm(
                initial={"platform": key[0], "external_campaign": key[1], "campaign": group["suggested"]},
                workspace=workspace,
                auto_id=f"id_g{i}_%s",
            )
    mappings = PlatformCampaign.objects.filter(workspace=workspace).select_related("campaign")
    return render(
        request,
        "budget/unmatched.html",
        {
            "groups": groups,
            "without_line": selectors.without_line(workspace),
            "mappings": mappings,
            "can_map": can_map,
            "failed": failed if failed is not None and not failed.is_valid() else None,
        },
    )


@workspace_view()
@require_POST
def budget_mapping_delete(request: HttpRequest, platformcampaign_pk: int) -> HttpResponse:
    mapping = scoped_or_404(PlatformCampaign, request.workspace, platformcampaign_pk)
    count = services.platform_mapping_delete(actor=request.user, mapping=mapping)
    messages.success(
        request,
        f"Mapping “{mapping.external_name}” → “{mapping.campaign}” removed; {count} entr"
        f"{'y' if count == 1 else 'ies'} back in the queue.",
    )
    return redirect("budget_unmatched", ws=request.workspace.slug)


# --- exchange rates -----------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_rates(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    can_edit = access.can_keep_data(request.user, workspace)
    form = forms.RateForm(workspace=workspace, initial={"date": timezone.localdate()})
    import_form = forms.RateImportForm()
    problems, summary = [], ""
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only administrators and budget R/A people keep exchange rates.")
        if request.POST.get("action") == "import":
            import_form = forms.RateImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                upload = import_form.cleaned_data["file"]
                if upload.size > 5 * 1024 * 1024:
                    import_form.add_error("file", "The file is larger than 5 MB.")
                else:
                    result = services.rates_import_csv(
                        actor=request.user,
                        workspace=workspace,
                        data=upload.read(),
                        dry_run=import_form.cleaned_data["dry_run"],
                    )
                    problems = result.problems
                    if result.ok:
                        summary = result.summary()
                        if import_form.cleaned_data["dry_run"]:
                            summary += " Check only: nothing was saved."
                        else:
                            messages.success(request, summary)
                            return redirect("budget_rates", ws=workspace.slug)
        else:
            form = forms.RateForm(request.POST, workspace=workspace)
            if form.is_valid():
                try:
                    rate = services.rate_set(actor=request.user, workspace=workspace, **form.cleaned_data)
                except ValidationError as error:
                    _fail(form, error)
                else:
                    messages.success(
                        request,
                        f"Saved: 1 {rate.currency} = {rate.rate} {workspace.currency} on {rate.date}.",
                    )
                    return redirect("budget_rates", ws=workspace.slug)
    currency = request.GET.get("currency", "").strip()[:3]
    rates = selectors.exchange_rates(workspace, currency)
    page = Paginator(rates, 100).get_page(request.GET.get("page"))
    currencies = (
        ExchangeRate.objects.filter(workspace=workspace)
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )
    return render(
        request,
        "budget/rates.html",
        {
            "page": page,
            "form": form,
            "import_form": import_form,
            "problems": problems,
            "summary": summary,
            "can_edit": can_edit,
            "currency": currency.upper(),
            "currencies": list(currencies),
        },
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_rate_edit(request: HttpRequest, exchangerate_pk: int) -> HttpResponse:
    rate = scoped_or_404(ExchangeRate, request.workspace, exchangerate_pk)
    if not access.can_keep_data(request.user, request.workspace):
        raise PermissionDenied("Only administrators and budget R/A people keep exchange rates.")
    form = forms.RateForm(
        initial={"currency": rate.currency, "date": rate.date, "rate": rate.rate}, workspace=request.workspace
    )
    if request.method == "POST":
        form = forms.RateForm(request.POST, workspace=request.workspace)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rate_update(
                    actor=request.user,
                    rate=rate,
                    currency=data["currency"],
                    date=data["date"],
                    value=data["rate"],
                )
            except ValidationError as error:
                _fail(form, error)
            else:
                messages.success(request, "Rate saved; spend that uses it was converted again.")
                return redirect("budget_rates", ws=request.workspace.slug)
    return render(request, "budget/rate_form.html", {"form": form, "rate": rate})


@workspace_view()
@require_POST
def budget_rate_delete(request: HttpRequest, exchangerate_pk: int) -> HttpResponse:
    rate = scoped_or_404(ExchangeRate, request.workspace, exchangerate_pk)
    try:
        services.rate_delete(actor=request.user, rate=rate)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Rate {rate.currency} of {rate.date:%Y-%m-%d} removed.")
    return redirect("budget_rates", ws=request.workspace.slug)


# --- reallocations ------------------------------------------------------------------------------------


def _realloc_in(plan: BudgetPlan, pk: str) -> ReallocationRequest:
    try:
        return ReallocationRequest.objects.select_related("approval").get(plan=plan, pk=int(pk))
    except (ReallocationRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such reallocation.") from None


@workspace_view()
@require_http_methods(["GET", "POST"])
def budget_reallocations(request: HttpRequest, budgetplan_pk: int) -> HttpResponse:
    plan = _plan_or_404(request, budgetplan_pk)
    ws = request.workspace
    rights = _rights(request, plan)
    choices = selectors.line_choices(plan)
    start = request.GET.get("from", "")
    initial = {"from_line": int(start)} if start.isdigit() and int(start) in dict(choices) else {}
    form = forms.ReallocationForm(plan=plan, line_choices=choices, initial=initial)
    bound: dict = {}
    back = redirect("budget_reallocations", ws=ws.slug, budgetplan_pk=plan.pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "request":
            if not access.can_request(request.user, plan):
                raise PermissionDenied(
                    "Only the plan's Responsible or Accountable people may request a reallocation."
                )
            form = forms.ReallocationForm(request.POST, plan=plan, line_choices=choices)
            if form.is_valid():
                try:
                    realloc = services.reallocation_request(actor=request.user, **form.cleaned_data)
                except ValidationError as error:
                    _fail(form, error)
                else:
                    approval = realloc.approval
                    nxt = (
                        "sign-off from the Consulted people"
                        if approval.status == ApprovalRequest.Status.CONSULTING
                        else f"approval by {approval.approver.name}"
                    )
                    messages.success(request, f"Reallocation requested; waiting for {nxt}.")
                    return back
        elif action in {"decide", "signoff", "withdraw"}:
            realloc = _realloc_in(plan, request.POST.get("reallocation"))
            approval = realloc.approval
            if action == "withdraw":
                try:
                    services.reallocation_withdraw(actor=request.user, reallocation=realloc)
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                else:
                    messages.success(request, "Reallocation withdrawn.")
                return back
            if approval is None or not approval.is_open:
                messages.error(request, "This request is no longer open.")
                return back
            if action == "decide":
                decision = forms.DecisionForm(request.POST, auto_id=f"id_r{realloc.pk}_%s")
                if decision.is_valid():
                    try:
                        approvals.approval_decide(
                            actor=request.user,
                            request=approval,
                            approve=decision.cleaned_data["decision"] == "approve",
                            comment=decision.cleaned_data["comment"],
                        )
                    except ValidationError as error:
                        if hasattr(error, "error_dict"):
                            _fail(decision, error)
                        else:
                            messages.error(request, " ".join(error.messages))
                            return back
                    else:
                        realloc.refresh_from_db()
                        messages.success(request, f"Reallocation {realloc.get_status_display().lower()}.")
                        return back
                bound[("decide", realloc.pk)] = decision
            else:
                me = raci.person_for(request.user, ws)
                signoff = approval.signoffs.filter(person=me).first() if me else None
                if signoff is None:
                    raise PermissionDenied("You are not Consulted on this request.")
                answer = forms.SignOffForm(request.POST, auto_id=f"id_r{realloc.pk}_%s")
                if answer.is_valid():
                    try:
                        approvals.signoff_answer(
                            actor=request.user,
                            signoff=signoff,
                            agree=answer.cleaned_data["decision"] == "agree",
                            comment=answer.cleaned_data["comment"],
                        )
                    except ValidationError as error:
                        if hasattr(error, "error_dict"):
                            _fail(answer, error)
                        else:
                            messages.error(request, " ".join(error.messages))
                            return back
                    else:
                        messages.success(request, "Your sign-off is recorded.")
                        return back
                bound[("signoff", realloc.pk)] = answer
        else:
            messages.error(request, "Unknown action.")
            return back
    me = raci.person_for(request.user, ws)
    rows = selectors.reallocations(plan)
    for row in rows:
        approval = row["approval"]
        r = row["r"]
        row["can_decide"] = bool(
            row["open"]
            and me
            and approval.approver_id == me.pk
            and approval.status == ApprovalRequest.Status.PENDING
        )
        row["my_signoff"] = (
            approval.signoffs.filter(person=me, decision=SignOff.Decision.WAITING).first()
            if row["open"] and me
            else None
        )
        row["can_withdraw"] = bool(row["open"] and me and r.requested_by_id == me.pk)
        auto_id = f"id_r{r.pk}_%s"  # several forms on one page: ids must stay unique
        row["decision_form"] = bound.get(("decide", r.pk)) or forms.DecisionForm(auto_id=auto_id)
        row["signoff_form"] = bound.get(("signoff", r.pk)) or forms.SignOffForm(auto_id=auto_id)
        row["signoffs"] = list(approval.signoffs.select_related("person")) if approval else []
    figures = selectors.plan_figures(plan)
    return render(
        request,
        "budget/reallocations.html",
        {
            "plan": plan,
            "rows": rows,
            "form": form,
            "figures": figures,
            "people": _people(plan),
            **rights,
        },
    )
