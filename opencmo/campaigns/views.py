"""Campaign pages: the list, create and edit, the campaign page (plan, RACI, expected results, launch
approval, lifecycle, tasks), the calendar with its secret iCal feed, and channels. Thin: form → service →
render; a service's ValidationError goes back on the form, its PermissionDenied becomes a 403."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opencmo.campaigns import calendar as cal
from opencmo.campaigns import ical, selectors, services
from opencmo.campaigns.forms import (
    CampaignForm,
    ChannelForm,
    ExpectedResultsForm,
    FilterForm,
    LaunchRequestForm,
    StatusForm,
    campaign_initial,
)
from opencmo.campaigns.models import Campaign, Channel
from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import approvals, raci
from opencmo.org.forms import DecisionForm, SignOffForm
from opencmo.org.models import ApprovalRequest, Person, SignOff

PER_PAGE = 50
FEED_SESSION_KEY = "opencmo_new_calendar_feed"
STATUS_ACTIONS = {
    Campaign.Status.PLANNED: "Mark planned",
    Campaign.Status.APPROVED: "Mark approved",
    Campaign.Status.LIVE: "Go live",
    Campaign.Status.DONE: "Mark done",
    Campaign.Status.EVALUATED: "Record evaluation",
}


def _url_or_none(name: str, **kwargs) -> str | None:
    """A link to another area's page if that area defines it (strategy, work), else None."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _visible_or_404(request: HttpRequest, campaign_pk: int) -> Campaign:
    campaign = scoped_or_404(Campaign, request.workspace, campaign_pk)
    if not raci.can_view(request.user, campaign.activity):
        raise Http404("No such campaign.")  # restricted: indistinguishable from missing
    return campaign


def _ensure_channels(request: HttpRequest) -> None:
    services.channels_seed(actor=None, workspace=request.workspace)


def _can_create(request: HttpRequest) -> bool:
    return request.membership.access != "viewer"


def _filters(request: HttpRequest) -> tuple[FilterForm, selectors.Filters, str]:
    """The filter form, the filters it yields and their query string (to keep them on every link)."""
    form = FilterForm(request.GET, workspace=request.workspace, owners=selectors.owners(request.workspace))
    filters = selectors.Filters(
        status=form.value("status"),
        channel=form.value("channel"),
        objective=form.value("objective"),
        owner=form.value("owner"),
        segment=form.value("segment"),
        query=form.value("q").strip(),
    )
    kept = {
        "q": filters.query,
        "status": filters.status,
        "channel": filters.channel.pk if filters.channel else "",
        "objective": filters.objective.pk if filters.objective else "",
        "owner": filters.owner.pk if filters.owner else "",
        "segment": filters.segment.pk if filters.segment else "",
    }
    return form, filters, urlencode({k: v for k, v in kept.items() if v})


# --- list -----------------------------------------------------------------------------------------


@workspace_view()
@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    _ensure_channels(request)
    workspace = request.workspace
    form, filters, query = _filters(request)
    found = selectors.campaigns(request.user, workspace, filters).order_by("-start_date", "name")
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    clashes: dict[int, int] = {}
    segments = {c.segment_id for c in shown if c.segment_id}
    if segments:  # collisions with any visible campaign, not only those on this page
        neighbours = selectors.visible_campaigns(request.user, workspace).filter(segment__in=segments)
        for hit in selectors.overlaps_among(neighbours):
            for cid in (hit.first, hit.second):
                clashes[cid] = clashes.get(cid, 0) + 1
    owners = selectors.accountable_people(workspace, shown)
    rows = [{"campaign": c, "owners": owners.get(c.pk, []), "clashes": clashes.get(c.pk, 0)} for c in shown]
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "query": query,
        "today": timezone.localdate(),
        "can_create": _can_create(request),
        "filtered": bool(query),
    }
    template = "campaigns/_campaign_table.html" if request.htmx else "campaigns/campaign_list.html"
    return render(request, template, context)


@workspace_view()
@require_safe
def campaign_export(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    _, filters, _ = _filters(request)
    found = list(selectors.campaigns(request.user, workspace, filters).order_by("start_date", "name"))
    owners = selectors.accountable_people(workspace, found)
    rows = (
        [
            c.code,
            c.name,
            c.get_status_display(),
            c.start_date.isoformat(),
            c.end_date.isoformat(),
            "; ".join(ch.name for ch in c.channels.all()),
            c.segment.name if c.segment else "",
            "; ".join(o.title for o in c.objectives.all()),
            "; ".join(p.name for p in owners.get(c.pk, [])),
            c.agency,
        ]
        for c in found
    )
    header = ["code", "name", "status", "start", "end", "channels", "segment", "objectives", "accountable"]
    return csv_response(f"{workspace.slug}-campaigns.csv", [*header, "agency"], rows)


# --- create and edit ------------------------------------------------------------------------------


def _initial_dates(request: HttpRequest) -> dict:
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        return {}
    return {"start_date": start, "end_date": start + timedelta(days=27)}


@workspace_view()
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not _can_create(request):
        raise PermissionDenied("Viewers cannot plan campaigns.")
    _ensure_channels(request)
    workspace = request.workspace
    me = raci.person_for(request.user, workspace)
    initial = {"accountable": me, "responsible": [me] if me else [], **_initial_dates(request)}
    form = CampaignForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Campaign “{campaign.name}” created; its RACI people were told.")
            return redirect("campaign_detail", ws=workspace.slug, campaign_pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@workspace_view()
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _visible_or_404(request, campaign_pk)
    if not services.may_edit(request.user, campaign):
        messages.error(request, "Only the Responsible or Accountable people (or an administrator) edit this.")
        return redirect("campaign_detail", ws=request.workspace.slug, campaign_pk=campaign.pk)
    _ensure_channels(request)
    form = CampaignForm(
        request.POST or None,
        workspace=request.workspace,
        campaign=campaign,
        initial=campaign_initial(campaign),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Campaign saved; its RACI people were told.")
            return redirect("campaign_detail", ws=request.workspace.slug, campaign_pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@workspace_view(admin_only=True)
@require_POST
def campaign_delete(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _visible_or_404(request, campaign_pk)
    try:
        services.campaign_delete(actor=request.user, campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaign_detail", ws=request.workspace.slug, campaign_pk=campaign.pk)
    messages.success(request, f"Campaign “{campaign.name}” deleted.")
    return redirect("campaign_list", ws=request.workspace.slug)


# --- the campaign page ----------------------------------------------------------------------------


def _share(value: Decimal | None, gap: Decimal) -> Decimal | None:
    if value is None or not gap:
        return None
    return (value / gap * 100).quantize(Decimal("1"))


def _plain(value: Decimal | None) -> str:
    """A Decimal without trailing zeros or exponent: 1200.0000 → 1200, 2.5000 → 2.5."""
    return "" if value is None else f"{value.normalize():f}"


def _expected_rows(request: HttpRequest, campaign: Campaign, kpis) -> list[dict]:
    current = selectors.expected_results(campaign)
    totals = selectors.expected_totals(request.user, campaign.workspace, kpis)
    rows = []
    for kpi in kpis:
        gap = kpi.target - kpi.baseline
        value = current[kpi.pk].value if kpi.pk in current else None
        total = totals.get(kpi.pk)
        rows.append(
            {
                "kpi": kpi,
                "objective_url": _url_or_none(
                    "objective_detail", ws=campaign.workspace.slug, objective_pk=kpi.objective_id
                ),
                "baseline": _plain(kpi.baseline),
                "target": _plain(kpi.target),
                "gap": _plain(gap),
                "value": _plain(value),
                "share": _share(value, gap),
                "total": _plain(total),
                "total_share": _share(total, gap),
                "others": total is not None and total != (value or 0),
            }
        )
    return rows


def _transitions(request: HttpRequest, campaign: Campaign, letters: set[str], approved) -> list[dict]:
    """The lifecycle steps the user may take now, each with what it needs."""
    if not services.may_edit(request.user, campaign):
        return []
    today = timezone.localdate()
    out = []
    for status in services.next_statuses(campaign):
        step = {
            "status": status,
            "label": "Re-plan" if status == Campaign.Status.PLANNED and campaign.status != "idea" else None,
            "blocked": "",
            "needs_note": status == Campaign.Status.EVALUATED,
            "can_force": False,
        }
        step["label"] = step["label"] or STATUS_ACTIONS[status]
        if status == Campaign.Status.APPROVED and approved is None:
            step["blocked"] = "Needs an approved launch approval (below)."
        if status == Campaign.Status.LIVE and today < campaign.start_date:
            if "A" in letters:
                step["can_force"] = True
            else:
                step["blocked"] = (
                    f"Starts on {campaign.start_date:%Y-%m-%d}; only the Accountable person can launch early."
                )
        out.append(step)
    return out


def _approver_preview(campaign: Campaign, resolved: dict) -> dict:
    """Who a launch request would go to now: the A, or the escalation route when A lacks authority."""
    if len(resolved["A"]) != 1:
        return {
            "error": "The campaign needs exactly one Accountable person before its launch can be approved."
        }
    accountable = Person.objects.get(pk=next(iter(resolved["A"])))
    try:
        path = approvals.route(accountable, "launch", None)
    except ValidationError as error:
        return {"error": " ".join(error.messages)}
    return {"route": path, "approver": path[-1]["name"]}


def _detail_context(request: HttpRequest, campaign: Campaign, **forms) -> dict:
    user, workspace = request.user, request.workspace
    activity = campaign.activity
    resolved = raci.resolve(activity)
    people = {p.pk: p for p in Person.objects.filter(pk__in=set().union(*resolved.values()))}
    me = raci.person_for(user, workspace)
    letters = raci.letters_of(user, activity)
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
    valid_approval = services.valid_launch_approval(campaign)
    can_request = (
        bool(letters & {"R", "A"})
        and activity.is_open
        and open_request is None
        and campaign.status == Campaign.Status.PLANNED
        and valid_approval is None
    )
    kpis = list(selectors.kpis_of(campaign))
    expected_form = forms.get("expected_form") or ExpectedResultsForm(
        kpis=kpis, current=selectors.expected_results(campaign)
    )
    expected_rows = _expected_rows(request, campaign, kpis)
    for row in expected_rows:
        row["field"] = expected_form[f"kpi_{row['kpi'].pk}"]
    can_edit = services.may_edit(user, campaign)
    tasks = list(selectors.tasks_of(user, campaign))
    today = timezone.localdate()
    return {
        "campaign": campaign,
        "activity": activity,
        "resolved": {letter: [people[i] for i in sorted(ids)] for letter, ids in resolved.items()},
        "raci_entries": activity.raci.select_related("person", "role"),
        "my_letters": "".join(sorted(letters, key="RACI".index)),
        "can_edit": can_edit,
        "can_delete": request.membership.is_admin and campaign.status in services.DELETABLE_STATUSES,
        "objectives": [
            (o, _url_or_none("objective_detail", ws=workspace.slug, objective_pk=o.pk))
            for o in campaign.objectives.all()
        ],
        "overlaps": [
            {
                "overlap": hit,
                "other": other,
                "channels": [ch.name for ch in other.channels.all() if ch.pk in hit.channel_ids],
            }
            for hit, other in selectors.overlaps_with(user, campaign)
        ],
        "lifecycle": Campaign.Status.choices,
        "status_index": Campaign.Status.values.index(campaign.status),
        "transitions": _transitions(request, campaign, letters, valid_approval),
        "history": selectors.status_history(campaign),
        "evaluation": selectors.evaluation(campaign),
        "expected_rows": expected_rows,
        "expected_form": expected_form,
        "tasks": [
            {
                "task": t,
                "url": _url_or_none("task_detail", ws=workspace.slug, task_pk=t.pk),
                "overdue": t.due_date is not None and t.due_date < today and t.status != "done",
            }
            for t in tasks
        ],
        "open_request": open_request,
        "past_requests": [r for r in requests if not r.is_open],
        "valid_approval": valid_approval,
        "my_signoff": my_signoff,
        "can_request": can_request,
        "approver_preview": _approver_preview(campaign, resolved) if can_request else None,
        "can_decide": bool(
            open_request
            and me
            and open_request.approver_id == me.pk
            and open_request.status == ApprovalRequest.Status.PENDING
        ),
        "status_form": forms.get("status_form") or StatusForm(),
        "status_error_for": forms.get("status_error_for", ""),
        "request_form": forms.get("request_form") or LaunchRequestForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "signoff_form": forms.get("signoff_form") or SignOffForm(),
        "days": (campaign.end_date - campaign.start_date).days + 1,
        "today": today,
    }


@workspace_view()
@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _visible_or_404(request, campaign_pk)
    forms: dict = {}
    if request.method == "POST":
        handler = _ACTIONS.get(request.POST.get("action", ""))
        if handler is None:
            messages.error(request, "Unknown action.")
            return _back(request, campaign)
        result = handler(request, campaign)  # PermissionDenied from a service becomes a 403
        if isinstance(result, HttpResponse):
            return result
        forms = result
        campaign.refresh_from_db()
    return render(request, "campaigns/campaign_detail.html", _detail_context(request, campaign, **forms))


def _back(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return redirect("campaign_detail", ws=request.workspace.slug, campaign_pk=campaign.pk)


def _done(request: HttpRequest, campaign: Campaign, text: str) -> HttpResponse:
    messages.success(request, text)
    return _back(request, campaign)


def _fail(request: HttpRequest, campaign: Campaign, key: str, form, error: ValidationError, **extra):
    """Field errors go back on their form; a rule blocking the action is shown as a message."""
    if hasattr(error, "error_dict"):
        apply_errors(form, error)
        return {key: form, **extra}
    messages.error(request, " ".join(error.messages))
    return _back(request, campaign)


def _status(request: HttpRequest, campaign: Campaign):
    form = StatusForm(request.POST)
    if not form.is_valid():
        if "status" in form.errors:
            messages.error(request, "Unknown status.")
            return _back(request, campaign)
        return {"status_form": form, "status_error_for": request.POST.get("status", "")}
    target = form.cleaned_data["status"]
    try:
        updated = services.campaign_set_status(
            actor=request.user,
            campaign=campaign,
            status=target,
            note=form.cleaned_data["note"],
            force=form.cleaned_data["force"],
        )
    except ValidationError as error:
        return _fail(request, campaign, "status_form", form, error, status_error_for=target)
    return _done(request, campaign, f"The campaign is now {updated.get_status_display().lower()}.")


def _request(request: HttpRequest, campaign: Campaign):
    form = LaunchRequestForm(request.POST)
    if form.is_valid():
        try:
            created = services.campaign_request_launch(
                actor=request.user, campaign=campaign, summary=form.cleaned_data["summary"]
            )
        except ValidationError as error:
            return _fail(request, campaign, "request_form", form, error)
        who = created.approver.name
        nxt = "sign-off from the Consulted people" if created.signoffs.exists() else f"approval by {who}"
        return _done(request, campaign, f"Launch approval requested; waiting for {nxt}.")
    return {"request_form": form}


def _open_request(campaign: Campaign) -> ApprovalRequest:
    found = campaign.activity.approval_requests.filter(status__in=["consulting", "pending"]).first()
    if found is None:
        raise Http404("No open approval request.")
    return found


def _signoff(request: HttpRequest, campaign: Campaign):
    form = SignOffForm(request.POST)
    pending = _open_request(campaign)
    me = raci.person_for(request.user, request.workspace)
    signoff = pending.signoffs.filter(person=me).first() if me else None
    if signoff is None:
        messages.error(request, "You are not asked to sign this off.")
        return _back(request, campaign)
    if form.is_valid():
        try:
            approvals.signoff_answer(
                actor=request.user,
                signoff=signoff,
                agree=form.cleaned_data["decision"] == "agree",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            return _fail(request, campaign, "signoff_form", form, error)
        return _done(request, campaign, "Your sign-off is recorded.")
    return {"signoff_form": form}


def _decide(request: HttpRequest, campaign: Campaign):
    form = DecisionForm(request.POST)
    pending = _open_request(campaign)
    if form.is_valid():
        try:
            decided = approvals.approval_decide(
                actor=request.user,
                request=pending,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            return _fail(request, campaign, "decision_form", form, error)
        text = f"Request {decided.get_status_display().lower()}."
        if decided.status == ApprovalRequest.Status.APPROVED and decided.kind == "launch":
            text += " The campaign is approved for launch."
        return _done(request, campaign, text)
    return {"decision_form": form}


def _withdraw(request: HttpRequest, campaign: Campaign):
    try:
        approvals.approval_withdraw(actor=request.user, request=_open_request(campaign))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request, campaign)
    return _done(request, campaign, "Request withdrawn.")


def _expected(request: HttpRequest, campaign: Campaign):
    kpis = list(selectors.kpis_of(campaign))
    form = ExpectedResultsForm(request.POST, kpis=kpis, current=selectors.expected_results(campaign))
    if form.is_valid():
        try:
            services.expected_results_set(actor=request.user, campaign=campaign, values=form.values())
        except ValidationError as error:
            return _fail(request, campaign, "expected_form", form, error)
        return _done(request, campaign, "Expected results saved.")
    return {"expected_form": form}


_ACTIONS = {
    "status": _status,
    "request": _request,
    "signoff": _signoff,
    "decide": _decide,
    "withdraw": _withdraw,
    "expected": _expected,
}


# --- calendar -------------------------------------------------------------------------------------


def _calendar_day(request: HttpRequest) -> date:
    try:
        return cal.clamp(date.fromisoformat(request.GET.get("date", "")))
    except ValueError:
        return timezone.localdate()


def _month_weeks(period: cal.Period, campaigns: list, deadlines: dict, clashing: set, ws: str, today):
    weeks = []
    items = [(c, c.start_date, c.end_date) for c in campaigns]
    new_url = reverse("campaign_create", kwargs={"ws": ws})
    for days in cal.month_weeks(period):
        bars = cal.bars_in(days[0], days[-1], items)
        lanes = max((b.lane for b in bars), default=-1) + 1
        weeks.append(
            {
                "number": days[0].isocalendar().week,
                "lanes": lanes,
                "deadline_row": lanes + 2,
                "days": [
                    {
                        "date": d,
                        "column": i + 1,
                        "in_month": period.contains(d),
                        "today": d == today,
                        "weekend": d.weekday() >= 5,
                        "deadlines": deadlines.get(d, []),
                        "new_url": f"{new_url}?start={d.isoformat()}",
                    }
                    for i, d in enumerate(days)
                ],
                "bars": [
                    {
                        "campaign": b.key,
                        "column": b.column,
                        "span": b.span,
                        "row": b.lane + 2,
                        "starts_here": b.starts_here,
                        "ends_here": b.ends_here,
                        "clash": b.key.pk in clashing,
                    }
                    for b in sorted(bars, key=lambda b: (b.lane, b.column))
                ],
            }
        )
    return weeks


def _timeline(period: cal.Period, campaigns: list, tasks: list, clashing: set, owners: dict, today):
    rows = []
    for campaign in sorted(campaigns, key=lambda c: (c.start_date, c.name)):
        (bar,) = cal.bars_in(period.start, period.end, [(campaign, campaign.start_date, campaign.end_date)])
        marks: dict[date, list] = {}
        for task in tasks:
            if task.campaign_id == campaign.pk:
                marks.setdefault(task.due_date, []).append(task)
        rows.append(
            {
                "campaign": campaign,
                "owners": owners.get(campaign.pk, []),
                "bar": bar,
                "clash": campaign.pk in clashing,
                "deadlines": [
                    {"column": cal.column_of(period, d), "tasks": ts, "date": d}
                    for d, ts in sorted(marks.items())
                ],
            }
        )
    loose: dict[date, list] = {}
    shown = {c.pk for c in campaigns}
    for task in tasks:
        if task.campaign_id not in shown:
            loose.setdefault(task.due_date, []).append(task)
    return {
        "header": cal.timeline_header(period),
        "rows": rows,
        "loose": [
            {"column": cal.column_of(period, d), "tasks": ts, "date": d} for d, ts in sorted(loose.items())
        ],
        "today_column": cal.column_of(period, today) if period.contains(today) else None,
        "days": period.days,
    }


def _calendar_context(request: HttpRequest) -> dict:
    _ensure_channels(request)
    user, workspace = request.user, request.workspace
    view = request.GET.get("view", "month")
    view = view if view in cal.VIEWS else "month"
    period = cal.period_for(view, _calendar_day(request))
    today = timezone.localdate()
    form, filters, query = _filters(request)
    # The month grid shows whole weeks: what falls on the neighbouring months' days is shown too.
    weeks = cal.month_weeks(period) if view == "month" else None
    first, last = (weeks[0][0], weeks[-1][-1]) if weeks else (period.start, period.end)
    in_period = list(
        selectors.visible_campaigns(user, workspace).filter(start_date__lte=last, end_date__gte=first)
    )
    campaigns = list(
        selectors.campaigns(user, workspace, filters)
        .filter(start_date__lte=last, end_date__gte=first)
        .order_by("start_date", "name")
    )
    narrowed = bool(query)
    tasks = list(
        selectors.deadlines(user, workspace, first, last, [c.pk for c in campaigns] if narrowed else None)
    )
    by_day: dict[date, list] = {}
    for task in tasks:
        by_day.setdefault(task.due_date, []).append(
            {"task": task, "url": _url_or_none("task_detail", ws=workspace.slug, task_pk=task.pk)}
        )
    shown = {c.pk for c in campaigns}
    found = [  # collisions in this period that involve a campaign the filters show
        o
        for o in selectors.overlaps_among(in_period)
        if o.end >= first and o.start <= last and {o.first, o.second} & shown
    ]
    names = {c.pk: c for c in in_period}
    clashing = {cid for o in found for cid in (o.first, o.second)}
    channel_names = dict(selectors.channels(workspace).values_list("pk", "name"))
    owners = selectors.accountable_people(workspace, campaigns)

    def link(**changes) -> str:
        params = {"view": view, "date": period.start.isoformat(), **changes}
        extra = f"&{query}" if query else ""
        return f"?{urlencode(params)}{extra}"

    context = {
        "form": form,
        "view": view,
        "views": cal.VIEWS,
        "period": period,
        "today": today,
        "campaigns": campaigns,
        "tasks": tasks,
        "query": query,
        "nav": {
            "prev": link(date=cal.shift(period, -1).isoformat()),
            "next": link(date=cal.shift(period, 1).isoformat()),
            "today": link(date=today.isoformat()),
            "views": [(v, link(view=v)) for v in cal.VIEWS],
        },
        "overlaps": [
            {
                "overlap": o,
                "first": names[o.first],
                "second": names[o.second],
                "channels": sorted(channel_names.get(i, "") for i in o.channel_ids),
            }
            for o in found
        ],
        "statuses": Campaign.Status.choices,
        "feed": selectors.active_feed(user, workspace),
        "can_create": _can_create(request),
    }
    if view == "month":
        context["weeks"] = _month_weeks(period, campaigns, by_day, clashing, workspace.slug, today)
        context["weekdays"] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    else:
        context["timeline"] = _timeline(period, campaigns, tasks, clashing, owners, today)
    token = request.session.pop(FEED_SESSION_KEY, None)
    if token:
        path = reverse("ical_feed", kwargs={"token": token})
        https_url = request.build_absolute_uri(path)
        context["new_feed_url"] = https_url
        context["new_feed_webcal"] = "webcal://" + https_url.split("://", 1)[1]
    return context


@workspace_view()
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/calendar.html", _calendar_context(request))


@workspace_view()
@require_POST
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Create (or regenerate) or revoke the user's secret iCal URL in this workspace."""
    action = request.POST.get("action", "")
    if action == "create":
        _, token = services.feed_create(actor=request.user, workspace=request.workspace)
        request.session[FEED_SESSION_KEY] = token  # shown once on the next page, then gone
        messages.success(
            request, "Your secret calendar address is ready: copy it now, it is shown only once."
        )
    elif action == "revoke":
        feed = selectors.active_feed(request.user, request.workspace)
        if feed is not None:
            services.feed_revoke(actor=request.user, feed=feed)
            messages.success(request, "Calendar address revoked: calendar apps using it get nothing more.")
    else:
        messages.error(request, "Unknown action.")
    return redirect(reverse("calendar", kwargs={"ws": request.workspace.slug}) + "#feed")


@require_safe
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-token iCal feed (no login: calendar apps cannot log in; the token is the credential)."""
    feed = selectors.feed_by_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    services.feed_mark_used(feed=feed)
    body = ical.build(feed, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="opencmo-{feed.workspace.slug}.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- channels -------------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest) -> HttpResponse:
    _ensure_channels(request)
    workspace = request.workspace
    form = ChannelForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_admin:
            messages.error(request, "Only workspace administrators add channels.")
            return redirect("channel_list", ws=workspace.slug)
        if form.is_valid():
            try:
                channel = services.channel_create(
                    actor=request.user, workspace=workspace, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Channel {channel.name} added.")
                return redirect("channel_list", ws=workspace.slug)
    channels = selectors.channels(workspace).annotate(uses=Count("campaigns")).order_by("name")
    return render(request, "campaigns/channel_list.html", {"channels": channels, "form": form})


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, channel_pk: int) -> HttpResponse:
    channel = scoped_or_404(Channel, request.workspace, channel_pk)
    form = ChannelForm(request.POST or None, initial={"name": channel.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(actor=request.user, channel=channel, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Channel {channel.name} saved.")
            return redirect("channel_list", ws=request.workspace.slug)
    return render(request, "campaigns/channel_form.html", {"form": form, "channel": channel})


@workspace_view(admin_only=True)
@require_POST
def channel_delete(request: HttpRequest, channel_pk: int) -> HttpResponse:
    channel = scoped_or_404(Channel, request.workspace, channel_pk)
    try:
        services.channel_delete(actor=request.user, channel=channel)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Channel {channel.name} deleted.")
    return redirect("channel_list", ws=request.workspace.slug)
