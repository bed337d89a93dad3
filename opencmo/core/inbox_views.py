"""The notification inbox: a user's own notifications in one workspace, newest first.

A notification belongs to its recipient only: another member's notification id answers 404, exactly like
a foreign workspace's. Marking read is a POST; "open" marks read and then follows the notification's link
(only a local one, so a stored URL can never send the user off-site).
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opencmo.core import audit
from opencmo.core.models import Notification, Workspace
from opencmo.core.tenancy import scoped_or_404, workspace_view

PER_PAGE = 20


# --- reads ----------------------------------------------------------------------------------------


def notifications_of(user, workspace: Workspace) -> QuerySet[Notification]:
    return Notification.objects.filter(workspace=workspace, recipient=user)


def own_or_404(user, workspace: Workspace, pk) -> Notification:
    notification = scoped_or_404(Notification, workspace, pk)
    if notification.recipient_id != user.pk:
        raise Http404("No such notification.")
    return notification


# --- writes ---------------------------------------------------------------------------------------


def _mark(actor, notification: Notification, when) -> None:
    before = audit.snapshot(notification)
    notification.read_at = when
    notification.save(update_fields=["read_at"])
    audit.record_update(actor=actor, workspace=notification.workspace, obj=notification, before=before)


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("Only the recipient marks a notification read.")
    if notification.read_at is None:
        _mark(actor, notification, timezone.now())
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor, workspace: Workspace) -> int:
    unread = list(notifications_of(actor, workspace).filter(read_at__isnull=True).select_for_update())
    now = timezone.now()
    for notification in unread:
        _mark(actor, notification, now)
    return len(unread)


# --- views ----------------------------------------------------------------------------------------


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the inbox page the user was on (only the known, well-formed parameters)."""
    url = reverse("inbox", kwargs={"ws": request.workspace.slug})
    params = []
    if request.POST.get("show") == "unread":
        params.append("show=unread")
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        params.append(f"page={page}")
    return redirect(f"{url}?{'&'.join(params)}" if params else url)


@workspace_view()
def inbox(request: HttpRequest) -> HttpResponse:
    mine = notifications_of(request.user, request.workspace)
    unread_only = request.GET.get("show") == "unread"
    shown = mine.filter(read_at__isnull=True) if unread_only else mine
    context = {
        "page": Paginator(shown, PER_PAGE).get_page(request.GET.get("page")),
        "unread_only": unread_only,
        "unread_total": mine.filter(read_at__isnull=True).count(),
        "total": mine.count(),
        "just_now": timezone.now() - timedelta(minutes=1),  # newer than this reads "just now"
    }
    return render(request, "core/inbox.html", context)


@workspace_view()
@require_POST
def notification_read(request: HttpRequest, notification_pk: int) -> HttpResponse:
    notification = own_or_404(request.user, request.workspace, notification_pk)
    notification_mark_read(actor=request.user, notification=notification)
    target = notification.url
    if (
        request.POST.get("open")
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return redirect(target)
    return _back(request)


@workspace_view()
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=request.user, workspace=request.workspace)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return _back(request)
