"""RACI and organisation rules as pure functions over plain data, so they can be property-tested and
reused by the grid, the API, the CLI and the role review alike. No Django here.

Letters are resolved to people before the rules run: a role assigned a letter stands for every active
person wearing that hat.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class PersonFacts:
    id: int
    name: str
    roles: frozenset[str] = frozenset()
    active: bool = True
    manager_id: int | None = None


@dataclass(frozen=True)
class ActivityFacts:
    id: int
    name: str
    letters: Mapping[str, frozenset[int]] = field(default_factory=dict)  # "R" -> person ids (resolved)
    is_open: bool = True
    creates_leads: bool = False
    unheld_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)  # "A" -> role names nobody wears

    def who(self, letter: str) -> frozenset[int]:
        return self.letters.get(letter, frozenset())


@dataclass(frozen=True)
class Policy:
    max_accountable: int = 8
    max_responsible_open: int = 10
    allow_recorded_self_approval: bool = False


@dataclass(frozen=True, order=True)
class Finding:
    severity: str
    code: str
    message: str
    activity_id: int | None = None
    person_id: int | None = None
    role_key: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def _names(people: Mapping[int, PersonFacts], ids: Iterable[int]) -> str:
    return ", ".join(sorted(people[i].name if i in people else f"#{i}" for i in ids))


def activity_findings(
    activity: ActivityFacts, people: Mapping[int, PersonFacts], policy: Policy
) -> list[Finding]:
    """Rules that concern one activity on its own."""
    out: list[Finding] = []
    name = activity.name
    accountable, responsible = activity.who("A"), activity.who("R")

    def add(severity: str, code: str, message: str, person_id: int | None = None) -> None:
        out.append(Finding(severity, code, message, activity.id, person_id))

    if not accountable:
        unheld = activity.unheld_roles.get("A")
        why = f" ({', '.join(sorted(unheld))}: nobody wears that hat)" if unheld else ""
        add(ERROR, "no_accountable", f"“{name}” has nobody Accountable{why}; it needs exactly one A.")
    elif len(accountable) > 1:
        add(
            ERROR,
            "several_accountable",
            f"“{name}” has {len(accountable)} people Accountable ({_names(people, accountable)}); "
            "it needs exactly one A.",
        )
    if not responsible:
        add(ERROR, "no_responsible", f"“{name}” has nobody Responsible; at least one R must do the work.")
    for pid in sorted(accountable & activity.who("I")):
        add(
            ERROR,
            "accountable_and_informed",
            f"{_names(people, [pid])} is both Accountable and Informed on “{name}”; "
            "the Accountable person decides, so drop the I.",
            pid,
        )
    for letter in "RACI":
        for pid in sorted(activity.who(letter)):
            if pid in people and not people[pid].active:
                add(
                    WARNING,
                    "inactive_person",
                    f"{people[pid].name} is {letter} on “{name}” but is no longer active.",
                    pid,
                )
    if activity.is_open and len(accountable) == 1 and accountable <= responsible:
        (pid,) = accountable
        remedy = (
            "record a self-approval with a justification when approving"
            if policy.allow_recorded_self_approval
            else "name a second approver"
        )
        add(
            WARNING,
            "self_approval",
            f"{_names(people, [pid])} is both Responsible and Accountable on “{name}” and would approve "
            f"their own work (one person, several hats): {remedy}.",
            pid,
        )
    if activity.creates_leads:
        involved = set().union(*(activity.who(letter) for letter in "RACI"))
        if not any("sales" in people[p].roles for p in involved if p in people):
            add(
                WARNING,
                "sales_not_informed",
                f"“{name}” creates leads but nobody from sales is Informed; add Sales as I.",
            )
    return out


def workload_findings(
    activities: Iterable[ActivityFacts], people: Mapping[int, PersonFacts], policy: Policy
) -> list[Finding]:
    """Rules across activities: too much on one person's plate."""
    open_activities = [a for a in activities if a.is_open]
    accountable = Counter(p for a in open_activities for p in a.who("A"))
    responsible = Counter(p for a in open_activities for p in a.who("R"))
    out: list[Finding] = []
    for pid, count in sorted(accountable.items()):
        if count > policy.max_accountable:
            out.append(
                Finding(
                    WARNING,
                    "accountable_overload",
                    f"{_names(people, [pid])} is Accountable for {count} open activities "
                    f"(limit {policy.max_accountable}).",
                    person_id=pid,
                )
            )
    for pid, count in sorted(responsible.items()):
        if count > policy.max_responsible_open:
            out.append(
                Finding(
                    WARNING,
                    "responsible_overload",
                    f"{_names(people, [pid])} is Responsible for {count} open activities "
                    f"(limit {policy.max_responsible_open}).",
                    person_id=pid,
                )
            )
    return out


def role_findings(
    activities: Iterable[ActivityFacts],
    people: Mapping[int, PersonFacts],
    role_names: Mapping[str, str],
    roles_on_raci: Iterable[str],
) -> list[Finding]:
    """Roles that someone wears but that appear on no activity, neither as a role nor via a holder."""
    involved = set().union(set(), *(a.who(letter) for a in activities for letter in "RACI"))
    used = set(roles_on_raci) | {r for pid in involved if pid in people for r in people[pid].roles}
    worn = {r for p in people.values() if p.active for r in p.roles}
    return [
        Finding(
            WARNING,
            "role_without_activity",
            f"The role {role_names.get(key, key)} is worn but has no activity in any RACI matrix.",
            role_key=key,
        )
        for key in sorted(worn - used)
    ]


def org_findings(people: Mapping[int, PersonFacts]) -> list[Finding]:
    """Reporting-line and staffing rules for the org chart."""
    out: list[Finding] = []
    for person in sorted(people.values(), key=lambda p: p.id):
        if person.manager_id == person.id:
            out.append(
                Finding(
                    ERROR, "reports_to_self", f"{person.name} reports to themselves.", person_id=person.id
                )
            )
            continue
        seen, current = {person.id}, person.manager_id
        while current is not None and current in people:
            if current in seen:
                if current == person.id:
                    out.append(
                        Finding(
                            ERROR,
                            "reporting_cycle",
                            f"{person.name} is in a reporting cycle.",
                            person_id=person.id,
                        )
                    )
                break
            seen.add(current)
            current = people[current].manager_id
        manager = people.get(person.manager_id) if person.manager_id is not None else None
        if person.active and manager is not None and not manager.active:
            out.append(
                Finding(
                    WARNING,
                    "manager_inactive",
                    f"{person.name} reports to {manager.name}, who is no longer active.",
                    person_id=person.id,
                )
            )
    if not any("cmo" in p.roles for p in people.values() if p.active):
        out.append(
            Finding(
                ERROR, "no_cmo", "Nobody wears the CMO hat: someone must own strategy, brand and the budget."
            )
        )
    return out


def all_findings(
    activities: list[ActivityFacts],
    people: Mapping[int, PersonFacts],
    policy: Policy,
    role_names: Mapping[str, str],
    roles_on_raci: Iterable[str],
) -> list[Finding]:
    findings = [f for a in activities for f in activity_findings(a, people, policy)]
    findings += workload_findings(activities, people, policy)
    findings += role_findings(activities, people, role_names, roles_on_raci)
    findings += org_findings(people)
    return findings
