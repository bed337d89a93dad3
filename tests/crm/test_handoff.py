"""The hand-off of MQLs to sales: assignment (round robin or rules), acceptance or rejection with a
reason by someone wearing the sales hat, the SLA timer on a fixed clock, breach notices (each once) and
the funnel report."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import Access, Notification
from opencmo.core.services import membership_add
from opencmo.crm import selectors, services
from opencmo.crm.models import Handoff, StageTransition
from opencmo.org.models import Role
from opencmo.org.services import person_create
from tests.conftest import make_user
from tests.crm.conftest import T0


@pytest.fixture
def second_seller(team):
    user = make_user("siri@acme.example", "Siri", "Salg")
    membership_add(actor=team.alice, workspace=team.ws, user=user, access=Access.MEMBER)
    person = person_create(
        actor=team.alice,
        workspace=team.ws,
        name="Siri Salg",
        user=user,
        reports_to=team.carl_p,
        roles=[Role.objects.get(workspace=team.ws, key="sales")],
    )
    return user, person


def handed(contact) -> Handoff:
    return Handoff.objects.get(contact=contact, status="pending")


@pytest.mark.django_db
def test_round_robin_across_the_sales_hat(team, second_seller, make_contact):
    owners = [handed(make_contact(stage_key="mql")).assigned_to for _ in range(4)]
    assert owners == [team.sam_p, second_seller[1], team.sam_p, second_seller[1]]
    assert all(h.assignment_note == "Round robin" for h in Handoff.objects.all())


@pytest.mark.django_db
def test_assignment_rules_come_first(team, second_seller, make_contact, acme, alice):
    services.settings_update(actor=alice, workspace=acme, assignment="rules")
    services.assignmentrule_create(
        actor=alice,
        workspace=acme,
        name="Sweden to Siri",
        field="country",
        operator="equals",
        value="SE",
        assign_to=second_seller[1],
    )
    assert handed(make_contact(stage_key="mql", country="SE")).assigned_to == second_seller[1]
    assert handed(make_contact(stage_key="mql", country="SE")).assignment_note == "Rule “Sweden to Siri”"
    assert handed(make_contact(stage_key="mql", country="NO")).assignment_note == "Round robin"
    with pytest.raises(ValidationError) as error:  # only people wearing the sales hat can be given leads
        services.assignmentrule_create(
            actor=alice,
            workspace=acme,
            name="x",
            field="country",
            operator="equals",
            value="DK",
            assign_to=team.bob_p,
        )
    assert "assign_to" in error.value.message_dict


@pytest.mark.django_db
def test_sales_accepts_and_the_lead_becomes_an_sql(team, make_contact):
    contact = make_contact(stage_key="mql")
    handoff = handed(contact)
    assert Notification.objects.filter(recipient=team.sam, subject__startswith="New MQL for you").exists()
    for outsider in (team.alice, team.bob, team.marta):  # an administrator without the hat cannot either
        with pytest.raises(PermissionDenied):
            services.handoff_accept(actor=outsider, handoff=handoff)
    services.handoff_accept(actor=team.sam, handoff=handoff, note="Called, budget confirmed", now=T0)
    contact.refresh_from_db()
    handoff.refresh_from_db()
    assert contact.stage.key == "sql" and contact.owner == team.sam_p
    assert handoff.status == "accepted" and handoff.decided_by == team.sam_p and handoff.decided_at == T0
    move = contact.transitions.order_by("-pk").first()
    assert (move.to_stage.key, move.reason, move.at) == ("sql", "accepted", T0)
    with pytest.raises(ValidationError):
        services.handoff_accept(actor=team.sam, handoff=handoff)


@pytest.mark.django_db
def test_rejection_needs_a_reason_and_recycles_to_lead(team, make_contact):
    contact = make_contact(stage_key="mql")
    handoff = handed(contact)
    with pytest.raises(ValidationError) as error:
        services.handoff_reject(actor=team.sam, handoff=handoff, reason="")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.handoff_reject(actor=team.sam, handoff=handoff, reason="other", note="  ")
    assert "note" in error.value.message_dict
    services.handoff_reject(actor=team.sam, handoff=handoff, reason="no_budget", note="Next year")
    contact.refresh_from_db()
    assert contact.stage.key == "lead"
    move = contact.transitions.order_by("-pk").first()
    assert move.reason == "rejected" and move.note == "No budget or need now: Next year"
    told = Notification.objects.filter(subject__startswith="MQL rejected by sales")
    assert {n.recipient for n in told} == {team.alice, team.marta}  # the CMO and the marketing manager


@pytest.mark.django_db
def test_sla_timer_on_a_fixed_clock(team, make_contact, acme, alice):
    services.settings_update(actor=alice, workspace=acme, sla_hours=24)
    contact = make_contact()
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "mql"), at=T0)
    handoff = handed(contact)
    assert handoff.assigned_at == T0 and handoff.due_at == T0 + dt.timedelta(hours=24)
    assert not handoff.breached(T0 + dt.timedelta(hours=23, minutes=59))
    assert handoff.breached(T0 + dt.timedelta(hours=24, seconds=1))
    # The check finds nothing before the deadline, reports once after it, and never again.
    assert services.sla_check(workspace=acme, now=T0 + dt.timedelta(hours=23)) == []
    found = services.sla_check(workspace=acme, now=T0 + dt.timedelta(hours=26))
    assert [h.pk for h in found] == [handoff.pk]
    notices = Notification.objects.filter(subject__startswith="Lead SLA breached")
    assert {n.recipient for n in notices} == {team.sam, team.carl}  # the seller and their manager
    assert "waiting 26 h" in notices[0].subject
    assert services.sla_check(workspace=acme, now=T0 + dt.timedelta(hours=30)) == []
    # Answering late keeps it a breach in the report; answering in time does not.
    services.handoff_accept(actor=team.sam, handoff=handoff, now=T0 + dt.timedelta(hours=27))
    handoff.refresh_from_db()
    assert handoff.breached(T0 + dt.timedelta(days=9))
    quick = make_contact()
    services.contact_set_stage(actor=alice, contact=quick, stage=services.stage(acme, "mql"), at=T0)
    services.handoff_reject(
        actor=team.sam, handoff=handed(quick), reason="not_a_fit", now=T0 + dt.timedelta(hours=2)
    )
    report = selectors.funnel(acme, T0.date(), T0.date(), now=T0 + dt.timedelta(days=9))
    assert (report.handed_over, report.accepted, report.rejected, len(report.breached)) == (2, 1, 1, 1)
    assert report.acceptance_rate == Decimal("50.0") and report.within_sla_rate == Decimal("50.0")
    assert report.median_hours == Decimal("14.5")  # 27 h and 2 h
    assert report.reasons == [("Not a fit (size, industry, region)", 1)]
    (sam_row,) = report.people
    assert (sam_row.assigned, sam_row.accepted, sam_row.rejected, sam_row.breached) == (2, 1, 1, 1)


@pytest.mark.django_db
def test_reassignment_restarts_the_clock(team, second_seller, make_contact, acme, alice):
    contact = make_contact()
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "mql"), at=T0)
    handoff = handed(contact)
    services.sla_check(workspace=acme, now=T0 + dt.timedelta(hours=30))
    later = T0 + dt.timedelta(hours=31)
    services.handoff_reassign(actor=team.marta, handoff=handoff, person=second_seller[1], now=later)
    handoff.refresh_from_db()
    assert handoff.assigned_to == second_seller[1] and handoff.due_at == later + dt.timedelta(hours=24)
    assert handoff.breach_notified_at is None
    with pytest.raises(ValidationError):
        services.handoff_reassign(actor=team.marta, handoff=handoff, person=team.bob_p)


@pytest.mark.django_db
def test_moving_an_mql_on_by_hand_cancels_the_handoff(team, make_contact, acme, alice):
    contact = make_contact(stage_key="mql")
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "customer"))
    assert Handoff.objects.get(contact=contact).status == "cancelled"
    assert not Handoff.objects.get(contact=contact).breached(T0 + dt.timedelta(days=99))


@pytest.mark.django_db
def test_without_a_sales_person_the_handoff_waits_unassigned(make_contact, acme):
    handoff = handed(make_contact(stage_key="mql"))
    assert handoff.assigned_to is None and handoff.assignment_note == "Nobody wears the sales hat"


@pytest.mark.django_db
def test_funnel_follows_accepted_leads_to_customers(team, make_contact, acme, alice):
    contact = make_contact()
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "mql"), at=T0)
    services.handoff_accept(actor=team.sam, handoff=handed(contact), now=T0 + dt.timedelta(hours=1))
    services.contact_set_stage(
        actor=team.sam,
        contact=contact,
        stage=services.stage(acme, "opportunity"),
        at=T0 + dt.timedelta(days=3),
    )
    services.contact_set_stage(
        actor=team.sam, contact=contact, stage=services.stage(acme, "customer"), at=T0 + dt.timedelta(days=20)
    )
    report = selectors.funnel(
        acme,
        T0.date() - dt.timedelta(days=1),
        T0.date() + dt.timedelta(days=1),
        now=T0 + dt.timedelta(days=30),
    )
    assert [n for _, n in report.steps()] == [1, 1, 1, 1, 1]
    assert (
        StageTransition.objects.filter(contact=contact).count() == 5
    )  # created, MQL, SQL, opportunity, customer


@pytest.mark.django_db
def test_sla_command_and_task(team, make_contact, acme, alice):
    from django.core.management import call_command

    contact = make_contact()
    services.contact_set_stage(actor=alice, contact=contact, stage=services.stage(acme, "mql"), at=T0)
    from io import StringIO

    out = StringIO()
    call_command(
        "crm_sla",
        "--workspace",
        "acme",
        "--now",
        (T0 + dt.timedelta(hours=25)).isoformat(),
        "--json",
        stdout=out,
    )
    assert out.getvalue().strip() == f'{{"breaches": [{handed(contact).pk}]}}'
    out = StringIO()
    call_command("crm_sla", "--enqueue", stdout=out)  # tests run tasks inline
    assert "Queued the SLA check" in out.getvalue()
