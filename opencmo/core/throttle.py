"""Login brute-force throttling and session hygiene.

Failed sign-ins are rows in a database table (`LoginFailure`), so the count is shared by every server
process and worker on SQLite and PostgreSQL alike (Django's default cache is per process). A login is
refused, without checking the password, while either

- the submitted login has LOGIN_THROTTLE_ACCOUNT_LIMIT (default 5) failures within
  LOGIN_THROTTLE_WINDOW_SECONDS (default 900), or
- the client address has LOGIN_THROTTLE_IP_LIMIT (default 20) failures within the same window.

The lock lasts until enough failures age out of the window. The counter is keyed by the login as typed
(normalised), whether or not such an account exists, and the refusal message is the same for both, so
throttling reveals nothing about which accounts exist. A successful login clears that login's failures
(not the address's failures for other logins: one valid account must not reset an attacker's budget).
Every failure is also an audit row (no workspace: it happens before one is chosen) and a log line.

Refused attempts are not counted: an attacker hammering a locked account cannot extend the lock.

Sessions: Django's ModelBackend already refuses a deactivated user on their next request; we also
delete that user's stored sessions when an account is deactivated, so nothing of them lingers.
"""

import datetime as dt
import logging
import math

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.models import LoginFailure

logger = logging.getLogger("opencmo.security")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def account_limit() -> int:
    return _setting("LOGIN_THROTTLE_ACCOUNT_LIMIT", 5)


def ip_limit() -> int:
    return _setting("LOGIN_THROTTLE_IP_LIMIT", 20)


def window() -> dt.timedelta:
    return dt.timedelta(seconds=_setting("LOGIN_THROTTLE_WINDOW_SECONDS", 900))


def normalise(username: str | None) -> str:
    return (username or "").strip().lower()[:254]


def client_ip(request) -> str | None:
    """REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it, and
    a proxy deployment sets REMOTE_ADDR through its WSGI server."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _locked_until(rows, limit: int) -> dt.datetime | None:
    times = list(rows.order_by("-at").values_list("at", flat=True)[:limit])
    if limit <= 0 or len(times) < limit:
        return None
    return times[limit - 1] + window()


def locked_for(username: str, ip: str | None, *, now: dt.datetime | None = None) -> int:
    """Seconds until this login (or this address) may try again; 0 when not locked."""
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(at__gt=now - window())
    untils = [_locked_until(recent.filter(username=normalise(username)), account_limit())]
    if ip:
        untils.append(_locked_until(recent.filter(ip=ip), ip_limit()))
    latest = max((u for u in untils if u is not None), default=None)
    if latest is None or latest <= now:
        return 0
    return math.ceil((latest - now).total_seconds())


def message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many failed sign-in attempts. For your security, signing in is paused: try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}, or reset your password."
    )


class ThrottledModelBackend(ModelBackend):
    """ModelBackend that refuses, before checking any password, while the login or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        if request is not None and login is not None:
            wait = locked_for(login, client_ip(request))
            if wait:
                request.login_throttled = wait
                logger.warning(
                    "Login refused (throttled) for %r from %s", normalise(login), client_ip(request)
                )
                raise PermissionDenied(message(wait))  # stops authenticate() trying other backends
        return super().authenticate(request, username=username, password=password, **kwargs)


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form: says plainly when signing in is paused, the same for every login typed."""

    def get_invalid_login_error(self) -> forms.ValidationError:
        wait = getattr(self.request, "login_throttled", 0) if self.request is not None else 0
        if wait:
            return forms.ValidationError(message(wait), code="throttled")
        return super().get_invalid_login_error()


def record_failure(username: str, ip: str | None, *, now: dt.datetime | None = None) -> LoginFailure:
    now = now or timezone.now()
    with transaction.atomic():
        failure = LoginFailure.objects.create(username=normalise(username), ip=ip, at=now)
        audit.record(
            actor=None,
            workspace=None,
            action="create",
            obj=failure,
            changes={"login_failed": [None, failure.username], "ip": [None, ip]},
        )
        # Keep the table small: rows older than a day no longer count for anything.
        LoginFailure.objects.filter(at__lt=now - max(window(), dt.timedelta(days=1))).delete()
    logger.warning("Failed login for %r from %s", failure.username, ip)
    return failure


def _on_failed(sender, credentials, request=None, **kwargs) -> None:
    if request is not None and getattr(request, "login_throttled", 0):
        return  # refused without a password check: not a new failure
    login = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if login:
        record_failure(login, client_ip(request))


def _on_logged_in(sender, request, user, **kwargs) -> None:
    LoginFailure.objects.filter(username=normalise(getattr(user, user.USERNAME_FIELD, ""))).delete()


def end_sessions(user_pk) -> int:
    """Delete every stored session of this user (database session backend)."""
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE not in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    }:
        return 0  # other engines: the backend's is_active check on each request still ends the session
    doomed = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_pk):
            doomed.append(session.pk)
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def _on_user_save(sender, instance, **kwargs) -> None:
    if instance.pk is None or instance.is_active:
        return
    was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()
    if was_active:
        pk = instance.pk
        transaction.on_commit(lambda: end_sessions(pk))


def connect() -> None:
    user_login_failed.connect(_on_failed, dispatch_uid="opencmo-login-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="opencmo-logged-in")
    pre_save.connect(_on_user_save, sender=get_user_model(), dispatch_uid="opencmo-user-deactivated")
