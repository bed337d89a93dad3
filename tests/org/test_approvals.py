"""RACI drives permissions and approvals: R edits and asks, C signs off first, A approves and closes,
I is told and may view; authority limits escalate up the reporting line; nobody approves their own work
unless the workspace allows a recorded self-approval."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import Access, Notification
from opencmo.core.services import membership_add
from opencmo.org import raci
from opencmo.org.approvals import approval_decide, approval_request, approval_withdraw, route, signoff_answer
from opencmo.org.models import ApprovalRequest, DecisionAuthority, DecisionKind, Person, Role
from opencmo.org.raci_services import (
    activity_close,
    activity_create,
    activity_update,
    authority_set,
    policy_update,
    raci_set,
)
from opencmo.org.services import person_create
from tests.conftest import make_user


class Team:
    """Acme's team: Carl (CEO) ← Alice (CMO) ← Marta (marketing manager) ← Bob (content);
    Sam (sales), Olga (member on no RACI) and Agnes (agency) complete it."""

    def __init__(self, acme, alice, bob):
        self.ws = acme
        role = {r.key: r for r in Role.objects.filter(workspace=acme)}

        def member(email, name, roles, manager, organisation=""):
            user = make_user(email)
            membership_add(actor=alice, workspace=acme, user=user, access=Access.MEMBER)
            person = person_create(
                actor=alice,
                workspace=acme,
                name=name,
                user=user,
                reports_to=manager,
                organisation=organisation,
                roles=[role[k] for k in roles],
            )
            return user, person

        self.alice, self.alice_p = alice, Person.objects.get(workspace=acme, user=alice)
        self.carl, self.carl_p = member("carl@acme.example", "Carl", ["executive"], None)
        Person.objects.filter(pk=self.alice_p.pk).update(reports_to=self.carl_p)
        self.alice_p.refresh_from_db()
        self.marta, self.marta_p = member("marta@acme.example", "Marta", ["marketing_manager"], self.alice_p)
        self.bob, self.bob_p = bob, Person.objects.get(workspace=acme, user=bob)
        Person.objects.filter(pk=self.bob_p.pk).update(reports_to=self.marta_p)
        self.sam, self.sam_p = member("sam@acme.example", "Sam", ["sales"], self.carl_p)
        self.olga, self.olga_p = member("olga@acme.example", "Olga", ["analyst"], self.marta_p)
        self.agnes, self.agnes_p = member(
            "agnes@agency.example", "Agnes", ["agency"], self.marta_p, "Byrå AS"
        )
        authority_set(
            actor=alice,
            workspace=acme,
            kind=DecisionKind.BUDGET,
            role=role["marketing_manager"],
            max_amount=Decimal("150000"),
        )
        authority_set(actor=alice, workspace=acme, kind=DecisionKind.CONTENT, role=role["marketing_manager"])
        self.activity = activity_create(actor=alice, workspace=acme, name="Spring campaign content")
        for person, letters in [
            (self.bob_p, "R"),
            (self.marta_p, "A"),
            (self.sam_p, "C"),
            (self.carl_p, "I"),
        ]:
            raci_set(actor=alice, activity=self.activity, person=person, letters=letters)


@pytest.fixture
def team(acme, alice, bob):
    return Team(acme, alice, bob)


@pytest.mark.django_db
def test_each_letter_gets_its_rights(team):
    act = team.activity
    assert raci.letters_of(team.bob, act) == {"R"} and raci.can_edit_work(team.bob, act)
    assert not raci.can_close(team.bob, act)
    assert raci.can_close(team.marta, act) and raci.can_edit_work(team.marta, act)
    for informed_or_consulted in (team.carl, team.sam):
        assert raci.can_view(informed_or_consulted, act) and not raci.can_edit_work(
            informed_or_consulted, act
        )
    assert raci.can_view(team.olga, act) and not raci.can_edit_work(team.olga, act)  # member, not restricted
    assert not raci.can_view(team.agnes, act)  # agency staff see only what they are on
    with pytest.raises(PermissionDenied):
        activity_update(actor=team.sam, activity=act, description="C may not edit")
    with pytest.raises(PermissionDenied):
        activity_close(actor=team.bob, activity=act)
    activity_update(actor=team.bob, activity=act, description="Draft ready")
    activity_close(actor=team.marta, activity=act)
    act.refresh_from_db()
    assert not act.is_open and not raci.can_edit_work(team.bob, act)


@pytest.mark.django_db
def test_restricted_activity_is_for_its_team_only(team, eve):
    act = team.activity
    activity_update(actor=team.alice, activity=act, restricted=True)
    assert not raci.can_view(team.olga, act)
    assert raci.can_view(team.carl, act) and raci.can_view(team.alice, act)  # I, and an administrator
    assert not raci.can_view(eve, act)
    raci_set(actor=team.alice, activity=act, person=team.agnes_p, letters="C")
    assert raci.can_view(team.agnes, act)
    assert act not in raci.visible_activities(team.olga, team.ws)
    assert act in raci.visible_activities(team.agnes, team.ws)


@pytest.mark.django_db
def test_consulted_signs_off_before_accountable_approves(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = approval_request(
            actor=team.bob, activity=team.activity, kind="content", summary="Publish spring lookbook"
        )
    assert req.status == ApprovalRequest.Status.CONSULTING and req.approver == team.marta_p
    assert Notification.objects.filter(recipient=team.sam, subject__startswith="Sign-off asked").exists()
    assert any("Sign-off asked" in m.subject and m.to == ["sam@acme.example"] for m in mail.outbox)
    with pytest.raises(ValidationError, match="Waiting for sign-off from Sam"):
        approval_decide(actor=team.marta, request=req, approve=True)
    with pytest.raises(PermissionDenied):
        signoff_answer(actor=team.carl, signoff=req.signoffs.get(), agree=True)
    signoff_answer(actor=team.sam, signoff=req.signoffs.get(), agree=True, comment="Pricing is right")
    req.refresh_from_db()
    assert req.status == ApprovalRequest.Status.PENDING
    assert Notification.objects.filter(recipient=team.marta, subject__startswith="Approval needed").exists()
    with pytest.raises(PermissionDenied):
        approval_decide(actor=team.bob, request=req, approve=True)  # R cannot approve
    approval_decide(actor=team.marta, request=req, approve=True, comment="Go")
    req.refresh_from_db()
    assert req.status == ApprovalRequest.Status.APPROVED and req.decided_by == team.marta_p
    for informed in (team.carl, team.bob):
        assert Notification.objects.filter(
            recipient=informed, subject="Approved: Publish spring lookbook"
        ).exists()


@pytest.mark.django_db
def test_an_objection_needs_a_reason_and_rejects(team):
    req = approval_request(actor=team.bob, activity=team.activity, kind="content", summary="Lookbook")
    with pytest.raises(ValidationError, match="Say why you object"):
        signoff_answer(actor=team.sam, signoff=req.signoffs.get(), agree=False)
    signoff_answer(actor=team.sam, signoff=req.signoffs.get(), agree=False, comment="Wrong prices")
    req.refresh_from_db()
    assert req.status == ApprovalRequest.Status.REJECTED and "Wrong prices" in req.decision_comment
    again = approval_request(actor=team.bob, activity=team.activity, kind="content", summary="Lookbook v2")
    approval_withdraw(actor=team.bob, request=again)
    assert ApprovalRequest.objects.get(pk=again.pk).status == "withdrawn"


@pytest.mark.django_db
def test_only_r_or_a_may_ask_and_one_open_request_at_a_time(team):
    for outsider in (team.sam, team.carl, team.olga):
        with pytest.raises(PermissionDenied):
            approval_request(actor=outsider, activity=team.activity, kind="content", summary="x")
    approval_request(actor=team.bob, activity=team.activity, kind="content", summary="first")
    with pytest.raises(ValidationError, match="already has an open approval request"):
        approval_request(actor=team.bob, activity=team.activity, kind="content", summary="second")


@pytest.mark.django_db
def test_budget_above_the_limit_escalates_up_the_line(team):
    within = route(team.marta_p, DecisionKind.BUDGET, Decimal("150000"))
    assert [s["name"] for s in within] == ["Marta"]
    above = route(team.marta_p, DecisionKind.BUDGET, Decimal("150000.01"))
    assert [(s["name"], s["covers"]) for s in above] == [("Marta", False), ("Alice Andersen", True)]
    cmo = Role.objects.get(workspace=team.ws, key="cmo")
    authority_set(actor=team.alice, workspace=team.ws, kind="budget", role=cmo, max_amount=Decimal("1000000"))
    big = route(team.marta_p, DecisionKind.BUDGET, Decimal("2000000"))
    assert [s["name"] for s in big] == ["Marta", "Alice Andersen", "Carl"]
    req = approval_request(
        actor=team.bob, activity=team.activity, kind="budget", summary="Always-on", amount=Decimal("2000000")
    )
    assert req.approver == team.carl_p and len(req.route) == 3


@pytest.mark.django_db
def test_budget_requests_need_an_amount_and_someone_with_authority(team):
    with pytest.raises(ValidationError, match="positive amount"):
        approval_request(actor=team.bob, activity=team.activity, kind="budget", summary="x")
    DecisionAuthority.objects.filter(workspace=team.ws, kind="budget").exclude(
        role__key="marketing_manager"
    ).delete()
    with pytest.raises(
        ValidationError, match=r"Nobody in the reporting line \(Marta → Alice Andersen → Carl\)"
    ):
        approval_request(
            actor=team.bob, activity=team.activity, kind="budget", summary="x", amount=Decimal(10**7)
        )
    assert not ApprovalRequest.objects.exists()


@pytest.mark.django_db
def test_accountable_must_be_exactly_one(team):
    raci_set(actor=team.alice, activity=team.activity, person=team.alice_p, letters="A")
    with pytest.raises(ValidationError, match="exactly one Accountable person"):
        approval_request(actor=team.bob, activity=team.activity, kind="content", summary="x")


@pytest.mark.django_db
def test_own_work_goes_to_a_second_approver_unless_self_approval_is_allowed(team):
    solo = activity_create(actor=team.alice, workspace=team.ws, name="CMO column")
    raci_set(actor=team.alice, activity=solo, person=team.alice_p, letters="RA")
    req = approval_request(actor=team.alice, activity=solo, kind="strategy", summary="New positioning")
    assert req.approver == team.carl_p and not req.self_approval  # second approver: her manager
    approval_withdraw(actor=team.alice, request=req)

    policy_update(actor=team.alice, workspace=team.ws, allow_recorded_self_approval=True)
    req = approval_request(actor=team.alice, activity=solo, kind="strategy", summary="New positioning")
    assert req.approver == team.alice_p and req.self_approval
    with pytest.raises(ValidationError, match="record why"):
        approval_decide(actor=team.alice, request=req, approve=True)
    approval_decide(actor=team.alice, request=req, approve=True, comment="Board agreed in May meeting")
    assert ApprovalRequest.objects.get(pk=req.pk).status == "approved"


@pytest.mark.django_db
def test_one_person_company_without_second_approver_is_told_what_to_do(team):
    Person.objects.filter(pk=team.alice_p.pk).update(reports_to=None)
    solo = activity_create(actor=team.alice, workspace=team.ws, name="Solo plan")
    raci_set(actor=team.alice, activity=solo, person=team.alice_p, letters="RA")
    with pytest.raises(ValidationError, match=r"Name a second approver .* or allow recorded self-approval"):
        approval_request(actor=team.alice, activity=solo, kind="strategy", summary="x")


@pytest.mark.django_db
def test_new_letters_and_changes_notify_people(team, django_capture_on_commit_callbacks):
    assert Notification.objects.filter(
        recipient=team.sam, subject="You are now Consulted on “Spring campaign content”"
    )
    with django_capture_on_commit_callbacks(execute=True):
        activity_update(actor=team.bob, activity=team.activity, description="v2")
    told = set(
        Notification.objects.filter(subject__contains="changed (description)").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {"marta@acme.example", "sam@acme.example", "carl@acme.example"}  # not the actor, not Olga
    assert all("[OpenCMO]" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_raci_changes_need_admin_or_the_accountable(team):
    with pytest.raises(PermissionDenied):
        raci_set(actor=team.bob, activity=team.activity, person=team.olga_p, letters="I")
    raci_set(actor=team.marta, activity=team.activity, person=team.olga_p, letters="i")
    assert raci.letters_of(team.olga, team.activity) == {"I"}
    with pytest.raises(ValidationError, match=r"not X"):
        raci_set(actor=team.alice, activity=team.activity, person=team.olga_p, letters="IX")


@pytest.mark.django_db
def test_role_entries_stand_for_everyone_wearing_the_hat(team):
    sales = Role.objects.get(workspace=team.ws, key="sales")
    act = activity_create(actor=team.alice, workspace=team.ws, name="Lead follow-up", creates_leads=True)
    raci_set(actor=team.alice, activity=act, role=sales, letters="R")
    assert raci.resolve(act)["R"] == {team.sam_p.pk}
    assert raci.can_edit_work(team.sam, act)


@pytest.mark.django_db
def test_escalated_approver_sees_restricted_work(team):
    activity_update(actor=team.alice, activity=team.activity, restricted=True)
    carl_seat = team.carl
    raci_set(actor=team.alice, activity=team.activity, person=team.carl_p, letters="")  # Carl off the RACI
    assert not raci.can_view(carl_seat, team.activity)
    cmo = Role.objects.get(workspace=team.ws, key="cmo")
    authority_set(actor=team.alice, workspace=team.ws, kind="budget", role=cmo, max_amount=Decimal("1000"))
    approval_request(
        actor=team.bob, activity=team.activity, kind="budget", summary="Big", amount=Decimal(10**6)
    )
    assert raci.can_view(carl_seat, team.activity)
    assert team.activity in raci.visible_activities(carl_seat, team.ws)
