"""Creating, finding and revoking API tokens. The secret is `ocmo_` + 43 URL-safe characters
(256 bits from `secrets`); only its SHA-256 is stored, so a leaked database does not leak tokens."""

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opencmo.api import scopes as scope_rules
from opencmo.api.models import ApiToken
from opencmo.core import audit
from opencmo.core.models import AuditEvent, Workspace
from opencmo.core.permissions import require_admin, require_member

PREFIX = "ocmo_"
MAX_DAYS = 366


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _public(token: ApiToken) -> dict:
    """What the audit log keeps: never the hash."""
    return {
        "name": token.name,
        "prefix": token.prefix,
        "user": token.user_id,
        "scopes": token.scopes,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@transaction.atomic
def token_create(
    *, actor, workspace: Workspace, name: str, scopes, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """A token for the actor in this workspace. Returns (token, secret); the secret is shown once.
    Viewers may create read tokens only: a token never grants more than its user has."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("A token belongs to a user.")
    seat = require_member(actor, workspace)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Give the token a name, e.g. the tool that will use it."
    elif len(name) > 100:
        errors["name"] = "At most 100 characters."
    try:
        cleaned = scope_rules.clean(list(scopes or []))
    except ValueError as error:
        errors["scopes"] = str(error)
        cleaned = []
    if not cleaned and "scopes" not in errors:
        errors["scopes"] = "Choose at least one scope."
    if seat.access == "viewer" and any(s.endswith("write") for s in cleaned):
        errors["scopes"] = "Viewers can only create read tokens."
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        errors["expires_in_days"] = f"Between 1 and {MAX_DAYS} days."
    if errors:
        raise ValidationError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=workspace,
        user=actor,
        name=name,
        prefix=secret[: len(PREFIX) + 6],
        token_hash=hash_secret(secret),
        scopes=cleaned,
        expires_at=timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit.record(
        actor=actor,
        workspace=workspace,
        action=AuditEvent.Action.CREATE,
        obj=token,
        changes={k: [None, v] for k, v in _public(token).items()},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Its owner or a workspace administrator switches a token off for good, effective immediately."""
    if actor is None or actor.pk != token.user_id:
        require_admin(actor, token.workspace)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            actor=actor,
            workspace=token.workspace,
            action=AuditEvent.Action.UPDATE,
            obj=token,
            changes={"revoked_at": [None, token.revoked_at.isoformat()]},
        )
    return token


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token for a presented secret, with its user and workspace, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.is_expired:
        return None
    return token


def mark_used(token: ApiToken) -> None:
    """Stamp last use at most once a minute (usage, not a change: not audited)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def tokens_of(user, workspace: Workspace, *, everyone: bool = False):
    """The user's tokens in the workspace (every member's for administrators when `everyone`)."""
    qs = ApiToken.objects.filter(workspace=workspace).select_related("user")
    return qs if everyone else qs.filter(user=user)
