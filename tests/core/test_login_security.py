"""Login brute force is throttled per account and per address, without revealing which accounts
exist; failures are audit-logged; success resets. Sessions end on logout and on deactivation, for pages
and for the session-authenticated API."""

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from opencmo.core import throttle
from opencmo.core.models import AuditEvent, LoginFailure
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _login(client, email, password, ip="203.0.113.5"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_account_is_locked_after_five_failures_with_a_clear_message(client, alice, settings):
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 5
    for _ in range(5):
        response = _login(client, "alice@acme.example", "wrong-password")
        assert response.status_code == 200 and "correct email" in response.content.decode().lower()
    response = _login(client, "alice@acme.example", PASSWORD)  # even the right password is refused now
    page = response.content.decode()
    assert response.status_code == 200 and not _logged_in(client)
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    # The lock is per login, typed in any case.
    assert "Too many" in _login(client, "ALICE@acme.example ", PASSWORD).content.decode()
    assert LoginFailure.objects.filter(username="alice@acme.example").count() == 5  # refusals not counted


def test_the_lock_lifts_after_the_cooling_period_and_success_resets(client, alice, settings):
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 3
    long_ago = timezone.now() - dt.timedelta(minutes=16)
    for _ in range(3):
        throttle.record_failure("alice@acme.example", "203.0.113.5", now=long_ago)
    assert throttle.locked_for("alice@acme.example", None) == 0  # aged out of the window
    for _ in range(2):
        _login(client, "alice@acme.example", "wrong-password")
    response = _login(client, "alice@acme.example", PASSWORD)
    assert response.status_code == 302 and _logged_in(client)
    assert not LoginFailure.objects.filter(username="alice@acme.example").exists()  # success resets


def test_locked_for_counts_down_from_the_limiting_failure(alice, settings):
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 2
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 600
    t0 = timezone.now()
    throttle.record_failure("alice@acme.example", None, now=t0 - dt.timedelta(seconds=100))
    assert throttle.locked_for("alice@acme.example", None, now=t0) == 0
    throttle.record_failure("alice@acme.example", None, now=t0)
    assert throttle.locked_for("alice@acme.example", None, now=t0) == 500  # 600 s after the 2nd newest
    assert throttle.locked_for("alice@acme.example", None, now=t0 + dt.timedelta(seconds=501)) == 0


def _errors(page: str, email: str) -> str:
    """The page without its per-request CSRF token, with the typed login blanked."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", page).replace(email, "E")


def test_unknown_and_known_accounts_are_treated_alike(client, alice, settings):
    """No user enumeration: the same messages, counters and lock for a login that does not exist."""
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 3
    pages = {}
    for email in ("alice@acme.example", "nobody@acme.example"):
        first = [_login(client, email, "wrong-password").content.decode() for _ in range(3)]
        locked = _login(client, email, "wrong-password").content.decode()
        pages[email] = (_errors(first[0], email), _errors(locked, email))
    assert pages["alice@acme.example"] == pages["nobody@acme.example"]
    assert "Too many failed sign-in attempts" in pages["nobody@acme.example"][1]


def test_one_address_trying_many_accounts_is_locked(client, alice, settings):
    settings.LOGIN_THROTTLE_IP_LIMIT = 4
    for n in range(4):
        _login(client, f"guess{n}@acme.example", "password123", ip="198.51.100.7")
    assert "Too many" in _login(client, "alice@acme.example", PASSWORD, ip="198.51.100.7").content.decode()
    # Another address is not affected, and logging in does not wipe the attacker's address record.
    assert _login(client, "alice@acme.example", PASSWORD, ip="203.0.113.9").status_code == 302
    assert LoginFailure.objects.filter(ip="198.51.100.7").count() == 4


def test_failed_logins_are_audit_logged_without_the_password(client, alice):
    _login(client, "alice@acme.example", "s3cret-guess", ip="192.0.2.44")
    event = AuditEvent.objects.get(object_type="core.LoginFailure")
    assert event.workspace is None and event.actor_label == "system"
    assert event.changes == {"login_failed": [None, "alice@acme.example"], "ip": [None, "192.0.2.44"]}
    assert "s3cret-guess" not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_the_admin_login_is_throttled_too(client, alice, settings):
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 2
    alice.is_staff = alice.is_superuser = True
    alice.save()
    for _ in range(2):
        client.post(
            "/admin/login/", {"username": "alice@acme.example", "password": "nope"}, REMOTE_ADDR="192.0.2.1"
        )
    response = client.post(
        "/admin/login/", {"username": "alice@acme.example", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 200 and not _logged_in(client)


def test_logout_ends_the_session_on_the_server(client, alice, acme):
    assert _login(client, "alice@acme.example", PASSWORD).status_code == 302
    old_key = client.session.session_key
    assert client.get("/w/acme/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    client.cookies["sessionid"] = old_key  # replaying the old cookie gets nothing
    assert client.get("/w/acme/").status_code == 302
    assert client.get("/api/workspaces").status_code == 401


def test_deactivating_an_account_ends_its_sessions(client, alice, acme, django_capture_on_commit_callbacks):
    assert _login(client, "alice@acme.example", PASSWORD).status_code == 302
    key = client.session.session_key
    assert client.get("/w/acme/").status_code == 200
    assert client.get("/api/workspaces").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        alice.is_active = False
        alice.save()
    assert not Session.objects.filter(session_key=key).exists()
    response = client.get("/w/acme/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get("/api/workspaces").status_code == 401
    # A deactivated account cannot log back in, and says nothing different from a wrong password.
    page = _login(client, "alice@acme.example", PASSWORD).content.decode()
    assert "correct email" in page.lower() and not _logged_in(client)


def test_a_surviving_session_of_a_deactivated_user_is_refused(client, alice, acme):
    """Even if the session row were kept (another session engine), the next request is logged out."""
    client.force_login(alice)
    assert client.get("/api/workspaces").status_code == 200
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)  # bypasses signals: session row stays
    assert client.get("/w/acme/").status_code == 302
    assert client.get("/api/workspaces").status_code == 401
