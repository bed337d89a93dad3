"""Lead scoring: fit rules on attributes, engagement with exponential decay, an explanation that always
adds up, and the MQL threshold moving a lead to MQL (audited) and on to sales."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencmo.core.models import AuditEvent
from opencmo.crm import conditions, scoring, services
from opencmo.crm.models import Contact, Handoff, ScoringRule, StageTransition
from tests.crm.conftest import T0, no_rules


@dataclass
class Rule:
    kind: str
    name: str
    points: Decimal
    field: str = ""
    operator: str = ""
    value: str = ""
    event_kind: str = ""
    is_active: bool = True
    pk: int = 1


@dataclass
class Event:
    kind: str
    occurred_at: dt.datetime


@dataclass
class Person:
    email: str = "kari@fjellsport.no"
    job_title: str = "Head of Marketing"
    country: str = "NO"
    custom: dict | None = None
    company = None
    stage_id = None


def test_decay_halves_every_half_life():
    assert scoring.decay_factor(Decimal(0), Decimal(30)) == 1
    assert scoring.decay_factor(Decimal(30), Decimal(30)) == Decimal("0.5")
    assert scoring.decay_factor(Decimal(60), Decimal(30)) == Decimal("0.25")
    assert scoring.decay_factor(Decimal(-3), Decimal(30)) == 1  # clock skew: a future event counts fully
    with pytest.raises(ValueError):
        scoring.decay_factor(Decimal(1), Decimal(0))


@given(
    st.decimals(min_value=0, max_value=2000, places=2),
    st.decimals(min_value=0, max_value=2000, places=2),
    st.decimals(min_value=Decimal("0.5"), max_value=365, places=1),
)
def test_decay_is_monotone_and_bounded(a, b, half_life):
    fa, fb = scoring.decay_factor(a, half_life), scoring.decay_factor(b, half_life)
    assert 0 < fa <= 1 and 0 < fb <= 1
    if a <= b:
        assert fa >= fb


event_kinds = st.sampled_from(["email_click", "demo_request", "page_view"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(event_kinds, st.integers(min_value=0, max_value=400 * 24)), max_size=25),
    st.decimals(min_value=1, max_value=120, places=0),
    st.lists(st.decimals(min_value=-20, max_value=50, places=1), min_size=3, max_size=3),
)
def test_breakdown_always_adds_up(raw_events, half_life, rule_points):
    rules = [
        Rule("fit", "Marketing role", rule_points[0], field="job_title", operator="contains", value="market"),
        Rule("engagement", "Clicks", rule_points[1], event_kind="email_click", pk=2),
        Rule("engagement", "Demo", rule_points[2], event_kind="demo_request", pk=3),
    ]
    events = [Event(kind, T0 - dt.timedelta(hours=hours)) for kind, hours in raw_events]
    result = scoring.compute(Person(), rules, events, now=T0, half_life_days=half_life)
    lines = result.fit + result.engagement
    assert result.total == sum((line.points for line in lines), Decimal(0))
    for line in result.engagement:
        assert line.points == sum((e.points for e in line.events), Decimal(0))
        # decayed points never exceed (in size) what the events would be worth fresh
        assert abs(line.points) <= abs(line.undecayed) + Decimal("0.05") * line.count
    assert {line.rule_id for line in lines} | {line.rule_id for line in result.unmatched} == {1, 2, 3}


def test_explanation_names_each_rule_value_and_decay():
    rules = [
        Rule("fit", "Marketing role", Decimal(10), field="job_title", operator="contains", value="market"),
        Rule("fit", "Free email", Decimal(-10), field="email_domain", operator="in", value="gmail.com", pk=2),
        Rule("engagement", "Demo asked", Decimal(40), event_kind="demo_request", pk=3),
        Rule("engagement", "Webinar", Decimal(20), event_kind="webinar_attended", pk=4),
    ]
    events = [Event("demo_request", T0 - dt.timedelta(days=30)), Event("demo_request", T0)]
    result = scoring.compute(Person(), rules, events, now=T0, half_life_days=Decimal(30))
    (fit,) = result.fit
    assert fit.name == "Marketing role" and fit.points == 10 and fit.value == "Head of Marketing"
    assert "Job title contains “market”" in fit.description
    (demo,) = result.engagement
    assert [e.points for e in demo.events] == [Decimal("40.0"), Decimal("20.0")]  # newest first, one halved
    assert demo.points == 60 and demo.undecayed == 80 and demo.count == 2
    assert {line.name for line in result.unmatched} == {"Free email", "Webinar"}
    assert result.total == 70 and result.fit_total == 10 and result.engagement_total == 60


@pytest.mark.parametrize(
    ("actual", "op", "target", "expected"),
    [
        ("Head of Marketing", "contains", "MARKET", True),
        ("NO", "in", "se, no ,dk", True),
        ("NO", "in", "SE,DK", False),
        (Decimal("120"), "gte", "50", True),
        (120, "lte", "50", False),
        ("2026-03-01", "gte", "2026-01-01", True),
        ("abc", "gte", "5", False),
        ("", "is_not_set", "", True),
        (None, "is_set", "", False),
        (None, "not_equals", "x", False),  # a missing value matches nothing but “is empty”
        ("42.0", "equals", "42", True),
        ("Kari", "starts_with", "ka", True),
    ],
)
def test_condition_language(actual, op, target, expected):
    assert conditions.matches(actual, op, target) is expected


@pytest.mark.django_db
def test_reaching_the_threshold_makes_an_mql_audited_and_handed_to_sales(team, make_contact, acme, alice):
    no_rules(acme)
    services.scoringrule_create(
        actor=alice,
        workspace=acme,
        kind="fit",
        name="Norway",
        field="country",
        operator="equals",
        value="NO",
        points=Decimal(20),
    )
    services.scoringrule_create(
        actor=alice,
        workspace=acme,
        kind="engagement",
        name="Demo",
        event_kind="demo_request",
        points=Decimal(40),
    )
    services.settings_update(actor=alice, workspace=acme, mql_threshold=Decimal(50))
    contact = make_contact(country="NO")
    assert contact.score == 20 and contact.stage.key == "lead"
    services.event_record(actor=team.bob, contact=contact, kind="demo_request")
    contact.refresh_from_db()
    assert contact.stage.key == "mql" and contact.score == 60
    move = StageTransition.objects.filter(contact=contact).order_by("-at", "-pk").first()
    assert move.reason == "score" and "Score 60.0 reached the MQL threshold of 50.0" in move.note
    changed = AuditEvent.objects.filter(object_type="crm.Contact", object_id=str(contact.pk), action="update")
    assert any(e.changes.get("stage") for e in changed)
    handoff = Handoff.objects.get(contact=contact)
    assert handoff.assigned_to == team.sam_p and handoff.status == "pending"


@pytest.mark.django_db
def test_decay_lowers_the_score_but_never_demotes(team, make_contact, acme, alice):
    no_rules(acme)
    services.scoringrule_create(
        actor=alice,
        workspace=acme,
        kind="engagement",
        name="Click",
        event_kind="email_click",
        points=Decimal(30),
    )
    services.settings_update(
        actor=alice, workspace=acme, mql_threshold=Decimal(25), half_life_days=Decimal(10)
    )
    contact = make_contact()
    services.event_record(actor=alice, contact=contact, kind="email_click", occurred_at=T0)
    services.rescore_workspace(acme, now=T0)
    contact.refresh_from_db()
    assert contact.stage.key == "mql"
    services.rescore_workspace(acme, now=T0 + dt.timedelta(days=10))
    contact.refresh_from_db()
    assert contact.score == 15 and contact.stage.key == "mql"  # halved after one half-life; still an MQL


@pytest.mark.django_db
def test_customers_are_not_promoted_by_score(make_contact, acme, alice):
    no_rules(acme)
    services.scoringrule_create(
        actor=alice,
        workspace=acme,
        kind="fit",
        name="All",
        field="country",
        operator="is_set",
        value="",
        points=Decimal(500),
    )
    contact = make_contact(stage_key="customer", country="SE")
    assert contact.score == 500 and Contact.objects.get(pk=contact.pk).stage.key == "customer"


@pytest.mark.django_db
def test_bad_rules_are_refused(acme, alice, bob):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as error:
        services.scoringrule_create(
            actor=alice,
            workspace=acme,
            kind="fit",
            name="x",
            field="shoe",
            operator="equals",
            value="1",
            points=1,
        )
    assert "field" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.scoringrule_create(
            actor=alice,
            workspace=acme,
            kind="fit",
            name="x",
            field="country",
            operator="gte",
            value="abc",
            points=1,
        )
    assert "value" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.scoringrule_create(
            actor=bob, workspace=acme, kind="engagement", name="x", event_kind="a", points=1
        )
    assert ScoringRule.objects.filter(workspace=acme, name="x").count() == 0
