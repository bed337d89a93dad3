"""Writes for roles, people and reporting lines. Each takes the acting user and records an audit event."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from opencmo.core import audit
from opencmo.core.models import Membership, Workspace
from opencmo.core.permissions import require_admin
from opencmo.org.models import BUILTIN_ROLES, ApprovalRequest, Person, Role, RoleAssignment

PERSON_FIELDS = ("name", "email", "title", "organisation", "reports_to", "user", "is_active")


@transaction.atomic
def roles_seed_builtin(*, actor, workspace: Workspace) -> list[Role]:
    created = []
    for key, name, description in BUILTIN_ROLES:
        role, is_new = Role.objects.get_or_create(
            workspace=workspace,
            key=key,
            defaults={"name": name, "description": description, "is_builtin": True},
        )
        if is_new:
            audit.record_create(actor=actor, workspace=workspace, obj=role)
            created.append(role)
    return created


def _check_role_name(workspace: Workspace, name: str, *, exclude_pk=None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A role needs a name."})
    clash = Role.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a role called '{name}'."})
    return name


@transaction.atomic
def role_create(*, actor, workspace: Workspace, name: str, description: str = "") -> Role:
    require_admin(actor, workspace)
    name = _check_role_name(workspace, name)
    base = slugify(name)[:50] or "role"
    key, n = base, 1
    while Role.objects.filter(workspace=workspace, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    role = Role.objects.create(workspace=workspace, key=key, name=name, description=description)
    audit.record_create(actor=actor, workspace=workspace, obj=role)
    return role


@transaction.atomic
def role_update(*, actor, role: Role, name: str, description: str) -> Role:
    require_admin(actor, role.workspace)
    before = audit.snapshot(role)
    role.name = _check_role_name(role.workspace, name, exclude_pk=role.pk)
    role.description = description
    role.save()
    audit.record_update(actor=actor, workspace=role.workspace, obj=role, before=before)
    return role


@transaction.atomic
def role_delete(*, actor, role: Role) -> None:
    require_admin(actor, role.workspace)
    if role.is_builtin:
        raise ValidationError(
            "Built-in roles cannot be deleted; they are what the rest of OpenCMO refers to."
        )
    for assignment in role.assignments.select_related("person"):
        audit.record_delete(actor=actor, workspace=role.workspace, obj=assignment)
    audit.record_delete(actor=actor, workspace=role.workspace, obj=role)
    role.delete()


def _check_reporting_line(person: Person, manager: Person | None) -> None:
    """A manager must be in the same workspace, not the person, and not below them (no cycles)."""
    if manager is None:
        return
    if manager.workspace_id != person.workspace_id:
        raise ValidationError({"reports_to": "The manager must belong to the same workspace."})
    if person.pk is not None and manager.pk == person.pk:
        raise ValidationError({"reports_to": f"{person.name} cannot report to themselves."})
    seen, current = {person.pk}, manager
    while current is not None:
        if current.pk in seen:
            raise ValidationError(
                {"reports_to": f"{manager.name} already reports (directly or indirectly) to {person.name}."}
            )
        seen.add(current.pk)
        current = current.reports_to


def _check_user(person: Person) -> None:
    if person.user_id is None:
        return
    if not Membership.objects.filter(workspace_id=person.workspace_id, user_id=person.user_id).exists():
        raise ValidationError({"user": "The login must belong to a member of this workspace."})
    if (
        Person.objects.filter(workspace_id=person.workspace_id, user_id=person.user_id)
        .exclude(pk=person.pk)
        .exists()
    ):
        raise ValidationError({"user": "That login is already linked to another person in this workspace."})


def _set_roles(*, actor, person: Person, roles: Iterable[Role]) -> None:
    wanted = {role.pk: role for role in roles}
    if any(role.workspace_id != person.workspace_id for role in wanted.values()):
        raise ValidationError({"roles": "Roles must belong to the same workspace."})
    current = {a.role_id: a for a in person.assignments.select_related("role")}
    for role_pk, assignment in current.items():
        if role_pk not in wanted:
            audit.record_delete(actor=actor, workspace=person.workspace, obj=assignment)
            assignment.delete()
    for role_pk, role in wanted.items():
        if role_pk not in current:
            assignment = RoleAssignment.objects.create(workspace=person.workspace, person=person, role=role)
            audit.record_create(actor=actor, workspace=person.workspace, obj=assignment)


@transaction.atomic
def person_create(*, actor, workspace: Workspace, roles: Iterable[Role] = (), **fields) -> Person:
    require_admin(actor, workspace)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    person = Person(workspace=workspace, **fields)
    _check_reporting_line(person, person.reports_to)
    _check_user(person)
    person.full_clean(exclude=["workspace", "reports_to", "user"])
    person.save()
    audit.record_create(actor=actor, workspace=workspace, obj=person)
    _set_roles(actor=actor, person=person, roles=roles)
    return person


@transaction.atomic
def person_update(*, actor, person: Person, roles: Iterable[Role] | None = None, **fields) -> Person:
    require_admin(actor, person.workspace)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    before = audit.snapshot(person)
    for name, value in fields.items():
        setattr(person, name, value)
    _check_reporting_line(person, person.reports_to)
    _check_user(person)
    person.full_clean(exclude=["workspace", "reports_to", "user"])
    person.save()
    audit.record_update(actor=actor, workspace=person.workspace, obj=person, before=before)
    if roles is not None:
        _set_roles(actor=actor, person=person, roles=roles)
    return person


@transaction.atomic
def person_delete(*, actor, person: Person) -> None:
    require_admin(actor, person.workspace)
    for report in person.direct_reports.all():
        # Direct reports move up to the deleted person's own manager rather than floating free.
        before = audit.snapshot(report)
        report.reports_to = person.reports_to
        report.save()
        audit.record_update(actor=actor, workspace=person.workspace, obj=report, before=before)
    for assignment in person.assignments.all():
        audit.record_delete(actor=actor, workspace=person.workspace, obj=assignment)
    if ApprovalRequest.objects.filter(
        Q(requested_by=person) | Q(approver=person) | Q(decided_by=person)
    ).exists():
        raise ValidationError(
            f"{person.name} appears in approval decisions, which must stay on record; "
            "mark them inactive instead of removing them."
        )
    audit.record_delete(actor=actor, workspace=person.workspace, obj=person)
    person.delete()
