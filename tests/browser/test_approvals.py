"""The demo's open budget request: the analyst (Consulted) signs off, then the CMO (Accountable) approves."""

import re

from playwright.sync_api import expect

from opencmo.org.models import Activity, ApprovalRequest, Person


def test_signoff_then_approval_in_the_browser(page, live_server, login, shot, browser):
    activity = Activity.objects.get(workspace__slug="nordlys", name="Quarterly budget review")
    analyst = Person.objects.get(workspace__slug="nordlys", roles__key="analyst")
    cmo = Person.objects.get(workspace__slug="nordlys", roles__key="cmo")
    detail = f"{live_server.url}/w/nordlys/org/activities/{activity.pk}/"

    login(analyst.user.email)
    page.goto(detail)
    expect(page.get_by_test_id("request-status")).to_have_text("Waiting for sign-off")
    approval = page.get_by_test_id("approval")
    approval.get_by_label("Decision").select_option("agree")
    approval.get_by_label("Comment").fill("Numbers match the Q4 actuals.")
    shot("10-analyst-signoff")
    approval.get_by_role("button", name="Send sign-off").click()
    expect(page.get_by_text("Your sign-off is recorded.")).to_be_visible()
    expect(page.get_by_test_id("request-status")).to_have_text("Waiting for approval")

    page.context.clear_cookies()
    login(cmo.user.email)
    page.goto(detail)
    approval = page.get_by_test_id("approval")
    expect(approval.get_by_text(re.compile("Approver: Liv|Approver:"))).to_be_visible()
    approval.get_by_label("Decision").select_option("approve")
    approval.get_by_label("Comment").fill("Approved within the annual plan.")
    approval.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Request approved.")).to_be_visible()
    shot("11-cmo-approved")
    assert ApprovalRequest.objects.get(activity=activity).status == "approved"


def test_escalated_request_shows_its_route(page, live_server, login, shot):
    activity = Activity.objects.get(workspace__slug="nordlys", name="Paid search and social campaigns")
    ceo = Person.objects.get(workspace__slug="nordlys", roles__key="executive")
    login(ceo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/org/activities/{activity.pk}/")
    expect(
        page.get_by_text(re.compile(r"Escalated: .* \(no authority\) → .* \(no authority\) → "))
    ).to_be_visible()
    shot("12-escalated")
