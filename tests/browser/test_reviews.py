"""A review meeting in the browser: the CMO records a decision, then an action from it, and the action
appears as a work task with the chosen Responsible and Accountable people."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opencmo.org import raci
from opencmo.org.models import Person
from opencmo.reviews import services
from opencmo.work.models import Task

pytestmark = pytest.mark.browser


def test_recording_a_decision_with_an_action_creates_a_task(page, live_server, login, shot):
    ws_people = Person.objects.filter(workspace__slug="nordlys")
    cmo = ws_people.get(roles__key="cmo")
    mm = ws_people.get(roles__key="marketing_manager")
    seo = ws_people.get(roles__key="seo")
    cycle = services.cycle_create(
        actor=None,
        workspace=cmo.workspace,
        kind="monthly",
        name="Monthly marketing review",
        cadence="monthly",
        first_date=timezone.localdate(),
        chair=cmo,
        participants=[mm, seo],
    )
    review = cycle.reviews.get()
    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/reviews/")
    page.get_by_role("link", name="Monthly marketing review").first.click()
    expect(page.get_by_test_id("pack-summary")).to_be_visible()
    page.get_by_test_id("review-start").click()
    expect(page.get_by_test_id("review-status")).to_have_text("In meeting")

    decisions = page.get_by_test_id("decision-form")
    decisions.get_by_label("Decision").fill("Move search money to the retailer campaign")
    decisions.get_by_label("Owner").select_option(label=mm.name)
    decisions.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("decision")).to_contain_text("Move search money to the retailer campaign")

    actions = page.get_by_test_id("action-form")
    actions.get_by_label("Action").fill("Rewrite the retailer landing page")
    actions.get_by_label("Responsible").select_option(label=seo.name)
    actions.get_by_label("Accountable").select_option(label=mm.name)
    actions.get_by_label("Due date").fill((timezone.localdate() + dt.timedelta(days=10)).isoformat())
    actions.get_by_label("From decision").select_option(label="Move search money to the retailer campaign")
    actions.get_by_role("button", name="Create task").click()
    link = page.get_by_test_id("action").get_by_role("link", name="Rewrite the retailer landing page")
    expect(link).to_be_visible()
    shot("reviews-meeting")

    task = Task.objects.get(workspace=cmo.workspace, title="Rewrite the retailer landing page")
    letters = raci.resolve(task.activity)
    assert letters["R"] == {seo.pk} and letters["A"] == {mm.pk}
    assert review.actions.get().task == task

    link.click()
    expect(page).to_have_url(re.compile(rf"/work/tasks/{task.pk}/"))
    expect(page.get_by_role("heading", name="Rewrite the retailer landing page")).to_be_visible()
    shot("reviews-task")
