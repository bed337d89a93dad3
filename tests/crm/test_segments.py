"""Segments: saved filters over attributes, lifecycle, behaviour, feedback and consent, with live counts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opencmo.crm import gdpr, segments, services


@pytest.fixture
def people(team, make_contact, acme, purpose, crm):
    company = services.company_create(
        actor=None, workspace=acme, name="Storsport AS", employees=250, industry="Sports retail"
    )
    kari = make_contact("kari@x.example", country="NO", company=company, job_title="Buyer")
    sven = make_contact("sven@x.example", country="SE", stage_key="customer")
    ola = make_contact("ola@x.example", country="no", stage_key="subscriber")
    now = timezone.now()
    for days in (3, 10, 40):
        services.event_record(
            actor=None, contact=kari, kind="email_click", occurred_at=now - dt.timedelta(days=days)
        )
    services.event_record(
        actor=None, contact=ola, kind="email_click", occurred_at=now - dt.timedelta(days=100)
    )
    services.feedback_create(
        actor=None,
        workspace=acme,
        kind="nps",
        score=3,
        contact=sven,
        received_on=timezone.localdate() - dt.timedelta(days=30),
    )
    services.feedback_create(actor=None, workspace=acme, kind="nps", score=10, contact=sven)
    gdpr.consent_give(actor=None, contact=ola, purpose=purpose("newsletter"), wording="Yes", source="form")
    return {"kari": kari, "sven": sven, "ola": ola}


def emails(workspace, filters) -> set[str]:
    return {
        c.email.split("@")[0]
        for c in segments.contacts(workspace, segments.clean_filters(workspace, filters))
    }


@pytest.mark.django_db
def test_filters(people, acme, purpose):
    assert emails(acme, {}) == {"kari", "sven", "ola"}
    assert emails(acme, {"countries": "no"}) == {"kari", "ola"}
    assert emails(acme, {"stages": ["customer", "subscriber"]}) == {"sven", "ola"}
    assert emails(acme, {"conditions": [{"field": "company.employees", "op": "gte", "value": "100"}]}) == {
        "kari"
    }
    assert emails(acme, {"behaviour": {"event_kind": "email_click", "min_count": 2, "within_days": 30}}) == {
        "kari"
    }
    assert emails(acme, {"behaviour": {"event_kind": "email_click", "within_days": 120}}) == {"kari", "ola"}
    assert emails(acme, {"behaviour": {"event_kind": "email_click", "absent": True}}) == {"sven"}
    assert emails(acme, {"feedback": "promoter"}) == {"sven"}  # the latest answer counts
    assert emails(acme, {"feedback": "detractor"}) == set()
    newsletter = purpose("newsletter").pk
    assert emails(acme, {"consent": {"purpose": newsletter, "state": "valid"}}) == {"ola"}
    assert emails(acme, {"consent": {"purpose": newsletter, "state": "missing"}}) == {"kari", "sven"}
    assert emails(acme, {"q": "storsport"}) == {"kari"}
    assert emails(acme, {"industry": "sports", "countries": ["NO", "SE"]}) == {"kari"}


@pytest.mark.django_db
def test_bad_filters_are_refused_with_reasons(acme, globex, crm):
    from opencmo.crm.models import Purpose

    foreign = services.ensure_defaults(globex) and Purpose.objects.filter(workspace=globex).first()
    with pytest.raises(ValidationError) as error:
        segments.clean_filters(
            acme,
            {
                "stages": ["nope"],
                "score_min": "lots",
                "consent": {"purpose": foreign.pk},
                "conditions": [{"field": "shoe", "op": "equals", "value": "1"}],
            },
        )
    text = " ".join(error.value.message_dict["filters"])
    assert "Unknown stage nope" in text and "not a number" in text and "consent: Not a valid choice" in text
    assert "condition 1: Unknown field" in text


@pytest.mark.django_db
def test_saved_segment_counts_live_and_describes_itself(people, acme, team, purpose, client):
    segment = services.segment_create(
        actor=team.bob,
        workspace=acme,
        name="Norwegians",
        filters={"countries": ["NO"]},
        purpose=purpose("newsletter"),
    )
    assert segments.contacts(acme, segment.filters).count() == 2
    services.contact_create(actor=None, workspace=acme, email="new@x.example", country="NO")
    assert segments.contacts(acme, segment.filters).count() == 3
    assert segments.describe(acme, segment.filters) == ["Country is NO"]
    client.force_login(team.bob)
    page = client.get(f"/w/acme/customers/segments/{segment.pk}/").content.decode()
    assert 'data-testid="segment-count">3<' in page
    preview = client.get(
        "/w/acme/customers/segments/preview/", {"countries": "SE", "purpose": purpose("newsletter").pk}
    )
    assert 'data-testid="segment-live-count">1<' in preview.content.decode()
    with pytest.raises(ValidationError):
        services.segment_create(actor=team.bob, workspace=acme, name="norwegians", filters={})
