"""The CMO reads the org chart, holds a role review and works through the inbox."""

import re

from playwright.sync_api import expect

from opencmo.core.models import Notification, Workspace
from opencmo.core.notifications import notify
from opencmo.org.models import Person, RoleReview


def person_with(role_key: str, slug: str = "nordlys") -> Person:
    return Person.objects.filter(workspace__slug=slug, roles__key=role_key).order_by("pk").first()


def test_cmo_opens_the_org_chart(page, live_server, login, shot):
    cmo = person_with("cmo")
    login(cmo.user.email)
    page.get_by_role("link", name="Organisation").click()
    page.get_by_role("link", name="Org chart").click()
    chart = page.get_by_test_id("org-chart")
    active = Person.objects.filter(workspace__slug="nordlys", is_active=True)
    expect(chart.locator("a.node")).to_have_count(active.count())
    expect(chart.locator("a.node.external")).to_have_count(active.exclude(organisation="").count())
    ceo = person_with("executive")
    expect(chart.get_by_role("link", name=re.compile(re.escape(ceo.name)))).to_be_visible()
    expect(page.get_by_role("link", name="Download SVG")).to_be_visible()
    shot("chart-01-nordlys")
    page.get_by_label("Fit the whole chart to the page").check()
    shot("chart-01b-nordlys-fitted")
    chart.get_by_role("link", name=re.compile(re.escape(ceo.name))).click()
    expect(page.get_by_role("heading", name=ceo.name)).to_be_visible()


def test_download_svg_from_the_chart(page, live_server, login):
    login(person_with("cmo").user.email)
    page.goto(f"{live_server.url}/w/nordlys/org/chart/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download SVG").click()
    download = info.value
    assert download.suggested_filename == "nordlys-org-chart.svg"
    text = download.path().read_text(encoding="utf-8")
    assert text.startswith("<?xml") and person_with("executive").name in text


def test_one_person_with_two_hats_is_marked(page, live_server, login, shot):
    solo = person_with("cmo", "nordlys-studio")
    login(solo.user.email)
    page.goto(f"{live_server.url}/w/nordlys-studio/org/chart/")
    box = page.get_by_test_id("org-chart").locator(f'a.node[data-person="{solo.pk}"]')
    expect(box).to_contain_text("2 hats")
    shot("chart-02-studio-two-hats")


def test_cmo_holds_a_role_review(page, live_server, login, shot):
    login(person_with("cmo").user.email)
    page.goto(f"{live_server.url}/w/nordlys/org/review/")
    expect(page.get_by_role("heading", name="Role review", exact=True)).to_be_visible()
    expect(page.get_by_test_id("workload").locator("tbody tr")).to_have_count(
        Person.objects.filter(workspace__slug="nordlys", is_active=True).count()
    )
    shot("review-01-page")
    page.get_by_label("Notes").fill("Marketing manager hands two activities to the project lead.")
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_test_id("review-notes")).to_contain_text("hands two activities")
    review = RoleReview.objects.get(workspace__slug="nordlys")
    expect(page).to_have_url(re.compile(rf"/org/review/{review.pk}/$"))
    shot("review-02-recorded")
    page.get_by_role("link", name="← Current review").click()
    expect(page.get_by_test_id("past-reviews").get_by_role("link")).to_have_count(1)


def test_cmo_works_through_the_inbox(page, live_server, login, shot):
    cmo = person_with("cmo")
    workspace = Workspace.objects.get(slug="nordlys")
    notify(
        workspace=workspace,
        users=[cmo.user],
        subject="Quarterly role review is due",
        body="Leadership meets on Friday; please look at the RACI health first.",
        url="/w/nordlys/org/review/",
    )
    unread = Notification.objects.filter(workspace=workspace, recipient=cmo.user, read_at__isnull=True)
    login(cmo.user.email)
    expect(page.get_by_test_id("inbox-count")).to_have_text(str(unread.count()))
    page.get_by_test_id("inbox-link").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    item = page.get_by_test_id("notification").filter(has_text="Quarterly role review is due")
    expect(item).to_have_attribute("data-unread", "true")
    shot("inbox-01-unread")
    item.get_by_role("button", name="Quarterly role review is due", exact=True).click()
    expect(page.get_by_role("heading", name="Role review", exact=True)).to_be_visible()
    page.get_by_test_id("inbox-link").click()
    expect(item).to_have_attribute("data-unread", "false")
    if unread.exists():
        page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_test_id("inbox-count")).to_have_count(0)
    expect(page.locator('[data-unread="true"]')).to_have_count(0)
    shot("inbox-02-all-read")
