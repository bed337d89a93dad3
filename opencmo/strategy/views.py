"""Strategy pages: goals → objectives → KPIs, traceability down to campaigns and tasks, segments and the
versioned brand strategy. Thin: validate with a form, call a service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import raci
from opencmo.strategy import access, selectors, services
from opencmo.strategy.forms import (
    GoalForm,
    KpiActualForm,
    KpiForm,
    ObjectiveForm,
    SegmentForm,
    StrategyDecisionForm,
    StrategyDraftForm,
)
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment, StrategyVersion


def _number(text: str) -> int | None:
    """A small positive integer from a query string, or None (never an overflow further down)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _fresh(obj):
    """A separate copy for a ModelForm to write into, so the service sees the untouched original."""
    return type(obj).objects.get(pk=obj.pk)


def _saved(form, save) -> HttpResponse | None:
    """Run `save(cleaned_data)`; on a service's ValidationError put it on the form and return None."""
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        apply_errors(form, error)
        return None


# ------------------------------------------------------------------------------------------------ home


@workspace_view()
def strategy_home(request: HttpRequest) -> HttpResponse:
    workspace, user = request.workspace, request.user
    show_all = request.GET.get("status") == "all"
    tree = selectors.strategy_tree(workspace, status="" if show_all else Objective.Status.ACTIVE)
    pending = selectors.strategy_in_progress(workspace)
    route, route_error = (None, "")
    if pending is not None and pending.status == StrategyVersion.Status.PROPOSED:
        route, route_error = selectors.strategy_route_or_error(pending)
    me = raci.person_for(user, workspace)
    rows = [row for node in tree for o in node.objectives for row in o.kpis]
    return render(
        request,
        "strategy/home.html",
        {
            "tree": tree,
            "show_all": show_all,
            "current": selectors.strategy_current(workspace),
            "pending": pending,
            "route": route,
            "route_error": route_error,
            "my_decision": route is not None and me is not None and route.approver.pk == me.pk,
            "can_edit_strategy": access.can_edit_strategy(user, workspace),
            "can_draft": access.can_draft(user, workspace),
            "kpi_counts": {
                "total": len({r.kpi.pk for r in rows}),
                "on_track": len({r.kpi.pk for r in rows if r.progress.status in ("on_track", "achieved")}),
                "off_track": len({r.kpi.pk for r in rows if r.progress.status == "off_track"}),
                "no_data": len({r.kpi.pk for r in rows if r.progress.status == "no_data"}),
            },
        },
    )


# ----------------------------------------------------------------------------------------------- goals


def _goal_form(request: HttpRequest, goal: CompanyGoal | None) -> HttpResponse:
    workspace = request.workspace
    if not access.can_edit_strategy(request.user, workspace):
        raise PermissionDenied("Only administrators and the CMO, executives and strategists edit goals.")
    form = GoalForm(request.POST or None, instance=_fresh(goal) if goal else None)
    if request.method == "POST" and form.is_valid():

        def save(data):
            if goal is None:
                return services.goal_create(
                    actor=request.user,
                    workspace=workspace,
                    title=data["title"],
                    description=data["description"],
                    target_year=data["target_year"],
                )
            return services.goal_update(actor=request.user, goal=goal, **data)

        saved = _saved(form, save)
        if saved is not None:
            messages.success(request, f"Goal “{saved.title}” saved.")
            return redirect("strategy_home", ws=workspace.slug)
    return render(request, "strategy/goal_form.html", {"form": form, "goal": goal})


@workspace_view()
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest) -> HttpResponse:
    return _goal_form(request, None)


@workspace_view()
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, companygoal_pk: int) -> HttpResponse:
    return _goal_form(request, scoped_or_404(CompanyGoal, request.workspace, companygoal_pk))


@workspace_view()
@require_POST
def goal_delete(request: HttpRequest, companygoal_pk: int) -> HttpResponse:
    goal = scoped_or_404(CompanyGoal, request.workspace, companygoal_pk)
    services.goal_delete(actor=request.user, goal=goal)
    messages.success(request, f"Goal “{goal.title}” deleted; its objectives remain.")
    return redirect("strategy_home", ws=request.workspace.slug)


# ------------------------------------------------------------------------------------------ objectives


@workspace_view()
def objective_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    status = request.GET.get("status", "")
    horizon = request.GET.get("horizon", "")
    status = status if status in Objective.Status.values else ""
    horizon = horizon if horizon in Objective.Horizon.values else ""
    nodes = [
        selectors.objective_node(o) for o in selectors.objectives(workspace, status=status, horizon=horizon)
    ]
    return render(
        request,
        "strategy/objective_list.html",
        {
            "nodes": nodes,
            "status": status,
            "horizon": horizon,
            "statuses": Objective.Status.choices,
            "horizons": Objective.Horizon.choices,
            "can_create": access.can_edit_strategy(request.user, workspace),
        },
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    if not access.can_edit_strategy(request.user, workspace):
        raise PermissionDenied("Only administrators and the CMO, executives and strategists add objectives.")
    initial = {"owner": raci.person_for(request.user, workspace)}
    goal_pk = _number(request.GET.get("goal", ""))
    if goal_pk is not None:
        initial["goals"] = selectors.goals(workspace).filter(pk=goal_pk)
    form = ObjectiveForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            form,
            lambda data: services.objective_create(actor=request.user, workspace=workspace, **data),
        )
        if saved is not None:
            messages.success(request, f"Objective “{saved.title}” created. Add its KPIs next.")
            return redirect("objective_detail", ws=workspace.slug, objective_pk=saved.pk)
    return render(request, "strategy/objective_form.html", {"form": form, "objective": None})


@workspace_view()
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, objective_pk: int) -> HttpResponse:
    workspace = request.workspace
    objective = scoped_or_404(Objective, workspace, objective_pk)
    if not access.can_edit_objective(request.user, objective):
        raise PermissionDenied("Only the objective's owner or an administrator may change it.")
    form = ObjectiveForm(request.POST or None, instance=_fresh(objective), workspace=workspace)
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            form,
            lambda data: services.objective_update(actor=request.user, objective=objective, **data),
        )
        if saved is not None:
            messages.success(request, f"Objective “{saved.title}” saved.")
            return redirect("objective_detail", ws=workspace.slug, objective_pk=saved.pk)
    return render(request, "strategy/objective_form.html", {"form": form, "objective": objective})


@workspace_view()
@require_POST
def objective_delete(request: HttpRequest, objective_pk: int) -> HttpResponse:
    objective = scoped_or_404(Objective, request.workspace, objective_pk)
    services.objective_delete(actor=request.user, objective=objective)
    messages.success(request, f"Objective “{objective.title}” deleted with its KPIs.")
    return redirect("strategy_home", ws=request.workspace.slug)


@workspace_view()
def objective_detail(request: HttpRequest, objective_pk: int) -> HttpResponse:
    """Traceability: the objective's goals above it; its KPIs, campaigns and their tasks beneath."""
    objective = scoped_or_404(Objective, request.workspace, objective_pk)
    trace = selectors.objective_trace(objective, request.user)
    return render(
        request,
        "strategy/objective_detail.html",
        {
            "objective": trace.objective,
            "trace": trace,
            "can_edit": access.can_edit_objective(request.user, objective),
        },
    )


# ------------------------------------------------------------------------------------------------ KPIs


def _kpi_save_data(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in services.KPI_FIELDS}


@workspace_view()
@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, objective_pk: int) -> HttpResponse:
    workspace = request.workspace
    objective = scoped_or_404(Objective, workspace, objective_pk)
    if not access.can_edit_objective(request.user, objective):
        raise PermissionDenied("Only the objective's owner or an administrator may add KPIs.")
    form = KpiForm(
        request.POST or None,
        initial={"period_start": objective.start_date, "period_end": objective.end_date, "baseline": 0},
    )
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            form,
            lambda data: services.kpi_create(actor=request.user, objective=objective, **_kpi_save_data(data)),
        )
        if saved is not None:
            messages.success(request, f"KPI “{saved.name}” added.")
            return redirect("objective_detail", ws=workspace.slug, objective_pk=objective.pk)
    return render(request, "strategy/kpi_form.html", {"form": form, "objective": objective, "kpi": None})


@workspace_view()
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, kpi_pk: int) -> HttpResponse:
    workspace = request.workspace
    kpi = scoped_or_404(Kpi, workspace, kpi_pk)
    if not access.can_edit_objective(request.user, kpi.objective):
        raise PermissionDenied("Only the objective's owner or an administrator may change its KPIs.")
    form = KpiForm(request.POST or None, instance=_fresh(kpi))
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            form, lambda data: services.kpi_update(actor=request.user, kpi=kpi, **_kpi_save_data(data))
        )
        if saved is not None:
            messages.success(request, f"KPI “{saved.name}” saved.")
            return redirect("kpi_detail", ws=workspace.slug, kpi_pk=kpi.pk)
    return render(request, "strategy/kpi_form.html", {"form": form, "objective": kpi.objective, "kpi": kpi})


@workspace_view()
@require_POST
def kpi_delete(request: HttpRequest, kpi_pk: int) -> HttpResponse:
    kpi = scoped_or_404(Kpi, request.workspace, kpi_pk)
    services.kpi_delete(actor=request.user, kpi=kpi)
    messages.success(request, f"KPI “{kpi.name}” deleted with its actuals.")
    return redirect("objective_detail", ws=request.workspace.slug, objective_pk=kpi.objective_id)


@workspace_view()
@require_http_methods(["GET", "POST"])
def kpi_detail(request: HttpRequest, kpi_pk: int) -> HttpResponse:
    """A KPI's progress, chart and actuals; the actual-entry form posts here."""
    workspace = request.workspace
    kpi = selectors.kpis(workspace).get(pk=scoped_or_404(Kpi, workspace, kpi_pk).pk)
    can_record = access.can_record_actuals(request.user, kpi) and kpi.source == Kpi.Source.MANUAL
    form = KpiActualForm(request.POST or None)
    if request.method == "POST":
        if not access.can_record_actuals(request.user, kpi):
            raise PermissionDenied(
                "Only the objective's owner, an analyst or an administrator enter actuals."
            )
        if form.is_valid():
            existed = kpi.actuals.filter(date=form.cleaned_data["date"]).exists()
            saved = _saved(
                form,
                lambda data: services.kpi_actual_record(
                    actor=request.user, kpi=kpi, date=data["date"], value=data["value"], note=data["note"]
                ),
            )
            if saved is not None:
                verb = "replaced" if existed else "recorded"
                messages.success(
                    request,
                    f"{kpi.name} on {saved.date:%Y-%m-%d}: {selectors.fmt(saved.value, kpi.unit)} {verb}.",
                )
                return redirect("kpi_detail", ws=workspace.slug, kpi_pk=kpi.pk)
    prog = selectors.kpi_progress(kpi)
    return render(
        request,
        "strategy/kpi_detail.html",
        {
            "kpi": kpi,
            "objective": kpi.objective,
            "progress": prog,
            "chart": selectors.kpi_chart(kpi, prog),
            "actuals": list(kpi.actuals.select_related("entered_by").order_by("-date")),
            "form": form,
            "can_record": can_record,
            "can_edit": access.can_edit_objective(request.user, kpi.objective),
        },
    )


@workspace_view()
@require_POST
def kpi_actual_delete(request: HttpRequest, kpiactual_pk: int) -> HttpResponse:
    actual = scoped_or_404(KpiActual, request.workspace, kpiactual_pk)
    services.kpi_actual_delete(actor=request.user, actual=actual)
    messages.success(request, f"Actual of {actual.date:%Y-%m-%d} removed.")
    return redirect("kpi_detail", ws=request.workspace.slug, kpi_pk=actual.kpi_id)


# -------------------------------------------------------------------------------------------- segments


@workspace_view()
@require_http_methods(["GET", "POST"])
def segment_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    can_edit = access.can_edit_strategy(request.user, workspace)
    form = SegmentForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(
                "Only administrators and the CMO, executives and strategists add segments."
            )
        if form.is_valid():
            saved = _saved(
                form, lambda data: services.segment_create(actor=request.user, workspace=workspace, **data)
            )
            if saved is not None:
                messages.success(request, f"Segment “{saved.name}” added.")
                return redirect("strategy_segment_list", ws=workspace.slug)
    current = selectors.strategy_current(workspace)
    in_force = {s.pk for s in current.segments.all()} if current else set()
    rows = [
        {"segment": s, "in_force": s.pk in in_force, "campaigns": s.campaign_count}
        for s in selectors.segments(workspace)
    ]
    return render(request, "strategy/segment_list.html", {"rows": rows, "form": form, "can_edit": can_edit})


@workspace_view()
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, segment_pk: int) -> HttpResponse:
    workspace = request.workspace
    segment = scoped_or_404(Segment, workspace, segment_pk)
    if not access.can_edit_strategy(request.user, workspace):
        raise PermissionDenied("Only administrators and the CMO, executives and strategists edit segments.")
    form = SegmentForm(request.POST or None, instance=_fresh(segment))
    if request.method == "POST" and form.is_valid():
        saved = _saved(
            form, lambda data: services.segment_update(actor=request.user, segment=segment, **data)
        )
        if saved is not None:
            messages.success(request, f"Segment “{saved.name}” saved.")
            return redirect("strategy_segment_list", ws=workspace.slug)
    return render(request, "strategy/segment_form.html", {"form": form, "segment": segment})


@workspace_view()
@require_POST
def segment_delete(request: HttpRequest, segment_pk: int) -> HttpResponse:
    segment = scoped_or_404(Segment, request.workspace, segment_pk)
    try:
        services.segment_delete(actor=request.user, segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("strategy_segment_list", ws=request.workspace.slug)


# ---------------------------------------------------------------------------------- brand and strategy


@workspace_view()
def strategy_brand(request: HttpRequest) -> HttpResponse:
    """The strategy in force, the version being worked on and the history of every version."""
    workspace = request.workspace
    current = selectors.strategy_current(workspace)
    pending = selectors.strategy_in_progress(workspace)
    route, route_error = (None, "")
    if pending is not None and pending.status == StrategyVersion.Status.PROPOSED:
        route, route_error = selectors.strategy_route_or_error(pending)
    return render(
        request,
        "strategy/brand.html",
        {
            "current": current,
            "pending": pending,
            "route": route,
            "route_error": route_error,
            "history": selectors.strategy_versions(workspace),
            "can_draft": access.can_draft(request.user, workspace),
        },
    )


@workspace_view()
@require_POST
def strategy_draft_start(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    base = None
    if request.POST.get("base"):
        base_pk = _number(request.POST["base"])
        if base_pk is None:
            raise Http404("No such version.")
        base = scoped_or_404(StrategyVersion, workspace, base_pk)
    try:
        draft = services.strategy_draft_create(actor=request.user, workspace=workspace, base=base)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("strategy_brand", ws=workspace.slug)
    messages.success(
        request, f"Draft v{draft.number} started as a copy; edit it and propose it for approval."
    )
    return redirect("strategy_draft_edit", ws=workspace.slug, strategyversion_pk=draft.pk)


@workspace_view()
@require_http_methods(["GET", "POST"])
def strategy_draft_edit(request: HttpRequest, strategyversion_pk: int) -> HttpResponse:
    workspace = request.workspace
    version = scoped_or_404(StrategyVersion, workspace, strategyversion_pk)
    if not access.can_draft(request.user, workspace):
        raise PermissionDenied("Viewers cannot edit a strategy draft.")
    if version.status != StrategyVersion.Status.DRAFT:
        messages.error(
            request,
            f"Version {version.number} is {version.get_status_display().lower()}; it is no longer edited.",
        )
        return redirect("strategy_version_detail", ws=workspace.slug, strategyversion_pk=version.pk)
    form = StrategyDraftForm(request.POST or None, instance=_fresh(version), workspace=workspace)
    if request.method == "POST" and form.is_valid():
        propose = request.POST.get("action") == "propose"

        def save(data):
            saved = services.strategy_draft_update(actor=request.user, version=version, **data)
            if propose:
                saved = services.strategy_propose(actor=request.user, version=saved)
            return saved

        saved = _saved(form, save)
        if saved is not None:
            if propose:
                route, _ = selectors.strategy_route_or_error(saved)
                who = route.approver.name if route else "the approver"
                messages.success(
                    request, f"Version {version.number} proposed; waiting for approval by {who}."
                )
                return redirect("strategy_version_detail", ws=workspace.slug, strategyversion_pk=version.pk)
            messages.success(request, f"Draft v{version.number} saved.")
            return redirect("strategy_draft_edit", ws=workspace.slug, strategyversion_pk=version.pk)
    previous = selectors.strategy_previous(version)
    return render(
        request,
        "strategy/draft_form.html",
        {"form": form, "version": version, "previous": previous},
    )


@workspace_view()
@require_http_methods(["GET", "POST"])
def strategy_version_detail(request: HttpRequest, strategyversion_pk: int) -> HttpResponse:
    workspace, user = request.workspace, request.user
    version = scoped_or_404(StrategyVersion, workspace, strategyversion_pk)
    version = selectors.strategy_versions(workspace).get(pk=version.pk)
    decision_form = StrategyDecisionForm(request.POST if request.POST.get("action") == "decide" else None)
    if request.method == "POST":
        response = _version_action(request, version, decision_form)
        if response is not None:
            return response
    against = selectors.strategy_previous(version)
    if request.GET.get("against"):
        number = _number(request.GET["against"])
        against = selectors.strategy_versions(workspace).filter(number=number).first() if number else None
        if against is None:
            raise Http404("No such version.")
    route, route_error = (None, "")
    if version.status == StrategyVersion.Status.PROPOSED:
        route, route_error = selectors.strategy_route_or_error(version)
    me = raci.person_for(user, workspace)
    return render(
        request,
        "strategy/version_detail.html",
        {
            "version": version,
            "against": against,
            "diff": selectors.strategy_diff(against, version) if against != version else [],
            "others": selectors.strategy_versions(workspace).exclude(pk=version.pk),
            "route": route,
            "route_error": route_error,
            "can_decide": route is not None and me is not None and route.approver.pk == me.pk,
            "can_draft": access.can_draft(user, workspace),
            "can_withdraw": version.status == StrategyVersion.Status.PROPOSED
            and (access.is_admin(user, workspace) or (me is not None and me.pk == version.proposed_by_id)),
            "decision_form": decision_form,
        },
    )


def _version_action(request: HttpRequest, version: StrategyVersion, decision_form) -> HttpResponse | None:
    """POST actions on a version; None means: show the page again with the form's errors."""
    workspace, user = request.workspace, request.user
    action = request.POST.get("action", "")
    back = redirect("strategy_version_detail", ws=workspace.slug, strategyversion_pk=version.pk)
    try:
        if action == "propose":
            services.strategy_propose(actor=user, version=version)
            messages.success(request, f"Version {version.number} proposed for approval.")
        elif action == "withdraw":
            services.strategy_withdraw(actor=user, version=version)
            messages.success(request, f"Version {version.number} is a draft again.")
        elif action == "discard":
            services.strategy_draft_delete(actor=user, version=version)
            messages.success(request, f"Draft v{version.number} discarded.")
            return redirect("strategy_brand", ws=workspace.slug)
        elif action == "decide":
            if not decision_form.is_valid():
                return None
            decided = services.strategy_decide(
                actor=user,
                version=version,
                approve=decision_form.cleaned_data["decision"] == "approve",
                comment=decision_form.cleaned_data["comment"],
            )
            if decided.status == StrategyVersion.Status.APPROVED:
                messages.success(request, f"Strategy v{decided.number} approved: it is now in force.")
            else:
                messages.success(request, f"Strategy v{decided.number} rejected; the proposer was told.")
        else:
            messages.error(request, "Unknown action.")
    except ValidationError as error:
        if action == "decide" and hasattr(error, "error_dict"):
            apply_errors(decision_form, error)
            return None
        messages.error(request, " ".join(error.messages))
    return back
