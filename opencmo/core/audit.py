"""The audit trail: services call `record_*` inside their transaction, so a change and its audit row
are committed together or not at all."""

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from opencmo.core.models import AuditEvent, Workspace


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or None  # the stored path, not the file object
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of `obj`, keyed by field name, in JSON-safe form.

    Secrets (the password hash) are never copied into the log.
    """
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in {"password", "created_at", "updated_at"}:
            continue
        values[field.name] = _jsonable(field.value_from_object(obj))
    for field in obj._meta.many_to_many:
        if obj.pk is not None:
            values[field.name] = sorted(o.pk for o in getattr(obj, field.name).all())
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [old, new]}."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return actor.email or str(actor)


def record(
    *,
    actor,
    workspace: Workspace | None,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    object_id: Any = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor),
        action=action,
        object_type=obj._meta.label,
        object_id=str(object_id if object_id is not None else obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )


def record_create(*, actor, workspace: Workspace | None, obj: models.Model) -> AuditEvent:
    created = {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [])}
    return record(actor=actor, workspace=workspace, action=AuditEvent.Action.CREATE, obj=obj, changes=created)


def record_update(
    *, actor, workspace: Workspace | None, obj: models.Model, before: dict[str, Any]
) -> AuditEvent | None:
    """Record an update; nothing is written when no field changed."""
    changes = diff(before, snapshot(obj))
    if not changes:
        return None
    return record(actor=actor, workspace=workspace, action=AuditEvent.Action.UPDATE, obj=obj, changes=changes)


def record_delete(*, actor, workspace: Workspace | None, obj: models.Model) -> AuditEvent:
    """Call before deleting, while the object still has its primary key."""
    removed = {k: [v, None] for k, v in snapshot(obj).items() if v not in (None, "", [])}
    return record(actor=actor, workspace=workspace, action=AuditEvent.Action.DELETE, obj=obj, changes=removed)
