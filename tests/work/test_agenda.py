"""The weekly status agenda: built from live data for the workspace or a manager's team, printable and
downloadable as Markdown."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from opencmo.core.models import AuditEvent
from opencmo.strategy.models import Kpi, KpiActual, Objective
from opencmo.work import agenda, services
from opencmo.work.models import Task
from tests.work.conftest import make_campaign

TODAY = timezone.localdate()


@pytest.fixture
def week(team, make_task, campaign):
    """A week of work: moves, a late task, deadlines, approvals waiting, and a KPI behind its pace."""
    moved = make_task("Landing page *copy*")
    services.task_move(actor=team.bob, task=moved, status="doing", position=0)
    old = make_task("Old move")
    services.task_move(actor=team.bob, task=old, status="doing", position=0)
    AuditEvent.objects.filter(object_type="work.Task", object_id=str(old.pk), action="update").update(
        at=timezone.now() - dt.timedelta(days=10)
    )
    late = make_task("Retailer brief", due_date=TODAY - dt.timedelta(days=2))
    soon = make_task("Spring newsletter", kind="deliverable", due_date=TODAY + dt.timedelta(days=4))
    services.task_approval_request(actor=team.bob, task=soon, summary="Publish the newsletter")
    budget = make_task("Paid boost", consulted=[], due_date=TODAY + dt.timedelta(days=20))
    services.task_approval_request(actor=team.bob, task=budget, kind="budget", summary="Boost", amount=5000)
    sales = make_campaign(team.ws, "Dealer days", "dealer-days", accountable=team.alice_p)
    sams = make_task(
        "Dealer invitations",
        campaign=sales,
        responsible=[team.sam_p],
        accountable=team.alice_p,
        consulted=[],
        informed=[],
        due_date=TODAY - dt.timedelta(days=1),
    )
    objective = Objective.objects.create(
        workspace=team.ws,
        title="Grow B2C",
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=29),
    )
    campaign.objectives.add(objective)
    kpi = Kpi.objects.create(
        workspace=team.ws,
        objective=objective,
        name="Webshop orders",
        target=Decimal(1000),
        period_start=objective.start_date,
        period_end=objective.end_date,
    )
    KpiActual.objects.create(
        workspace=team.ws, kpi=kpi, date=TODAY - dt.timedelta(days=1), value=Decimal(200)
    )
    return {"moved": moved, "old": old, "late": late, "soon": soon, "budget": budget, "sams": sams}


@pytest.mark.django_db
def test_workspace_agenda(team, week):
    a = agenda.build(team.alice, team.ws)
    assert [(m.task.title, m.old_label, m.new_label) for m in a.moved] == [
        ("Spring newsletter", "To do", "In review"),  # asking for approval moved it; newest first
        ("Landing page *copy*", "To do", "In progress"),
    ]  # not "Old move": ten days ago
    assert [c.task.title for c in a.late] == ["Retailer brief", "Dealer invitations"]
    assert [c.task.title for c in a.coming] == ["Spring newsletter"]
    waiting = {w.request.summary: w for w in a.waiting}
    assert (
        waiting["Publish the newsletter"].signoffs == ["Sam"]
        and not waiting["Publish the newsletter"].approver
    )
    assert waiting["Boost"].approver == "Marta" and not waiting["Boost"].signoffs
    assert waiting["Boost"].link.endswith(f"/work/tasks/{week['budget'].pk}/")
    (kpi,) = a.kpis
    assert kpi.kpi.name == "Webshop orders" and kpi.actual == "200" and kpi.target == "1,000"
    assert kpi.on_track is False and kpi.pct == Decimal(20) and kpi.status == "Off track"


@pytest.mark.django_db
def test_team_agenda_is_the_managers_reports(team, week):
    assert {p.name for p in agenda.team_of(team.marta_p)} == {"Marta", "Bob Berg", "Olga", "Agnes"}
    a = agenda.build(team.alice, team.ws, manager=team.marta_p)
    assert "Dealer invitations" not in [c.task.title for c in a.late]  # Sam reports to Carl
    assert [c.task.title for c in a.late] == ["Retailer brief"]
    carl = agenda.build(team.alice, team.ws, manager=team.carl_p)
    assert "Dealer invitations" in [c.task.title for c in carl.late]
    assert a.title.startswith("Weekly status: team of Marta, week ")


@pytest.mark.django_db
def test_agenda_shows_only_what_the_reader_may_see(team, week, make_task):
    secret = make_campaign(team.ws, "Secret", "secret", accountable=team.marta_p, restricted=True)
    make_task("Embargoed", campaign=secret, due_date=TODAY - dt.timedelta(days=1))
    titles = [c.task.title for c in agenda.build(team.olga, team.ws).late]
    assert "Embargoed" not in titles and "Retailer brief" in titles
    assert "Embargoed" in [c.task.title for c in agenda.build(team.bob, team.ws).late]


@pytest.mark.django_db
def test_agenda_page_and_markdown(client_for, team, week):
    client = client_for(team.marta)
    page = client.get("/w/acme/work/agenda/").content.decode()
    for heading in (
        "1. What moved",
        "2. Late",
        "3. Waiting for approval",
        "4. KPIs against targets",
        "5. Deadlines",
    ):
        assert heading in page
    assert "sign-off from <strong>Sam</strong>" in page and "decision by <strong>Marta</strong>" in page
    md = client.get("/w/acme/work/agenda/", {"format": "md", "manager": team.marta_p.pk})
    assert md["Content-Type"] == "text/markdown; charset=utf-8"
    assert md["Content-Disposition"] == (
        f'attachment; filename="status-agenda-acme-{team.marta_p.pk}-{TODAY:%Y-%m-%d}.md"'
    )
    text = md.content.decode()
    assert text.startswith("# Weekly status: team of Marta")
    assert "Landing page \\*copy\\*: To do → **In progress**" in text
    assert f"[Retailer brief](http://testserver/w/acme/work/tasks/{week['late'].pk}/)" in text
    assert "| Grow B2C | Webshop orders | 200 |" in text
    assert "waiting for sign-off from **Sam**" in text
    assert client.get("/w/acme/work/agenda/", {"manager": "999999"}).status_code == 200  # ignored
    assert Task.objects.count() == 6


@pytest.mark.django_db
def test_empty_agenda_says_so(client_for, team):
    page = client_for(team.bob).get("/w/acme/work/agenda/").content.decode()
    assert "Nothing is late." in page and "No approval is waiting." in page and "no campaign in view" in page
