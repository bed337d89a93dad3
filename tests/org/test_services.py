"""People, hats and reporting lines."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.core.models import AuditEvent
from opencmo.org.models import Person, Role
from opencmo.org.services import person_create, person_delete, person_update, role_create, role_delete


def roles(ws, *keys):
    return [Role.objects.get(workspace=ws, key=k) for k in keys]


@pytest.mark.django_db
def test_one_person_can_wear_several_hats(alice, acme):
    solo = person_create(
        actor=alice, workspace=acme, name="Solo", roles=roles(acme, "cmo", "marketing_manager")
    )
    assert {r.key for r in solo.roles.all()} == {"cmo", "marketing_manager"}
    person_update(actor=alice, person=solo, roles=roles(acme, "cmo"))
    assert [r.key for r in solo.roles.all()] == ["cmo"]
    removed = AuditEvent.objects.filter(object_type="org.RoleAssignment", action="delete")
    assert removed.count() == 1 and "Marketing manager" in removed.get().object_repr


@pytest.mark.django_db
def test_nobody_reports_to_themselves_or_in_a_cycle(alice, acme):
    a = person_create(actor=alice, workspace=acme, name="A")
    b = person_create(actor=alice, workspace=acme, name="B", reports_to=a)
    c = person_create(actor=alice, workspace=acme, name="C", reports_to=b)
    with pytest.raises(ValidationError, match="cannot report to themselves"):
        person_update(actor=alice, person=a, reports_to=a)
    with pytest.raises(ValidationError, match=r"C already reports .* to A"):
        person_update(actor=alice, person=a, reports_to=c)
    a.refresh_from_db()
    assert a.reports_to is None  # nothing half-written


@pytest.mark.django_db
def test_manager_and_roles_must_be_in_the_same_workspace(alice, acme, globex):
    foreign_boss = Person.objects.filter(workspace=globex).first()
    with pytest.raises(ValidationError, match="same workspace"):
        person_create(actor=alice, workspace=acme, name="X", reports_to=foreign_boss)
    with pytest.raises(ValidationError, match="Roles must belong to the same workspace"):
        person_create(actor=alice, workspace=acme, name="Y", roles=roles(globex, "cmo"))
    assert not Person.objects.filter(workspace=acme, name__in=["X", "Y"]).exists()


@pytest.mark.django_db
def test_login_must_be_a_member_and_linked_once(alice, eve, acme):
    with pytest.raises(ValidationError, match="member of this workspace"):
        person_create(actor=alice, workspace=acme, name="Eve", user=eve)
    with pytest.raises(ValidationError, match="already linked"):
        person_create(actor=alice, workspace=acme, name="Alice twin", user=alice)


@pytest.mark.django_db
def test_unknown_fields_are_refused(alice, acme):
    with pytest.raises(ValidationError, match="Unknown person fields: workspace_id"):
        person_create(actor=alice, workspace=acme, name="Z", workspace_id=99)


@pytest.mark.django_db
def test_deleting_a_manager_moves_reports_up(alice, acme):
    top = person_create(actor=alice, workspace=acme, name="Top")
    mid = person_create(actor=alice, workspace=acme, name="Mid", reports_to=top)
    low = person_create(actor=alice, workspace=acme, name="Low", reports_to=mid)
    person_delete(actor=alice, person=mid)
    low.refresh_from_db()
    assert low.reports_to == top
    assert AuditEvent.objects.filter(object_type="org.Person", action="delete", object_repr="Mid").exists()


@pytest.mark.django_db
def test_custom_roles(alice, acme):
    with pytest.raises(ValidationError, match="already a role called 'cmo'"):
        role_create(actor=alice, workspace=acme, name="cmo")
    podcast = role_create(actor=alice, workspace=acme, name="Podcast host")
    assert podcast.key == "podcast-host" and not podcast.is_builtin
    with pytest.raises(ValidationError, match="Built-in roles cannot be deleted"):
        role_delete(actor=alice, role=Role.objects.get(workspace=acme, key="cmo"))
    role_delete(actor=alice, role=podcast)
    assert not Role.objects.filter(pk=podcast.pk).exists()


@pytest.mark.django_db
def test_only_admins_change_the_organisation(bob, vera, acme):
    for user in (bob, vera):
        with pytest.raises(PermissionDenied):
            person_create(actor=user, workspace=acme, name="Sneaky")
        with pytest.raises(PermissionDenied):
            role_create(actor=user, workspace=acme, name="Sneaky role")
