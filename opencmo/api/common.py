"""Helpers every router uses: workspace resolution with token scopes, object lookup, pagination,
and the documented error responses."""

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from opencmo.api import scopes
from opencmo.api.auth import token_of
from opencmo.core.models import Access, Membership
from opencmo.core.tenancy import membership_for

MAX_ID = 2**63 - 1  # larger ids cannot exist in any database we support; refuse before the query


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


class Input(Schema):
    """Request bodies: unknown fields (id, workspace, owner, created_at…) are refused with 422."""

    model_config = ConfigDict(extra="forbid")


ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 422, 429)}


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    """The success schema plus every error the API can answer with (422 included: all workspace
    endpoints take input, at least their path)."""
    return {status: ok, **ERRORS}


def workspace_for(request: HttpRequest, ws: str, domain: str, *, write: bool = False) -> Membership:
    """The caller's membership of `ws` (404 when not a member, or when a token is for another workspace),
    after checking the token's scopes (403) and, for writes, that the seat is not a viewer (403)."""
    membership = membership_for(request.user, ws)
    token = token_of(request)
    if token is not None:
        if token.workspace_id != membership.workspace_id:
            raise Http404("No such workspace.")
        if not scopes.allows(token.scopes, domain, write=write):
            level = "write" if write else "read"
            raise PermissionDenied(f"This token lacks the {domain}:{level} scope.")
    if write and membership.access == Access.VIEWER:
        raise PermissionDenied("Viewers cannot change anything.")
    request.workspace = membership.workspace
    request.membership = membership
    return membership


def get_or_404[M: models.Model](model: type[M], workspace, pk: int, queryset=None) -> M:
    if not 0 < pk <= MAX_ID:
        raise Http404(f"No such {model._meta.verbose_name}.")
    try:
        return (queryset if queryset is not None else model.objects).get(workspace=workspace, pk=pk)
    except model.DoesNotExist:
        raise Http404(f"No such {model._meta.verbose_name}.") from None


def optional_ref[M: models.Model](model: type[M], workspace, pk: int | None, field: str) -> M | None:
    """A referenced object in the same workspace, or a 422 naming the field."""
    from django.core.exceptions import ValidationError

    if pk is None:
        return None
    try:
        return get_or_404(model, workspace, pk)
    except Http404:
        raise ValidationError({field: f"No {model._meta.verbose_name} {pk} in this workspace."}) from None


def refs[M: models.Model](model: type[M], workspace, pks: list[int] | None, field: str) -> list[M]:
    return [optional_ref(model, workspace, pk, field) for pk in (pks or [])]


def ordering(*fields: str):
    """A Literal of the whitelisted ordering values: each field, ascending or descending."""
    values = tuple(v for f in fields for v in (f, f"-{f}"))
    return Literal[values]  # type: ignore[valid-type]


_pages: dict[type, type] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """`{items, total, limit, offset}` around an item schema."""
    if item not in _pages:
        _pages[item] = create_model(
            f"{item.__name__.removesuffix('Out')}Page",
            __base__=Schema,
            items=(list[item], ...),
            total=(int, ...),
            limit=(int, ...),
            offset=(int, ...),
        )
    return _pages[item]


def paginate(rows, *, limit: int, offset: int, order: str | None = None) -> dict:
    """Slice a queryset (ordered by `order`, then id for a stable order) or a list."""
    if isinstance(rows, models.QuerySet):
        if order:
            rows = rows.order_by(order, "pk" if not order.startswith("-") else "-pk")
        total = rows.count()
        items = list(rows[offset : offset + limit])
    else:
        total = len(rows)
        items = list(rows)[offset : offset + limit]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


class PageIn(Schema):
    """Pagination: at most 200 items a page."""

    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def choices(text_choices) -> Any:
    """A model's TextChoices as an inline Literal: enum classes share names across apps (Status, Kind)
    and would overwrite each other's component in the OpenAPI schema."""
    return Literal[tuple(text_choices.values)]  # type: ignore[valid-type]
