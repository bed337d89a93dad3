"""Activities (what a RACI is drawn for), their approvals, decision authority and the RACI policy."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import approvals, raci, raci_services
from opencmo.org.forms import (
    ActivityEditForm,
    ApprovalRequestForm,
    AuthorityForm,
    DecisionForm,
    PolicyForm,
    RouteForm,
    SignOffForm,
)
from opencmo.org.models import Activity, ApprovalRequest, DecisionAuthority, Person, SignOff


def _visible_or_404(request: HttpRequest, activity_pk: int) -> Activity:
    activity = scoped_or_404(Activity, request.workspace, activity_pk)
    if not raci.can_view(request.user, activity):
        raise Http404("No such activity.")  # restricted: indistinguishable from missing
    return activity


@workspace_view()
def activity_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    activities = raci.visible_activities(request.user, workspace).order_by("-is_open", "name")
    kind = request.GET.get("kind", "")
    if kind:
        activities = activities.filter(kind=kind)
    health = raci.health(workspace)
    me = raci.person_for(request.user, workspace)
    rows = []
    for activity in activities:
        resolved = raci.resolve(activity)
        found = health.for_activity(activity.pk)
        mine = sorted(letter for letter, ids in resolved.items() if me and me.pk in ids)
        if request.GET.get("mine") and not mine:
            continue
        rows.append(
            {
                "activity": activity,
                "resolved": {k: [health.people[i] for i in sorted(v)] for k, v in resolved.items()},
                "mine": "".join(mine),
                "errors": sum(f.is_error for f in found),
                "warnings": sum(not f.is_error for f in found),
            }
        )
    return render(
        request,
        "org/activity_list.html",
        {"rows": rows, "kinds": Activity.Kind.choices, "kind": kind, "mine": request.GET.get("mine")},
    )


def _detail_context(request: HttpRequest, activity: Activity, **forms) -> dict:
    user, workspace = request.user, request.workspace
    resolved = raci.resolve(activity)
    people = {p.pk: p for p in Person.objects.filter(pk__in=set().union(*resolved.values()))}
    me = raci.person_for(user, workspace)
    requests = activity.approval_requests.select_related(
        "requested_by", "approver", "decided_by"
    ).prefetch_related("signoffs__person")
    open_request = next((r for r in requests if r.is_open), None)
    my_signoff = None
    if open_request and me:
        my_signoff = next(
            (
                s
                for s in open_request.signoffs.all()
                if s.person_id == me.pk and s.decision == SignOff.Decision.WAITING
            ),
            None,
        )
    letters = raci.letters_of(user, activity)
    return {
        "activity": activity,
        "entries": activity.raci.select_related("person", "role"),
        "resolved": {letter: [people[i] for i in sorted(ids)] for letter, ids in resolved.items()},
        "findings": raci.health(workspace).for_activity(activity.pk),
        "my_letters": "".join(sorted(letters, key="RACI".index)),
        "can_edit": raci.can_edit_work(user, activity),
        "can_close": raci.can_close(user, activity),
        "can_request": bool(letters & {"R", "A"}) and activity.is_open and open_request is None,
        "open_request": open_request,
        "past_requests": [r for r in requests if not r.is_open],
        "my_signoff": my_signoff,
        "can_decide": bool(
            open_request
            and me
            and open_request.approver_id == me.pk
            and open_request.status == ApprovalRequest.Status.PENDING
        ),
        "edit_form": forms.get("edit_form") or ActivityEditForm(instance=activity),
        "request_form": forms.get("request_form") or ApprovalRequestForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "signoff_form": forms.get("signoff_form") or SignOffForm(),
    }


@workspace_view()
@require_http_methods(["GET", "POST"])
def activity_detail(request: HttpRequest, activity_pk: int) -> HttpResponse:
    activity = _visible_or_404(request, activity_pk)
    forms: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        handler = _ACTIONS.get(action)
        if handler is None:
            messages.error(request, "Unknown action.")
            return redirect("activity_detail", ws=request.workspace.slug, activity_pk=activity.pk)
        result = handler(request, activity)  # PermissionDenied from a service becomes a 403
        if isinstance(result, HttpResponse):
            return result
        forms = result
    return render(request, "org/activity_detail.html", _detail_context(request, activity, **forms))


def _done(request: HttpRequest, activity: Activity, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("activity_detail", ws=request.workspace.slug, activity_pk=activity.pk)


def _fail(request: HttpRequest, activity: Activity, key: str, form, error: ValidationError):
    """Field errors go back on the form; a rule that blocks the action (e.g. sign-off still missing) is
    shown as a message, since the form it came from may not be on the page in this state."""
    if hasattr(error, "error_dict"):
        apply_errors(form, error)
        return {key: form}
    messages.error(request, " ".join(error.messages))
    return redirect("activity_detail", ws=request.workspace.slug, activity_pk=activity.pk)


def _edit(request: HttpRequest, activity: Activity):
    form = ActivityEditForm(request.POST, instance=Activity.objects.get(pk=activity.pk))
    if form.is_valid():
        try:
            raci_services.activity_update(actor=request.user, activity=activity, **form.cleaned_data)
        except ValidationError as error:
            return _fail(request, activity, "edit_form", form, error)
        else:
            return _done(request, activity, "Saved; the RACI people were notified.")
    return {"edit_form": form}


def _close(request: HttpRequest, activity: Activity):
    raci_services.activity_close(actor=request.user, activity=activity)
    return _done(request, activity, f"“{activity.name}” closed.")


def _request(request: HttpRequest, activity: Activity):
    form = ApprovalRequestForm(request.POST)
    if form.is_valid():
        try:
            created = approvals.approval_request(actor=request.user, activity=activity, **form.cleaned_data)
        except ValidationError as error:
            return _fail(request, activity, "request_form", form, error)
        else:
            who = created.approver.name
            nxt = "sign-off from the Consulted people" if created.signoffs.exists() else f"approval by {who}"
            return _done(request, activity, f"Approval requested; waiting for {nxt}.")
    return {"request_form": form}


def _open_request(activity: Activity) -> ApprovalRequest:
    found = activity.approval_requests.filter(status__in=["consulting", "pending"]).first()
    if found is None:
        raise Http404("No open approval request.")
    return found


def _signoff(request: HttpRequest, activity: Activity):
    form = SignOffForm(request.POST)
    pending = _open_request(activity)
    me = raci.person_for(request.user, request.workspace)
    signoff = pending.signoffs.filter(person=me).first() if me else None
    if signoff is None:
        raise PermissionDenied("You are not Consulted on this request.")
    if form.is_valid():
        try:
            approvals.signoff_answer(
                actor=request.user,
                signoff=signoff,
                agree=form.cleaned_data["decision"] == "agree",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            return _fail(request, activity, "signoff_form", form, error)
        else:
            return _done(request, activity, "Your sign-off is recorded.")
    return {"signoff_form": form}


def _decide(request: HttpRequest, activity: Activity):
    form = DecisionForm(request.POST)
    pending = _open_request(activity)
    if form.is_valid():
        try:
            decided = approvals.approval_decide(
                actor=request.user,
                request=pending,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            return _fail(request, activity, "decision_form", form, error)
        else:
            return _done(request, activity, f"Request {decided.get_status_display().lower()}.")
    return {"decision_form": form}


def _withdraw(request: HttpRequest, activity: Activity):
    approvals.approval_withdraw(actor=request.user, request=_open_request(activity))
    return _done(request, activity, "Request withdrawn.")


_ACTIONS = {
    "edit": _edit,
    "close": _close,
    "request": _request,
    "signoff": _signoff,
    "decide": _decide,
    "withdraw": _withdraw,
}


@workspace_view()
@require_http_methods(["GET", "POST"])
def authority(request: HttpRequest) -> HttpResponse:
    """Decision authority grants, the RACI policy, and a 'who approves?' route finder."""
    workspace, is_admin = request.workspace, request.membership.is_admin
    grant_form = AuthorityForm(workspace=workspace)
    policy_form = PolicyForm(instance=raci.policy_for(workspace))
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("Only administrators change decision authority.")
        if "policy" in request.POST:
            policy_form = PolicyForm(
                request.POST, instance=type(policy_form.instance).objects.get(pk=policy_form.instance.pk)
            )
            if policy_form.is_valid():
                raci_services.policy_update(
                    actor=request.user, workspace=workspace, **policy_form.cleaned_data
                )
                messages.success(request, "RACI policy saved.")
                return redirect("authority", ws=workspace.slug)
        else:
            grant_form = AuthorityForm(request.POST, workspace=workspace)
            if grant_form.is_valid():
                try:
                    raci_services.authority_set(
                        actor=request.user, workspace=workspace, **grant_form.cleaned_data
                    )
                except ValidationError as error:
                    apply_errors(grant_form, error)
                else:
                    messages.success(request, "Decision authority saved.")
                    return redirect("authority", ws=workspace.slug)
    route_form = RouteForm(request.GET or None, workspace=workspace)
    route, route_error = None, ""
    if request.GET and route_form.is_valid():
        try:
            route = approvals.route(
                route_form.cleaned_data["person"],
                route_form.cleaned_data["kind"],
                route_form.cleaned_data["amount"],
            )
        except ValidationError as error:
            route_error = " ".join(error.messages)
    grants = DecisionAuthority.objects.filter(workspace=workspace).select_related("role", "person")
    return render(
        request,
        "org/authority.html",
        {
            "grants": grants,
            "grant_form": grant_form,
            "policy_form": policy_form,
            "route_form": route_form,
            "route": route,
            "route_error": route_error,
        },
    )


@workspace_view(admin_only=True)
@require_POST
def authority_revoke(request: HttpRequest, decisionauthority_pk: int) -> HttpResponse:
    grant = scoped_or_404(DecisionAuthority, request.workspace, decisionauthority_pk)
    raci_services.authority_revoke(actor=request.user, authority=grant)
    messages.success(request, f"Revoked: {grant}.")
    return redirect("authority", ws=request.workspace.slug)
