"""Role review reads and the one write: RACI health, workload per person against the policy, role and
reporting-line changes since the last review, and recording a review with its findings snapshot."""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.permissions import require_admin
from opencmo.org import raci
from opencmo.org.models import Activity, OrgPolicy, Person, RoleReview
from opencmo.org.rules import ERROR, Finding

# Audit object types that change who wears which hat, who holds which letter and who may decide.
ROLE_TYPES = ("org.Role", "org.RoleAssignment", "org.RaciEntry", "org.DecisionAuthority")
# Person events matter only when they move a reporting line or take someone out of (or back into) play.
PERSON_FIELDS = ("reports_to", "is_active")
CHANGE_LABELS = {
    "org.Person": "Reporting lines",
    "org.Role": "Roles",
    "org.RoleAssignment": "Hats worn",
    "org.RaciEntry": "RACI letters",
    "org.DecisionAuthority": "Decision authority",
}
CHANGES_SHOWN = 30
REVIEWS_SHOWN = 20


# --- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """Open activities on which one person holds each letter, roles expanded to their wearers."""

    person: Person
    a: int
    r: int
    c: int
    i: int
    over_a: bool
    over_r: bool

    @property
    def over(self) -> bool:
        return self.over_a or self.over_r


def workload(workspace: Workspace, policy: OrgPolicy) -> list[Load]:
    holders = raci.holders(workspace)  # once for all activities, instead of once per resolve()
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for activity in Activity.objects.filter(workspace=workspace, is_open=True).prefetch_related("raci"):
        for letter, ids in raci.resolve(activity, holders).items():
            for pid in ids:
                counts[pid][letter] += 1
    # Everyone active (an empty row is worth seeing too), plus inactive people still named on work.
    people = Person.objects.filter(workspace=workspace).filter(Q(is_active=True) | Q(pk__in=list(counts)))
    loads = [
        Load(
            person=p,
            a=counts[p.pk]["A"],
            r=counts[p.pk]["R"],
            c=counts[p.pk]["C"],
            i=counts[p.pk]["I"],
            over_a=counts[p.pk]["A"] > policy.max_accountable,
            over_r=counts[p.pk]["R"] > policy.max_responsible_open,
        )
        for p in people
    ]
    return sorted(loads, key=lambda x: (-(x.a + x.r), -(x.c + x.i), x.person.name.casefold(), x.person.pk))


def role_changes(workspace: Workspace, *, since=None, until=None) -> QuerySet[AuditEvent]:
    """Audit events that changed roles, hats, RACI letters, decision authority or reporting lines."""
    person_moves = Q()
    for field in PERSON_FIELDS:
        person_moves |= Q(changes__has_key=field)
    events = AuditEvent.objects.filter(workspace=workspace).filter(
        Q(object_type__in=ROLE_TYPES) | (Q(object_type="org.Person") & person_moves)
    )
    if since is not None:
        events = events.filter(at__gt=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events


def change_summary(events: QuerySet[AuditEvent]) -> list[tuple[str, int]]:
    """How many changes of each kind, for a one-line overview above the detailed list."""
    counts = dict(events.order_by().values_list("object_type").annotate(n=Count("id")))
    return [(label, counts[key]) for key, label in CHANGE_LABELS.items() if counts.get(key)]


@dataclass(frozen=True)
class ChangeRow:
    """An audit event as a reviewer reads it: what changed, in words rather than ids."""

    event: AuditEvent
    kind: str
    fields: tuple[tuple[str, str, str], ...]  # (field, old, new) for updates


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def change_rows(workspace: Workspace, events: list[AuditEvent]) -> list[ChangeRow]:
    """Creates and deletes read well from the object's name alone; updates list their fields, with
    managers named (reports_to holds ids in the log)."""
    ids = {
        v
        for e in events
        if e.action == AuditEvent.Action.UPDATE
        for v in e.changes.get("reports_to", []) or []
        if isinstance(v, int)
    }
    people = names_of(Person, workspace, ids)
    rows = []
    for e in events:
        fields: list[tuple[str, str, str]] = []
        if e.action == AuditEvent.Action.UPDATE:
            for field, pair in sorted(e.changes.items()):
                old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
                if field == "reports_to":
                    old, new = (people.get(v, f"#{v}") if isinstance(v, int) else v for v in (old, new))
                fields.append((field.replace("_", " "), _shown(old), _shown(new)))
        rows.append(ChangeRow(e, CHANGE_LABELS.get(e.object_type, e.object_type), tuple(fields)))
    return rows


def reviews(workspace: Workspace) -> QuerySet[RoleReview]:
    return (
        RoleReview.objects.filter(workspace=workspace)
        .select_related("held_by")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Row:
    """A finding as the page shows it, with links to what it is about."""

    severity: str
    code: str
    message: str
    links: tuple[tuple[str, str], ...]
    is_new: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def finding_key(f: dict[str, Any]) -> tuple:
    return (f.get("code"), f.get("activity_id"), f.get("person_id"), f.get("role_key"))


def parse_snapshot(findings: Any) -> list[dict[str, Any]]:
    """A stored snapshot, tolerating rows that are not what this code wrote (e.g. edited in the admin)."""
    if not isinstance(findings, list):
        return []
    return [f for f in findings if isinstance(f, dict) and isinstance(f.get("message"), str)]


def finding_rows(
    workspace: Workspace,
    findings: list[dict[str, Any]],
    activities: dict[int, str],
    people: dict[int, str],
    previous: set[tuple] | None = None,
) -> list[Row]:
    """Findings as rows; a link is given only to activities and people that still exist."""
    ws = workspace.slug
    rows = []
    for f in findings:
        links: list[tuple[str, str]] = []
        if f.get("activity_id") in activities:
            url = reverse("activity_detail", kwargs={"ws": ws, "activity_pk": f["activity_id"]})
            links.append((activities[f["activity_id"]], url))
        if f.get("person_id") in people:
            links.append(
                (
                    people[f["person_id"]],
                    reverse("person_detail", kwargs={"ws": ws, "person_pk": f["person_id"]}),
                )
            )
        if f.get("role_key"):
            links.append(("Roles", reverse("role_list", kwargs={"ws": ws})))
        rows.append(
            Row(
                severity=ERROR if f.get("severity") == ERROR else "warning",
                code=str(f.get("code", "")),
                message=f["message"],
                links=tuple(links),
                is_new=previous is not None and finding_key(f) not in previous,
            )
        )
    return rows


def grouped(rows: list[Row]) -> dict[str, list[Row]]:
    return {"errors": [r for r in rows if r.is_error], "warnings": [r for r in rows if not r.is_error]}


def names_of(model, workspace: Workspace, ids) -> dict[int, str]:
    ids = {i for i in ids if isinstance(i, int)}
    return dict(model.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", "name"))


def count_severity(findings: list[dict[str, Any]], severity: str) -> int:
    return sum(f.get("severity") == severity for f in findings)


# --- writes ---------------------------------------------------------------------------------------


def findings_snapshot(findings: list[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in findings]


@transaction.atomic
def role_review_create(*, actor, workspace: Workspace, notes: str = "") -> RoleReview:
    """Record an evaluation point with the findings as they stand now."""
    require_admin(actor, workspace)
    review = RoleReview.objects.create(
        workspace=workspace,
        held_by=actor,
        notes=notes.strip(),
        findings=findings_snapshot(raci.health(workspace).findings),
    )
    audit.record_create(actor=actor, workspace=workspace, obj=review)
    return review
