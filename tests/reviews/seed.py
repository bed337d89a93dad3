"""One of each routed reviews model, for the tenant-isolation walk (made directly with the ORM)."""

import datetime as dt

from opencmo.reviews.models import Review, ReviewAction, ReviewCycle, ReviewDecision


def seed(workspace, admin, context) -> None:
    cycle = ReviewCycle.objects.create(
        workspace=workspace,
        kind="monthly",
        name=f"{workspace.name} monthly review",
        cadence="monthly",
        next_date=dt.date(2026, 3, 3),
        chair=context["boss"],
    )
    cycle.participants.add(context["boss"], context["specialist"])
    review = Review.objects.create(
        workspace=workspace,
        cycle=cycle,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        scheduled_for=dt.date(2026, 2, 3),
    )
    decision = ReviewDecision.objects.create(
        workspace=workspace,
        review=review,
        text=f"{workspace.name} spends more on email",
        owner=context["boss"],
    )
    ReviewAction.objects.create(
        workspace=workspace, review=review, decision=decision, task=context["task"], title="Email plan"
    )
