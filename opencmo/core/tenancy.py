"""Workspace scoping for views.

Every workspace page lives under /w/<ws>/. `workspace_view` resolves <ws> only among the signed-in
user's active memberships and answers 404 otherwise, so a page of a foreign workspace is
indistinguishable from one that does not exist. Object lookups go through `scoped_or_404`.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse

from opencmo.core.models import Membership, Workspace

SESSION_KEY = "opencmo_workspace"


def membership_for(user, slug: str) -> Membership:
    try:
        return Membership.objects.select_related("workspace").get(
            user=user, workspace__slug=slug, is_active=True
        )
    except Membership.DoesNotExist:
        raise Http404("No such workspace.") from None


def workspace_view(*, admin_only: bool = False) -> Callable:
    """Decorate a view taking `ws` (slug): sets request.workspace and request.membership."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, ws: str, *args, **kwargs) -> HttpResponse:
            membership = membership_for(request.user, ws)
            if admin_only and not membership.is_admin:
                raise PermissionDenied("Only workspace administrators may do this.")
            request.workspace = membership.workspace
            request.membership = membership
            request.session[SESSION_KEY] = ws
            return view(request, *args, **kwargs)

        wrapper.workspace_scoped = True
        return wrapper

    return decorate


def scoped_or_404[M: models.Model](model: type[M], workspace: Workspace, pk) -> M:
    """The object `pk` of `model`, only if it belongs to `workspace`."""
    try:
        return model.objects.get(workspace=workspace, pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {model._meta.verbose_name}.") from None
