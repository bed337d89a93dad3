"""Personal access tokens: hashed at rest, expiry, revocation, scopes, one workspace, the user's
current access; the management page; rate limits."""

import datetime as dt
import hashlib

import pytest
from django.core.cache import cache
from django.utils import timezone

from opencmo.api.models import ApiToken
from opencmo.api.tokens import token_create
from opencmo.core.models import AuditEvent, Membership
from tests.api.helpers import bearer, token_for


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.mark.django_db
def test_secret_is_shown_once_and_only_its_hash_is_stored(client, alice, acme):
    token, secret = token_create(actor=alice, workspace=acme, name="BI", scopes=["read"])
    assert secret.startswith("ocmo_") and len(secret) >= 45
    row = ApiToken.objects.get(pk=token.pk)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get(pk=token.pk))
    assert secret not in stored and row.prefix == secret[:11]
    event = AuditEvent.objects.get(object_type="api.ApiToken", object_id=str(token.pk))
    assert secret not in str(event.changes) and row.token_hash not in str(event.changes)
    assert client.get("/api/w/acme/people", **bearer(secret)).status_code == 200


@pytest.mark.django_db
def test_bad_expired_and_revoked_tokens_are_401(client, alice, acme):
    assert client.get("/api/w/acme/people", **bearer("ocmo_nonsense")).status_code == 401
    assert client.get("/api/w/acme/people", HTTP_AUTHORIZATION="Basic abc").status_code == 401
    secret = token_for(alice, acme, ["read"])
    token = ApiToken.objects.get(user=alice)
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    response = client.get("/api/w/acme/people", **bearer(secret))
    assert response.status_code == 401 and response.json()["detail"] == "Invalid, expired or revoked token."
    secret2 = token_for(alice, acme, ["read"])
    assert client.get("/api/w/acme/people", **bearer(secret2)).status_code == 200
    client.force_login(alice)
    token2 = ApiToken.objects.filter(user=alice).latest("pk")
    assert client.post(f"/w/acme/settings/tokens/{token2.pk}/revoke/").status_code == 302
    client.logout()
    assert client.get("/api/w/acme/people", **bearer(secret2)).status_code == 401


@pytest.mark.django_db
def test_a_bad_token_is_not_rescued_by_a_session(client, alice, acme):
    client.force_login(alice)
    assert client.get("/api/w/acme/people", **bearer("ocmo_wrong")).status_code == 401


@pytest.mark.django_db
def test_scopes_are_enforced_per_domain_and_level(client, alice, acme):
    secret = token_for(alice, acme, ["crm:read", "org:write"])
    assert client.get("/api/w/acme/contacts", **bearer(secret)).status_code == 200
    assert client.get("/api/w/acme/people", **bearer(secret)).status_code == 200  # write implies read
    refused = client.get("/api/w/acme/campaigns", **bearer(secret))
    assert refused.status_code == 403 and "campaigns:read" in refused.json()["detail"]
    write = client.post(
        "/api/w/acme/contacts", {"first_name": "Ann"}, content_type="application/json", **bearer(secret)
    )
    assert write.status_code == 403 and "crm:write" in write.json()["detail"]


@pytest.mark.django_db
def test_token_works_only_in_its_workspace(client, alice, acme, globex, eve):
    from opencmo.core.models import Access
    from opencmo.core.services import membership_add

    membership_add(actor=eve, workspace=globex, user=alice, access=Access.ADMIN)
    secret = token_for(alice, acme, ["read"])
    assert client.get("/api/w/globex/people", **bearer(secret)).status_code == 404
    assert [w["slug"] for w in client.get("/api/workspaces", **bearer(secret)).json()] == ["acme"]
    eves = token_for(eve, globex, ["read"])
    assert client.get("/api/w/acme/people", **bearer(eves)).status_code == 404


@pytest.mark.django_db
def test_token_follows_the_users_current_access(client, alice, acme, bob, vera):
    secret = token_for(bob, acme, ["write"])
    assert client.get("/api/w/acme/people", **bearer(secret)).status_code == 200
    Membership.objects.filter(user=bob, workspace=acme).update(access="viewer")
    body = {"first_name": "Ann"}
    refused = client.post("/api/w/acme/contacts", body, content_type="application/json", **bearer(secret))
    assert refused.status_code == 403
    Membership.objects.filter(user=bob, workspace=acme).update(is_active=False)
    assert client.get("/api/w/acme/people", **bearer(secret)).status_code == 401
    Membership.objects.filter(user=bob, workspace=acme).update(is_active=True)
    bob.is_active = False
    bob.save()
    assert client.get("/api/w/acme/people", **bearer(secret)).status_code == 401


@pytest.mark.django_db
def test_viewers_get_read_tokens_only(alice, acme, vera):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Viewers"):
        token_create(actor=vera, workspace=acme, name="x", scopes=["write"])
    with pytest.raises(ValidationError, match="Unknown scope"):
        token_create(actor=alice, workspace=acme, name="x", scopes=["root"])
    token, _ = token_create(actor=vera, workspace=acme, name="x", scopes=["crm:read"], expires_in_days=None)
    assert token.expires_at is None


@pytest.mark.django_db
def test_session_writes_need_csrf(alice, acme):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/w/acme/contacts").status_code == 200
    refused = client.post("/api/w/acme/contacts", {"first_name": "Ann"}, content_type="application/json")
    assert refused.status_code == 403
    secret = token_for(alice, acme)
    token_client = Client(enforce_csrf_checks=True)
    done = token_client.post(
        "/api/w/acme/contacts", {"first_name": "Ann"}, content_type="application/json", **bearer(secret)
    )
    assert done.status_code == 201, done.content


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(client, alice, acme, settings):
    settings.OPENCMO_API_RATE = "3/min"
    secret = token_for(alice, acme, ["read"])
    statuses = [client.get("/api/w/acme/roles", **bearer(secret)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get("/api/w/acme/roles", **bearer(secret))
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.json() == {"detail": "Too many requests; see Retry-After.", "errors": []}
    other = token_for(alice, acme, ["read"])  # buckets are per token
    assert client.get("/api/w/acme/roles", **bearer(other)).status_code == 200


@pytest.mark.django_db
def test_token_page_creates_lists_and_revokes(client, alice, acme, bob):
    client.force_login(bob)
    page = client.get("/w/acme/settings/tokens/")
    assert page.status_code == 200 and "No tokens yet" in page.content.decode()
    made = client.post(
        "/w/acme/settings/tokens/new/",
        {"name": "Sheets", "scopes": ["campaigns:read"], "expires_in_days": "30"},
        HTTP_HX_REQUEST="true",
    )
    html = made.content.decode()
    token = ApiToken.objects.get(user=bob)
    assert made.status_code == 200 and "Copy your new token now" in html and token.prefix in html
    secret = html.split('value="', 1)[1].split('"', 1)[0]
    assert secret.startswith("ocmo_") and token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    again = client.get("/w/acme/settings/tokens/").content.decode()
    assert secret not in again and "Sheets" in again
    bad = client.post("/w/acme/settings/tokens/new/", {"name": "", "scopes": []}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and ApiToken.objects.filter(user=bob).count() == 1
    client.force_login(alice)  # an administrator sees and may revoke everyone's tokens
    assert "Sheets" in client.get("/w/acme/settings/tokens/").content.decode()
    assert client.post(f"/w/acme/settings/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(object_type="api.ApiToken", action="update").exists()


@pytest.mark.django_db
def test_members_cannot_revoke_others_tokens(client, alice, acme, bob):
    token, _ = token_create(actor=alice, workspace=acme, name="mine", scopes=["read"])
    client.force_login(bob)
    assert client.post(f"/w/acme/settings/tokens/{token.pk}/revoke/").status_code == 403
    assert "mine" not in client.get("/w/acme/settings/tokens/").content.decode()
