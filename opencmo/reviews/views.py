"""Pages of the reviews app: the list of cycles and reviews, a review with its pack and meeting panel,
the board report PDF and CSV exports of the pack's tables."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opencmo.core.exports import csv_response
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.reviews import access, charts, exports, schedule, services
from opencmo.reviews.forms import (
    ActionForm,
    CloseForm,
    CycleForm,
    DecisionForm,
    FollowUpForm,
    ReallocationForm,
)
from opencmo.reviews.models import Review, ReviewCycle, ReviewDecision
from opencmo.reviews.pack import pack_for

UPCOMING = 4


def _errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(
                    field if field in form.fields else None, e.messages[0] if hasattr(e, "messages") else e
                )
    else:
        for message in error.messages:
            form.add_error(None, message)


@workspace_view()
def review_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    can_manage = access.can_manage_cycles(request.user, workspace)
    form = CycleForm(request.POST or None, workspace=workspace)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only administrators and CMOs set up review cycles.")
        if form.is_valid():
            try:
                cycle = services.cycle_create(actor=request.user, workspace=workspace, **form.cleaned_data)
            except ValidationError as error:
                _errors(form, error)
            else:
                messages.success(
                    request,
                    f"“{cycle.name}” is scheduled; the first review is on "
                    f"{form.cleaned_data['first_date']:%Y-%m-%d}.",
                )
                return redirect("review_list", ws=workspace.slug)
    cycles = list(
        ReviewCycle.objects.filter(workspace=workspace)
        .select_related("chair")
        .prefetch_related("participants")
    )
    for cycle in cycles:
        cycle.upcoming = schedule.upcoming(cycle.next_date, cycle.cadence, UPCOMING - 1)
        cycle.runnable = access.can_run(request.user, cycle)
    reviews = Review.objects.filter(workspace=workspace).select_related("cycle")
    today = timezone.localdate()
    context = {
        "cycles": cycles,
        "open_reviews": reviews.exclude(status=Review.Status.CLOSED).order_by("scheduled_for", "pk"),
        "past_reviews": reviews.filter(status=Review.Status.CLOSED).order_by("-scheduled_for", "-pk")[:50],
        "form": form,
        "can_manage": can_manage,
        "today": today,
    }
    return render(request, "reviews/list.html", context)


@workspace_view()
@require_POST
def review_cycle_schedule(request: HttpRequest, reviewcycle_pk: int) -> HttpResponse:
    cycle = scoped_or_404(ReviewCycle, request.workspace, reviewcycle_pk)
    try:
        review = services.review_schedule_next(actor=request.user, cycle=cycle)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Scheduled {review}.")
    return redirect("review_list", ws=request.workspace.slug)


def _meeting_context(request: HttpRequest, review: Review, **forms) -> dict:
    can_run = access.can_run(request.user, review.cycle) and not review.is_closed
    return {
        "review": review,
        "can_run": can_run,
        "decisions": review.decisions.select_related("owner"),
        "actions": review.actions.select_related("task"),
        "reallocations": review.reallocations.select_related(
            "request__from_line", "request__to_line", "request__approval__approver"
        ),
        "decision_form": forms.get("decision_form") or DecisionForm(workspace=review.workspace),
        "action_form": forms.get("action_form") or ActionForm(review=review),
        "reallocation_form": forms.get("reallocation_form") or ReallocationForm(review=review),
        "close_form": CloseForm(initial={"notes": review.notes}),
    }


def _followups(request: HttpRequest, pack: dict) -> dict:
    """The previous review's decisions this user may update, with a form each."""
    ids = [row["id"] for row in pack["decisions"]["rows"]]
    out = {}
    for decision in ReviewDecision.objects.filter(workspace=request.workspace, pk__in=ids).select_related(
        "review__cycle__chair", "owner"
    ):
        if access.can_follow_up(request.user, decision):
            out[decision.pk] = FollowUpForm(
                initial={"follow_up": decision.follow_up, "notes": decision.follow_up_notes}
            )
    return out


@workspace_view()
def review_detail(request: HttpRequest, review_pk: int) -> HttpResponse:
    review = scoped_or_404(Review, request.workspace, review_pk)
    pack = pack_for(review)
    rendered = {name: charts.to_html(chart, label=name) for name, chart in charts.charts_for(pack).items()}
    context = _meeting_context(request, review) | {
        "pack": pack,
        "charts": rendered,
        "followups": _followups(request, pack),
        "follow_up_choices": ReviewDecision.FollowUp.choices,
    }
    return render(request, "reviews/detail.html", context)


def _meeting_response(request: HttpRequest, review: Review, **forms) -> HttpResponse:
    if request.htmx:
        return render(request, "reviews/_meeting.html", _meeting_context(request, review, **forms))
    return redirect("review_detail", ws=review.workspace.slug, review_pk=review.pk)


@workspace_view()
@require_POST
def review_start(request: HttpRequest, review_pk: int) -> HttpResponse:
    review = scoped_or_404(Review, request.workspace, review_pk)
    try:
        services.review_start(actor=request.user, review=review)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("review_detail", ws=request.workspace.slug, review_pk=review.pk)


@workspace_view()
@require_POST
def review_close(request: HttpRequest, review_pk: int) -> HttpResponse:
    review = scoped_or_404(Review, request.workspace, review_pk)
    form = CloseForm(request.POST)
    notes = form.cleaned_data["notes"] if form.is_valid() else None
    try:
        services.review_close(actor=request.user, review=review, notes=notes)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The review is closed; its pack is kept as discussed.")
    return redirect("review_detail", ws=request.workspace.slug, review_pk=review.pk)


def _meeting_record(
    request: HttpRequest,
    review_pk: int,
    form_name: str,
    make_form,
    record,
    failed: str,
    *,
    refusal_on_form=False,
):
    """One meeting form (decision, action, reallocation): validate, call the service, and answer with
    the meeting panel (htmx) or a redirect with the reason it failed. Not running the meeting is a 403;
    `refusal_on_form` shows another module's refusal (the budget's RACI rules) on the form instead."""
    review = scoped_or_404(Review, request.workspace, review_pk)
    form = make_form(review)
    if form.is_valid():
        try:
            record(actor=request.user, review=review, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        except PermissionDenied as error:
            if not refusal_on_form:
                raise
            form.add_error(None, str(error))
        else:
            form = None
    if form is not None and not request.htmx:
        messages.error(request, f"{failed}: " + " ".join(m for e in form.errors.values() for m in e))
    return _meeting_response(request, review, **{form_name: form})


@workspace_view()
@require_POST
def review_decision_add(request: HttpRequest, review_pk: int) -> HttpResponse:
    return _meeting_record(
        request,
        review_pk,
        "decision_form",
        lambda review: DecisionForm(request.POST, workspace=review.workspace),
        services.decision_record,
        "The decision was not recorded",
    )


@workspace_view()
@require_POST
def review_action_add(request: HttpRequest, review_pk: int) -> HttpResponse:
    return _meeting_record(
        request,
        review_pk,
        "action_form",
        lambda review: ActionForm(request.POST, review=review),
        services.action_create,
        "The action was not recorded",
    )


@workspace_view()
@require_POST
def review_reallocation_add(request: HttpRequest, review_pk: int) -> HttpResponse:
    return _meeting_record(
        request,
        review_pk,
        "reallocation_form",
        lambda review: ReallocationForm(request.POST, review=review),
        services.reallocation_create,
        "The reallocation was not requested",
        refusal_on_form=True,
    )


@workspace_view()
@require_POST
def review_decision_follow_up(request: HttpRequest, review_pk: int, reviewdecision_pk: int) -> HttpResponse:
    review = scoped_or_404(Review, request.workspace, review_pk)
    decision = scoped_or_404(ReviewDecision, request.workspace, reviewdecision_pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.decision_follow_up(
                actor=request.user,
                decision=decision,
                follow_up=form.cleaned_data["follow_up"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Follow-up updated.")
    else:
        messages.error(request, "Choose a follow-up status.")
    return redirect("review_detail", ws=request.workspace.slug, review_pk=review.pk)


@workspace_view()
def review_pdf(request: HttpRequest, review_pk: int) -> HttpResponse:
    from opencmo.reviews.pdf import render_pdf

    review = scoped_or_404(Review, request.workspace, review_pk)
    data = render_pdf(pack_for(review))
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{review.workspace.slug}-{review.cycle.kind}-review-{review.period_start:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@workspace_view()
def review_export(request: HttpRequest, review_pk: int) -> HttpResponse:
    """One table of the pack as CSV: ?table= one of exports.TABLES (kpis, budget, channels, ...)."""
    review = scoped_or_404(Review, request.workspace, review_pk)
    section = request.GET.get("table", "")
    if section not in exports.TABLES:
        raise Http404("No such table.")
    header, rows = exports.TABLES[section](pack_for(review))
    name = f"review-{review.pk}-{section}-{dt.date.fromisoformat(str(review.period_start)):%Y-%m-%d}.csv"
    return csv_response(name, header, rows)
