"""Demo review cycles for Nordlys: a weekly status, a monthly marketing review and a quarterly strategy
review, with last month's review already held and closed (decisions, actions, follow-ups), so the next
monthly pack shows "decisions from the last review" straight away.

Called from opencmo/demo/company.py after the budget is built:
    build_reviews(main, main_people, today)
"""

import datetime as dt

from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.reviews import services
from opencmo.reviews.models import ReviewCycle
from opencmo.reviews.schedule import add_months


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def build_reviews(workspace: Workspace, people: dict[str, Person], today: dt.date) -> list[ReviewCycle]:
    pick = lambda *keys: [people[k] for k in keys if k in people]  # noqa: E731
    weekly = services.cycle_create(
        actor=None,
        workspace=workspace,
        kind=ReviewCycle.Kind.WEEKLY,
        name="Weekly marketing status",
        cadence=ReviewCycle.Cadence.WEEKLY,
        first_date=_weekday_on_or_after(today, 0),
        chair=people["mm"],
        participants=pick("mm", "project", "content", "social", "analyst", "seo", "agency_lead"),
    )
    # Last month's review was held on its first Tuesday; it is closed with its decisions.
    this_month = today.replace(day=1)
    held = _weekday_on_or_after(this_month, 1)
    if held > today:
        held = _weekday_on_or_after(add_months(this_month, -1), 1)
    monthly = services.cycle_create(
        actor=None,
        workspace=workspace,
        kind=ReviewCycle.Kind.MONTHLY,
        name="Monthly marketing review",
        cadence=ReviewCycle.Cadence.MONTHLY,
        first_date=held,
        chair=people["cmo"],
        participants=pick("cmo", "mm", "strategist", "analyst", "sales"),
    )
    review = monthly.reviews.get()
    services.review_start(actor=None, review=review)
    first = services.decision_record(
        actor=None,
        review=review,
        text="Shift search budget towards the B2B retailer campaign while its cost per lead stays below "
        "target.",
        owner=people["mm"],
    )
    second = services.decision_record(
        actor=None,
        review=review,
        text="Sales and marketing agree one lead definition before the next review.",
        owner=people["sales"],
    )
    services.decision_record(
        actor=None,
        review=review,
        text="Pause the lowest-ROAS display placements and report the effect next month.",
        owner=people["analyst"],
    )
    services.action_create(
        actor=None,
        review=review,
        title="Write the shared lead definition with Sales",
        responsible=[people["strategist"]],
        accountable=people["cmo"],
        due_date=held + dt.timedelta(days=14),
        decision=second,
    )
    services.action_create(
        actor=None,
        review=review,
        title="Move search budget to the retailer campaign",
        responsible=[people["mm"]],
        accountable=people["cmo"],
        due_date=held + dt.timedelta(days=7),
        decision=first,
    )
    services.review_close(
        actor=None,
        review=review,
        notes="Reviewed last month's results against the plan; agreed three decisions and two actions.",
        today=today,
    )
    services.decision_follow_up(
        actor=None, decision=first, follow_up="done", notes="Moved in the budget tool."
    )
    services.decision_follow_up(
        actor=None, decision=second, follow_up="progress", notes="Draft shared with Sales."
    )
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarterly = services.cycle_create(
        actor=None,
        workspace=workspace,
        kind=ReviewCycle.Kind.QUARTERLY,
        name="Quarterly strategy review",
        cadence=ReviewCycle.Cadence.QUARTERLY,
        first_date=_weekday_on_or_after(quarter_start + dt.timedelta(days=14), 3),
        chair=people["cmo"],
        participants=pick("ceo", "cmo", "mm", "strategist", "sales"),
    )
    # This quarter's meeting on last quarter has been held when its date is past: its frozen pack is the
    # board report to open, and closing it schedules the next quarter's review.
    last_quarter = quarterly.reviews.get()
    if last_quarter.scheduled_for <= today:
        services.review_start(actor=None, review=last_quarter)
        services.decision_record(
            actor=None,
            review=last_quarter,
            text="Keep paid search and email as the growth channels next quarter; cut display to a test "
            "budget.",
            owner=people["cmo"],
        )
        services.review_close(
            actor=None,
            review=last_quarter,
            notes="Quarterly results and the board report reviewed with the CEO; next quarter's plan agreed.",
            today=today,
        )
    return [weekly, monthly, quarterly]
