"""Strategy pages: each renders, forms show errors instead of crashing, writes are refused with 403 to
those without the right, and foreign objects are 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opencmo.org.raci_services import activity_update, raci_set
from opencmo.strategy import services
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment, StrategyVersion
from tests.strategy.conftest import YEAR_END, YEAR_START, make_campaign, make_task

W = "/w/acme/strategy"


def page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.status_code
    return response.content.decode()


@pytest.mark.django_db
def test_home_shows_goals_objectives_and_kpi_progress(client, team, plan):
    services.kpi_actual_record(actor=team.marta, kpi=plan["leads"], date=timezone.localdate(), value=900)
    html = page(client, team.bob, f"{W}/")
    assert "Double B2C revenue by 2028" in html and "Grow online sales in 2026" in html
    assert "Qualified leads" in html and "On track" in html and "No data yet" in html  # NPS has no reading
    assert "Strategy in force" in html and "Propose a change" in html
    assert "New goal" not in html  # Bob wears no strategy hat
    html = page(client, team.stina, f"{W}/")
    assert "New goal" in html and "New objective" in html
    html = page(client, team.vera, f"{W}/")
    assert "Propose a change" not in html and "Grow online sales in 2026" in html


@pytest.mark.django_db
def test_home_filters_by_status(client, team, plan):
    services.objective_update(actor=team.alice, objective=plan["objective"], status="dropped")
    assert "Grow online sales in 2026" not in page(client, team.bob, f"{W}/")
    assert "Grow online sales in 2026" in page(client, team.bob, f"{W}/?status=all")
    services.objective_create(
        actor=None, workspace=team.ws, title="Always-on search", start_date=YEAR_START, end_date=YEAR_END
    )
    html = page(client, team.bob, f"{W}/objectives/?status=dropped&horizon=nonsense")
    assert "Grow online sales in 2026" in html and "Always-on search" not in html
    assert "Always-on search" in page(client, team.bob, f"{W}/objectives/")


@pytest.mark.django_db
def test_goal_pages(client, team):
    client.force_login(team.stina)
    response = client.post(f"{W}/goals/new/", {"title": "", "target_year": "abc"})
    html = response.content.decode()
    assert (
        response.status_code == 200 and "This field is required." in html and "Enter a whole number." in html
    )
    response = client.post(f"{W}/goals/new/", {"title": "Be the Nordic outdoor brand", "target_year": "2030"})
    assert response.status_code == 302
    goal = CompanyGoal.objects.get(title="Be the Nordic outdoor brand")
    response = client.post(f"{W}/goals/new/", {"title": "be the nordic OUTDOOR brand"})
    assert "There is already a goal called" in response.content.decode()
    edit = f"{W}/goals/{goal.pk}/edit/"
    assert "Delete goal" in page(client, team.stina, edit)
    client.post(edit, {"title": "Be the Nordic outdoor brand", "target_year": "2031", "is_active": "on"})
    goal.refresh_from_db()
    assert goal.target_year == 2031
    client.force_login(team.bob)
    assert client.get(edit).status_code == 403
    assert client.post(f"{W}/goals/new/", {"title": "Mine"}).status_code == 403
    assert client.post(f"{W}/goals/{goal.pk}/delete/").status_code == 403
    client.force_login(team.alice)
    assert client.post(f"{W}/goals/{goal.pk}/delete/").status_code == 302
    assert not CompanyGoal.objects.filter(pk=goal.pk).exists()


@pytest.mark.django_db
def test_objective_create_and_edit(client, team, plan):
    client.force_login(team.stina)
    form = page(client, team.stina, f"{W}/objectives/new/?goal={plan['goal'].pk}")
    assert "Company goals it serves" in form and "Status" not in form  # new objectives start active
    bad = {"title": "Autumn launch", "horizon": "short", "start_date": "2026-09-01", "end_date": "2026-08-01"}
    response = client.post(f"{W}/objectives/new/", bad)
    assert response.status_code == 200 and "must end on or after its start date" in response.content.decode()
    response = client.post(
        f"{W}/objectives/new/",
        {**bad, "end_date": "2026-12-01", "owner": team.stina_p.pk, "goals": [plan["goal"].pk]},
    )
    objective = Objective.objects.get(title="Autumn launch")
    assert response.status_code == 302 and response["Location"] == f"{W}/objectives/{objective.pk}/"
    assert list(objective.goals.all()) == [plan["goal"]]
    edit = f"{W}/objectives/{objective.pk}/edit/"
    response = client.post(
        edit, {**bad, "end_date": "2026-12-01", "status": "achieved", "owner": team.stina_p.pk}
    )
    objective.refresh_from_db()
    assert response.status_code == 302 and objective.status == "achieved" and not objective.goals.exists()
    client.force_login(team.bob)
    assert client.get(edit).status_code == 403
    assert client.post(f"{W}/objectives/new/", bad).status_code == 403
    assert client.post(f"{W}/objectives/{objective.pk}/delete/").status_code == 403
    assert client.post(f"{W}/objectives/new/", {**bad, "owner": 999999}).status_code == 403


@pytest.mark.django_db
def test_objective_form_offers_only_this_workspace(client, team, plan, foreign):
    client.force_login(team.alice)
    foreign_goal = foreign["goal"]
    data = {"title": "X", "horizon": "short", "start_date": "2026-01-01", "end_date": "2026-02-01"}
    response = client.post(f"{W}/objectives/new/", {**data, "goals": [foreign_goal.pk]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert foreign_goal.title not in page(client, team.alice, f"{W}/objectives/new/")


@pytest.mark.django_db
def test_traceability_page(client, team, plan):
    today = timezone.localdate()
    objective = plan["objective"]
    spring = make_campaign(team.ws, "Spring hiking push", objective, status="live")
    make_task(spring, "Write landing page", status="done", due=today - timedelta(days=3))
    make_task(spring, "Shoot product video", status="doing", due=today - timedelta(days=1))
    make_task(spring, "Book influencers", status="todo", due=today + timedelta(days=5))
    secret = make_campaign(team.ws, "Secret retail deal", objective)
    activity_update(actor=None, activity=secret.activity, restricted=True)
    raci_set(actor=None, activity=secret.activity, person=team.marta_p, letters="A")
    services.kpi_actual_record(actor=team.marta, kpi=plan["leads"], date=today, value=200)
    url = f"{W}/objectives/{objective.pk}/"
    html = page(client, team.bob, url)
    assert "Double B2C revenue by 2028" in html  # up to its goal
    assert "Spring hiking push" in html and "Live" in html and "Shoot product video" in html
    assert "1 late" in html and "1/3" in html and "33 %" in html  # one of three tasks done
    assert "Secret retail deal" not in html and "1 restricted campaign not shown" in html
    assert "Qualified leads" in html and "Off track" in html
    html = page(client, team.marta, url)
    assert "Secret retail deal" in html and "Add KPI" in html
    assert "Add KPI" not in page(client, team.bob, url)


@pytest.mark.django_db
def test_kpi_create_edit_and_errors(client, team, plan):
    objective = plan["objective"]
    client.force_login(team.marta)
    form = page(client, team.marta, f"{W}/objectives/{objective.pk}/kpis/new/")
    assert YEAR_START.isoformat() in form  # the period defaults to the objective's
    data = {
        "name": "Cost per lead",
        "unit": "currency",
        "direction": "up",
        "baseline": "120",
        "target": "90",
        "period_start": YEAR_START.isoformat(),
        "period_end": YEAR_END.isoformat(),
        "source": "manual",
    }
    response = client.post(f"{W}/objectives/{objective.pk}/kpis/new/", data)
    assert response.status_code == 200 and "must be at or above the baseline" in response.content.decode()
    response = client.post(f"{W}/objectives/{objective.pk}/kpis/new/", {**data, "target": "ninety"})
    assert "Enter a number." in response.content.decode()
    response = client.post(f"{W}/objectives/{objective.pk}/kpis/new/", {**data, "direction": "down"})
    kpi = Kpi.objects.get(name="Cost per lead")
    assert response.status_code == 302 and kpi.direction == "down" and not kpi.cumulative
    edit = f"{W}/kpis/{kpi.pk}/edit/"
    assert "Delete KPI" in page(client, team.marta, edit)
    response = client.post(edit, {**data, "direction": "down", "target": "80", "cumulative": "on"})
    kpi.refresh_from_db()
    assert response.status_code == 302 and kpi.target == 80 and kpi.cumulative
    client.force_login(team.olga)  # an analyst records actuals but does not reshape KPIs
    assert client.get(edit).status_code == 403
    assert client.post(f"{W}/objectives/{objective.pk}/kpis/new/", data).status_code == 403
    assert client.post(f"{W}/kpis/{kpi.pk}/delete/").status_code == 403
    client.force_login(team.marta)
    assert client.post(f"{W}/kpis/{kpi.pk}/delete/").status_code == 302
    assert not Kpi.objects.filter(pk=kpi.pk).exists()


@pytest.mark.django_db
def test_kpi_page_records_actuals(client, team, plan):
    leads, today = plan["leads"], timezone.localdate()
    url = f"{W}/kpis/{leads.pk}/"
    html = page(client, team.olga, url)
    assert "Enter an actual" in html and "<svg" in html and "No actuals yet." in html
    response = client.post(url, {"date": today.isoformat(), "value": "600", "note": "From the CRM"})
    assert response.status_code == 302
    html = page(client, team.olga, url)
    assert "600" in html and "From the CRM" in html and "On track" in html
    response = client.post(url, {"date": today.isoformat(), "value": "90"}, follow=True)
    assert "replaced" in response.content.decode() and KpiActual.objects.get(kpi=leads).value == 90
    response = client.post(url, {"date": (today + timedelta(days=2)).isoformat(), "value": "1"})
    assert response.status_code == 200 and "cannot be dated in the future" in response.content.decode()
    response = client.post(url, {"date": "yesterday", "value": "many"})
    html = response.content.decode()
    assert response.status_code == 200 and "Enter a valid date." in html and "Enter a number." in html
    client.force_login(team.bob)
    assert "analysts and administrators enter actuals" in page(client, team.bob, url)
    assert client.post(url, {"date": today.isoformat(), "value": "5"}).status_code == 403
    actual = KpiActual.objects.get(kpi=leads)
    assert client.post(f"{W}/actuals/{actual.pk}/delete/").status_code == 403
    client.force_login(team.marta)
    assert client.post(f"{W}/actuals/{actual.pk}/delete/").status_code == 302
    assert not KpiActual.objects.filter(kpi=leads).exists()


@pytest.mark.django_db
def test_segment_pages(client, team):
    client.force_login(team.stina)
    response = client.post(f"{W}/segments/", {"name": "", "description": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    client.post(f"{W}/segments/", {"name": "Nordic sports retailers", "is_b2b": "on"})
    segment = Segment.objects.get(name="Nordic sports retailers")
    assert segment.is_b2b
    response = client.post(f"{W}/segments/", {"name": "nordic sports RETAILERS"})
    assert "There is already a segment called" in response.content.decode()
    client.post(f"{W}/segments/{segment.pk}/edit/", {"name": "Sports retailers", "description": "Chains"})
    segment.refresh_from_db()
    assert segment.name == "Sports retailers" and not segment.is_b2b
    html = page(client, team.bob, f"{W}/segments/")
    assert "Sports retailers" in html and "Add a segment" not in html
    assert client.post(f"{W}/segments/", {"name": "Bob's"}).status_code == 403
    assert client.get(f"{W}/segments/{segment.pk}/edit/").status_code == 403
    client.force_login(team.alice)
    assert client.post(f"{W}/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()


@pytest.mark.django_db
def test_propose_and_approve_through_the_pages(client, team):
    client.force_login(team.stina)
    response = client.post(f"{W}/brand/draft/")
    draft = StrategyVersion.objects.get(workspace=team.ws, status="draft")
    assert response["Location"] == f"{W}/brand/{draft.pk}/edit/"
    edit = f"{W}/brand/{draft.pk}/edit/"
    form = {
        "positioning": "Warm <script>alert(1)</script> layers",
        "tone_of_voice": "Dry",
        "change_summary": "",
    }
    response = client.post(edit, {**form, "action": "propose"})
    assert response.status_code == 200 and "Say in a line what changes and why." in response.content.decode()
    response = client.post(edit, {**form, "change_summary": "Sharper", "action": "propose"}, follow=True)
    html = response.content.decode()
    assert "waiting for approval by Alice Andersen" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html  # diff escaped
    detail = f"{W}/brand/{draft.pk}/"
    assert "Record decision" not in html
    assert client.post(detail, {"action": "decide", "decision": "approve"}).status_code == 403
    assert "Edit the draft" not in page(client, team.stina, f"{W}/brand/")
    response = client.get(edit, follow=True)
    assert "no longer edited" in response.content.decode()
    html = page(client, team.alice, f"{W}/")
    assert "waiting for your decision" in html
    client.force_login(team.alice)
    response = client.post(detail, {"action": "decide", "decision": "reject", "comment": ""})
    assert response.status_code == 200 and "Say why it is rejected" in response.content.decode()
    response = client.post(detail, {"action": "decide", "decision": "approve", "comment": "Yes"}, follow=True)
    assert "approved: it is now in force" in response.content.decode()
    html = page(client, team.bob, f"{W}/brand/")
    assert "Strategy v2" in html and "Superseded" in html and "Dry" in html
    html = page(client, team.bob, f"{W}/brand/{draft.pk}/?against=1")
    assert "Changes from v1" in html and "<ins>" in html
    page(client, team.bob, f"{W}/brand/{draft.pk}/?against=99", status=404)


@pytest.mark.django_db
def test_version_actions_refuse_bad_requests(client, team):
    client.force_login(team.stina)
    client.post(f"{W}/brand/draft/")
    draft = StrategyVersion.objects.get(workspace=team.ws, status="draft")
    detail = f"{W}/brand/{draft.pk}/"
    response = client.post(detail, {"action": "propose"}, follow=True)
    assert "Say in a line what changes and why." in response.content.decode()
    response = client.post(f"{W}/brand/draft/", follow=True)
    assert "already draft" in response.content.decode()
    assert client.post(detail, {"action": "nonsense"}, follow=True).status_code == 200
    client.force_login(team.vera)
    assert client.post(f"{W}/brand/draft/").status_code == 403
    assert client.get(f"{W}/brand/{draft.pk}/edit/").status_code == 403
    client.force_login(team.bob)
    assert client.post(detail, {"action": "discard"}).status_code == 302
    assert not StrategyVersion.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_every_page_renders_for_a_viewer(client, team, plan):
    services.kpi_actual_record(actor=None, kpi=plan["nps"], date=timezone.localdate(), value=33)
    v1 = StrategyVersion.objects.get(workspace=team.ws, number=1)
    for url in (
        f"{W}/",
        f"{W}/objectives/",
        f"{W}/objectives/{plan['objective'].pk}/",
        f"{W}/kpis/{plan['nps'].pk}/",
        f"{W}/kpis/{plan['leads'].pk}/",
        f"{W}/segments/",
        f"{W}/brand/",
        f"{W}/brand/{v1.pk}/",
    ):
        page(client, team.vera, url)


@pytest.mark.django_db
def test_foreign_and_missing_objects_are_not_found(client, team, plan, foreign):
    objective, foreign_kpi = foreign["objective"], foreign["kpi"]
    client.force_login(team.alice)
    for url in (
        f"{W}/objectives/{objective.pk}/",
        f"{W}/objectives/{objective.pk}/edit/",
        f"{W}/kpis/{foreign_kpi.pk}/",
        f"{W}/segments/{foreign['segment'].pk}/edit/",
        f"{W}/goals/{foreign['goal'].pk}/edit/",
        f"{W}/brand/{foreign['version'].pk}/",
        f"{W}/objectives/999999/",
        "/w/globex/strategy/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{W}/kpis/{foreign_kpi.pk}/", {"date": "2026-01-02", "value": "1"}).status_code == 404
    assert client.post(f"{W}/brand/draft/", {"base": foreign["version"].pk}).status_code == 404
    assert client.post(f"{W}/actuals/{foreign['actual'].pk}/delete/").status_code == 404
    assert client.post(f"{W}/brand/{foreign['version'].pk}/", {"action": "discard"}).status_code == 404


@pytest.mark.django_db
def test_absurd_ids_and_numbers_are_refused_politely(client, team, plan):
    client.force_login(team.alice)
    big = "9" * 30
    data = {"title": "X", "horizon": "short", "start_date": "2026-01-01", "end_date": "2026-02-01"}
    response = client.post(f"{W}/objectives/new/", {**data, "owner": big, "goals": [big]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert client.get(f"{W}/objectives/new/?goal={big}").status_code == 200
    assert client.get(f"{W}/brand/{team.v1.pk}/?against={big}").status_code == 404
    assert client.post(f"{W}/brand/draft/", {"base": big}).status_code == 404
    kpi = f"{W}/kpis/{plan['leads'].pk}/"
    response = client.post(kpi, {"date": "2026-01-01", "value": "1e400"})
    assert response.status_code == 200 and "Ensure that there are no more than" in response.content.decode()
    response = client.post(kpi, {"date": "99999-01-01", "value": "1"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()


@pytest.mark.django_db
def test_kpi_overview_for_agendas(team, plan):
    from opencmo.strategy import progress, selectors

    services.kpi_actual_record(actor=None, kpi=plan["leads"], date=timezone.localdate(), value=10)
    off = selectors.kpi_overview(team.ws, status=progress.OFF_TRACK)
    assert [row.kpi for row in off] == [plan["leads"]]
    assert {row.kpi for row in selectors.kpi_overview(team.ws)} == {plan["leads"], plan["nps"]}
    services.objective_update(actor=None, objective=plan["objective"], status="achieved")
    assert selectors.kpi_overview(team.ws) == []
