"""Each finding appears when its condition holds and not otherwise."""

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from django.utils import timezone

from opencmo.budget.models import BudgetLine, BudgetPlan, SpendEntry
from opencmo.insights import findings
from opencmo.insights.findings import Finding, robust_z
from opencmo.org.models import ApprovalRequest, Person
from opencmo.org.raci_services import activity_create
from opencmo.strategy.models import Kpi, KpiActual
from tests.insights.conftest import TODAY
from tests.insights.factories import fill_store

pytestmark = pytest.mark.django_db


def kinds(found: list[Finding], kind: str) -> list[Finding]:
    return [f for f in found if f.kind == kind]


def test_finding_shape_and_order(planned):
    found = findings.findings(planned, today=TODAY)
    assert found == sorted(found, key=lambda f: (findings.SEVERITIES.index(f.severity), f.kind, f.title))
    for f in found:
        assert (
            f.severity in findings.SEVERITIES
            and f.title
            and f.explanation
            and f.evidence_url.startswith("/w/")
        )
    assert [f.key for f in found] == [f.key for f in findings.findings(planned, today=TODAY)]  # stable


# --- KPI ---------------------------------------------------------------------------------------------


def test_kpi_off_track_has_projection(planned):
    kpi = Kpi.objects.get(workspace=planned)  # 0 -> 100 over 2026, one actual of 5 on 1 January
    found = kinds(findings.findings(planned, today=TODAY), "kpi_off_track")
    assert [f.key for f in found] == [f"kpi_off_track:{kpi.pk}:2026-12-31"]
    assert "expected by today" in found[0].explanation and "At this pace it ends" in found[0].explanation
    assert found[0].evidence_url.endswith(f"/strategy/kpis/{kpi.pk}/")


def test_kpi_on_track_is_not_a_finding(planned):
    kpi = Kpi.objects.get(workspace=planned)
    KpiActual.objects.create(workspace=planned, kpi=kpi, date=dt.date(2026, 3, 30), value=40)
    assert kinds(findings.findings(planned, today=TODAY), "kpi_off_track") == []


# --- spend pacing ------------------------------------------------------------------------------------


def _activate(workspace) -> BudgetLine:
    plan = BudgetPlan.objects.get(workspace=workspace)
    plan.status = BudgetPlan.Status.ACTIVE
    plan.save()
    return BudgetLine.objects.get(workspace=workspace, name="Email")


def test_overspend_is_a_finding(planned):
    line = _activate(planned)
    today = dt.date(2026, 1, 10)
    assert kinds(findings.findings(planned, today=today), "spend_pacing") == []  # 260 of 400 planned
    SpendEntry.objects.create(
        workspace=planned,
        date=today,
        amount=300,
        currency="NOK",
        amount_base=300,
        line=line,
        channel=line.channel,
    )
    found = kinds(findings.findings(planned, today=today), "spend_pacing")
    email = [f for f in found if "Email" in f.title]
    assert email and email[0].key == f"spend_pacing:{line.pk}:2026-01-01:over"
    assert "NOK 560" in email[0].explanation and "NOK 400" in email[0].explanation


def test_draft_plans_raise_no_pacing_finding(planned):
    line = BudgetLine.objects.get(workspace=planned, name="Email")
    SpendEntry.objects.create(
        workspace=planned, date=dt.date(2026, 1, 10), amount=900, currency="NOK", amount_base=900, line=line
    )
    assert kinds(findings.findings(planned, today=dt.date(2026, 1, 10)), "spend_pacing") == []


# --- weak channel ------------------------------------------------------------------------------------

EVEN = {
    "Paid Search": ("google_ads", Decimal(100), Decimal(400), 4),
    "Paid Social": ("meta", Decimal(100), Decimal(350), 2),
    "Email": ("klaviyo", Decimal(10), Decimal(45), 1),
}


def test_channel_with_far_lower_roas_is_flagged_with_its_method(planned):
    channels = {**EVEN, "Display": ("dv360", Decimal(50), Decimal(25), 1)}
    fill_store(planned, start=dt.date(2026, 2, 1), days=59, currency="NOK", channels=channels)
    found = kinds(findings.findings(planned, today=TODAY), "weak_channel")
    assert [f.key for f in found] == ["weak_channel:Display"]
    assert "average ROAS" in found[0].explanation and "0.50" in found[0].explanation
    assert "channel=Display" in found[0].evidence_url


def test_similar_channels_are_not_flagged(planned):
    fill_store(planned, start=dt.date(2026, 2, 1), days=59, currency="NOK", channels=EVEN)
    assert kinds(findings.findings(planned, today=TODAY), "weak_channel") == []


def test_incremental_roas_when_spend_moved(planned):
    before = {
        "Paid Search": ("g", Decimal(100), Decimal(400), 1),
        "Paid Social": ("m", Decimal(100), Decimal(300), 1),
        "Email": ("k", Decimal(10), Decimal(50), 1),
        "Display": ("d", Decimal(50), Decimal(150), 1),
    }
    # Doubling spend: search, social and email bring 3-4 kroner per extra krone, display only 1.
    after = {
        "Paid Search": ("g", Decimal(200), Decimal(750), 1),
        "Paid Social": ("m", Decimal(200), Decimal(600), 1),
        "Email": ("k", Decimal(20), Decimal(90), 1),
        "Display": ("d", Decimal(100), Decimal(200), 1),
    }
    fill_store(
        planned, start=dt.date(2026, 2, 3), days=28, currency="NOK", channels=before, journeys_per_day=0
    )
    fill_store(
        planned, start=dt.date(2026, 3, 3), days=28, currency="NOK", channels=after, journeys_per_day=0
    )
    found = kinds(findings.findings(planned, today=TODAY), "weak_channel")
    assert [f.key for f in found] == ["weak_channel:Display"]
    assert "incremental ROAS" in found[0].explanation  # Display's plain ROAS (2.0) would not stand out


def test_mmm_marginal_roas_is_preferred_when_available(planned, monkeypatch):
    fill_store(planned, start=dt.date(2026, 2, 1), days=59, currency="NOK", channels=EVEN)
    fake = types.ModuleType("opencmo.mmm.selectors")
    fake.latest_marginal_roi = lambda ws: {"paid_search": 2.0, "paid_social": 1.8, "email": 0.3}
    fake.channel_labels = lambda ws: {
        "paid_search": "Paid Search",
        "paid_social": "Paid Social",
        "email": "Email",
    }
    fake.latest_run = lambda ws: types.SimpleNamespace(pk=7, finished_at=timezone.now())
    monkeypatch.setitem(sys.modules, "opencmo.mmm.selectors", fake)
    import opencmo.mmm

    monkeypatch.setattr(opencmo.mmm, "selectors", fake, raising=False)
    found = kinds(findings.findings(planned, today=TODAY), "weak_channel")
    assert [f.key for f in found] == ["weak_channel:Email"]
    assert "marketing mix model (run #7 of" in found[0].explanation
    assert found[0].evidence_url.endswith("/insights/models/runs/7/")


# --- conversion anomaly ------------------------------------------------------------------------------


def test_robust_z():
    window = [10.0, 11, 9, 10, 12, 10, 9, 11]
    assert robust_z(10, window) == 0
    assert robust_z(30, window) > 3.5 > robust_z(12, window)
    assert robust_z(5, [5.0] * 10) is None and robust_z(9, [5.0] * 10) == 99
    assert robust_z(1, []) is None


def test_conversion_drop_is_flagged(planned):
    noisy = {dt.date(2026, 2, 1) + dt.timedelta(days=i): 10 + (i * 7) % 5 for i in range(60)}
    noisy[dt.date(2026, 3, 27)] = 1
    fill_store(planned, start=dt.date(2026, 2, 1), days=59, currency="NOK", conversions_per_day=noisy)
    found = kinds(findings.findings(planned, today=TODAY), "conversion_anomaly")
    assert [f.key for f in found] == ["conversion_anomaly:2026-03-27:down"]
    assert "1 conversions against a median of" in found[0].explanation


def test_normal_conversions_are_not_flagged(planned):
    noisy = {dt.date(2026, 2, 1) + dt.timedelta(days=i): 10 + (i * 7) % 5 for i in range(60)}
    fill_store(planned, start=dt.date(2026, 2, 1), days=59, currency="NOK", conversions_per_day=noisy)
    assert kinds(findings.findings(planned, today=TODAY), "conversion_anomaly") == []


# --- RACI and approvals ------------------------------------------------------------------------------


def test_raci_gap_is_a_finding(planned, alice):
    assert not [
        f for f in kinds(findings.findings(planned, today=TODAY), "raci") if "Orphan launch" in f.explanation
    ]
    activity = activity_create(actor=alice, workspace=planned, name="Orphan launch")
    found = [
        f for f in kinds(findings.findings(planned, today=TODAY), "raci") if "Orphan launch" in f.explanation
    ]
    assert found and found[0].severity == "high"
    assert found[0].evidence_url.endswith(f"/org/activities/{activity.pk}/")


def test_overdue_approval(planned, alice):
    boss = Person.objects.get(workspace=planned, user=alice)
    activity = activity_create(actor=alice, workspace=planned, name="Autumn film")
    request = ApprovalRequest.objects.create(
        workspace=planned,
        activity=activity,
        kind="budget",
        summary="Film budget",
        requested_by=boss,
        approver=boss,
        status=ApprovalRequest.Status.PENDING,
    )
    today = timezone.localdate()
    assert kinds(findings.findings(planned, today=today), "overdue_approval") == []
    ApprovalRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    found = kinds(findings.findings(planned, today=today), "overdue_approval")
    assert [f.key for f in found] == [f"overdue_approval:{request.pk}"]
    assert "5 days" in found[0].title and found[0].severity == "medium"
    ApprovalRequest.objects.filter(pk=request.pk).update(status=ApprovalRequest.Status.APPROVED)
    assert kinds(findings.findings(planned, today=today), "overdue_approval") == []
