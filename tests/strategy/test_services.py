"""Goals, objectives, KPIs, actuals and segments: who may write, what is refused, what is audited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opencmo.core.models import AuditEvent, Notification
from opencmo.strategy import services
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment
from opencmo.strategy.selectors import kpi_progress
from tests.strategy.conftest import YEAR_END, YEAR_START, make_campaign


def events(obj, action=None, pk=None):
    qs = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(pk or obj.pk))
    return qs.filter(action=action) if action else qs


@pytest.mark.django_db
def test_goals_are_set_by_admins_and_strategy_hats(team):
    for user in (team.alice, team.carl, team.stina):  # admin, executive, strategist
        goal = services.goal_create(actor=user, workspace=team.ws, title=f"Goal of {user.email}")
        assert events(goal, "create").get().actor == user
    for user in (team.bob, team.marta, team.olga, team.vera):  # content, manager, analyst, viewer
        with pytest.raises(PermissionDenied):
            services.goal_create(actor=user, workspace=team.ws, title="Not mine to set")
    with pytest.raises(ValidationError) as error:
        services.goal_create(actor=team.alice, workspace=team.ws, title="  goal OF alice@acme.example ")
    assert "already a goal" in error.value.message_dict["title"][0]
    with pytest.raises(ValidationError) as error:
        services.goal_create(actor=team.alice, workspace=team.ws, title=" ")
    assert "title" in error.value.message_dict


@pytest.mark.django_db
def test_goal_update_and_delete_keep_objectives(team, plan):
    goal = plan["goal"]
    services.goal_update(actor=team.stina, goal=goal, target_year=2028, is_active=False)
    assert events(goal, "update").get().changes == {"is_active": [True, False], "target_year": [None, 2028]}
    with pytest.raises(ValidationError, match="year"):
        services.goal_update(actor=team.alice, goal=goal, target_year=20280)
    with pytest.raises(PermissionDenied):
        services.goal_delete(actor=team.bob, goal=goal)
    pk = goal.pk
    services.goal_delete(actor=team.alice, goal=goal)
    assert not CompanyGoal.objects.filter(pk=pk).exists()
    assert Objective.objects.filter(pk=plan["objective"].pk).exists()
    assert events(goal, "delete", pk).exists()


@pytest.mark.django_db
def test_objective_owner_and_admins_edit_members_read(team, plan, django_capture_on_commit_callbacks):
    objective = plan["objective"]
    assert Notification.objects.filter(recipient=team.marta, subject__contains="accountable").exists()
    services.objective_update(actor=team.marta, objective=objective, description="Webshop and marketplaces")
    for user in (team.bob, team.stina, team.carl, team.vera):
        with pytest.raises(PermissionDenied):
            services.objective_update(actor=user, objective=objective, description="Not theirs")
    services.objective_update(actor=team.alice, objective=objective, owner=team.olga_p, status="achieved")
    assert Notification.objects.filter(recipient=team.olga, subject__contains="accountable").exists()
    change = events(objective, "update").first().changes
    assert change["owner"] == [team.marta_p.pk, team.olga_p.pk] and change["status"] == ["active", "achieved"]
    with pytest.raises(PermissionDenied):  # Marta is no longer the owner
        services.objective_update(actor=team.marta, objective=objective, description="x")
    team.olga_p.is_active = False  # the owner leaves: the objective can still be edited meanwhile
    team.olga_p.save()
    services.objective_update(actor=team.alice, objective=objective, description="Handover pending")
    services.objective_update(actor=team.alice, objective=objective, owner=team.sam_p)
    with pytest.raises(ValidationError, match="no longer active"):
        services.objective_update(actor=team.alice, objective=objective, owner=team.olga_p)


@pytest.mark.django_db
def test_objective_validation(team, globex):
    base = dict(actor=team.alice, workspace=team.ws, title="Launch", start_date=YEAR_START)
    with pytest.raises(ValidationError) as error:
        services.objective_create(**base, end_date=YEAR_START - timedelta(days=1))
    assert "end_date" in error.value.message_dict
    foreign_goal = services.goal_create(actor=None, workspace=globex, title="Globex goal")
    with pytest.raises(ValidationError, match="another workspace"):
        services.objective_create(**base, end_date=YEAR_END, goals=[foreign_goal])
    team.olga_p.is_active = False
    team.olga_p.save()
    with pytest.raises(ValidationError, match="no longer active"):
        services.objective_create(**base, end_date=YEAR_END, owner=team.olga_p)
    with pytest.raises(ValidationError) as error:
        services.objective_create(**base, end_date=YEAR_END, horizon="forever")
    assert "horizon" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.objective_create(**{**base, "actor": team.bob}, end_date=YEAR_END)
    assert not Objective.objects.filter(workspace=team.ws, title="Launch").exists()
    assert services.objective_create(**{**base, "actor": None}, end_date=YEAR_END).horizon == "short"


@pytest.mark.django_db
def test_kpi_rules(team, plan):
    objective = plan["objective"]
    kpi = dict(actor=team.marta, objective=objective, period_start=YEAR_START, period_end=YEAR_END)
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**kpi, name="Cost per lead", target=90, baseline=120)
    assert "at or above the baseline" in error.value.message_dict["target"][0]
    cpl = services.kpi_create(
        **kpi, name="Cost per lead", target=90, baseline=120, direction="down", unit="currency"
    )
    assert cpl.target == Decimal(90) and events(cpl, "create").get().actor == team.marta
    with pytest.raises(ValidationError, match="already has a KPI"):
        services.kpi_create(**kpi, name="cost PER lead", target=80, baseline=120, direction="down")
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**kpi, name="Sessions", target=10, source="imported")
    assert "metric_key" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**kpi, name="Sessions", target=10, source="imported", metric_key="Web Sessions!")
    assert "lower-case" in error.value.message_dict["metric_key"][0]
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**kpi, name="Sessions", target="lots")
    assert error.value.message_dict["target"] == ["Enter a number."]
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**{**kpi, "period_end": YEAR_START - timedelta(days=1)}, name="x", target=1)
    assert "period_end" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.kpi_create(**kpi, name="Huge", target=Decimal("1e20"))
    assert "target" in error.value.message_dict
    for user in (team.bob, team.olga, team.stina):
        with pytest.raises(PermissionDenied):
            services.kpi_create(**{**kpi, "actor": user}, name="Theirs", target=1)
    services.kpi_update(actor=team.marta, kpi=cpl, target=Decimal(80))
    assert events(cpl, "update").get().changes == {"target": ["90.0000", "80.0000"]}
    with pytest.raises(ValidationError, match="Unknown KPI fields"):
        services.kpi_update(actor=team.marta, kpi=cpl, objective=objective)


@pytest.mark.django_db
def test_actuals_one_per_day_reentering_updates_audited(team, plan):
    leads, today = plan["leads"], timezone.localdate()
    first = services.kpi_actual_record(
        actor=team.marta, kpi=leads, date=today, value="120", note="CRM export"
    )
    assert first.entered_by == team.marta and events(first, "create").exists()
    again = services.kpi_actual_record(actor=team.olga, kpi=leads, date=today, value=Decimal("125.5"))
    assert again.pk == first.pk and KpiActual.objects.filter(kpi=leads).count() == 1
    update = events(first, "update").get()
    assert update.actor == team.olga and update.changes["value"] == ["120.0000", "125.5000"]
    assert kpi_progress(leads).actual == Decimal("125.5")
    for user in (team.bob, team.stina, team.vera):
        with pytest.raises(PermissionDenied):
            services.kpi_actual_record(actor=user, kpi=leads, date=today, value=1)
    pk = again.pk
    services.kpi_actual_delete(actor=team.alice, actual=again)
    assert not KpiActual.objects.filter(kpi=leads).exists() and events(first, "delete", pk).exists()


@pytest.mark.django_db
def test_actual_dates_and_values_are_checked(team, plan):
    leads, today = plan["leads"], timezone.localdate()
    record = dict(actor=team.marta, kpi=leads)
    with pytest.raises(ValidationError) as error:
        services.kpi_actual_record(**record, date=today + timedelta(days=1), value=1)
    assert "future" in error.value.message_dict["date"][0]
    with pytest.raises(ValidationError) as error:
        services.kpi_actual_record(**record, date=YEAR_START - timedelta(days=32), value=1)
    assert "within the KPI's period" in error.value.message_dict["date"][0]
    services.kpi_actual_record(**record, date=YEAR_START - timedelta(days=31), value=1)  # near enough
    with pytest.raises(ValidationError) as error:
        services.kpi_actual_record(**record, date=today, value="NaN")
    assert "value" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.kpi_actual_record(**record, date=today, value=1, note="x" * 301)
    assert "note" in error.value.message_dict
    imported = services.kpi_create(
        actor=team.marta,
        objective=plan["objective"],
        name="Sessions",
        target=10,
        source="imported",
        metric_key="web.sessions",
        period_start=YEAR_START,
        period_end=YEAR_END,
    )
    with pytest.raises(ValidationError, match="imported from the metric"):
        services.kpi_actual_record(actor=team.marta, kpi=imported, date=today, value=5)
    services.kpi_actual_record(actor=None, kpi=imported, date=today, value=5)  # the importer


@pytest.mark.django_db
def test_owner_is_told_when_a_kpi_goes_off_track(team, plan):
    leads, today = plan["leads"], timezone.localdate()
    services.kpi_actual_record(actor=team.olga, kpi=leads, date=today - timedelta(days=1), value=900)
    assert not Notification.objects.filter(recipient=team.marta, subject__startswith="Off track").exists()
    services.kpi_actual_record(actor=team.olga, kpi=leads, date=today - timedelta(days=1), value=100)
    told = Notification.objects.get(recipient=team.marta, subject__startswith="Off track")
    assert "Qualified leads" in told.subject and "expected by now" in told.body


@pytest.mark.django_db
def test_deleting_an_objective_takes_its_kpis_and_audits_each(team, plan):
    services.kpi_actual_record(actor=team.marta, kpi=plan["leads"], date=timezone.localdate(), value=3)
    campaign = make_campaign(team.ws, "Spring push", plan["objective"])
    with pytest.raises(PermissionDenied):
        services.objective_delete(actor=team.bob, objective=plan["objective"])
    services.objective_delete(actor=team.marta, objective=plan["objective"])
    assert not Kpi.objects.filter(pk__in=[plan["leads"].pk, plan["nps"].pk]).exists()
    assert not KpiActual.objects.filter(kpi_id=plan["leads"].pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type=KpiActual._meta.label).count() == 1
    assert AuditEvent.objects.filter(action="delete", object_type=Kpi._meta.label).count() == 2
    campaign.refresh_from_db()
    assert not campaign.objectives.exists()


@pytest.mark.django_db
def test_segments(team, plan):
    b2b = services.segment_create(
        actor=team.stina, workspace=team.ws, name="Nordic sports retailers", is_b2b=True
    )
    assert events(b2b, "create").exists()
    with pytest.raises(ValidationError, match="already a segment"):
        services.segment_create(actor=team.alice, workspace=team.ws, name="nordic SPORTS retailers")
    with pytest.raises(PermissionDenied):
        services.segment_create(actor=team.bob, workspace=team.ws, name="Urban hikers")
    services.segment_update(actor=team.alice, segment=b2b, description="Chains and independents")
    campaign = make_campaign(team.ws, "Retailer fair", plan["objective"], segment=b2b)
    with pytest.raises(ValidationError, match="target of campaigns"):
        services.segment_delete(actor=team.alice, segment=b2b)
    campaign.segment = None
    campaign.save()
    pk = b2b.pk
    services.segment_delete(actor=team.alice, segment=b2b)
    assert not Segment.objects.filter(pk=pk).exists() and events(b2b, "delete", pk).exists()


@pytest.mark.django_db
def test_segment_in_a_decided_strategy_stays_on_record(team):
    hikers = services.segment_create(actor=None, workspace=team.ws, name="Urban hikers")
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    services.strategy_draft_update(actor=team.stina, version=draft, positioning="Warm", segments=[hikers])
    services.strategy_propose(actor=team.stina, version=draft, change_summary="First strategy")
    with pytest.raises(ValidationError, match=r"named in strategy version v2\b"):
        services.segment_delete(actor=team.alice, segment=hikers)
