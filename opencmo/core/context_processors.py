"""Template context shared by every page: the workspace switcher."""

from django.http import HttpRequest

from opencmo.core.selectors import memberships_of


def workspaces(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_memberships": memberships_of(user),
        "workspace": getattr(request, "workspace", None),
        "membership": getattr(request, "membership", None),
    }
