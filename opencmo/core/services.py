"""Writes for workspaces and memberships. Each takes the acting user and records an audit event."""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from opencmo.core import audit
from opencmo.core.models import Access, Membership, Workspace
from opencmo.core.permissions import require_admin

User = get_user_model()


@transaction.atomic
def workspace_create(
    *, actor, name: str, slug: str = "", currency: str = "EUR", description: str = ""
) -> Workspace:
    """Create a workspace with the built-in roles; the actor (if a person) becomes its administrator."""
    # org builds on core, not the other way round
    from opencmo.org.raci_services import authorities_seed_defaults
    from opencmo.org.services import roles_seed_builtin

    slug = slug or slugify(name)[:60]
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A workspace with the address '{slug}' already exists."})
    workspace = Workspace(name=name, slug=slug, currency=currency.upper(), description=description)
    workspace.full_clean()
    workspace.save()
    audit.record_create(actor=actor, workspace=workspace, obj=workspace)
    if actor is not None:
        membership_add(actor=None, workspace=workspace, user=actor, access=Access.ADMIN)
    roles_seed_builtin(actor=actor, workspace=workspace)
    authorities_seed_defaults(actor=actor, workspace=workspace)
    return workspace


@transaction.atomic
def workspace_update(*, actor, workspace: Workspace, **fields) -> Workspace:
    require_admin(actor, workspace)
    before = audit.snapshot(workspace)
    for name in ("name", "currency", "description"):
        if name in fields:
            setattr(workspace, name, fields[name])
    workspace.full_clean()
    workspace.save()
    audit.record_update(actor=actor, workspace=workspace, obj=workspace, before=before)
    return workspace


@transaction.atomic
def membership_add(*, actor, workspace: Workspace, user, access: str = Access.MEMBER) -> Membership:
    require_admin(actor, workspace)
    if access not in Access.values:
        raise ValidationError({"access": f"Unknown access level '{access}'."})
    seat, created = Membership.objects.get_or_create(
        user=user, workspace=workspace, defaults={"access": access}
    )
    if created:
        audit.record_create(actor=actor, workspace=workspace, obj=seat)
    elif not seat.is_active or seat.access != access:
        before = audit.snapshot(seat)
        seat.is_active, seat.access = True, access
        seat.save()
        audit.record_update(actor=actor, workspace=workspace, obj=seat, before=before)
    return seat


def _admins_left(workspace: Workspace, *, excluding: Membership) -> bool:
    return (
        Membership.objects.filter(workspace=workspace, access=Access.ADMIN, is_active=True)
        .exclude(pk=excluding.pk)
        .exists()
    )


@transaction.atomic
def membership_update(*, actor, membership: Membership, access: str, is_active: bool) -> Membership:
    workspace = membership.workspace
    require_admin(actor, workspace)
    if access not in Access.values:
        raise ValidationError({"access": f"Unknown access level '{access}'."})
    losing_admin = membership.access == Access.ADMIN and (access != Access.ADMIN or not is_active)
    if losing_admin and not _admins_left(workspace, excluding=membership):
        raise ValidationError({"access": "A workspace must keep at least one active administrator."})
    before = audit.snapshot(membership)
    membership.access, membership.is_active = access, is_active
    membership.save()
    audit.record_update(actor=actor, workspace=workspace, obj=membership, before=before)
    return membership


@transaction.atomic
def member_invite(
    *,
    actor,
    workspace: Workspace,
    email: str,
    first_name: str = "",
    last_name: str = "",
    access: str = Access.MEMBER,
    request=None,
) -> Membership:
    """Give `email` a seat. A new user gets an unusable password and a mail with a link to set one."""
    require_admin(actor, workspace)
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    is_new = user is None
    if is_new:
        user = User(email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean()
        user.save()
        audit.record_create(actor=actor, workspace=workspace, obj=user)
    seat = membership_add(actor=actor, workspace=workspace, user=user, access=access)
    if is_new:
        base_url = request.build_absolute_uri("/") if request else "http://127.0.0.1:8000/"
        transaction.on_commit(
            lambda: send_invite(user=user, workspace=workspace, inviter=actor, base_url=base_url)
        )
    return seat


def send_invite(*, user, workspace: Workspace, inviter, base_url: str) -> None:
    """Mail a one-time link to set a password (Django's reset token, valid PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {"user": user, "workspace": workspace, "inviter": inviter, "link": base_url.rstrip("/") + path}
    send_mail(
        subject=f"You are invited to {workspace.name} on OpenCMO",
        message=render_to_string("registration/invite_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
