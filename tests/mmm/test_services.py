"""Model runs (fingerprint cache, background job, failures), recommendations and reallocation requests."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opencmo.budget.models import ReallocationRequest, SpendEntry
from opencmo.core.models import AuditEvent
from opencmo.mmm import selectors, services
from opencmo.mmm.models import ModelRun, Recommendation
from tests.mmm.conftest import run_config

pytestmark = pytest.mark.django_db


def _run(world, actor=None, capture=None, **overrides):
    actor = actor or world.team.alice
    if capture is None:
        return services.modelrun_create(actor=actor, workspace=world.ws, **run_config(**overrides))
    with capture(execute=True):
        run = services.modelrun_create(actor=actor, workspace=world.ws, **run_config(**overrides))
    run.refresh_from_db()
    return run


def test_run_fits_in_the_background_and_stores_results(world, django_capture_on_commit_callbacks):
    run = _run(world, capture=django_capture_on_commit_callbacks)
    assert run.status == ModelRun.Status.DONE, run.error
    assert run.progress == 100 and run.finished_at and len(run.fingerprint) == 64
    r = run.results
    assert r["channels"] == ["email", "paid_search", "paid_social"] and len(r["weeks"]) == 52
    assert r["currency"] == world.ws.currency and r["diagnostics"]["r2"] > 0.5
    assert {row["channel"] for row in r["summary"]} == set(r["channels"])
    assert AuditEvent.objects.filter(
        object_type="mmm.ModelRun", object_id=str(run.pk), action="create"
    ).exists()


def test_same_data_and_settings_return_the_stored_run(world, django_capture_on_commit_callbacks):
    first = _run(world, capture=django_capture_on_commit_callbacks)
    again = _run(world)
    assert again.pk == first.pk and ModelRun.objects.count() == 1
    other = _run(world, saturation="logistic")  # other settings: a new run
    assert other.pk != first.pk and other.status == ModelRun.Status.QUEUED
    SpendEntry.objects.filter(workspace=world.ws, channel=world.email).update(amount_base=Decimal("10"))
    changed = _run(world)  # other data: a new fingerprint, a new run
    assert changed.pk not in (first.pk, other.pk) and changed.fingerprint != first.fingerprint


def test_viewers_and_strangers_cannot_start_runs(world, vera, eve):
    with pytest.raises(PermissionDenied):
        _run(world, actor=vera)
    with pytest.raises(PermissionDenied):
        _run(world, actor=eve)
    assert not ModelRun.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channels": []}, "channels"),
        ({"channels": ["tv_radio"]}, "channels"),
        ({"target": "clicks"}, "target"),
        ({"adstock": "delayed"}, "adstock"),
        ({"end": dt.date(2025, 3, 1)}, "end"),
        ({"target": "conversions", "start": dt.date(2023, 1, 2), "end": dt.date(2023, 12, 31)}, "channels"),
    ],
)
def test_bad_requests_name_the_field(world, overrides, field):
    with pytest.raises(ValidationError) as caught:
        _run(world, **overrides)
    assert field in caught.value.message_dict
    assert not ModelRun.objects.exists()


def test_no_outcome_in_the_store_is_explained(world):
    from opencmo.data.services import open_store

    with open_store(world.ws) as store:
        store.execute("DELETE FROM orders")
    with pytest.raises(ValidationError, match="no revenue"):
        _run(world)


def test_a_failing_fit_is_stored_not_raised(world, monkeypatch):
    run = _run(world)
    from opencmo.analytics import mmm

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mmm, "fit", broken)
    run = services.modelrun_execute(run=run)
    assert run.status == ModelRun.Status.FAILED and "boom" in run.error


def test_recommendation_and_reallocation_request(world, django_capture_on_commit_callbacks):
    run = _run(world, capture=django_capture_on_commit_callbacks)
    start, end = dt.date(2026, 2, 1), dt.date(2026, 4, 30)
    rec = services.recommendation_create(actor=world.team.bob, run=run, start=start, end=end)
    current = {row["channel"]: row["current"] for row in rec.allocation}
    lows = {c: Decimal(str(round(v * 0.7, 2))) for c, v in current.items()}
    highs = {c: Decimal(str(round(v * 1.3, 2))) for c, v in current.items()}
    lows["paid_social"] = highs["paid_social"] = Decimal(
        str(round(current["paid_social"], 2))
    )  # no plan line
    rec = services.recommendation_create(
        actor=world.team.bob, run=run, start=start, end=end, minimum=lows, maximum=highs
    )
    rows = {row["channel"]: row for row in rec.allocation}
    assert sum(r["recommended"] for r in rows.values()) == pytest.approx(float(rec.total), abs=1)
    for c, row in rows.items():
        assert float(lows[c]) - 0.01 <= row["recommended"] <= float(highs[c]) + 0.01
    assert rec.predicted_outcome >= rec.current_outcome - 1e-6
    assert rec.predicted_low <= rec.predicted_outcome <= rec.predicted_high

    made = services.recommendation_request(actor=world.team.bob, recommendation=rec)
    rec.refresh_from_db()
    assert made and rec.requested_at and rec.requests == [r.pk for r in made]
    requests = ReallocationRequest.objects.filter(pk__in=rec.requests)
    assert all(r.status == "pending" for r in requests)
    # only the plan's channel lines (paid search and email) can move; paid social has no line
    moved = sum(r.amount for r in requests)
    delta = abs(Decimal(str(rows["email"]["recommended"] - rows["email"]["current"]))).quantize(Decimal("1"))
    search = abs(Decimal(str(rows["paid_search"]["recommended"] - rows["paid_search"]["current"]))).quantize(
        Decimal("1")
    )
    assert moved == min(delta, search)
    with pytest.raises(ValidationError, match="already been requested"):
        services.recommendation_request(actor=world.team.bob, recommendation=rec)


def test_a_refused_request_makes_none(world, django_capture_on_commit_callbacks):
    run = _run(world, capture=django_capture_on_commit_callbacks)
    rec = services.recommendation_create(
        actor=world.team.alice, run=run, start=dt.date(2026, 2, 1), end=dt.date(2026, 4, 30)
    )
    with pytest.raises((ValidationError, PermissionDenied)):
        services.recommendation_request(actor=world.team.olga, recommendation=rec)  # not R or A on the plan
    rec.refresh_from_db()
    assert rec.requested_at is None and not ReallocationRequest.objects.filter(plan=world.plan).exists()


def test_selectors_for_reviews_and_the_feed(world, django_capture_on_commit_callbacks):
    assert selectors.latest_marginal_roi(world.ws) is None
    run = _run(world, capture=django_capture_on_commit_callbacks)
    mroi = selectors.latest_marginal_roi(world.ws)
    assert set(mroi) == {"email", "paid_search", "paid_social"} and all(v > 0 for v in mroi.values())
    past = services.recommendation_create(
        actor=world.team.alice, run=run, start=dt.date(2025, 6, 2), end=dt.date(2025, 6, 29)
    )
    future = services.recommendation_create(
        actor=world.team.alice, run=run, start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 31)
    )
    today = past.created_at.date()
    rows = selectors.recommendations_between(world.ws, today - dt.timedelta(days=1), today)
    assert {r["recommendation"] for r in rows} == {past.pk, future.pk}
    assert set(rows[0]) >= {
        "created_at",
        "channel",
        "current",
        "recommended",
        "predicted_outcome",
        "realised_outcome",
    }
    realised = {r["recommendation"]: r["realised_outcome"] for r in rows}
    orders = world.synth.tables["orders"].to_pydict()
    june = sum(
        v
        for v, t in zip(orders["value"], orders["ts"], strict=True)
        if dt.date(2025, 6, 2) <= t.date() <= dt.date(2025, 6, 29)
    )
    assert realised[past.pk] == pytest.approx(june, abs=0.01)
    assert realised[future.pk] is None  # no data for the period yet
    assert selectors.recommendations_between(world.ws, dt.date(2020, 1, 1), dt.date(2020, 2, 1)) == []


def test_viewer_cannot_make_recommendations(world, vera, django_capture_on_commit_callbacks):
    run = _run(world, capture=django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.recommendation_create(
            actor=vera, run=run, start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1)
        )
    assert not Recommendation.objects.exists()


def test_moves_are_limited_to_the_donor_lines_unallocated_money(world, django_capture_on_commit_callbacks):
    run = _run(world, capture=django_capture_on_commit_callbacks)

    def rec(search_change):
        return Recommendation.objects.create(
            workspace=world.ws,
            run=run,
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 4, 30),
            total=Decimal("400000"),
            allocation=[
                {"channel": "paid_search", "current": 300000.0, "recommended": 300000.0 + search_change},
                {"channel": "email", "current": 100000.0, "recommended": 100000.0 - search_change},
            ],
            predicted_outcome=1.0,
            current_outcome=1.0,
        )

    # paid search holds 300k, 200k of it allocated to the Spring launch campaign: 100k can move
    made = services.recommendation_request(actor=world.team.bob, recommendation=rec(-150000.0))
    assert [(r.from_line, r.to_line, r.amount) for r in made] == [
        (world.search_line, world.email_line, Decimal("100000"))
    ]
    assert "Limited to the lines' unallocated money (Paid search: 100,000 of 150,000)" in made[0].reason
    # the open request already asks for all of it: nothing left to give
    with pytest.raises(ValidationError, match="no unallocated money"):
        services.recommendation_request(actor=world.team.bob, recommendation=rec(-50000.0))
