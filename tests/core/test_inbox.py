"""The inbox: a user's own notifications in one workspace, marking them read, and the top-bar badge."""

import re

import pytest

from opencmo.core.models import AuditEvent, Notification
from opencmo.core.notifications import notify


def note(workspace, user, subject: str, url: str = "") -> Notification:
    (row,) = notify(workspace=workspace, users=[user], subject=subject, url=url, body=f"About {subject}")
    return row


def already(user, workspace) -> int:
    """Notifications the shared seed gave this user (e.g. a welcome), so counts below stay exact."""
    return Notification.objects.filter(recipient=user, workspace=workspace, read_at__isnull=True).count()


def badge(page: str) -> int | None:
    found = re.search(r'data-testid="inbox-count"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else None


@pytest.mark.django_db
def test_inbox_lists_only_my_notifications_in_this_workspace_newest_first(
    client, alice, bob, acme, eve, globex
):
    seeded = already(alice, acme)
    note(acme, alice, "Alice first")
    note(acme, alice, "Alice second")
    note(acme, bob, "For Bob only")
    note(globex, eve, "Globex news")
    client.force_login(alice)
    page = client.get("/w/acme/inbox/").content.decode()
    listing = page[page.index('data-testid="inbox-list"') :]
    assert listing.index("Alice second") < listing.index("Alice first")
    assert "just now" in listing
    assert "For Bob only" not in page and "Globex news" not in page
    assert listing.count('data-unread="true"') == seeded + 2


@pytest.mark.django_db
def test_mark_read_and_follow_the_link(client, alice, acme):
    seeded = already(alice, acme)
    first = note(acme, alice, "RACI changed", url="/w/acme/org/raci/")
    second = note(acme, alice, "Another")
    client.force_login(alice)
    assert badge(client.get("/w/acme/org/people/").content.decode()) == seeded + 2

    response = client.post(f"/w/acme/inbox/{second.pk}/read/", {"page": "1"})
    assert response.status_code == 302 and response["Location"] == "/w/acme/inbox/"
    second.refresh_from_db()
    assert second.read_at is not None
    event = AuditEvent.objects.get(object_type="core.Notification", object_id=str(second.pk))
    assert event.actor == alice and "read_at" in event.changes

    response = client.post(f"/w/acme/inbox/{first.pk}/read/", {"open": "1"})
    assert response["Location"] == "/w/acme/org/raci/"  # clicked through: read, then followed
    first.refresh_from_db()
    assert first.read_at is not None
    page = client.get("/w/acme/inbox/").content.decode()
    assert (badge(page) or 0) == seeded and page.count('data-unread="true"') == seeded

    again = client.post(f"/w/acme/inbox/{first.pk}/read/")  # twice is harmless and not re-audited
    assert again.status_code == 302
    assert AuditEvent.objects.filter(object_type="core.Notification").count() == 2


@pytest.mark.django_db
def test_an_off_site_link_is_not_followed(client, alice, acme):
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        row = note(acme, alice, "Phish", url=url)
        client.force_login(alice)
        response = client.post(f"/w/acme/inbox/{row.pk}/read/", {"open": "1"})
        assert response["Location"] == "/w/acme/inbox/"


@pytest.mark.django_db
def test_another_users_notification_is_not_found(client, alice, bob, acme, eve, globex):
    bobs = note(acme, bob, "For Bob only")
    foreign = note(globex, eve, "Globex news")
    client.force_login(alice)
    assert client.post(f"/w/acme/inbox/{bobs.pk}/read/").status_code == 404
    assert client.post(f"/w/acme/inbox/{foreign.pk}/read/").status_code == 404
    assert client.post(f"/w/globex/inbox/{foreign.pk}/read/").status_code == 404
    assert client.post("/w/acme/inbox/not-a-number/read/").status_code == 404
    bobs.refresh_from_db()
    foreign.refresh_from_db()
    assert bobs.read_at is None and foreign.read_at is None


@pytest.mark.django_db
def test_mark_all_read_touches_only_my_notifications_here(client, alice, bob, acme, eve, globex):
    seeded = already(alice, acme)
    for i in range(3):
        note(acme, alice, f"Mine {i}")
    bobs = note(acme, bob, "For Bob only")
    client.force_login(alice)
    assert badge(client.get("/w/acme/org/chart/").content.decode()) == seeded + 3
    response = client.post("/w/acme/inbox/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None
    page = client.get(response["Location"]).content.decode()
    assert f"{seeded + 3} notifications marked read." in page and badge(page) is None


@pytest.mark.django_db
def test_badge_counts_per_workspace_and_only_inside_one(client, alice, acme, eve, globex):
    from opencmo.core.models import Access
    from opencmo.core.services import membership_add

    membership_add(actor=eve, workspace=globex, user=alice, access=Access.MEMBER)
    seeded = already(alice, acme)
    note(acme, alice, "Acme one")
    note(globex, alice, "Globex one")
    note(globex, alice, "Globex two")
    client.force_login(alice)
    assert badge(client.get("/w/acme/").content.decode()) == seeded + 1
    assert badge(client.get("/w/globex/").content.decode()) == already(alice, globex) == 2
    outside = client.get("/workspaces/").content.decode()
    assert 'data-testid="inbox-link"' not in outside


@pytest.mark.django_db
def test_pagination_and_unread_filter(client, alice, acme):
    Notification.objects.filter(recipient=alice).delete()  # exactly 25, whatever the seed gave
    rows = [note(acme, alice, f"Note {i:02d}") for i in range(25)]
    client.force_login(alice)
    first = client.get("/w/acme/inbox/").content.decode()
    assert first.count('data-testid="notification"') == 20 and "Note 24" in first and "Page 1 of 2" in first
    second = client.get("/w/acme/inbox/?page=2").content.decode()
    assert second.count('data-testid="notification"') == 5 and "Note 00" in second
    for junk in ("abc", "-1", "999", "1e9"):
        assert client.get(f"/w/acme/inbox/?page={junk}").status_code == 200
    client.post(f"/w/acme/inbox/{rows[0].pk}/read/", {"page": "2", "show": "unread"})
    unread = client.get("/w/acme/inbox/?show=unread").content.decode()
    assert "Unread (24)" in unread and "Note 00" not in unread
    response = client.post(f"/w/acme/inbox/{rows[1].pk}/read/", {"page": "2", "show": "unread"})
    assert response["Location"] == "/w/acme/inbox/?show=unread&page=2"
    response = client.post(f"/w/acme/inbox/{rows[2].pk}/read/", {"page": "2?evil", "show": "x"})
    assert response["Location"] == "/w/acme/inbox/"


@pytest.mark.django_db
def test_read_endpoints_are_post_only(client, alice, acme):
    row = note(acme, alice, "Hello")
    client.force_login(alice)
    assert client.get(f"/w/acme/inbox/{row.pk}/read/").status_code == 405
    assert client.get("/w/acme/inbox/read-all/").status_code == 405
    row.refresh_from_db()
    assert row.read_at is None


@pytest.mark.django_db
def test_viewer_has_an_inbox_too(client, vera, acme):
    note(acme, vera, "For Vera")
    client.force_login(vera)
    page = client.get("/w/acme/inbox/").content.decode()
    assert "For Vera" in page and badge(page) == 1
