"""RACI as the rest of OpenCMO sees it: who holds which letter (roles resolved to people), what each
letter lets a user do, and the validation findings of a workspace.

The permission rules (docs/raci.md):
- R may edit the work and ask for approval; A approves (after every C has signed off) and closes;
  C signs off; I is notified of changes and may view.
- A restricted activity is seen only by its RACI people, the people deciding or signing off its
  approvals (an escalated approver), and workspace administrators. External people (agency staff) see
  only activities they are on. Other members see the rest.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from opencmo.core.models import Access, Membership, Workspace
from opencmo.org import rules
from opencmo.org.models import Activity, ApprovalRequest, OrgPolicy, Person, RaciEntry, Role


def policy_for(workspace: Workspace) -> OrgPolicy:
    policy, _ = OrgPolicy.objects.get_or_create(workspace=workspace)
    return policy


def rules_policy(workspace: Workspace) -> rules.Policy:
    p = policy_for(workspace)
    return rules.Policy(p.max_accountable, p.max_responsible_open, p.allow_recorded_self_approval)


def holders(workspace: Workspace) -> dict[int, set[int]]:
    """role id -> ids of active people wearing it."""
    found: dict[int, set[int]] = defaultdict(set)
    for role_id, person_id in Person.roles.through.objects.filter(
        workspace=workspace, person__is_active=True
    ).values_list("role_id", "person_id"):
        found[role_id].add(person_id)
    return found


def resolve(activity: Activity, wearers: dict[int, set[int]] | None = None) -> dict[str, set[int]]:
    """Letter -> person ids, with roles expanded to the active people wearing them."""
    wearers = wearers if wearers is not None else holders(activity.workspace)
    letters: dict[str, set[int]] = {letter: set() for letter in "RACI"}
    for entry in activity.raci.all():
        if entry.person_id is not None:
            letters[entry.letter].add(entry.person_id)
        else:
            letters[entry.letter] |= wearers.get(entry.role_id, set())
    return letters


def person_for(user, workspace: Workspace) -> Person | None:
    if user is None or not user.is_authenticated:
        return None
    return Person.objects.filter(workspace=workspace, user=user, is_active=True).first()


def letters_of(user, activity: Activity) -> set[str]:
    """The letters a user holds on an activity (empty if none)."""
    person = person_for(user, activity.workspace)
    if person is None:
        return set()
    return {letter for letter, ids in resolve(activity).items() if person.pk in ids}


def _is_admin(user, workspace: Workspace) -> bool:
    return Membership.objects.filter(
        user=user, workspace=workspace, is_active=True, access=Access.ADMIN
    ).exists()


def _approving(person: Person | None, workspace: Workspace) -> set[int]:
    """Activities a person decides, signs off or asked approval on: an escalated approver (say the CEO)
    must see the work they are asked to approve even when it is restricted."""
    if person is None:
        return set()
    return set(
        ApprovalRequest.objects.filter(workspace=workspace)
        .filter(Q(approver=person) | Q(requested_by=person) | Q(signoffs__person=person))
        .values_list("activity_id", flat=True)
    )


def can_view(user, activity: Activity) -> bool:
    if _is_admin(user, activity.workspace) or letters_of(user, activity):
        return True
    if activity.pk in _approving(person_for(user, activity.workspace), activity.workspace):
        return True
    if not Membership.objects.filter(user=user, workspace=activity.workspace, is_active=True).exists():
        return False
    person = person_for(user, activity.workspace)
    external = person is not None and person.is_external
    return not activity.restricted and not external


def can_edit_work(user, activity: Activity) -> bool:
    return bool(letters_of(user, activity) & {"R", "A"}) and activity.is_open


def can_close(user, activity: Activity) -> bool:
    return "A" in letters_of(user, activity) and activity.is_open


def can_manage_raci(user, activity: Activity | None, workspace: Workspace) -> bool:
    """Administrators shape every matrix; the Accountable person may shape their own activity's."""
    if _is_admin(user, workspace):
        return True
    return activity is not None and "A" in letters_of(user, activity)


def visible_activities(user, workspace: Workspace):
    """Activities the user may see, with RACI prefetched."""
    qs = Activity.objects.filter(workspace=workspace).prefetch_related(
        Prefetch("raci", queryset=RaciEntry.objects.select_related("person", "role"))
    )
    if _is_admin(user, workspace):
        return qs
    person = person_for(user, workspace)
    if person is None:
        return qs.filter(restricted=False)
    wearers = holders(workspace)
    mine = [a.pk for a in qs if person.pk in set().union(*resolve(a, wearers).values())]
    mine += _approving(person, workspace)
    if person.is_external:
        return qs.filter(pk__in=mine)
    return qs.filter(Q(restricted=False) | Q(pk__in=mine))


@dataclass
class Health:
    findings: list[rules.Finding]
    people: dict[int, Person]
    activities: dict[int, Activity]
    roles: dict[str, Role]

    @property
    def errors(self) -> list[rules.Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[rules.Finding]:
        return [f for f in self.findings if not f.is_error]

    def for_activity(self, activity_id: int) -> list[rules.Finding]:
        return [f for f in self.findings if f.activity_id == activity_id]


def health(workspace: Workspace) -> Health:
    """Every RACI and organisation finding for a workspace."""
    people = {p.pk: p for p in Person.objects.filter(workspace=workspace).prefetch_related("roles")}
    roles = {r.key: r for r in Role.objects.filter(workspace=workspace)}
    role_by_id = {r.pk: r for r in roles.values()}
    facts_people = {
        p.pk: rules.PersonFacts(
            p.pk, p.name, frozenset(r.key for r in p.roles.all()), p.is_active, p.reports_to_id
        )
        for p in people.values()
    }
    wearers = holders(workspace)
    activities = {a.pk: a for a in Activity.objects.filter(workspace=workspace).prefetch_related("raci")}
    facts_activities, roles_on_raci = [], set()
    for activity in activities.values():
        unheld: dict[str, set[str]] = defaultdict(set)
        for entry in activity.raci.all():
            if entry.role_id is not None:
                roles_on_raci.add(role_by_id[entry.role_id].key)
                if not wearers.get(entry.role_id):
                    unheld[entry.letter].add(role_by_id[entry.role_id].name)
        facts_activities.append(
            rules.ActivityFacts(
                activity.pk,
                activity.name,
                {k: frozenset(v) for k, v in resolve(activity, wearers).items()},
                activity.is_open,
                activity.creates_leads,
                {k: frozenset(v) for k, v in unheld.items()},
            )
        )
    findings = rules.all_findings(
        facts_activities,
        facts_people,
        rules_policy(workspace),
        {k: r.name for k, r in roles.items()},
        roles_on_raci,
    )
    return Health(
        sorted(findings, key=lambda f: (f.severity != rules.ERROR, f.code, f.message)),
        people,
        activities,
        roles,
    )
