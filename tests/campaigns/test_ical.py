"""The secret iCal feed: a valid calendar with exactly what its owner may see in its workspace."""

from datetime import date, timedelta

import pytest
from icalendar import Calendar

from opencmo.campaigns.models import CalendarFeed
from opencmo.campaigns.services import campaign_create, feed_create
from opencmo.core.models import Membership

CAL = "/w/acme/campaigns/calendar/"


def fetch(client, token):
    return client.get(f"/ical/{token}.ics")


def events(response) -> dict[str, dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def world(plan, globex, eve):
    team = plan.team
    made = {
        "open": plan.campaign('Spring hiking push, part 1; "city"', start=date(2027, 4, 5), days=7),
        "secret": plan.campaign("Secret launch", start=date(2027, 4, 10), days=3, restricted=True),
    }
    made["task"] = plan.task("Print banners", campaign=made["open"], due=date(2027, 4, 7))
    made["hidden_task"] = plan.task("Secret brief", due=date(2027, 4, 8), restricted=True)
    made["foreign"] = campaign_create(
        actor=eve,
        workspace=globex,
        name="Globex only",
        start_date=date(2027, 4, 1),
        end_date=date(2027, 4, 30),
    )
    made["team"] = team
    return made


@pytest.mark.django_db
def test_create_show_once_and_subscribe(client, client_for, world):
    team = world["team"]
    olga = client_for(team.olga)
    response = olga.post(f"{CAL}feed/", {"action": "create"})
    assert response.status_code == 302
    page = olga.get(CAL).content.decode()
    url = page.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert url.startswith("http://testserver/ical/") and len(token) >= 43
    assert "webcal://testserver/ical/" in page
    assert token not in olga.get(CAL).content.decode()  # shown once only
    feed = CalendarFeed.objects.get(user=team.olga, revoked_at__isnull=True)
    assert feed.last_used_at is None

    client.logout()  # calendar apps do not log in
    found = events(fetch(client, token))
    open_uid = f"campaign-{world['open'].pk}.ws-{team.ws.pk}@opencmo"
    assert open_uid in found
    event = found[open_uid]
    assert event.decoded("DTSTART") == date(2027, 4, 5) and event.decoded("DTEND") == date(2027, 4, 12)
    assert str(event["SUMMARY"]) == 'Spring hiking push, part 1; "city" (Idea)'
    assert "Paid social" in str(event["DESCRIPTION"]) and "Marta" in str(event["DESCRIPTION"])
    assert b'SUMMARY:Spring hiking push\\, part 1\\; "city" (Idea)' in fetch(client, token).content
    task_uid = f"task-{world['task'].pk}.ws-{team.ws.pk}@opencmo"
    assert found[task_uid].decoded("DTSTART") == date(2027, 4, 7)
    assert str(found[task_uid]["SUMMARY"]) == "Deadline: Print banners"
    # Olga is on no RACI: the restricted campaign and task are not in her feed; Globex never is.
    assert f"campaign-{world['secret'].pk}.ws-{team.ws.pk}@opencmo" not in found
    assert f"task-{world['hidden_task'].pk}.ws-{team.ws.pk}@opencmo" not in found
    assert all("Globex" not in str(e["SUMMARY"]) for e in found.values())
    feed.refresh_from_db()
    assert feed.last_used_at is not None
    # UIDs are stable from one fetch to the next.
    assert set(events(fetch(client, token))) == set(found)


@pytest.mark.django_db
def test_restricted_campaigns_reach_their_raci_people(client, world):
    team = world["team"]
    _, token = feed_create(actor=team.bob, workspace=team.ws)  # Bob is R on the secret campaign
    found = events(fetch(client, token))
    assert f"campaign-{world['secret'].pk}.ws-{team.ws.pk}@opencmo" in found
    assert f"task-{world['hidden_task'].pk}.ws-{team.ws.pk}@opencmo" in found


@pytest.mark.django_db
def test_one_workspace_per_feed(client, world, eve):
    team = world["team"]
    _, acme_token = feed_create(actor=team.alice, workspace=team.ws)  # an admin sees all of Acme
    found = events(fetch(client, acme_token))
    assert f"campaign-{world['secret'].pk}.ws-{team.ws.pk}@opencmo" in found
    assert not any(str(e["SUMMARY"]).startswith("Globex only") for e in found.values())
    _, globex_token = feed_create(actor=eve, workspace=world["foreign"].workspace)
    theirs = events(fetch(client, globex_token))
    assert [str(e["SUMMARY"]) for e in theirs.values() if "Globex only" in str(e["SUMMARY"])]
    assert not any("Spring hiking" in str(e["SUMMARY"]) for e in theirs.values())


@pytest.mark.django_db
def test_revoke_regenerate_and_removed_members(client, client_for, world):
    team = world["team"]
    _, token = feed_create(actor=team.olga, workspace=team.ws)
    olga = client_for(team.olga)
    olga.post(f"{CAL}feed/", {"action": "create"})  # regenerate: the old address stops
    assert fetch(client, token).status_code == 404
    new = CalendarFeed.objects.get(user=team.olga, revoked_at__isnull=True)
    olga.post(f"{CAL}feed/", {"action": "revoke"})
    new.refresh_from_db()
    assert new.revoked_at is not None
    assert "Create my calendar address" in olga.get(CAL).content.decode()

    _, token = feed_create(actor=team.olga, workspace=team.ws)
    assert fetch(client, token).status_code == 200
    Membership.objects.filter(user=team.olga, workspace=team.ws).update(is_active=False)
    assert fetch(client, token).status_code == 404
    for bad in ("nope", "x" * 300, token[:-1]):
        assert fetch(client, bad).status_code == 404
    assert client.post(f"/ical/{token}.ics").status_code == 405


@pytest.mark.django_db
def test_old_campaigns_drop_out(client, plan):
    from django.utils import timezone

    old = plan.campaign("Long gone", start=timezone.localdate() - timedelta(days=800), days=10)
    recent = plan.campaign("Last month", start=timezone.localdate() - timedelta(days=40), days=10)
    _, token = feed_create(actor=plan.team.bob, workspace=plan.ws)
    found = events(fetch(client, token))
    assert f"campaign-{recent.pk}.ws-{plan.ws.pk}@opencmo" in found
    assert f"campaign-{old.pk}.ws-{plan.ws.pk}@opencmo" not in found
