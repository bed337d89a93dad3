"""The public /collect/ endpoint: origin, consent, validation, rate limit."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from opencmo.data import collect as collect_module
from opencmo.data.services import collectsite_create, open_store

ORIGIN = "https://shop.example"


@pytest.fixture
def site(acme, alice):
    cache.clear()
    return collectsite_create(actor=alice, workspace=acme, name="Shop", origin="https://Shop.example/")


def post(client, payload, origin=ORIGIN, **extra):
    return client.post(
        reverse("collect"),
        data=json.dumps(payload),
        content_type="text/plain",
        HTTP_ORIGIN=origin,
        HTTP_USER_AGENT="Mozilla/5.0 test",
        **extra,
    )


def rows(workspace, sql):
    with open_store(workspace, read_only=True) as store:
        return store.execute(sql).fetchall()


def test_page_view_with_utm_without_consent(client, site, acme):
    response = post(
        client,
        {
            "k": site.key,
            "u": ORIGIN + "/spring?utm_source=newsletter&utm_medium=email&utm_campaign=march",
            "r": "",
            "c": False,
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    events = rows(acme, "SELECT user_key, event_name, page, params FROM events")
    assert len(events) == 1
    user, name, page, params = events[0]
    assert user.startswith("d:") and name == "page_view" and page == "/spring"
    assert json.loads(params)["campaign"] == "march"
    assert rows(acme, "SELECT channel, campaign FROM touchpoints") == [("Email", "march")]


def test_no_identifier_without_consent_even_if_sent(client, site, acme):
    post(client, {"k": site.key, "u": ORIGIN + "/", "c": False, "v": "abcdef123456"})
    post(client, {"k": site.key, "u": ORIGIN + "/", "c": True, "v": "abcdef123456"})
    users = [r[0] for r in rows(acme, "SELECT user_key FROM events ORDER BY ts")]
    assert users[0].startswith("d:") and users[1].startswith("v:")
    assert all("abcdef123456" not in u for u in users)


def test_anonymous_key_rotates_daily(site):
    import datetime as dt

    args = dict(site=site, consent=False, visitor="", ip="1.2.3.4", agent="ua")
    a = collect_module.visitor_key(day=dt.date(2026, 3, 1), **args)
    assert a == collect_module.visitor_key(day=dt.date(2026, 3, 1), **args)
    assert a != collect_module.visitor_key(day=dt.date(2026, 3, 2), **args)


def test_foreign_origin_refused(client, site, acme):
    assert post(client, {"k": site.key, "u": ORIGIN + "/"}, origin="https://evil.example").status_code == 403
    assert post(client, {"k": site.key, "u": "https://evil.example/"}, origin=ORIGIN).status_code == 403


def test_preflight(client, site):
    ok = client.options(reverse("collect"), HTTP_ORIGIN=ORIGIN)
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == ORIGIN
    assert client.options(reverse("collect"), HTTP_ORIGIN="https://evil.example").status_code == 403


@pytest.mark.parametrize(
    "body,status",
    [
        ("not json", 400),
        ("[1,2]", 400),
        (json.dumps({"k": "site_unknownkey123", "u": ORIGIN}), 404),
        (json.dumps({"u": ORIGIN}), 404),
    ],
)
def test_invalid_payloads(client, site, body, status):
    response = client.post(reverse("collect"), data=body, content_type="text/plain", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == status


@pytest.mark.parametrize(
    "payload",
    [
        {"u": "javascript:alert(1)"},
        {"u": ORIGIN + "/", "c": "yes"},
        {"u": ORIGIN + "/", "e": "Bad Name!"},
        {"u": ORIGIN + "/", "v": "x"},
        {"u": ORIGIN + "/", "extra": 1},
        {"u": ORIGIN + "/" + "a" * 3000},
    ],
)
def test_invalid_fields(client, site, payload):
    assert post(client, {"k": site.key, **payload}).status_code == 400


def test_too_large(client, site):
    assert post(client, {"k": site.key, "u": ORIGIN + "/", "t": "x" * 9000}).status_code == 413


def test_get_is_405(client):
    assert client.get(reverse("collect")).status_code == 405


def test_rate_limited(client, site, monkeypatch):
    monkeypatch.setattr(collect_module, "RATE", 3)
    codes = [post(client, {"k": site.key, "u": ORIGIN + "/"}).status_code for _ in range(5)]
    assert codes == [204, 204, 204, 429, 429]


def test_paused_site_unknown(client, site, alice):
    from opencmo.data.services import collectsite_update

    collectsite_update(actor=alice, site=site, name=site.name, origin=site.origin, is_active=False)
    assert post(client, {"k": site.key, "u": ORIGIN + "/"}).status_code == 404


def test_site_pages_admin_only(client_for, site, bob):
    client = client_for(bob)
    assert client.get(reverse("collect_site_create", kwargs={"ws": "acme"})).status_code == 403
    assert (
        client.get(reverse("collect_site_edit", kwargs={"ws": "acme", "collectsite_pk": site.pk})).status_code
        == 403
    )


def test_site_create_page(client_for, acme, alice):
    from opencmo.data.models import CollectSite

    client = client_for(alice)
    bad = client.post(
        reverse("collect_site_create", kwargs={"ws": "acme"}),
        {"name": "S", "origin": "https://x.example/path"},
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("collect_site_create", kwargs={"ws": "acme"}), {"name": "S", "origin": "https://x.example"}
    )
    assert ok.status_code == 302
    assert CollectSite.objects.get(workspace=acme).origin == "https://x.example"


def test_foreign_site_is_404(client_for, site, globex, eve):
    foreign = collectsite_create(actor=eve, workspace=globex, name="G", origin="https://g.example")
    client = client_for(site.workspace.memberships.get(access="admin").user)
    url = reverse("collect_site_edit", kwargs={"ws": "acme", "collectsite_pk": foreign.pk})
    assert client.get(url).status_code == 404
