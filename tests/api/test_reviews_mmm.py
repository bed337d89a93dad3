"""The reviews and marketing-mix-model endpoints: what they answer, who may write, and that they go
through the same services (audit rows, permission rules, validation) as the pages."""

import pytest
from django.core.cache import cache

from opencmo.core.models import AuditEvent
from opencmo.mmm.models import ModelRun
from opencmo.reviews.models import Review, ReviewDecision
from tests.api.helpers import bearer, token_for
from tests.conftest import seed_plan_objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(alice, acme, globex, eve, bob):
    cache.clear()
    seed_plan_objects(acme, alice)
    seed_plan_objects(globex, eve)
    return {"alice": token_for(alice, acme), "bob": token_for(bob, acme), "eve": token_for(eve, globex)}


def test_cycles_reviews_and_the_live_pack(client, seeded, acme):
    auth = bearer(seeded["alice"])
    cycles = client.get("/api/w/acme/review-cycles", **auth).json()
    assert cycles["total"] == 1 and cycles["items"][0]["name"] == "Acme monthly review"
    review = Review.objects.get(workspace=acme)
    listed = client.get(f"/api/w/acme/reviews?cycle={review.cycle_id}&status=scheduled", **auth).json()
    assert [r["id"] for r in listed["items"]] == [review.pk]
    assert client.get("/api/w/acme/reviews?status=closed", **auth).json()["total"] == 0
    detail = client.get(f"/api/w/acme/reviews/{review.pk}", **auth).json()
    assert detail["pack"]["live"] is True
    assert {"objectives", "budget", "raci"} <= set(detail["pack"])
    actions = client.get(f"/api/w/acme/reviews/{review.pk}/actions", **auth).json()
    assert actions["items"][0]["title"] == "Email plan"


def test_recording_a_decision_is_audited_and_needs_the_meeting_runner(client, seeded, acme, bob):
    review = Review.objects.get(workspace=acme)
    url = f"/api/w/acme/reviews/{review.pk}/decisions"
    body = {"text": "Move 10 % of display to search", "owner_id": review.cycle.chair_id}
    denied = client.post(url, body, content_type="application/json", **bearer(seeded["bob"]))
    assert denied.status_code == 403 and "chair" in denied.json()["detail"]
    made = client.post(url, body, content_type="application/json", **bearer(seeded["alice"]))
    assert made.status_code == 201, made.content
    decision = ReviewDecision.objects.get(pk=made.json()["id"])
    assert decision.text == body["text"] and decision.recorded_by.email == "alice@acme.example"
    assert AuditEvent.objects.filter(
        object_type="reviews.ReviewDecision", object_id=str(decision.pk)
    ).exists()
    listed = client.get(url, **bearer(seeded["alice"])).json()
    assert body["text"] in [d["text"] for d in listed["items"]]
    empty = client.post(url, {"text": "   "}, content_type="application/json", **bearer(seeded["alice"]))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"
    foreign = client.post(
        url, {"text": "x", "owner_id": 10**6}, content_type="application/json", **bearer(seeded["alice"])
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "owner_id"


def test_follow_up_by_the_owner_and_not_by_others(client, seeded, acme):
    decision = ReviewDecision.objects.get(workspace=acme)
    url = f"/api/w/acme/review-decisions/{decision.pk}"
    body = {"follow_up": "done", "notes": "Shifted in March"}
    assert (
        client.patch(url, body, content_type="application/json", **bearer(seeded["bob"])).status_code == 403
    )
    answer = client.patch(url, body, content_type="application/json", **bearer(seeded["alice"]))
    assert answer.status_code == 200 and answer.json()["follow_up"] == "done"
    bad = client.patch(
        url, {"follow_up": "maybe"}, content_type="application/json", **bearer(seeded["alice"])
    )
    assert bad.status_code == 422


def test_closed_review_refuses_new_decisions(client, seeded, acme):
    review = Review.objects.get(workspace=acme)
    Review.objects.filter(pk=review.pk).update(status=Review.Status.CLOSED)
    answer = client.post(
        f"/api/w/acme/reviews/{review.pk}/decisions",
        {"text": "Too late"},
        content_type="application/json",
        **bearer(seeded["alice"]),
    )
    assert answer.status_code == 422


def test_model_runs_and_recommendations(client, seeded, acme):
    auth = bearer(seeded["alice"])
    runs = client.get("/api/w/acme/mmm/runs", **auth).json()
    assert runs["total"] == 1 and runs["items"][0]["status"] == "failed"
    run = client.get(f"/api/w/acme/mmm/runs/{runs['items'][0]['id']}", **auth).json()
    assert run["summary"] == [] and run["error"] == "Acme seeded run"
    recs = client.get("/api/w/acme/mmm/recommendations", **auth).json()
    assert recs["total"] == 1 and recs["items"][0]["allocation"][0]["channel"] == "email"
    # Starting a run goes through the service's checks: too short a period is a 422 naming the field.
    short = client.post(
        "/api/w/acme/mmm/runs",
        {"channels": ["email"], "start": "2026-01-05", "end": "2026-03-01"},
        content_type="application/json",
        **auth,
    )
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "end"
    assert ModelRun.objects.filter(workspace=acme).count() == 1


def test_another_workspace_sees_none_of_it(client, seeded, acme):
    review = Review.objects.get(workspace=acme)
    auth = bearer(seeded["eve"])
    assert client.get(f"/api/w/acme/reviews/{review.pk}", **auth).status_code == 404
    assert client.get(f"/api/w/globex/reviews/{review.pk}", **auth).status_code == 404
    assert client.get("/api/w/globex/mmm/runs", **auth).json()["items"][0]["error"] == "Globex seeded run"
