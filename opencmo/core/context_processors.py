"""Template context shared by every page: the workspace switcher and the inbox badge."""

from django.http import HttpRequest

from opencmo.core.notifications import unread_count
from opencmo.core.selectors import memberships_of


def workspaces(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    workspace = getattr(request, "workspace", None)
    return {
        "my_memberships": memberships_of(user),
        "workspace": workspace,
        "membership": getattr(request, "membership", None),
        # Only inside a workspace page: the inbox is per workspace.
        "inbox_unread": unread_count(user, workspace) if workspace is not None else 0,
    }
