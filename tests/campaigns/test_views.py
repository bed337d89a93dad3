"""Campaign pages: list and filters, the form, the campaign page and its actions, permissions, the
calendar's month, quarter and year views, channels; bad input never gives an error page."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from opencmo.campaigns.models import Campaign, Channel
from opencmo.campaigns.services import campaign_request_launch, campaign_set_status, campaign_update
from opencmo.org import raci
from opencmo.org.approvals import approval_decide
from opencmo.org.raci_services import raci_set

LIST = "/w/acme/campaigns/"
CAL = "/w/acme/campaigns/calendar/"


def detail(campaign):
    return f"/w/acme/campaigns/{campaign.pk}/"


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- list -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters(client_for, plan):
    team = plan.team
    spring = plan.campaign("Spring hiking push", status="planned")
    autumn = plan.campaign(
        "Autumn retail fair",
        objectives=[plan.brand],
        channels=[plan.channel["events"]],
        segment=plan.retail,
        accountable=team.alice_p,
        agency="Messe AS",
        start=timezone.localdate() + timedelta(days=90),
    )
    client = client_for(team.olga)
    page = html(client.get(LIST))
    assert "Spring hiking push" in page and "Autumn retail fair" in page
    cases = {
        "status=planned": spring,
        f"channel={plan.channel['events'].pk}": autumn,
        f"objective={plan.sales.pk}": spring,
        f"owner={team.alice_p.pk}": autumn,
        f"segment={plan.hikers.pk}": spring,
        "q=messe": autumn,
        "q=spring-hiking": spring,
    }
    for query, expected in cases.items():
        page = html(client.get(f"{LIST}?{query}"))
        other = autumn if expected == spring else spring
        assert expected.name in page and other.name not in page, query
    # Garbage in the query string is ignored, never an error page.
    page = html(client.get(f"{LIST}?channel=abc&owner=999999&status=nope&objective=-1&page=x"))
    assert "Spring hiking push" in page
    partial = html(client.get(f"{LIST}?status=planned", headers={"HX-Request": "true"}))
    assert "<html" not in partial and "Spring hiking push" in partial


@pytest.mark.django_db
def test_owner_filter_counts_a_held_through_a_role(client_for, plan):
    from opencmo.org.models import Role

    team = plan.team
    campaign = plan.campaign("Role owned", accountable=None, responsible=[team.bob_p])
    mm = Role.objects.get(workspace=plan.ws, key="marketing_manager")
    raci_set(actor=team.alice, activity=campaign.activity, role=mm, letters="A")
    page = html(client_for(team.alice).get(f"{LIST}?owner={team.marta_p.pk}"))
    assert "Role owned" in page


@pytest.mark.django_db
def test_export_respects_filters_and_visibility(client_for, plan):
    plan.campaign("=HYPERLINK(evil)", status="planned")
    secret = plan.campaign("Secret launch", restricted=True)
    client = client_for(plan.team.olga)
    body = client.get(f"{LIST}export.csv?status=planned").content.decode()
    assert "'=HYPERLINK(evil)" in body and secret.name not in body


# --- create and edit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_through_the_form(client_for, plan):
    team = plan.team
    client = client_for(team.bob)
    page = html(client.get(f"{LIST}new/?start=2026-05-04"))
    assert 'value="2026-05-04"' in page and 'value="2026-05-31"' in page
    response = client.post(
        f"{LIST}new/",
        {
            "name": "Fjord trail run",
            "code": "",
            "status": "planned",
            "start_date": "2026-05-04",
            "end_date": "2026-05-31",
            "objectives": [plan.sales.pk],
            "channels": [plan.channel["email"].pk, plan.channel["paid_search"].pk],
            "segment": plan.hikers.pk,
            "agency": "",
            "description": "Trail runs every Sunday",
            "accountable": team.marta_p.pk,
            "responsible": [team.bob_p.pk],
        },
    )
    campaign = Campaign.objects.get(name="Fjord trail run")
    assert response.status_code == 302 and response["Location"] == detail(campaign)
    assert campaign.code == "fjord-trail-run" and campaign.status == "planned"
    assert raci.resolve(campaign.activity)["A"] == {team.marta_p.pk}


@pytest.mark.django_db
def test_form_errors_are_shown_not_crashed(client_for, plan, globex):
    team = plan.team
    client = client_for(team.bob)
    foreign = Channel.objects.create(workspace=globex, key="radio", name="Radio")
    page = html(
        client.post(
            f"{LIST}new/",
            {
                "name": "Bad",
                "status": "live",
                "start_date": "2026-05-10",
                "end_date": "2026-05-01",
                "channels": [foreign.pk],
                "accountable": "nonsense",
            },
        )
    )
    assert "cannot end before it starts" in page
    assert "Select a valid choice" in page
    plan.campaign("Taken", code="taken")
    page = html(
        client.post(
            f"{LIST}new/",
            {
                "name": "Other",
                "code": "taken",
                "status": "idea",
                "start_date": "2026-05-01",
                "end_date": "2026-05-02",
                "accountable": team.marta_p.pk,
            },
        )
    )
    assert "already has the code" in page
    assert not Campaign.objects.filter(name__in=["Bad", "Other"]).exists()


@pytest.mark.django_db
def test_viewer_cannot_create(client_for, plan, vera):
    client = client_for(vera)
    assert "New campaign" not in html(client.get(LIST))
    assert client.get(f"{LIST}new/").status_code == 403
    response = client.post(
        f"{LIST}new/",
        {
            "name": "Nope",
            "status": "idea",
            "start_date": "2026-05-01",
            "end_date": "2026-05-02",
            "accountable": plan.team.marta_p.pk,
        },
    )
    assert response.status_code == 403 and not Campaign.objects.filter(name="Nope").exists()


@pytest.mark.django_db
def test_r_edits_others_are_sent_back(client_for, plan):
    team = plan.team
    campaign = plan.campaign()
    data = {
        "name": "Renamed",
        "code": campaign.code,
        "start_date": campaign.start_date.isoformat(),
        "end_date": campaign.end_date.isoformat(),
        "channels": [plan.channel["email"].pk],
        "segment": plan.hikers.pk,
        "restricted": "on",
    }
    client = client_for(team.olga)
    response = client.post(f"{detail(campaign)}edit/", data)
    assert response.status_code == 302 and Campaign.objects.get(pk=campaign.pk).name != "Renamed"
    client = client_for(team.bob)
    assert 'value="Spring hiking push"' in html(client.get(f"{detail(campaign)}edit/"))
    response = client.post(f"{detail(campaign)}edit/", data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed" and campaign.activity.restricted
    assert list(campaign.channels.values_list("key", flat=True)) == ["email"]


# --- the campaign page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_plan_raci_tasks_and_overlaps(client_for, plan):
    team = plan.team
    campaign = plan.campaign("Spring hiking push", agency="Byrå AS")
    rival = plan.campaign("Spring email blast", channels=[plan.channel["email"]], days=5)
    plan.task("Landing page", campaign=campaign, due=campaign.start_date + timedelta(days=2))
    plan.task("Hidden brief", campaign=campaign, restricted=True, responsible=team.agnes_p)
    page = html(client_for(team.olga).get(detail(campaign)))
    assert "Grow online sales" in page and "Urban hikers 25-40" in page and "Byrå AS" in page
    assert "Paid social" in page and "Email" in page
    assert f"/w/acme/org/activities/{campaign.activity_id}/" in page
    assert "Landing page" in page and "Hidden brief" not in page  # tasks the viewer may see
    overlaps = re.search(r'data-testid="overlaps">(.*?)</section>', page, re.S).group(1)
    assert rival.name in overlaps and "Email" in overlaps and "5 days" in overlaps
    assert "Next step" not in page  # Olga holds no letter: no lifecycle buttons
    bob_page = html(client_for(team.bob).get(detail(campaign)))
    assert "Mark planned" in bob_page and "Expected results" in bob_page


@pytest.mark.django_db
def test_objective_links_only_when_the_strategy_pages_exist(client_for, plan):
    from django.urls import NoReverseMatch, reverse

    campaign = plan.campaign()
    page = html(client_for(plan.team.bob).get(detail(campaign)))
    try:
        url = reverse("objective_detail", kwargs={"ws": "acme", "objective_pk": plan.sales.pk})
    except NoReverseMatch:
        assert "Grow online sales" in page
    else:
        assert f'href="{url}"' in page


@pytest.mark.django_db
def test_outsiders_get_404_on_restricted_campaigns(client_for, plan, eve):
    team = plan.team
    campaign = plan.campaign("Secret launch", restricted=True)
    for user in (team.olga, team.carl, eve):
        assert client_for(user).get(detail(campaign)).status_code == 404
        assert client_for(user).get(f"{detail(campaign)}edit/").status_code == 404
    assert "Secret launch" not in html(client_for(team.olga).get(LIST))
    assert "Secret launch" not in html(client_for(team.olga).get(CAL))
    for user in (team.bob, team.marta, team.alice):
        assert client_for(user).get(detail(campaign)).status_code == 200
    # Agency staff see only the campaigns they hold a letter on, restricted or not.
    open_one = plan.campaign("Open one")
    assert client_for(team.agnes).get(detail(open_one)).status_code == 404
    raci_set(actor=team.marta, activity=open_one.activity, person=team.agnes_p, letters="C")
    assert client_for(team.agnes).get(detail(open_one)).status_code == 200


@pytest.mark.django_db
def test_lifecycle_and_launch_approval_through_the_page(client_for, plan):
    team = plan.team
    campaign = plan.campaign(start=timezone.localdate() + timedelta(days=3))
    page_url = detail(campaign)

    def post(user, data, **kwargs):
        return client_for(user).post(page_url, data, **kwargs)

    assert post(team.bob, {"action": "status", "status": "planned"}).status_code == 302
    page = html(client_for(team.bob).get(page_url))
    assert "Ask for launch approval" in page and "Would go to <strong>Marta</strong>" in page
    assert "Needs an approved launch approval" in page
    post(team.bob, {"action": "request", "summary": "Creative, media and landing page final"})
    page = html(client_for(team.marta).get(page_url))
    assert "Record decision" in page and "Waiting for approval" in page
    response = post(team.marta, {"action": "decide", "decision": "approve", "comment": "Go"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "approved"
    # Before the start date only the A may launch, by forcing it.
    page = html(post(team.bob, {"action": "status", "status": "live"}, follow=True))
    assert "Only its Accountable person can launch it early" in page
    assert post(team.bob, {"action": "status", "status": "live", "force": "on"}).status_code == 403
    assert "Launch before the start date" in html(client_for(team.marta).get(page_url))
    post(team.marta, {"action": "status", "status": "live", "force": "on"})
    post(team.marta, {"action": "status", "status": "done"})
    page = html(post(team.marta, {"action": "status", "status": "evaluated", "note": ""}))
    assert "Write the evaluation" in page
    post(team.marta, {"action": "status", "status": "evaluated", "note": "Email won & <b>paid</b>"})
    campaign.refresh_from_db()
    assert campaign.status == "evaluated"
    page = html(client_for(team.bob).get(page_url))
    assert "Email won &amp; &lt;b&gt;paid&lt;/b&gt;" in page and "Next step" not in page


@pytest.mark.django_db
def test_campaign_page_actions_survive_bad_input(client_for, plan):
    team = plan.team
    campaign = plan.campaign()
    bob = client_for(team.bob)
    for data in (
        {"action": "nonsense"},
        {"action": "status", "status": "bogus"},
        {"action": "status", "status": "approved"},
        {"action": "request", "summary": ""},
        {"action": "expected", f"kpi_{plan.orders.pk}": "12abc"},
    ):
        assert bob.post(detail(campaign), data, follow=True).status_code == 200, data
    assert bob.post(detail(campaign), {"action": "decide", "decision": "approve"}).status_code == 404
    assert bob.post(detail(campaign), {"action": "withdraw"}).status_code == 404
    olga = client_for(team.olga)
    assert olga.post(detail(campaign), {"action": "status", "status": "planned"}).status_code == 403
    assert (
        olga.post(detail(campaign), {"action": "expected", f"kpi_{plan.orders.pk}": "5"}).status_code == 403
    )


@pytest.mark.django_db
def test_expected_results_through_the_page(client_for, plan):
    campaign = plan.campaign(objectives=[plan.sales, plan.brand])
    other = plan.campaign("Other push")
    campaign_update(actor=plan.team.bob, campaign=other, objectives=[plan.sales])
    bob = client_for(plan.team.bob)
    bob.post(detail(other), {"action": "expected", f"kpi_{plan.orders.pk}": "100"})
    response = bob.post(
        detail(campaign),
        {
            "action": "expected",
            f"kpi_{plan.orders.pk}": "400",
            f"kpi_{plan.cpa.pk}": "-10.5",
            f"kpi_{plan.recall.pk}": "",
        },
    )
    assert response.status_code == 302
    values = {r.kpi_id: r.value for r in campaign.expected_results.all()}
    assert values == {plan.orders.pk: Decimal("400"), plan.cpa.pk: Decimal("-10.5")}
    page = html(bob.get(detail(campaign)))
    assert 'value="400"' in page and 'value="-10.5"' in page
    assert "20 %" in page  # 400 of the 2000 gap from 3000 to 5000
    assert "500" in page and "25 %" in page  # with the other campaign's 100


# --- calendar -------------------------------------------------------------------------------------


@pytest.fixture
def march(plan):
    """Campaigns around March 2027 (a fixed month: 1 March is a Monday)."""
    team = plan.team
    made = {
        "early": plan.campaign("Early bird", start=date(2027, 2, 20), days=14),  # into March
        "march": plan.campaign(
            "March madness",
            start=date(2027, 3, 8),
            days=10,
            channels=[plan.channel["events"]],
            segment=plan.retail,
            accountable=team.alice_p,
            objectives=[plan.brand],
        ),
        "clash": plan.campaign(
            "Email clash", start=date(2027, 3, 1), days=3, channels=[plan.channel["email"]]
        ),
        "june": plan.campaign("June jam", start=date(2027, 6, 1), days=20),
        "next_year": plan.campaign("Winter 2028", start=date(2028, 1, 10), days=5),
    }
    plan.task("Print the banners", campaign=made["march"], due=date(2027, 3, 10))
    plan.task("Quarterly report", due=date(2027, 3, 31))
    plan.task("June copy", campaign=made["june"], due=date(2027, 6, 5))
    return made


def names_in(page: str, made: dict) -> set[str]:
    return {key for key, c in made.items() if c.name in page}


@pytest.mark.django_db
def test_month_quarter_and_year_show_the_right_campaigns(client_for, plan, march):
    client = client_for(plan.team.bob)
    month = html(client.get(f"{CAL}?view=month&date=2027-03-15"))
    assert "March 2027" in month and names_in(month, march) == {"early", "march", "clash"}
    assert "Print the banners" in month and "Quarterly report" in month and "June copy" not in month
    assert 'data-testid="calendar-overlaps"' in month  # Early bird and Email clash share email + hikers
    overlaps = re.search(r'data-testid="calendar-overlaps">(.*?)</section>', month, re.S).group(1)
    assert "Early bird" in overlaps and "Email clash" in overlaps and "March madness" not in overlaps
    quarter = html(client.get(f"{CAL}?view=quarter&date=2027-05-02"))
    assert "Q2 2027" in quarter and names_in(quarter, march) == {"june"} and "June copy" in quarter
    year = html(client.get(f"{CAL}?view=year&date=2027-12-31"))
    assert "2027" in year and names_in(year, march) == {"early", "march", "clash", "june"}
    nxt = html(client.get(f"{CAL}?view=year&date=2028-01-01"))
    assert names_in(nxt, march) == {"next_year"}


@pytest.mark.django_db
def test_calendar_filters_stay_in_the_navigation(client_for, plan, march):
    team = plan.team
    client = client_for(team.bob)
    for query, expected in {
        f"channel={plan.channel['events'].pk}": {"march"},
        f"objective={plan.brand.pk}": {"march"},
        f"owner={team.alice_p.pk}": {"march"},
        f"owner={team.marta_p.pk}": {"early", "clash"},
    }.items():
        page = html(client.get(f"{CAL}?view=month&date=2027-03-01&{query}"))
        assert names_in(page, march) == expected, query
        assert query.replace("=", "=") in page  # prev/next/today/view links keep the filter
        assert re.search(rf'href="\?view=month&amp;date=2027-02-01&amp;[^"]*{query}', page)
    filtered = html(client.get(f"{CAL}?view=month&date=2027-03-01&channel={plan.channel['events'].pk}"))
    assert "Print the banners" in filtered and "Quarterly report" not in filtered  # deadlines follow


@pytest.mark.django_db
def test_calendar_survives_bad_input(client_for, plan, march):
    client = client_for(plan.team.bob)
    for query in (
        "view=decade",
        "date=2027-13-45",
        "date=0001-01-01&view=year",
        "channel=x&owner=-5",
        "date=9999-12-31",
    ):
        assert client.get(f"{CAL}?{query}").status_code == 200, query
    assert "March 2027" in html(client.get(f"{CAL}?view=month&date=2027-03-31"))
    today = timezone.localdate()
    assert f"{today:%B %Y}" in html(client.get(CAL))


@pytest.mark.django_db
def test_calendar_links_a_day_to_a_new_campaign(client_for, plan, vera):
    page = html(client_for(plan.team.bob).get(f"{CAL}?date=2027-03-01"))
    assert "/w/acme/campaigns/new/?start=2027-03-01" in page
    assert "/campaigns/new/?start=" not in html(client_for(vera).get(f"{CAL}?date=2027-03-01"))


# --- channels -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_channel_pages(client_for, plan):
    team = plan.team
    bob = client_for(team.bob)
    page = html(bob.get("/w/acme/campaigns/channels/"))
    assert "Paid search" in page and "Add a channel" not in page
    response = bob.post("/w/acme/campaigns/channels/", {"name": "Podcasts"})
    assert response.status_code == 302 and not Channel.objects.filter(name="Podcasts").exists()
    alice = client_for(team.alice)
    alice.post("/w/acme/campaigns/channels/", {"name": "Podcasts"})
    podcasts = Channel.objects.get(workspace=plan.ws, name="Podcasts")
    assert "already a channel" in html(alice.post("/w/acme/campaigns/channels/", {"name": "PODCASTS"}))
    alice.post(f"/w/acme/campaigns/channels/{podcasts.pk}/edit/", {"name": "Podcast ads"})
    assert Channel.objects.get(pk=podcasts.pk).name == "Podcast ads"
    assert client_for(team.bob).post(f"/w/acme/campaigns/channels/{podcasts.pk}/delete/").status_code == 403
    alice = client_for(team.alice)
    alice.post(f"/w/acme/campaigns/channels/{podcasts.pk}/delete/")
    assert not Channel.objects.filter(pk=podcasts.pk).exists()
    page = html(alice.post(f"/w/acme/campaigns/channels/{plan.channel['pr'].pk}/delete/", follow=True))
    assert "Built-in channels stay" in page


@pytest.mark.django_db
def test_admin_deletes_an_idea(client_for, plan):
    campaign = plan.campaign("Throwaway")
    assert client_for(plan.team.bob).post(f"{detail(campaign)}delete/").status_code == 403
    response = client_for(plan.team.alice).post(f"{detail(campaign)}delete/")
    assert response.status_code == 302 and not Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.django_db
def test_status_change_via_service_matches_page(plan):
    """The page and the API of the work engineer share the same services (sanity check)."""
    campaign = plan.campaign(status="planned")
    request = campaign_request_launch(actor=plan.team.bob, campaign=campaign, summary="Go")
    approval_decide(actor=plan.team.marta, request=request, approve=True)
    campaign.refresh_from_db()
    assert campaign_set_status(actor=plan.team.bob, campaign=campaign, status="live").status == "live"
