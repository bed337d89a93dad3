"""Notifications: an in-app inbox row per recipient, and the same text by email once the change commits."""

import logging
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction

from opencmo.core.models import Notification, Workspace

logger = logging.getLogger(__name__)


def notify(
    *, workspace: Workspace, users: Iterable, subject: str, body: str = "", url: str = "", exclude=None
) -> list[Notification]:
    """Tell each user (once, skipping `exclude`, usually the actor) about a change in `workspace`."""
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if exclude is not None:
        recipients.pop(exclude.pk, None)
    rows = Notification.objects.bulk_create(
        Notification(workspace=workspace, recipient=user, subject=subject[:200], body=body, url=url)
        for user in recipients.values()
    )
    emails = [u.email for u in recipients.values() if u.email]
    if emails:
        text = f"{body}\n\n{url}".strip() if url else body
        transaction.on_commit(lambda: _mail(subject, text, emails))
    return rows


def _mail(subject: str, body: str, emails: list[str]) -> None:
    for email in emails:  # one mail each: recipients must not see each other's addresses
        try:
            send_mail(subject=f"[OpenCMO] {subject}", message=body, from_email=None, recipient_list=[email])
        except Exception:  # the inbox row exists; a mail server hiccup must not undo the change
            logger.exception("Could not mail notification %r to %s", subject, email)


def unread_count(user, workspace: Workspace) -> int:
    return Notification.objects.filter(recipient=user, workspace=workspace, read_at__isnull=True).count()
