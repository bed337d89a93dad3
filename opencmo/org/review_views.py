"""Role review pages: leadership's planned evaluation points of roles and responsibilities.

The page gathers RACI health, each person's workload against the workspace policy and the role and
reporting-line changes since the last review; administrators record a review, which keeps a snapshot of
the findings as they stood so the next review can tell what is new (opencmo/org/review.py).
"""

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import raci
from opencmo.org.models import Activity, Person, RoleReview
from opencmo.org.review import (
    CHANGES_SHOWN,
    REVIEWS_SHOWN,
    change_rows,
    change_summary,
    count_severity,
    finding_key,
    finding_rows,
    findings_snapshot,
    grouped,
    names_of,
    parse_snapshot,
    reviews,
    role_changes,
    role_review_create,
    workload,
)
from opencmo.org.rules import ERROR


class ReviewForm(forms.Form):
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was agreed: who takes over what, which findings are accepted and why.",
    )


# --- views ----------------------------------------------------------------------------------------


def _page(request: HttpRequest, form: ReviewForm, status: int = 200) -> HttpResponse:
    workspace = request.workspace
    health = raci.health(workspace)
    policy = raci.policy_for(workspace)
    past = list(reviews(workspace)[:REVIEWS_SHOWN])
    last = past[0] if past else None
    for review in past:
        snapshot = parse_snapshot(review.findings)
        review.error_count, review.warning_count = (
            count_severity(snapshot, ERROR),
            count_severity(snapshot, "warning"),
        )
    previous = {finding_key(f) for f in parse_snapshot(last.findings)} if last else None
    rows = finding_rows(
        workspace,
        findings_snapshot(health.findings),
        {pk: a.name for pk, a in health.activities.items()},
        {pk: p.name for pk, p in health.people.items()},
        previous,
    )
    changes = role_changes(workspace, since=last.created_at if last else None)
    shown = change_rows(workspace, list(changes[:CHANGES_SHOWN]))
    loads = workload(workspace, policy)
    context = {
        "findings": grouped(rows),
        "finding_count": len(rows),
        "new_count": sum(r.is_new for r in rows),
        "loads": loads,
        "over_count": sum(load.over for load in loads),
        "policy": policy,
        "last": last,
        "changes": shown,
        "changes_total": changes.count(),
        "changes_shown": CHANGES_SHOWN,
        "change_summary": change_summary(changes),
        "reviews": past,
        "form": form,
    }
    return render(request, "org/role_review.html", context, status=status)


@workspace_view()
def role_review(request: HttpRequest) -> HttpResponse:
    return _page(request, ReviewForm())


@workspace_view(admin_only=True)
@require_POST
def role_review_record(request: HttpRequest) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    review = role_review_create(
        actor=request.user, workspace=request.workspace, notes=form.cleaned_data["notes"]
    )
    messages.success(request, f"Role review recorded with {len(review.findings)} findings.")
    return redirect("role_review_detail", ws=request.workspace.slug, rolereview_pk=review.pk)


@workspace_view()
def role_review_detail(request: HttpRequest, rolereview_pk: int) -> HttpResponse:
    review = scoped_or_404(RoleReview, request.workspace, rolereview_pk)
    snapshot = parse_snapshot(review.findings)
    earlier = (
        reviews(request.workspace)
        .filter(Q(created_at__lt=review.created_at) | Q(created_at=review.created_at, pk__lt=review.pk))
        .first()
    )
    rows = finding_rows(
        request.workspace,
        snapshot,
        names_of(Activity, request.workspace, (f.get("activity_id") for f in snapshot)),
        names_of(Person, request.workspace, (f.get("person_id") for f in snapshot)),
    )
    changes = role_changes(
        request.workspace, since=earlier.created_at if earlier else None, until=review.created_at
    )
    context = {
        "review": review,
        "earlier": earlier,
        "findings": grouped(rows),
        "changes": change_rows(request.workspace, list(changes[:CHANGES_SHOWN])),
        "changes_total": changes.count(),
        "changes_shown": CHANGES_SHOWN,
        "change_summary": change_summary(changes),
    }
    return render(request, "org/_review_detail.html", context)
