"""Campaign services: creation with its RACI activity, validation, the lifecycle and its launch-approval
gate, expected results, channels, feeds; every write audited, RACI people told."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opencmo.campaigns import selectors
from opencmo.campaigns.models import BUILTIN_CHANNELS, CalendarFeed, Campaign, Channel
from opencmo.campaigns.services import (
    campaign_create,
    campaign_delete,
    campaign_request_launch,
    campaign_set_status,
    campaign_update,
    channel_create,
    channel_delete,
    channel_update,
    channels_seed,
    expected_results_set,
    feed_create,
    feed_revoke,
    token_hash,
    valid_launch_approval,
)
from opencmo.core.models import AuditEvent, Notification
from opencmo.org import raci
from opencmo.org.approvals import approval_decide, approval_request, signoff_answer
from opencmo.org.models import Activity, ApprovalRequest, DecisionAuthority, Role
from opencmo.org.raci_services import raci_set
from opencmo.strategy.models import Objective, Segment

today = timezone.localdate


def _approve_launch(plan, campaign):
    """R asks, A (Marta, who holds launch authority) approves: the campaign becomes approved."""
    team = plan.team
    request = campaign_request_launch(actor=team.bob, campaign=campaign, summary="Creative and media final")
    approval_decide(actor=team.marta, request=request, approve=True, comment="Go")
    campaign.refresh_from_db()
    return request


# --- creation -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_makes_the_campaign_and_its_raci_activity(plan):
    team = plan.team
    campaign = plan.campaign("Spring hiking push", description="Hikes near the city")
    activity = campaign.activity
    assert activity.kind == Activity.Kind.CAMPAIGN and activity.name == "Spring hiking push"
    assert raci.resolve(activity)["A"] == {team.marta_p.pk} and raci.resolve(activity)["R"] == {team.bob_p.pk}
    assert campaign.code == "spring-hiking-push" and campaign.status == "idea"
    assert set(campaign.channels.values_list("key", flat=True)) == {"paid_social", "email"}
    assert list(campaign.objectives.all()) == [plan.sales] and campaign.segment == plan.hikers
    assert raci.can_edit_work(team.bob, activity) and raci.can_close(team.marta, activity)
    created = AuditEvent.objects.get(object_type="campaigns.Campaign", action="create")
    assert created.actor == team.bob and created.changes["code"] == [None, "spring-hiking-push"]
    assert created.changes["channels"][1] == sorted(c.pk for c in campaign.channels.all())
    assert AuditEvent.objects.filter(object_type="org.Activity", object_id=str(activity.pk)).exists()
    assert Notification.objects.filter(
        recipient=team.marta, subject="You are now Accountable on “Spring hiking push”"
    ).exists()


@pytest.mark.django_db
def test_codes_are_slugs_unique_in_the_workspace(plan, globex, eve):
    assert plan.campaign("Høstsalg på Ærø!").code == "hostsalg-pa-aero"
    assert plan.campaign("Høstsalg på Ærø!").code == "hostsalg-pa-aero-2"
    assert plan.campaign("🎉").code == "campaign"
    assert plan.campaign("Typed", code="  Spring-26 ").code == "spring-26"
    with pytest.raises(ValidationError) as error:
        plan.campaign("Other", code="SPRING-26")
    assert "already has the code" in error.value.message_dict["code"][0]
    with pytest.raises(ValidationError, match="lower-case letters"):
        plan.campaign("Other", code="no spaces")
    # Codes are per workspace: Globex may use the same one.
    other = campaign_create(
        actor=eve, workspace=globex, name="Spring 26", code="spring-26", start_date=today(), end_date=today()
    )
    assert other.code == "spring-26"


@pytest.mark.django_db
def test_create_validates_dates_and_workspace_of_everything(plan, globex, eve):
    foreign_segment = Segment.objects.create(workspace=globex, name="Foreign")
    foreign_objective = Objective.objects.create(
        workspace=globex, title="Theirs", start_date=today(), end_date=today()
    )
    channels_seed(actor=None, workspace=globex)
    foreign_channel = Channel.objects.filter(workspace=globex).first()
    from opencmo.org.models import Person

    foreign_person = Person.objects.get(workspace=globex, user=eve)
    cases = [
        ({"days": 0}, "end_date"),
        ({"segment": foreign_segment}, "segment"),
        ({"objectives": [foreign_objective]}, "objectives"),
        ({"channels": [foreign_channel]}, "channels"),
        ({"accountable": foreign_person}, "accountable"),
        ({"responsible": [foreign_person]}, "responsible"),
        ({"status": "live"}, "status"),
        ({"name": "  "}, "name"),
    ]
    for kwargs, field in cases:
        name = kwargs.pop("name", "Bad")
        with pytest.raises(ValidationError) as error:
            plan.campaign(name, **kwargs)
        assert field in error.value.message_dict, (kwargs, error.value.message_dict)
    assert not Campaign.objects.filter(workspace=plan.ws, name="Bad").exists()
    assert not Activity.objects.filter(workspace=plan.ws, kind="campaign", name="Bad").exists()


@pytest.mark.django_db
def test_inactive_people_cannot_hold_letters(plan):
    plan.team.olga_p.is_active = False
    plan.team.olga_p.save()
    with pytest.raises(ValidationError) as error:
        plan.campaign(responsible=[plan.team.olga_p])
    assert "active people" in error.value.message_dict["responsible"][0]


@pytest.mark.django_db
def test_viewers_and_strangers_cannot_create(plan, vera, eve):
    with pytest.raises(PermissionDenied):
        plan.campaign(actor=vera)
    with pytest.raises(PermissionDenied):
        plan.campaign(actor=eve)


@pytest.mark.django_db
def test_accountable_who_is_also_responsible_gets_both_letters(plan):
    team = plan.team
    campaign = plan.campaign(
        actor=team.marta, accountable=team.marta_p, responsible=[team.marta_p, team.bob_p]
    )
    resolved = raci.resolve(campaign.activity)
    assert resolved["A"] == {team.marta_p.pk} and resolved["R"] == {team.marta_p.pk, team.bob_p.pk}


# --- editing --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_and_a_edit_others_may_not(plan, django_capture_on_commit_callbacks):
    team = plan.team
    campaign = plan.campaign()
    raci_set(actor=team.alice, activity=campaign.activity, person=team.sam_p, letters="C")
    for outsider in (team.sam, team.olga, team.carl):
        with pytest.raises(PermissionDenied):
            campaign_update(actor=outsider, campaign=campaign, agency="Byrå AS")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(actor=team.bob, campaign=campaign, agency="Byrå AS", name="Spring hiking push v2")
    campaign.refresh_from_db()
    assert campaign.agency == "Byrå AS" and campaign.activity.name == "Spring hiking push v2"
    told = set(
        Notification.objects.filter(
            subject__startswith="Campaign “Spring hiking push v2” changed"
        ).values_list("recipient__email", flat=True)
    )
    assert told == {"marta@acme.example", "sam@acme.example"}  # the RACI people, not the actor
    assert any("changed" in m.subject for m in mail.outbox)
    event = AuditEvent.objects.filter(object_type="campaigns.Campaign", action="update").latest("at")
    assert event.changes["agency"] == ["", "Byrå AS"] and event.actor == team.bob
    campaign_update(actor=team.alice, campaign=campaign, description="Admin may edit any campaign")


@pytest.mark.django_db
def test_update_validates_and_restricts_through_the_activity(plan):
    campaign = plan.campaign()
    with pytest.raises(ValidationError) as error:
        campaign_update(
            actor=plan.team.bob, campaign=campaign, end_date=campaign.start_date - timedelta(days=1)
        )
    assert "end_date" in error.value.message_dict
    with pytest.raises(ValidationError, match="Unknown campaign fields: status"):
        campaign_update(actor=plan.team.bob, campaign=campaign, status="live")
    campaign_update(actor=plan.team.bob, campaign=campaign, restricted=True)
    assert Activity.objects.get(pk=campaign.activity_id).restricted
    assert not raci.can_view(plan.team.olga, campaign.activity)


@pytest.mark.django_db
def test_dropping_an_objective_drops_its_expected_results(plan):
    campaign = plan.campaign(objectives=[plan.sales, plan.brand])
    expected_results_set(
        actor=plan.team.bob,
        campaign=campaign,
        values={plan.orders: Decimal("400"), plan.recall: Decimal("1.5")},
    )
    campaign_update(actor=plan.team.bob, campaign=campaign, objectives=[plan.sales])
    assert list(campaign.expected_results.values_list("kpi__name", flat=True)) == ["Online orders"]
    assert AuditEvent.objects.filter(object_type="campaigns.ExpectedResult", action="delete").count() == 1


# --- lifecycle ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_whole_lifecycle_with_its_gates(plan, django_capture_on_commit_callbacks):
    team = plan.team
    campaign = plan.campaign(start=today() + timedelta(days=10))
    with pytest.raises(ValidationError, match="next comes planned"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="approved")
    with pytest.raises(ValidationError, match="planned campaign"):
        campaign_request_launch(actor=team.bob, campaign=campaign, summary="Too early")
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_set_status(actor=team.bob, campaign=campaign, status="planned")
    assert Notification.objects.filter(recipient=team.marta, subject__contains="is now planned").exists()
    assert not Notification.objects.filter(recipient=team.bob, subject__contains="is now planned").exists()
    assert any("is now planned" in m.subject for m in mail.outbox)

    with pytest.raises(ValidationError, match="launch approval"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="approved")
    request = campaign_request_launch(actor=team.bob, campaign=campaign, summary="Creative final")
    assert request.kind == "launch" and request.approver == team.marta_p
    with pytest.raises(ValidationError, match="still open"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="approved")
    approval_decide(actor=team.marta, request=request, approve=True, comment="Go")
    campaign.refresh_from_db()
    assert campaign.status == "approved" and valid_launch_approval(campaign) == request

    with pytest.raises(ValidationError, match="Only its Accountable person can launch it early"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="live")
    with pytest.raises(PermissionDenied):
        campaign_set_status(actor=team.bob, campaign=campaign, status="live", force=True)
    with pytest.raises(PermissionDenied):  # an administrator is not the A
        campaign_set_status(actor=team.alice, campaign=campaign, status="live", force=True)
    campaign = campaign_set_status(
        actor=team.marta, campaign=campaign, status="live", force=True, note="Weather window"
    )
    assert campaign.status == "live"
    campaign = campaign_set_status(actor=team.bob, campaign=campaign, status="done")
    with pytest.raises(ValidationError) as error:
        campaign_set_status(actor=team.bob, campaign=campaign, status="evaluated", note="  ")
    assert "note" in error.value.message_dict
    campaign = campaign_set_status(
        actor=team.marta, campaign=campaign, status="evaluated", note="Email beat paid social 3:1."
    )
    assert campaign.status == "evaluated" and not Activity.objects.get(pk=campaign.activity_id).is_open
    assert selectors.evaluation(campaign).note == "Email beat paid social 3:1."
    with pytest.raises(PermissionDenied):  # closed: R and A no longer change it
        campaign_set_status(actor=team.bob, campaign=campaign, status="done")
    with pytest.raises(ValidationError, match="nothing"):
        campaign_set_status(actor=team.alice, campaign=campaign, status="done")
    history = selectors.status_history(campaign)
    assert [(h.old, h.new) for h in history] == [
        ("", "Idea"),
        ("Idea", "Planned"),
        ("Planned", "Approved"),
        ("Approved", "Live"),
        ("Live", "Done"),
        ("Done", "Evaluated"),
    ]
    assert history[3].early_launch == "10 days early" and history[3].note == "Weather window"
    assert history[2].actor == "marta@acme.example" and "Launch approved by Marta" in history[2].note


@pytest.mark.django_db
def test_live_on_or_after_the_start_date_needs_no_force(plan):
    campaign = plan.campaign(start=today(), status="planned")
    _approve_launch(plan, campaign)
    campaign = campaign_set_status(actor=plan.team.bob, campaign=campaign, status="live")
    assert campaign.status == "live"


@pytest.mark.django_db
def test_replanning_voids_the_launch_approval(plan):
    team = plan.team
    campaign = plan.campaign(status="planned")
    first = _approve_launch(plan, campaign)
    campaign = campaign_set_status(actor=team.bob, campaign=campaign, status="planned", note="New creative")
    assert valid_launch_approval(campaign) is None
    with pytest.raises(ValidationError, match="launch approval"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="approved")
    second = _approve_launch(plan, campaign)
    assert campaign.status == "approved" and valid_launch_approval(campaign) == second != first


@pytest.mark.django_db
def test_an_approval_of_an_idea_lets_r_mark_it_approved_once_planned(plan):
    """Launch approval asked on the activity page while the campaign was still an idea: the decision
    leaves the idea alone, and the campaign can be marked approved once it is planned."""
    campaign = plan.campaign()
    request = approval_request(
        actor=plan.team.bob, activity=campaign.activity, kind="launch", summary="Early green light"
    )
    approval_decide(actor=plan.team.marta, request=request, approve=True)
    campaign.refresh_from_db()
    assert campaign.status == "idea"
    campaign = campaign_set_status(actor=plan.team.bob, campaign=campaign, status="planned")
    assert campaign_set_status(actor=plan.team.bob, campaign=campaign, status="approved").status == "approved"


@pytest.mark.django_db
def test_consulted_sign_off_first_and_escalation_without_authority(plan):
    team = plan.team
    campaign = plan.campaign(status="planned")
    raci_set(actor=team.marta, activity=campaign.activity, person=team.sam_p, letters="C")
    request = campaign_request_launch(actor=team.bob, campaign=campaign, summary="Ready")
    assert request.status == ApprovalRequest.Status.CONSULTING
    with pytest.raises(ValidationError, match="Waiting for sign-off from Sam"):
        approval_decide(actor=team.marta, request=request, approve=True)
    signoff_answer(actor=team.sam, signoff=request.signoffs.get(), agree=True)
    request.refresh_from_db()
    approval_decide(actor=team.marta, request=request, approve=True)
    campaign.refresh_from_db()
    assert campaign.status == "approved"

    # Without launch authority for the marketing manager, the request escalates to the CMO.
    DecisionAuthority.objects.filter(
        workspace=plan.ws, kind="launch", role=Role.objects.get(workspace=plan.ws, key="marketing_manager")
    ).delete()
    other = plan.campaign("Autumn", status="planned")
    escalated = campaign_request_launch(actor=team.bob, campaign=other, summary="Ready")
    assert escalated.approver == team.alice_p and [s["name"] for s in escalated.route] == [
        "Marta",
        "Alice Andersen",
    ]
    with pytest.raises(PermissionDenied):
        approval_decide(actor=team.marta, request=escalated, approve=True)
    approval_decide(actor=team.alice, request=escalated, approve=True)
    other.refresh_from_db()
    assert other.status == "approved"


@pytest.mark.django_db
def test_rejected_launch_keeps_the_campaign_planned(plan):
    campaign = plan.campaign(status="planned")
    request = campaign_request_launch(actor=plan.team.bob, campaign=campaign, summary="Ready")
    approval_decide(actor=plan.team.marta, request=request, approve=False, comment="Landing page missing")
    campaign.refresh_from_db()
    assert campaign.status == "planned" and valid_launch_approval(campaign) is None


@pytest.mark.django_db
def test_who_may_change_status(plan, vera):
    team = plan.team
    campaign = plan.campaign()
    raci_set(actor=team.alice, activity=campaign.activity, person=team.carl_p, letters="I")
    for user in (team.carl, team.olga, vera):
        with pytest.raises(PermissionDenied):
            campaign_set_status(actor=user, campaign=campaign, status="planned")
    assert campaign_set_status(actor=team.alice, campaign=campaign, status="planned").status == "planned"
    with pytest.raises(ValidationError, match="Unknown status"):
        campaign_set_status(actor=team.bob, campaign=campaign, status="cancelled")


# --- expected results -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_expected_results_are_decimals_on_the_campaigns_own_kpis(plan):
    campaign = plan.campaign()
    expected_results_set(
        actor=plan.team.bob,
        campaign=campaign,
        values={plan.orders: Decimal("450.5"), plan.cpa: Decimal("-12.25")},
    )
    values = {r.kpi.name: r.value for r in campaign.expected_results.all()}
    assert values == {"Online orders": Decimal("450.5"), "Cost per order": Decimal("-12.25")}
    assert all(isinstance(v, Decimal) for v in values.values())
    with pytest.raises(ValidationError, match="not a KPI of this campaign"):
        expected_results_set(actor=plan.team.bob, campaign=campaign, values={plan.recall: Decimal(1)})
    with pytest.raises(ValidationError, match="exact numbers"):
        expected_results_set(actor=plan.team.bob, campaign=campaign, values={plan.orders: 1.1})
    with pytest.raises(PermissionDenied):
        expected_results_set(actor=plan.team.olga, campaign=campaign, values={plan.orders: Decimal(1)})
    expected_results_set(actor=plan.team.bob, campaign=campaign, values={plan.orders: None})
    assert list(campaign.expected_results.values_list("kpi__name", flat=True)) == ["Cost per order"]
    actions = list(
        AuditEvent.objects.filter(object_type="campaigns.ExpectedResult").values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "create", "delete"]


# --- channels -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_channels_seed_once_and_admins_add_their_own(plan):
    team = plan.team
    assert Channel.objects.filter(workspace=plan.ws, is_builtin=True).count() == len(BUILTIN_CHANNELS)
    assert channels_seed(actor=None, workspace=plan.ws) == []
    with pytest.raises(PermissionDenied):
        channel_create(actor=team.bob, workspace=plan.ws, name="Podcasts")
    podcasts = channel_create(actor=team.alice, workspace=plan.ws, name="Podcasts")
    assert podcasts.key == "podcasts" and not podcasts.is_builtin
    with pytest.raises(ValidationError, match="already a channel"):
        channel_create(actor=team.alice, workspace=plan.ws, name="podcasts")
    with pytest.raises(ValidationError, match="already a channel"):
        channel_update(actor=team.alice, channel=podcasts, name="EMAIL")
    channel_update(actor=team.alice, channel=plan.channel["email"], name="E-post")
    assert Channel.objects.get(workspace=plan.ws, key="email").name == "E-post"
    with pytest.raises(ValidationError, match="Built-in"):
        channel_delete(actor=team.alice, channel=plan.channel["pr"])
    plan.campaign(channels=[podcasts])
    with pytest.raises(ValidationError, match="used by 1 campaign"):
        channel_delete(actor=team.alice, channel=podcasts)
    lonely = channel_create(actor=team.alice, workspace=plan.ws, name="Cinema")
    channel_delete(actor=team.alice, channel=lonely)
    assert AuditEvent.objects.filter(object_type="campaigns.Channel", action="delete").count() == 1


# --- deletion -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admins_delete_early_campaigns_without_tasks(plan):
    team = plan.team
    campaign = plan.campaign()
    activity_pk = campaign.activity_id
    with pytest.raises(PermissionDenied):
        campaign_delete(actor=team.bob, campaign=campaign)
    plan.task("Brief", campaign=campaign)
    with pytest.raises(ValidationError, match="has tasks"):
        campaign_delete(actor=team.alice, campaign=campaign)
    approved = plan.campaign("Approved one", status="planned")
    _approve_launch(plan, approved)
    with pytest.raises(ValidationError, match="kept for the record"):
        campaign_delete(actor=team.alice, campaign=approved)
    empty = plan.campaign("Empty")
    empty_activity = empty.activity_id
    campaign_delete(actor=team.alice, campaign=empty)
    assert not Campaign.objects.filter(pk=empty.pk).exists()
    assert not Activity.objects.filter(pk=empty_activity).exists()
    assert Activity.objects.filter(pk=activity_pk).exists()
    assert AuditEvent.objects.filter(object_type="campaigns.Campaign", action="delete").count() == 1


# --- feeds ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_tokens_are_stored_hashed_and_regenerating_revokes(plan, vera):
    feed, token = feed_create(actor=vera, workspace=plan.ws)  # viewers may subscribe too
    assert len(token) >= 43 and feed.token_hash == token_hash(token) and token not in feed.token_hash
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    assert selectors.feed_by_token(token) == feed
    again, new_token = feed_create(actor=vera, workspace=plan.ws)
    assert selectors.feed_by_token(token) is None and selectors.feed_by_token(new_token) == again
    with pytest.raises(PermissionDenied):
        feed_revoke(actor=plan.team.bob, feed=again)
    feed_revoke(actor=plan.team.alice, feed=again)  # an administrator may cut a leaked feed
    assert selectors.feed_by_token(new_token) is None
    assert AuditEvent.objects.filter(object_type="campaigns.CalendarFeed", action="update").count() == 2
