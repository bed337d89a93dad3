"""The versioned brand strategy: drafts copy the strategy in force, proposals go to whoever has strategy
authority up the proposer's reporting line, nobody approves their own proposal unless the workspace
allows a recorded self-approval, approval supersedes the previous version and tells everyone."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import Access, AuditEvent, Notification
from opencmo.core.services import membership_add
from opencmo.org.models import DecisionAuthority, Person
from opencmo.org.raci_services import authority_set, policy_update
from opencmo.strategy import selectors, services
from opencmo.strategy.models import StrategyVersion
from tests.conftest import make_user

Status = StrategyVersion.Status


def seeded_v1(team) -> StrategyVersion:
    """The team fixture starts Acme with an approved v1 ("Warm")."""
    return StrategyVersion.objects.get(workspace=team.ws, number=1)


def propose(team, user, *, positioning="Warm, technical and Nordic", summary="Sharper positioning"):
    draft = services.strategy_draft_create(actor=user, workspace=team.ws)
    services.strategy_draft_update(actor=user, version=draft, positioning=positioning)
    return services.strategy_propose(actor=user, version=draft, change_summary=summary)


@pytest.mark.django_db
def test_strategist_proposes_cmo_approves_previous_is_superseded(team):
    v1 = seeded_v1(team)
    hikers = services.segment_create(actor=team.stina, workspace=team.ws, name="Urban hikers")
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    assert (draft.number, draft.status, draft.positioning) == (2, Status.DRAFT, "Warm")  # a copy of v1
    services.strategy_draft_update(
        actor=team.stina,
        version=draft,
        positioning="For urban hikers, Nordlys is the warm technical layer",
        segments=[hikers],
        tone_of_voice="Plain, dry humour",
    )
    services.strategy_propose(actor=team.stina, version=draft, change_summary="Urban hikers first")
    decision = selectors.strategy_route(draft)
    assert decision.approver == team.alice_p and not decision.self_approval
    assert [(s["name"], s["covers"]) for s in decision.path] == [
        ("Stina Strand", False),
        ("Alice Andersen", True),
    ]
    assert Notification.objects.filter(recipient=team.alice, subject="Approval needed: strategy v2").exists()
    for outsider in (team.bob, team.carl, team.stina):
        with pytest.raises(PermissionDenied):
            services.strategy_decide(actor=outsider, version=draft, approve=True, comment="ok")
    services.strategy_decide(actor=team.alice, version=draft, approve=True, comment="Agreed at the offsite")
    draft.refresh_from_db()
    v1.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.decided_by == team.alice_p and draft.decided_at
    assert v1.status == Status.SUPERSEDED
    assert selectors.strategy_current(team.ws) == draft
    told = set(
        Notification.objects.filter(subject="New strategy in force: v2").values_list(
            "recipient__email", flat=True
        )
    )
    assert {"bob@acme.example", "carl@acme.example", "stina@acme.example", "vera@acme.example"} <= told
    assert "alice@acme.example" not in told  # not the person who made the change
    updates = AuditEvent.objects.filter(object_type=StrategyVersion._meta.label, action="update")
    assert updates.filter(object_id=str(v1.pk), changes__status=["approved", "superseded"]).exists()
    assert updates.filter(object_id=str(draft.pk), changes__status=["proposed", "approved"]).exists()
    assert [v.number for v in selectors.strategy_versions(team.ws)] == [2, 1]


@pytest.mark.django_db
def test_own_proposal_goes_up_the_line_unless_self_approval_is_allowed(team):
    version = propose(team, team.alice)
    decision = selectors.strategy_route(version)
    assert decision.approver == team.carl_p and not decision.self_approval  # Alice's manager
    with pytest.raises(PermissionDenied):
        services.strategy_decide(actor=team.alice, version=version, approve=True, comment="mine")
    services.strategy_withdraw(actor=team.alice, version=version)

    policy_update(actor=team.alice, workspace=team.ws, allow_recorded_self_approval=True)
    services.strategy_propose(actor=team.alice, version=version)
    decision = selectors.strategy_route(version)
    assert decision.approver == team.alice_p and decision.self_approval
    with pytest.raises(ValidationError) as error:
        services.strategy_decide(actor=team.alice, version=version, approve=True)
    assert "record why" in error.value.message_dict["comment"][0]
    services.strategy_decide(actor=team.alice, version=version, approve=True, comment="Board agreed in May")
    assert StrategyVersion.objects.get(pk=version.pk).status == Status.APPROVED


@pytest.mark.django_db
def test_top_of_the_line_without_a_second_approver_is_told_what_to_do(team):
    Person.objects.filter(pk=team.alice_p.pk).update(reports_to=None)
    draft = services.strategy_draft_create(actor=team.alice, workspace=team.ws)
    services.strategy_draft_update(actor=team.alice, version=draft, positioning="New")
    with pytest.raises(ValidationError, match="nobody above them has strategy authority"):
        services.strategy_propose(actor=team.alice, version=draft, change_summary="x")
    assert StrategyVersion.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.django_db
def test_nobody_with_authority_refuses_the_proposal(team):
    DecisionAuthority.objects.filter(workspace=team.ws, kind="strategy").delete()
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    services.strategy_draft_update(actor=team.stina, version=draft, positioning="New")
    with pytest.raises(
        ValidationError, match=r"Nobody in the reporting line \(Stina Strand → Alice Andersen → Carl\)"
    ):
        services.strategy_propose(actor=team.stina, version=draft, change_summary="x")


@pytest.mark.django_db
def test_a_person_granted_authority_approves_directly(team):
    authority_set(actor=team.alice, workspace=team.ws, kind="strategy", person=team.marta_p)
    Person.objects.filter(pk=team.stina_p.pk).update(reports_to=team.marta_p)
    version = propose(team, team.stina)
    assert selectors.strategy_route(version).approver == team.marta_p


@pytest.mark.django_db
def test_the_route_follows_the_organisation_until_decided(team):
    version = propose(team, team.stina)
    Person.objects.filter(pk=team.alice_p.pk).update(is_active=False)  # the CMO leaves
    assert selectors.strategy_route(version).approver == team.carl_p
    with pytest.raises(PermissionDenied):
        services.strategy_decide(actor=team.alice, version=version, approve=True, comment="x")
    services.strategy_decide(actor=team.carl, version=version, approve=True)


@pytest.mark.django_db
def test_rejection_needs_a_reason_and_the_proposal_can_be_reworked(team):
    version = propose(team, team.stina, positioning="Cheapest jackets in Norway")
    with pytest.raises(ValidationError) as error:
        services.strategy_decide(actor=team.alice, version=version, approve=False)
    assert "comment" in error.value.message_dict
    services.strategy_decide(actor=team.alice, version=version, approve=False, comment="Not a price brand")
    version.refresh_from_db()
    assert version.status == Status.REJECTED and version.decision_comment == "Not a price brand"
    assert seeded_v1(team).status == Status.APPROVED  # still in force
    told = Notification.objects.get(recipient=team.stina, subject="Rejected: strategy v2")
    assert "Not a price brand" in told.body
    rework = services.strategy_draft_create(actor=team.stina, workspace=team.ws, base=version)
    assert rework.number == 3 and rework.positioning == "Cheapest jackets in Norway"
    with pytest.raises(ValidationError, match="not waiting for a decision"):
        services.strategy_decide(actor=team.alice, version=version, approve=True)


@pytest.mark.django_db
def test_one_change_at_a_time_and_only_drafts_are_edited(team):
    version = propose(team, team.stina)
    with pytest.raises(ValidationError, match="already proposed"):
        services.strategy_draft_create(actor=team.bob, workspace=team.ws)
    with pytest.raises(ValidationError, match="only a draft can be edited"):
        services.strategy_draft_update(actor=team.stina, version=version, positioning="Sneaky edit")
    with pytest.raises(ValidationError, match="only a draft can be discarded"):
        services.strategy_draft_delete(actor=team.stina, version=version)
    with pytest.raises(PermissionDenied):
        services.strategy_withdraw(actor=team.bob, version=version)
    services.strategy_withdraw(actor=team.alice, version=version)  # an administrator may
    version.refresh_from_db()
    assert version.status == Status.DRAFT and version.proposed_by is None
    services.strategy_draft_update(
        actor=team.bob, version=version, competitors="Bergans\nNorrøna"
    )  # shared draft
    services.strategy_draft_delete(actor=team.bob, version=version)
    assert not StrategyVersion.objects.filter(pk=version.pk).exists()


@pytest.mark.django_db
def test_what_a_proposal_needs(team, alice):
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    with pytest.raises(ValidationError) as error:
        services.strategy_propose(actor=team.stina, version=draft)
    assert "change_summary" in error.value.message_dict
    with pytest.raises(ValidationError, match="Nothing differs"):
        services.strategy_propose(actor=team.stina, version=draft, change_summary="No change")
    with pytest.raises(PermissionDenied):
        services.strategy_draft_update(actor=team.vera, version=draft, positioning="Viewer edit")
    with pytest.raises(PermissionDenied):
        services.strategy_draft_create(actor=team.vera, workspace=team.ws)
    stranger = make_user("nils@acme.example")  # a member with no person record
    membership_add(actor=alice, workspace=team.ws, user=stranger, access=Access.MEMBER)
    services.strategy_draft_update(actor=stranger, version=draft, trends="Rental and repair")
    with pytest.raises(ValidationError, match="Only someone in the organisation"):
        services.strategy_propose(actor=stranger, version=draft, change_summary="Repair")


@pytest.mark.django_db
def test_first_strategy_of_a_workspace(team):
    StrategyVersion.objects.filter(workspace=team.ws).delete()
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    assert draft.number == 1 and draft.positioning == ""
    with pytest.raises(ValidationError) as error:
        services.strategy_propose(actor=team.stina, version=draft, change_summary="First")
    assert "positioning" in error.value.message_dict
    services.strategy_draft_update(actor=team.stina, version=draft, positioning="Warm")
    services.strategy_propose(actor=team.stina, version=draft, change_summary="First")
    services.strategy_decide(actor=team.alice, version=draft, approve=True)
    assert selectors.strategy_current(team.ws) == draft


@pytest.mark.django_db
def test_the_system_can_record_a_strategy_for_someone(team):
    """The demo loader (actor None) proposes on the strategist's behalf and records the decision."""
    draft = services.strategy_draft_create(actor=None, workspace=team.ws)
    services.strategy_draft_update(actor=None, version=draft, positioning="Seeded")
    services.strategy_propose(actor=None, version=draft, change_summary="Seed", proposer=team.stina_p)
    services.strategy_decide(actor=None, version=draft, approve=True)
    draft.refresh_from_db()
    assert (
        draft.status == Status.APPROVED
        and draft.proposed_by == team.stina_p
        and draft.decided_by == team.alice_p
    )


def test_word_level_diff_keeps_every_word():
    parts = selectors.text_diff("Warm technical outdoor wear", "Warm, technical outdoor wear for cities")
    assert "".join(t for op, t in parts if op != "delete") == "Warm, technical outdoor wear for cities"
    assert "".join(t for op, t in parts if op != "insert") == "Warm technical outdoor wear"
    assert ("insert", "for cities") in [(op, t.strip()) for op, t in parts]


@pytest.mark.django_db
def test_strategy_diff_lists_changed_fields_only(team):
    v1 = seeded_v1(team)
    hikers = services.segment_create(actor=None, workspace=team.ws, name="Urban hikers")
    draft = services.strategy_draft_create(actor=team.stina, workspace=team.ws)
    assert selectors.strategy_diff(v1, draft) == []
    services.strategy_draft_update(actor=team.stina, version=draft, tone_of_voice="Dry", segments=[hikers])
    diff = {d.name: d for d in selectors.strategy_diff(v1, draft)}
    assert set(diff) == {"tone_of_voice", "segments"}
    assert diff["segments"].added == ["Urban hikers"] and diff["segments"].removed == []
    assert selectors.strategy_previous(draft) == v1
